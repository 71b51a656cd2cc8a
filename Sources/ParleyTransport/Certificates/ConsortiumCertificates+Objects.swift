import COpenSSL
import Foundation

// Owners of the OpenSSL objects the certificate tools handle. Each frees its object in deinit and
// nothing else frees it; raw pointers are used only inside methods of these classes or of
// functions that receive the owner as a parameter, so the owner outlives every use of its pointer.

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
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "?" }
            return Hex.colons(digest.prefix(Int(length)))
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
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            guard X509_REQ_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "?" }
            return Hex.colons(digest.prefix(Int(length)))
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

    /// An `X509_CRL`: the CA's signed list of revoked serial numbers.
    final class RevocationList {
        let pointer: OpaquePointer

        private init(owning pointer: OpaquePointer) { self.pointer = pointer }

        deinit { X509_CRL_free(pointer) }

        static func read(_ bytes: [UInt8], path: String) throws(TransportError) -> RevocationList {
            ERR_clear_error()
            guard let list = PEM.decode(bytes, { bio in PEM_read_bio_X509_CRL(bio, nil, nil, nil) }) else {
                throw TransportError(.badFile, "\(path): not a PEM certificate revocation list (\(drainOpenSSLErrors()))")
            }
            return RevocationList(owning: list)
        }

        /// A version-2 CRL from `authority` listing `entries`, numbered `number`, signed with `key`.
        static func issue(
            by authority: Certificate, key: Key, entries: [RevokedEntry], number: Int, period: CertificateValidity
        ) throws(TransportError) -> RevocationList {
            ERR_clear_error()
            guard let made = X509_CRL_new() else {
                throw TransportError(.badFile, "cannot allocate a revocation list: \(drainOpenSSLErrors())")
            }
            let list = RevocationList(owning: made)
            try list.fill(authority: authority, key: key, entries: entries, number: number, period: period)
            return list
        }

        private func fill(
            authority: Certificate, key: Key, entries: [RevokedEntry], number: Int, period: CertificateValidity
        ) throws(TransportError) {
            func fail(_ what: String) -> TransportError {
                TransportError(.badFile, "cannot build the revocation list: \(what) (\(drainOpenSSLErrors()))")
            }
            guard X509_CRL_set_version(pointer, Int(X509_CRL_VERSION_2)) == 1,
                X509_CRL_set_issuer_name(pointer, X509_get_subject_name(authority.pointer)) == 1
            else { throw fail("issuer") }
            guard let thisUpdate = Times.make(period.notBefore), let nextUpdate = Times.make(period.notAfter) else {
                throw fail("update times")
            }
            defer {
                ASN1_TIME_free(thisUpdate)
                ASN1_TIME_free(nextUpdate)
            }
            guard X509_CRL_set1_lastUpdate(pointer, thisUpdate) == 1, X509_CRL_set1_nextUpdate(pointer, nextUpdate) == 1
            else { throw fail("update times") }
            for entry in entries {
                guard let revoked = X509_REVOKED_new() else { throw fail("entry") }
                // Until add0 succeeds the entry is ours to free.
                var added = false
                defer { if !added { X509_REVOKED_free(revoked) } }
                guard let serial = Serials.integer(hex: entry.serial) else {
                    throw TransportError(.badFile, "cannot build the revocation list: bad serial \(entry.serial)")
                }
                defer { ASN1_INTEGER_free(serial) }
                guard let date = Times.make(entry.date) else { throw fail("revocation date") }
                defer { ASN1_TIME_free(date) }
                guard X509_REVOKED_set_serialNumber(revoked, serial) == 1,
                    X509_REVOKED_set_revocationDate(revoked, date) == 1,
                    X509_CRL_add0_revoked(pointer, revoked) == 1
                else { throw fail("entry \(entry.serial)") }
                added = true
            }
            guard X509_CRL_sort(pointer) == 1 else { throw fail("sorting") }

            guard let crlNumber = ASN1_INTEGER_new() else { throw fail("CRL number") }
            defer { ASN1_INTEGER_free(crlNumber) }
            guard ASN1_INTEGER_set(crlNumber, number) == 1,
                X509_CRL_add1_ext_i2d(pointer, NID_crl_number, UnsafeMutableRawPointer(crlNumber), 0, 0) == 1
            else { throw fail("CRL number") }

            // The authority key identifier lets verifiers pick the right CA key without guessing.
            var context = X509V3_CTX()
            X509V3_set_ctx(&context, authority.pointer, nil, nil, pointer, 0)
            guard let keyIdentifier = X509V3_EXT_nconf_nid(nil, &context, NID_authority_key_identifier, "keyid:always")
            else { throw fail("authority key identifier") }
            defer { X509_EXTENSION_free(keyIdentifier) }
            guard X509_CRL_add_ext(pointer, keyIdentifier, -1) == 1 else { throw fail("authority key identifier") }

            guard X509_CRL_sign(pointer, key.pointer, EVP_sha256()) > 0 else { throw fail("signing") }
        }

        func pem() throws(TransportError) -> [UInt8] {
            try PEM.encode("the revocation list") { bio in PEM_write_bio_X509_CRL(bio, pointer) }
        }

        var issuer: String { Names.text(X509_CRL_get_issuer(pointer)) }

        /// This update .. next update.
        var period: CertificateValidity? {
            guard let start = Times.date(X509_CRL_get0_lastUpdate(pointer)),
                let end = Times.date(X509_CRL_get0_nextUpdate(pointer))
            else { return nil }
            return CertificateValidity(notBefore: start, notAfter: end)
        }

        /// The CRL number extension; nil if absent.
        var number: Int? {
            guard let raw = X509_CRL_get_ext_d2i(pointer, NID_crl_number, nil, nil) else { return nil }
            let integer = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
            defer { ASN1_INTEGER_free(integer) }
            return ASN1_INTEGER_get(integer)
        }

        var entries: [RevokedEntry] {
            guard let stack = X509_CRL_get_REVOKED(pointer) else { return [] }
            return (0..<parley_sk_X509_REVOKED_num(stack)).compactMap { index in
                guard let revoked = parley_sk_X509_REVOKED_value(stack, index) else { return nil }
                let serial = Serials.hex(X509_REVOKED_get0_serialNumber(revoked))
                let date = Times.date(X509_REVOKED_get0_revocationDate(revoked)) ?? Date(timeIntervalSince1970: 0)
                return RevokedEntry(serial: serial, date: date, subject: "")
            }
        }

        var fingerprint: String {
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            guard X509_CRL_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "?" }
            return Hex.colons(digest.prefix(Int(length)))
        }

        /// Whether `authority`'s key signed this list.
        func isSigned(by authority: Certificate) -> Bool {
            guard let key = authority.publicKey else { return false }
            ERR_clear_error()
            defer { ERR_clear_error() }
            return withExtendedLifetime(key) { X509_CRL_verify(pointer, key.pointer) == 1 }
        }
    }

    /// A `GENERAL_NAMES` stack, as the subjectAltName extension holds it.
    final class GeneralNames {
        let pointer: OpaquePointer

        init(owning pointer: OpaquePointer) { self.pointer = pointer }

        deinit { parley_GENERAL_NAMES_free(pointer) }

        convenience init(_ names: [AlternativeName]) throws(TransportError) {
            guard let stack = parley_GENERAL_NAMES_new() else {
                throw TransportError(.badFile, "cannot allocate subject alternative names")
            }
            self.init(owning: stack)
            for name in names { try append(name) }
        }

        private func append(_ name: AlternativeName) throws(TransportError) {
            let failure = TransportError(.badFile, "cannot encode the subject alternative name \(name)")
            guard let general = GENERAL_NAME_new() else { throw failure }
            let value: UnsafeMutableRawPointer?
            let type: Int32
            switch name {
            case .uri(let text), .dns(let text), .email(let text):
                type = name.generalNameType
                let string = ASN1_IA5STRING_new()
                if let string, ASN1_STRING_set(string, Array(text.utf8), Int32(text.utf8.count)) != 1 {
                    ASN1_IA5STRING_free(string)
                    value = nil
                } else {
                    value = string.map { UnsafeMutableRawPointer($0) }
                }
            case .ip(let bytes):
                type = GEN_IPADD
                let string = ASN1_OCTET_STRING_new()
                if let string, ASN1_OCTET_STRING_set(string, bytes, Int32(bytes.count)) != 1 {
                    ASN1_OCTET_STRING_free(string)
                    value = nil
                } else {
                    value = string.map { UnsafeMutableRawPointer($0) }
                }
            case .other:
                value = nil
                type = 0
            }
            guard let value else {
                GENERAL_NAME_free(general)
                throw failure
            }
            GENERAL_NAME_set0_value(general, type, value)
            guard parley_sk_GENERAL_NAME_push(pointer, general) > 0 else {
                GENERAL_NAME_free(general)
                throw failure
            }
        }

        var names: [AlternativeName] {
            (0..<parley_sk_GENERAL_NAME_num(pointer)).compactMap { index in
                guard let name = parley_sk_GENERAL_NAME_value(pointer, index) else { return nil }
                let type = parley_GENERAL_NAME_type(name)
                if let ip = parley_GENERAL_NAME_ip(name) { return .ip(Self.bytes(ip)) }
                if let text = parley_GENERAL_NAME_ia5(name) {
                    let string = String(decoding: Self.bytes(text), as: UTF8.self)
                    switch type {
                    case GEN_URI: return .uri(string)
                    case GEN_DNS: return .dns(string)
                    default: return .email(string)
                    }
                }
                return .other(type)
            }
        }

        private static func bytes(_ string: UnsafePointer<ASN1_STRING>) -> [UInt8] {
            guard let data = ASN1_STRING_get0_data(string) else { return [] }
            return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
        }
    }
}

