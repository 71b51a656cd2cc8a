import COpenSSL
import Foundation

// An owner of an OpenSSL object: it frees the object in deinit and nothing else frees it. Raw
// pointers are used only inside its methods or in functions that receive the owner as a
// parameter, so the owner outlives every use of its pointer.
extension ConsortiumCertificates {
    /// An `EVP_PKEY`: a key pair, or only a public key.
    final class Key {
        let pointer: OpaquePointer

        private init(owning pointer: OpaquePointer) { self.pointer = pointer }

        deinit { EVP_PKEY_free(pointer) }

        /// A new ECDSA P-256 key pair: small, fast, and supported by every TLS 1.3 stack.
        static func generate() throws(TransportError) -> Key {
            ERR_clear_error()
            guard let key = parley_EVP_EC_gen("P-256") else {
                throw TransportError(.badFile, "cannot generate a P-256 key: \(drainOpenSSLErrors())")
            }
            return Key(owning: key)
        }

        /// Takes a reference the caller already owns (from a `get1`/`get_pubkey` call).
        static func adopting(_ pointer: OpaquePointer?) -> Key? { pointer.map(Key.init(owning:)) }

        /// An unencrypted PEM private key.
        static func read(_ bytes: [UInt8], path: String) throws(TransportError) -> Key {
            ERR_clear_error()
            // A passphrase callback that declines: without one OpenSSL would prompt on the terminal.
            let key = PEM.decode(bytes) { bio in PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil) }
            guard let key else {
                throw TransportError(
                    .badFile,
                    "\(path): not an unencrypted PEM private key (\(drainOpenSSLErrors()))")
            }
            return Key(owning: key)
        }

        /// PKCS #8 PEM, unencrypted: the file's mode protects it, as for OpenSSH keys.
        func privatePEM() throws(TransportError) -> [UInt8] {
            try PEM.encode("the private key") { bio in PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) }
        }

        /// "ECDSA P-256", "RSA 2048", "Ed25519".
        var typeDescription: String {
            let type = EVP_PKEY_get_base_id(pointer)
            switch type {
            case EVP_PKEY_EC:
                return "ECDSA \(curveName ?? "(unknown curve)")"
            case EVP_PKEY_RSA:
                return "RSA \(EVP_PKEY_get_bits(pointer))"
            case EVP_PKEY_ED25519:
                return "Ed25519"
            default:
                guard let name = OBJ_nid2sn(type) else { return "unknown key type \(type)" }
                return String(cString: name)
            }
        }

        /// The NIST name of an EC key's curve ("P-256"), else OpenSSL's name for it.
        private var curveName: String? {
            var buffer = [CChar](repeating: 0, count: 80)
            var length = 0
            guard EVP_PKEY_get_group_name(pointer, &buffer, buffer.count, &length) == 1 else { return nil }
            let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if let nist = EC_curve_nid2nist(OBJ_sn2nid(name)) { return String(cString: nist) }
            return name
        }

        /// Why this key is not accepted in a consortium certificate, or nil if it is: the strong,
        /// widely supported kinds only, so that no party's certificate is the weak link.
        var refusal: String? {
            switch EVP_PKEY_get_base_id(pointer) {
            case EVP_PKEY_EC:
                let curve = curveName ?? "unknown"
                return ["P-256", "P-384", "P-521"].contains(curve) ? nil : "EC curve \(curve) is not accepted"
            case EVP_PKEY_RSA:
                let bits = EVP_PKEY_get_bits(pointer)
                return bits >= 2048 ? nil : "RSA keys of \(bits) bits are too short (2048 or more)"
            case EVP_PKEY_ED25519:
                return nil
            default:
                return "\(typeDescription) keys are not accepted"
            }
        }
    }
}
