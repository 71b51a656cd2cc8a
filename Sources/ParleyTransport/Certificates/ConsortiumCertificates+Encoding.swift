import COpenSSL
import Foundation

extension ConsortiumCertificates {
    // Conversions between OpenSSL's encodings and Swift values, shared by the object owners.

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
        /// Runs an OpenSSL `…_digest` call with SHA-256 and formats the result like `colons`.
        static func sha256(_ digest: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt32>) -> Int32) -> String {
            var bytes = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            guard digest(&bytes, &length) == 1 else { return "?" }
            return colons(bytes.prefix(Int(length)))
        }

        /// "AB:CD:…", as OpenSSL prints fingerprints.
        static func colons<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
            bytes.map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: ":")
        }
    }
}