// Helpers of the wrappers above, nested so that they cannot clash with other names in the module.
extension ConsortiumCertificates {
    /// One subject alternative name, in the forms Parley deals with.
    enum AlternativeName: Hashable, Sendable, CustomStringConvertible {
        case uri(String)
        case dns(String)
        /// 4 bytes for IPv4, 16 for IPv6.
        case ip([UInt8])
        case email(String)
        /// Any other GENERAL_NAME type (otherName, directoryName, …), by its GEN_ number.
        case other(Int32)

        var generalNameType: Int32 {
            switch self {
            case .uri: GEN_URI
            case .dns: GEN_DNS
            case .ip: GEN_IPADD
            case .email: GEN_EMAIL
            case .other(let type): type
            }
        }

        /// As `openssl x509 -ext subjectAltName` prints it ("URI:parley:alice", "IP Address:10.0.0.1").
        var description: String {
            switch self {
            case .uri(let text): return "URI:\(text)"
            case .dns(let text): return "DNS:\(text)"
            case .email(let text): return "email:\(text)"
            case .ip(let bytes): return "IP Address:\(Self.addressText(bytes))"
            case .other(let type):
                switch type {
                case GEN_OTHERNAME: return "othername:<unsupported>"
                case GEN_DIRNAME: return "DirName:<unsupported>"
                case GEN_RID: return "Registered ID:<unsupported>"
                default: return "name of type \(type):<unsupported>"
                }
            }
        }

