import COpenSSL
import Foundation

// An owner of an OpenSSL object: it frees the object in deinit and nothing else frees it. Raw
// pointers are used only inside its methods or in functions that receive the owner as a
// parameter, so the owner outlives every use of its pointer.
extension ConsortiumCertificates {
    /// An `X509` certificate.
    final class Certificate {
        let pointer: OpaquePointer

        private init(owning pointer: OpaquePointer) { self.pointer = pointer }

        deinit { X509_free(pointer) }

        /// An empty version-3 certificate to fill in.
        static func make() throws(TransportError) -> Certificate {
            ERR_clear_error()
            guard let certificate = X509_new() else {
                throw TransportError(.badFile, "cannot allocate a certificate: \(drainOpenSSLErrors())")
            }
            let owner = Certificate(owning: certificate)
            guard X509_set_version(certificate, Int(X509_VERSION_3)) == 1 else {
                throw TransportError(.badFile, "cannot set the certificate version: \(drainOpenSSLErrors())")
            }
            return owner
        }

        /// The first certificate of a PEM file.
        static func read(_ bytes: [UInt8], path: String) throws(TransportError) -> Certificate {
            ERR_clear_error()
            guard let certificate = PEM.decode(bytes, { bio in PEM_read_bio_X509(bio, nil, nil, nil) }) else {
                throw TransportError(.badFile, "\(path): not a PEM certificate (\(drainOpenSSLErrors()))")
            }
            return Certificate(owning: certificate)
        }

        func pem() throws(TransportError) -> [UInt8] {
            try PEM.encode("the certificate") { bio in PEM_write_bio_X509(bio, pointer) }
        }

        var subject: String { Names.text(X509_get_subject_name(pointer)) }
        var issuer: String { Names.text(X509_get_issuer_name(pointer)) }

        var validity: CertificateValidity? {
            guard let start = Times.date(X509_get0_notBefore(pointer)), let end = Times.date(X509_get0_notAfter(pointer))
            else { return nil }
            return CertificateValidity(notBefore: start, notAfter: end)
        }

        /// Upper-case hex, two digits a byte, as `openssl x509 -serial` prints it.
        var serial: String { Serials.hex(X509_get0_serialNumber(pointer)) }

        /// SHA-256 of the DER encoding, colon-separated upper-case hex, as
        /// `openssl x509 -fingerprint -sha256` prints it.
        var fingerprint: String {
            Hex.sha256 { digest, length in X509_digest(pointer, EVP_sha256(), digest, length) }
        }

        var publicKey: Key? { Key.adopting(X509_get_pubkey(pointer)) }

        /// Whether basicConstraints says CA:TRUE.
        var isAuthority: Bool { X509_check_ca(pointer) == 1 }

        /// The subject alternative names; nil when the extension is absent.
        func alternativeNames() -> [AlternativeName]? {
            guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return nil }
            return GeneralNames(owning: OpaquePointer(raw)).names
        }

        /// Whether `key` is the private key of this certificate.
        func belongs(to key: Key) -> Bool {
            ERR_clear_error()
            defer { ERR_clear_error() }
            return X509_check_private_key(pointer, key.pointer) == 1
        }

        /// Whether `authority` issued this certificate: names match and its key made the signature.
        func isIssued(by authority: Certificate) -> Bool {
            ERR_clear_error()
            defer { ERR_clear_error() }
            guard X509_check_issued(authority.pointer, pointer) == X509_V_OK, let key = authority.publicKey else { return false }
            return withExtendedLifetime(key) { X509_verify(pointer, key.pointer) == 1 }
        }

        func setName(commonName: String, issuer: Certificate?) throws(TransportError) {
            try Names.setCommonName(X509_get_subject_name(pointer), commonName)
            let issuerName = issuer.map { X509_get_subject_name($0.pointer) } ?? X509_get_subject_name(pointer)
            guard X509_set_issuer_name(pointer, issuerName) == 1 else {
                throw TransportError(.badFile, "cannot set the issuer name: \(drainOpenSSLErrors())")
            }
        }

        /// A fresh random 128-bit serial: unpredictable serials are what RFC 5280 and the CA/B
        /// Forum ask for, and no serial counter file has to be kept or can be lost.
        func setRandomSerial() throws(TransportError) {
            try Serials.random { number throws(TransportError) in
                guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(pointer)) != nil else {
                    throw TransportError(.badFile, "cannot set the serial number: \(drainOpenSSLErrors())")
                }
            }
        }

        func setValidity(_ validity: CertificateValidity) throws(TransportError) {
            guard Times.set(X509_getm_notBefore(pointer), validity.notBefore),
                Times.set(X509_getm_notAfter(pointer), validity.notAfter)
            else { throw TransportError(.invalidArgument, "cannot encode the validity period \(validity)") }
        }

        func setPublicKey(_ key: Key) throws(TransportError) {
            guard X509_set_pubkey(pointer, key.pointer) == 1 else {
                throw TransportError(.badFile, "cannot set the public key: \(drainOpenSSLErrors())")
            }
        }

        /// Adds the extensions given in OpenSSL's configuration syntax ("critical,CA:TRUE"),
        /// constant strings only, never built from user input. `issuer` nil means self-signed.
        func addExtensions(_ extensions: [(Int32, String)], issuer: Certificate?) throws(TransportError) {
            var context = X509V3_CTX()
            X509V3_set_ctx(&context, issuer?.pointer ?? pointer, pointer, nil, nil, 0)
            for (nid, value) in extensions {
                ERR_clear_error()
                guard let made = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
                    throw TransportError(.badFile, "cannot make the extension \(value): \(drainOpenSSLErrors())")
                }
                defer { X509_EXTENSION_free(made) }
                guard X509_add_ext(pointer, made, -1) == 1 else {
                    throw TransportError(.badFile, "cannot add the extension \(value): \(drainOpenSSLErrors())")
                }
            }
        }

        func setAlternativeNames(_ names: [AlternativeName]) throws(TransportError) {
            let encoded = try GeneralNames(names)
            ERR_clear_error()
            let added = withExtendedLifetime(encoded) {
                X509_add1_ext_i2d(pointer, NID_subject_alt_name, UnsafeMutableRawPointer(encoded.pointer), 0, 0)
            }
            guard added == 1 else { throw TransportError(.badFile, "cannot add the subject alternative names: \(drainOpenSSLErrors())") }
        }

        func sign(with key: Key) throws(TransportError) {
            ERR_clear_error()
            guard X509_sign(pointer, key.pointer, EVP_sha256()) > 0 else {
                throw TransportError(.badFile, "cannot sign the certificate: \(drainOpenSSLErrors())")
            }
        }
    }
}
