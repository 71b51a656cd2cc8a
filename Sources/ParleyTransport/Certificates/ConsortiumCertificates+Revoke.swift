import Foundation

extension ConsortiumCertificates {
    /// What a revocation did.
    public struct Revocation: Sendable, Hashable {
        /// The revoked certificate's serial, upper-case hex.
        public var serial: String
        /// True if the serial was already on the list (the CRL is reissued all the same).
        public var wasAlreadyRevoked: Bool
        /// The new CRL's number.
        public var revocationListNumber: Int
        /// The rewritten CRL.
        public var revocationListPath: String
        /// How many certificates the CRL now lists.
        public var revokedCount: Int
    }

    /// Revokes the certificate at `certificatePath`: adds its serial to `revoked.txt` in the CA
    /// directory and rewrites `ca.crl` from that list with the next CRL number, valid for
    /// `revocationListLifetime` from `date`.
    ///
    /// Refuses a certificate this CA did not issue: its serial would mean nothing in this CA's
    /// list, and would perhaps revoke an unrelated certificate of ours with the same number.
    @discardableResult
    public static func revoke(
        certificatePath: String, authorityDirectory: String, date: Date = Date()
    ) throws(TransportError) -> Revocation {
        let authority = try Authority.load(directory: authorityDirectory)
        let certificate = try Certificate.read(try Files.read(certificatePath), path: certificatePath)
        guard certificate.isIssued(by: authority.certificate) else {
            throw TransportError(
                .badFile, "\(certificatePath): not issued by the CA in \(authorityDirectory) (\(authority.certificate.subject))")
        }
        var entries = try currentEntries(authority)
        let serial = certificate.serial
        let already = entries.contains { $0.serial == serial }
        if !already {
            entries.append(RevokedEntry(serial: serial, date: date, subject: certificate.subject))
        }
        let number = try reissue(authority, entries: entries, date: date)
        return Revocation(
            serial: serial, wasAlreadyRevoked: already, revocationListNumber: number,
            revocationListPath: authority.files.revocationListPath, revokedCount: entries.count)
    }

    /// Reissues `ca.crl` with the same revoked serials, the next CRL number and a new next-update
    /// time; returns the new CRL number. Run it before the current CRL's next update, since
    /// parties refuse an out-of-date CRL.
    @discardableResult
    public static func updateRevocationList(authorityDirectory: String, date: Date = Date()) throws(TransportError) -> Int {
        let authority = try Authority.load(directory: authorityDirectory)
        return try reissue(authority, entries: try currentEntries(authority), date: date)
    }

    /// `revoked.txt`, plus anything only the current CRL lists: the list file is the record, but
    /// a revocation in a CRL already handed out must never silently disappear from the next one.
    private static func currentEntries(_ authority: Authority) throws(TransportError) -> [RevokedEntry] {
        let files = authority.files
        var entries = try RevokedList.parse(try Files.read(files.revokedListPath), path: files.revokedListPath)
        let known = Set(entries.map(\.serial))
        for entry in try currentList(authority).entries where !known.contains(entry.serial) {
            entries.append(entry)
        }
        return entries
    }

    private static func currentList(_ authority: Authority) throws(TransportError) -> RevocationList {
        let path = authority.files.revocationListPath
        let list = try RevocationList.read(try Files.read(path), path: path)
        guard list.isSigned(by: authority.certificate) else {
            throw TransportError(.badFile, "\(path): not signed by \(authority.files.certificatePath)")
        }
        return list
    }

    /// Writes `revoked.txt` first, then the CRL: if the second write fails, the next run still
    /// knows every revocation and puts it in the CRL.
    private static func reissue(_ authority: Authority, entries: [RevokedEntry], date: Date) throws(TransportError) -> Int {
        let files = authority.files
        let number = (try currentList(authority).number ?? 0) + 1
        let list = try RevocationList.issue(
            by: authority.certificate, key: authority.key, entries: entries, number: number,
            // Back-dated as certificates are, so a party whose clock is a little behind the
            // operator's does not refuse a list issued a moment ago ("CRL is not yet valid").
            period: CertificateValidity(
                notBefore: date.addingTimeInterval(-CertificateValidity.clockSkewAllowance), notAfter: date.addingTimeInterval(revocationListLifetime)))
        try Files.write(RevokedList.text(entries), to: files.revokedListPath, permissions: 0o644)
        try Files.write(try list.pem(), to: files.revocationListPath, permissions: 0o644)
        return number
    }

    /// The `revoked.txt` format: `#` comments, then one line per revoked certificate with
    /// serial (hex), revocation time (ISO 8601, UTC) and subject, separated by tabs.
    enum RevokedList {
        static func text(_ entries: [RevokedEntry]) -> String {
            var lines = [
                "# Certificates revoked by this consortium CA. `parley certs revoke` adds to this file and",
                "# rebuilds ca.crl from it: keep it with ca.key, and never remove a line.",
                "# serial\trevoked at (UTC)\tsubject",
            ]
            for entry in entries {
                lines.append("\(entry.serial)\t\(Times.text(entry.date))\t\(entry.subject)")
            }
            return lines.joined(separator: "\n") + "\n"
        }

        static func parse(_ bytes: [UInt8], path: String) throws(TransportError) -> [RevokedEntry] {
            var entries: [RevokedEntry] = []
            for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated()
            {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                func fail(_ what: String) -> TransportError {
                    TransportError(.badFile, "\(path):\(index + 1): \(what)")
                }
                guard fields.count >= 2 else { throw fail("expected serial<TAB>date<TAB>subject") }
                guard let serial = Serials.normalized(fields[0]) else { throw fail("'\(fields[0])' is not a hex serial") }
                guard let date = try? Date(fields[1], strategy: .iso8601) else {
                    throw fail("'\(fields[1])' is not an ISO 8601 time such as 2026-01-31T12:00:00Z")
                }
                if entries.contains(where: { $0.serial == serial }) { continue }
                entries.append(RevokedEntry(serial: serial, date: date, subject: fields.count > 2 ? fields[2] : ""))
            }
            return entries
        }
    }
}