        static func addressText(_ bytes: [UInt8]) -> String {
            let family: Int32
            switch bytes.count {
            case 4: family = AF_INET
            case 16: family = AF_INET6
            default: return "<invalid \(bytes.count)-byte address>"
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else { return "<invalid address>" }
            return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    /// A revoked certificate, as `revoked.txt` and the CRL record it.
    struct RevokedEntry: Hashable, Sendable {
        /// Upper-case hex, as `Certificate.serial`.
        var serial: String
        var date: Date
        /// For people reading `revoked.txt`; not in the CRL.
        var subject: String
    }

    /// Moving PEM text in and out of OpenSSL through memory BIOs, so files are read and written by
    /// Swift code that reports errors with the file's name.
    enum PEM {
        static func decode<Result>(_ bytes: [UInt8], _ read: (OpaquePointer) -> Result?) -> Result? {
            guard !bytes.isEmpty else { return nil }
            return bytes.withUnsafeBytes { buffer in
                guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
                defer { BIO_free(bio) }
                return read(bio)
            }
        }

        static func encode(_ what: String, _ write: (OpaquePointer) -> Int32) throws(TransportError) -> [UInt8] {
            ERR_clear_error()
            guard let bio = BIO_new(BIO_s_mem()) else { throw TransportError(.badFile, "cannot encode \(what)") }
            defer { BIO_free(bio) }
            guard write(bio) == 1 else {
                throw TransportError(.badFile, "cannot encode \(what): \(drainOpenSSLErrors())")
            }
            return drain(bio)
        }

        static func drain(_ bio: OpaquePointer) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: parley_BIO_pending(bio))
            let count = bytes.isEmpty ? 0 : bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
            return Array(bytes.prefix(max(0, Int(count))))
        }
    }

