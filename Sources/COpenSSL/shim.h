// OpenSSL 3 for Swift. Only ParleyTransport imports this module (see STYLE.md).
//
// Many OpenSSL entry points are function-like macros, which Swift cannot import; each one the
// transport needs is wrapped here in a static inline function named `parley_<macro>`.
#ifndef PARLEY_COPENSSL_SHIM_H
#define PARLEY_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static inline long parley_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long parley_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long parley_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long parley_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
// The peer's own certificate, also after its verification failed (a client keeps the chain the
// server sent before verifying it, but sets the peer certificate only once it passes).
static inline X509 *parley_SSL_peer_leaf(const SSL *ssl) {
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer != NULL) return peer;
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    return chain != NULL && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
}
static inline size_t parley_BIO_pending(BIO *bio) { return BIO_ctrl_pending(bio); }
static inline long parley_BIO_set_mem_eof_return(BIO *bio, int value) { return BIO_set_mem_eof_return(bio, value); }
static inline void parley_OPENSSL_free(void *pointer) { OPENSSL_free(pointer); }

// Subject alternative names: a STACK_OF(GENERAL_NAME) is only reachable through sk_ macros.
static inline int parley_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *parley_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}
static inline void parley_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }
static inline GENERAL_NAMES *parley_GENERAL_NAMES_new(void) { return sk_GENERAL_NAME_new_null(); }
static inline int parley_sk_GENERAL_NAME_push(GENERAL_NAMES *names, GENERAL_NAME *name) {
    return sk_GENERAL_NAME_push(names, name);
}

// GENERAL_NAME is a union in C; Swift sees it as opaque fields, so read it here.
static inline int parley_GENERAL_NAME_type(const GENERAL_NAME *name) { return name->type; }
static inline const ASN1_IA5STRING *parley_GENERAL_NAME_ia5(const GENERAL_NAME *name) {
    return (name->type == GEN_URI || name->type == GEN_DNS || name->type == GEN_EMAIL) ? name->d.ia5 : NULL;
}
static inline const ASN1_OCTET_STRING *parley_GENERAL_NAME_ip(const GENERAL_NAME *name) {
    return name->type == GEN_IPADD ? name->d.iPAddress : NULL;
}

// Extensions of a certificate request.
static inline STACK_OF(X509_EXTENSION) *parley_sk_X509_EXTENSION_new(void) { return sk_X509_EXTENSION_new_null(); }
static inline int parley_sk_X509_EXTENSION_push(STACK_OF(X509_EXTENSION) *stack, X509_EXTENSION *extension) {
    return sk_X509_EXTENSION_push(stack, extension);
}
static inline int parley_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *stack) {
    return sk_X509_EXTENSION_num(stack);
}
static inline X509_EXTENSION *parley_sk_X509_EXTENSION_value(const STACK_OF(X509_EXTENSION) *stack, int index) {
    return sk_X509_EXTENSION_value(stack, index);
}
static inline void parley_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *stack) {
    sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
}

// Revoked entries of a CRL.
static inline int parley_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *stack) { return sk_X509_REVOKED_num(stack); }

// Certificates in a chain file.
static inline int parley_sk_X509_INFO_num(const STACK_OF(X509_INFO) *stack) { return sk_X509_INFO_num(stack); }
static inline X509_INFO *parley_sk_X509_INFO_value(const STACK_OF(X509_INFO) *stack, int index) {
    return sk_X509_INFO_value(stack, index);
}
static inline void parley_sk_X509_INFO_pop_free(STACK_OF(X509_INFO) *stack) { sk_X509_INFO_pop_free(stack, X509_INFO_free); }
static inline X509 *parley_X509_INFO_x509(const X509_INFO *info) { return info->x509; }
static inline X509_CRL *parley_X509_INFO_crl(const X509_INFO *info) { return info->crl; }

// Consortium certificates (ParleyTransport/Certificates).
// EVP_EC_gen expands to the variadic EVP_PKEY_Q_keygen, which Swift cannot call.
static inline EVP_PKEY *parley_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }
// Names printed as RFC 2253 ("CN=alice,O=Acme") but with UTF-8 kept readable instead of escaped.
static inline unsigned long parley_XN_FLAG_RFC2253_UTF8(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }
static inline X509_REVOKED *parley_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *stack, int index) {
    return sk_X509_REVOKED_value(stack, index);
}

#endif
