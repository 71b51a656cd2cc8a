import Foundation

/// What `parley certs show` prints about a certificate, certificate request or revocation list.
///
/// Fields that do not apply to a kind are nil or empty: a request has no issuer, serial or
/// validity; a revocation list has no subject or key, and its `validity` is this update .. next
/// update.
public struct CertificateDescription: Sendable, Hashable, CustomStringConvertible {
    /// What the file holds.
    public enum Kind: String, Sendable, Hashable {
        case certificate
        case request = "certificate request"
        case revocationList = "certificate revocation list"
    }

    public var path: String
    public var kind: Kind
    /// RFC 2253 ("CN=alice").
    public var subject: String?
    public var issuer: String?
    /// As `openssl x509 -ext subjectAltName` prints them: "URI:parley:alice", "DNS:host",
    /// "IP Address:10.0.0.1".
    public var subjectAlternativeNames: [String]
    /// The `<name>` of the single `URI:parley:<name>` SAN; nil if there is none or more than one.
    public var party: String?
    /// notBefore .. notAfter (for a CRL: this update .. next update).
    public var validity: CertificateValidity?
    /// Where `checkedAt` falls in `validity` (for a CRL, expired means out of date).
    public var status: CertificateValidity.Status?
    /// Upper-case hex, as `openssl x509 -serial` prints it.
    public var serial: String?
    /// SHA-256 of the DER encoding, colon-separated upper-case hex, as
    /// `openssl x509 -noout -fingerprint -sha256` prints it after the `=`.
    public var sha256Fingerprint: String
    /// "ECDSA P-256", "RSA 2048", …
    public var keyType: String?
    /// Whether a certificate is a CA (basicConstraints CA:TRUE).
    public var isAuthority: Bool
    /// Whether a request's self-signature verifies; nil for other kinds.
    public var signatureVerifies: Bool?
    /// A CRL's number.
    public var revocationListNumber: Int?
    /// A CRL's revoked serials, upper-case hex.
    public var revokedSerials: [String]
    /// The moment `status` refers to.
    public var checkedAt: Date

    /// Aligned "field  value" lines.
    public var description: String {
        var lines: [String] = []
        func row(_ key: String, _ value: String) {
            lines.append(key.padding(toLength: 13, withPad: " ", startingAt: 0) + value)
        }
        row("file", path)
        row("kind", kind == .certificate && isAuthority ? "CA certificate" : kind.rawValue)
        if let subject { row("subject", subject.isEmpty ? "(empty)" : subject) }
        // A CA has no names of its own to show; a party's certificate must, so "(none)" is news.
        if kind != .revocationList && !isAuthority {
            row("names", subjectAlternativeNames.isEmpty ? "(none)" : subjectAlternativeNames.joined(separator: ", "))
            row("identity", party.map { "parley:\($0)" } ?? "(none: not a Parley party certificate)")
        }
        if let issuer { row("issuer", issuer) }
        if let validity {
            let start = kind == .revocationList ? "this update" : "not before"
            let end = kind == .revocationList ? "next update" : "not after"
            row(start, Self.time(validity.notBefore))
            row(end, Self.time(validity.notAfter))
        }
        if let status { row("status", statusText(status)) }
        if let serial { row("serial", serial) }
        if let keyType { row("key", keyType) }
        if let signatureVerifies { row("signature", signatureVerifies ? "verifies" : "DOES NOT VERIFY (altered or corrupt)") }
        if let revocationListNumber { row("crl number", "\(revocationListNumber)") }
        if kind == .revocationList {
            row("revoked", revokedSerials.isEmpty ? "none" : "\(revokedSerials.count)")
            for serial in revokedSerials { row("", serial) }
        }
        row("sha256", sha256Fingerprint)
        return lines.joined(separator: "\n")
    }

    private func statusText(_ status: CertificateValidity.Status) -> String {
        guard let validity else { return status.rawValue }
        switch status {
        case .valid:
            let verb = kind == .revocationList ? "current, next update due in" : "valid, expires in"
            return "\(verb) \(Self.span(validity.notAfter.timeIntervalSince(checkedAt)))"
        case .expired:
            let noun = kind == .revocationList ? "expired (out of date)" : "expired"
            return "\(noun) \(Self.span(checkedAt.timeIntervalSince(validity.notAfter))) ago"
        case .notYetValid:
            return "not yet valid, starts in \(Self.span(validity.notBefore.timeIntervalSince(checkedAt)))"
        }
    }

    private static func time(_ date: Date) -> String { date.formatted(.iso8601) }

    /// "3 days", "5 hours", "12 minutes": enough to tell at a glance how urgent a renewal is.
    private static func span(_ seconds: TimeInterval) -> String {
        func unit(_ count: Int, _ name: String) -> String { "\(count) \(name)\(count == 1 ? "" : "s")" }
        if seconds >= 2 * 86_400 { return unit(Int(seconds / 86_400), "day") }
        if seconds >= 2 * 3_600 { return unit(Int(seconds / 3_600), "hour") }
        return unit(max(0, Int(seconds / 60)), "minute")
    }
}
