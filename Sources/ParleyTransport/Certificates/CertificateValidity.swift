import Foundation

/// The period in which a certificate is valid (for a revocation list: its this-update and
/// next-update times).
///
/// Kept as two dates rather than a start and a number of days because tests and renewals need
/// exact periods, including ones wholly in the past or the future.
public struct CertificateValidity: Sendable, Hashable {
    /// The first moment the certificate is valid.
    public var notBefore: Date
    /// The last moment the certificate is valid.
    public var notAfter: Date

    public init(notBefore: Date, notAfter: Date) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// How far before "now" a new certificate starts: partners' clocks drift, and a certificate
    /// that becomes valid a minute after it is handed out fails its first handshake for no reason.
    public static let clockSkewAllowance: TimeInterval = 5 * 60

    /// From `clockSkewAllowance` before `now` until `days` days after `now`.
    public static func days(_ days: Int, from now: Date = Date()) -> CertificateValidity {
        CertificateValidity(
            notBefore: now.addingTimeInterval(-clockSkewAllowance),
            notAfter: now.addingTimeInterval(TimeInterval(days) * 86_400))
    }

    /// Where `date` falls relative to the period.
    public func status(at date: Date) -> Status {
        if date < notBefore { return .notYetValid }
        if date > notAfter { return .expired }
        return .valid
    }

    /// Where a moment falls relative to a validity period.
    public enum Status: String, Sendable, Hashable {
        case valid
        case expired
        case notYetValid = "not yet valid"
    }
}
