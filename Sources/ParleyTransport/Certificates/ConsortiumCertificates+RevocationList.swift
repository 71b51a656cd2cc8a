import COpenSSL
import Foundation

// An owner of an OpenSSL object: it frees the object in deinit and nothing else frees it. Raw
// pointers are used only inside its methods or in functions that receive the owner as a
// parameter, so the owner outlives every use of its pointer.
extension ConsortiumCertificates {
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
            Hex.sha256 { digest, length in X509_CRL_digest(pointer, EVP_sha256(), digest, length) }
        }

        /// Whether `authority`'s key signed this list.
        func isSigned(by authority: Certificate) -> Bool {
            guard let key = authority.publicKey else { return false }
            ERR_clear_error()
            defer { ERR_clear_error() }
            return withExtendedLifetime(key) { X509_CRL_verify(pointer, key.pointer) == 1 }
        }
    }
}
