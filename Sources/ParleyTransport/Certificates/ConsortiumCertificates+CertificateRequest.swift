import COpenSSL
import Foundation

// An owner of an OpenSSL object: it frees the object in deinit and nothing else frees it. Raw
// pointers are used only inside its methods or in functions that receive the owner as a
// parameter, so the owner outlives every use of its pointer.
extension ConsortiumCertificates {
    /// An `X509_REQ`: a PKCS #10 certificate signing request.
    final class Request {
        let pointer: OpaquePointer

        private init(owning pointer: OpaquePointer) { self.pointer = pointer }

        deinit { X509_REQ_free(pointer) }

        static func make() throws(TransportError) -> Request {
            ERR_clear_error()
            guard let request = X509_REQ_new() else {
                throw TransportError(.badFile, "cannot allocate a certificate request: \(drainOpenSSLErrors())")
            }
            let owner = Request(owning: request)
            guard X509_REQ_set_version(request, Int(X509_REQ_VERSION_1)) == 1 else {
                throw TransportError(.badFile, "cannot set the request version: \(drainOpenSSLErrors())")
            }
            return owner
        }

        static func read(_ bytes: [UInt8], path: String) throws(TransportError) -> Request {
            ERR_clear_error()
            guard let request = PEM.decode(bytes, { bio in PEM_read_bio_X509_REQ(bio, nil, nil, nil) }) else {
                throw TransportError(.badFile, "\(path): not a PEM certificate request (\(drainOpenSSLErrors()))")
            }
            return Request(owning: request)
        }

        func pem() throws(TransportError) -> [UInt8] {
            try PEM.encode("the certificate request") { bio in PEM_write_bio_X509_REQ(bio, pointer) }
        }

        var subject: String { Names.text(X509_REQ_get_subject_name(pointer)) }

        var publicKey: Key? { Key.adopting(X509_REQ_get_pubkey(pointer)) }

        /// Whether the request is signed by the key it carries: proof that whoever made it holds
        /// the private key, and that nothing in it was changed on the way.
        var signatureVerifies: Bool {
            guard let key = publicKey else { return false }
            ERR_clear_error()
            defer { ERR_clear_error() }
            return withExtendedLifetime(key) { X509_REQ_verify(pointer, key.pointer) == 1 }
        }

        /// SHA-256 of the DER encoding, colon-separated upper-case hex: what a party reads out to
        /// the operator so the operator knows the request that arrived is the one that was sent.
        var fingerprint: String {
            Hex.sha256 { digest, length in X509_REQ_digest(pointer, EVP_sha256(), digest, length) }
        }

        /// The requested subject alternative names; nil when the request asks for none. Throws
        /// when the request carries the extension twice, which would make "the" names ambiguous.
        func alternativeNames(path: String) throws(TransportError) -> [AlternativeName]? {
            guard let extensions = X509_REQ_get_extensions(pointer) else { return nil }
            defer { parley_sk_X509_EXTENSION_pop_free(extensions) }
            var critical: Int32 = 0
            let raw = X509V3_get_d2i(extensions, NID_subject_alt_name, &critical, nil)
            if critical == -2 {
                throw TransportError(.badFile, "\(path): the request has more than one subjectAltName extension")
            }
            guard let raw else {
                if critical >= 0 {
                    throw TransportError(.badFile, "\(path): the request's subjectAltName extension is malformed")
                }
                return nil
            }
            return GeneralNames(owning: OpaquePointer(raw)).names
        }

        func setSubject(commonName: String) throws(TransportError) {
            try Names.setCommonName(X509_REQ_get_subject_name(pointer), commonName)
        }

        func setPublicKey(_ key: Key) throws(TransportError) {
            guard X509_REQ_set_pubkey(pointer, key.pointer) == 1 else {
                throw TransportError(.badFile, "cannot set the request's public key: \(drainOpenSSLErrors())")
            }
        }

        func setAlternativeNames(_ names: [AlternativeName]) throws(TransportError) {
            let encoded = try GeneralNames(names)
            guard let extensions = parley_sk_X509_EXTENSION_new() else {
                throw TransportError(.badFile, "cannot allocate the request's extensions")
            }
            defer { parley_sk_X509_EXTENSION_pop_free(extensions) }
            ERR_clear_error()
            let encodedExtension = withExtendedLifetime(encoded) {
                X509V3_EXT_i2d(NID_subject_alt_name, 0, UnsafeMutableRawPointer(encoded.pointer))
            }
            guard let made = encodedExtension else {
                throw TransportError(.badFile, "cannot encode the subject alternative names: \(drainOpenSSLErrors())")
            }
            guard parley_sk_X509_EXTENSION_push(extensions, made) > 0 else {
                X509_EXTENSION_free(made)
                throw TransportError(.badFile, "cannot add the subject alternative names")
            }
            guard X509_REQ_add_extensions(pointer, extensions) == 1 else {
                throw TransportError(.badFile, "cannot add the request's extensions: \(drainOpenSSLErrors())")
            }
        }

        func sign(with key: Key) throws(TransportError) {
            ERR_clear_error()
            guard X509_REQ_sign(pointer, key.pointer, EVP_sha256()) > 0 else {
                throw TransportError(.badFile, "cannot sign the certificate request: \(drainOpenSSLErrors())")
            }
        }
    }
}
