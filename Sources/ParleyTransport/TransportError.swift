import COpenSSL

/// Why a secure channel could not be set up or used. Each case carries text meant for an
/// operator: which file, which peer, and what OpenSSL said.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// A certificate, key, CA or CRL file is missing, unreadable or malformed.
        case badFile
        /// A private key file can be read by group or others.
        case insecureKeyPermissions
        /// A party name, host, certificate request or validity period given to the certificate
        /// tools is not acceptable.
        case invalidArgument
        /// The TLS handshake failed (bad certificate, wrong CA, expired, revoked, wrong protocol…).
        case handshakeFailed
        /// The peer's certificate is valid but names another party than the one expected.
        case wrongIdentity
        /// The peer closed the connection or sent something that is not a Parley frame.
        case protocolViolation
        /// Connecting, reading or writing failed below TLS.
        case connectionFailed
        /// The peer closed the connection without a word: no TLS alert, no answer, no `abort`
        /// (a process that stopped, or one that hung up).
        case closedByPeer
        /// No answer within the deadline.
        case timedOut
        /// The peer ended the session with an `abort` frame saying why.
        case aborted
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Empties this thread's OpenSSL error queue and returns the reasons in it ("certificate verify
/// failed", "tlsv1 alert unknown ca"), joined, most recent last; empty if none. Call
/// `ERR_clear_error()` before the OpenSSL call whose errors you want.
func drainOpenSSLErrors() -> String {
    var parts: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        if let reason = ERR_reason_error_string(code) {
            parts.append(String(cString: reason))
        } else {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }
    return parts.joined(separator: "; ")
}