    /// Distinguished names.
    enum Names {
        /// RFC 2253 order and escaping ("CN=alice,O=Acme"), UTF-8 left readable.
        static func text(_ name: OpaquePointer?) -> String {
            guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
            defer { BIO_free(bio) }
            guard X509_NAME_print_ex(bio, name, 0, parley_XN_FLAG_RFC2253_UTF8()) >= 0 else { return "" }
            return String(decoding: PEM.drain(bio), as: UTF8.self)
        }

        static func setCommonName(_ name: OpaquePointer?, _ commonName: String) throws(TransportError) {
            ERR_clear_error()
            let bytes = Array(commonName.utf8)
            guard let name, X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0) == 1 else {
                throw TransportError(.invalidArgument, "cannot use '\(commonName)' as a common name: \(drainOpenSSLErrors())")
            }
        }
    }

    /// ASN.1 times, converted at whole seconds.
    enum Times {
        static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
            guard let time else { return nil }
            var parts = tm()
            guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
            return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
        }

        /// Sets `time` in place. ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime after,
        /// as RFC 5280 requires.
        static func set(_ time: UnsafeMutablePointer<ASN1_TIME>?, _ date: Date) -> Bool {
            guard let time else { return false }
            return ASN1_TIME_set(time, time_t(date.timeIntervalSince1970.rounded(.down))) != nil
        }

        /// A new ASN1_TIME the caller frees.
        static func make(_ date: Date) -> UnsafeMutablePointer<ASN1_TIME>? {
            ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down)))
        }

        /// "2026-01-27T10:00:00Z".
        static func text(_ date: Date) -> String {
            date.formatted(.iso8601)
        }
    }

    /// Serial numbers.
    enum Serials {
        static func hex(_ integer: UnsafePointer<ASN1_INTEGER>?) -> String {
            guard let integer, let number = ASN1_INTEGER_to_BN(integer, nil) else { return "?" }
            defer { BN_free(number) }
            guard let text = BN_bn2hex(number) else { return "?" }
            defer { parley_OPENSSL_free(text) }
            return String(cString: text)
        }

        /// `hex` in the form `hex(_:)` produces (upper case, two digits a byte, no leading zero
        /// byte), so a serial typed by hand compares equal; nil if it is not hex.
        static func normalized(_ hex: String) -> String? {
            guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { return nil }
            var digits = String(hex.uppercased().drop { $0 == "0" })
            if digits.isEmpty { return "0" }
            if digits.count % 2 == 1 { digits = "0" + digits }
            return digits
        }

        /// A new ASN1_INTEGER the caller frees; nil if `hex` is not a hex number.
        static func integer(hex: String) -> UnsafeMutablePointer<ASN1_INTEGER>? {
            guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit) else { return nil }
            var number: OpaquePointer? = nil
            guard BN_hex2bn(&number, hex) == Int32(hex.utf8.count), let number else {
                BN_free(number)
                return nil
            }
            defer { BN_free(number) }
            return BN_to_ASN1_INTEGER(number, nil)
        }

        /// Calls `use` with a fresh non-zero 128-bit random number.
        static func random(_ use: (OpaquePointer) throws(TransportError) -> Void) throws(TransportError) {
            var bytes = [UInt8](repeating: 0, count: 16)
            repeat {
                ERR_clear_error()
                guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else {
                    throw TransportError(.badFile, "no random bytes for a serial number: \(drainOpenSSLErrors())")
                }
            } while bytes.allSatisfy { $0 == 0 }
            guard let number = BN_bin2bn(bytes, Int32(bytes.count), nil) else {
                throw TransportError(.badFile, "cannot make a serial number: \(drainOpenSSLErrors())")
            }
            defer { BN_free(number) }
            try use(number)
        }
    }

    enum Hex {
        /// "AB:CD:…", as OpenSSL prints fingerprints.
        static func colons<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
            bytes.map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: ":")
        }
    }
}
