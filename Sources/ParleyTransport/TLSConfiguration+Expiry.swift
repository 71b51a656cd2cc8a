import Foundation

extension TLSConfiguration {
    /// How long ahead a party is warned that its certificate or CRL runs out.
    public static let expiryWarningWindow: TimeInterval = 7 * 86_400

    /// When the certificate expires and when the CRL reaches its next update (nil: no CRL, or a
    /// file that cannot be read).
    public func expiryDates() -> (certificate: Date?, revocationList: Date?) {
        func end(_ path: String?) -> Date? { path.flatMap { (try? ConsortiumCertificates.describe(path: $0))?.validity?.notAfter } }
        return (end(certificatePath), end(revocationListPath))
    }

    /// A warning for each of the certificate and the CRL that runs out within
    /// `expiryWarningWindow` of `now`, or already has: after the certificate expires its peers
    /// refuse it, and after the CRL's next update this party refuses every peer.
    public func expiryWarnings(at now: Date = Date()) -> [String] {
        func span(_ seconds: TimeInterval) -> String {
            let hours = Int((seconds / 3_600).rounded())
            return hours < 48 ? "\(hours) hour\(hours == 1 ? "" : "s")" : "\(Int((seconds / 86_400).rounded())) days"
        }
        var warnings: [String] = []
        let dates = expiryDates()
        if let end = dates.certificate, end.timeIntervalSince(now) < Self.expiryWarningWindow
        {
            let when = end > now ? "expires in \(span(end.timeIntervalSince(now)))" : "expired \(span(now.timeIntervalSince(end))) ago"
            warnings.append(
                "the certificate \(certificatePath) \(when) (\(end.formatted(.iso8601))): have a renewed one signed "
                    + "and move it and its key over the old files")
        }
        if let path = revocationListPath, let end = dates.revocationList, end.timeIntervalSince(now) < Self.expiryWarningWindow {
            let when = end > now ? "reaches its next update in \(span(end.timeIntervalSince(now)))" : "is past its next update"
            warnings.append(
                "the revocation list \(path) \(when) (\(end.formatted(.iso8601))), after which every peer is refused: "
                    + "install the consortium operator's current one")
        }
        return warnings
    }
}
