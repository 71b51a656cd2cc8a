/// Why a byte stream is not a valid Parley frame.
///
/// Every malformed input ends in one of these rather than a crash or an allocation sized by the
/// peer. The set is open (new messages may bring new checks), so it is a struct wrapping a private
/// enum, in the style of NIO's `NIOHTTPObjectAggregatorError`.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case frameTooLarge(size: Int, limit: Int)
        case frameTooSmall(size: Int)
        case unsupportedVersion(UInt8)
        case unknownMessageType(UInt8)
        case truncated(String)
        case trailingBytes(Int)
        case invalidUTF8(String)
        case countTooLarge(field: String, count: Int, remaining: Int)
        case invalidTag(field: String, value: UInt8)
        case duplicateID(field: String, id: Int)
    }

    private let base: Base

    private init(_ base: Base) { self.base = base }

    /// The length prefix (or an outgoing frame) exceeds the configured maximum frame size.
    public static func frameTooLarge(size: Int, limit: Int) -> WireError { WireError(.frameTooLarge(size: size, limit: limit)) }
    /// The length prefix is below 2, so it cannot hold the version and type bytes.
    public static func frameTooSmall(size: Int) -> WireError { WireError(.frameTooSmall(size: size)) }
    /// The frame's protocol version byte is not one this decoder speaks.
    public static func unsupportedVersion(_ version: UInt8) -> WireError { WireError(.unsupportedVersion(version)) }
    /// The frame's message type byte names no message.
    public static func unknownMessageType(_ type: UInt8) -> WireError { WireError(.unknownMessageType(type)) }
    /// The body ended inside the named field.
    public static func truncated(_ what: String) -> WireError { WireError(.truncated(what)) }
    /// The body had this many bytes left after its last field.
    public static func trailingBytes(_ count: Int) -> WireError { WireError(.trailingBytes(count)) }
    /// The named string field is not valid UTF-8.
    public static func invalidUTF8(_ field: String) -> WireError { WireError(.invalidUTF8(field)) }
    /// A count (or string length) claims more elements than the remaining bytes could hold.
    public static func countTooLarge(field: String, count: Int, remaining: Int) -> WireError {
        WireError(.countTooLarge(field: field, count: count, remaining: remaining))
    }
    /// A one-byte tag (boolean, optional marker, variant) holds a value outside its set.
    public static func invalidTag(field: String, value: UInt8) -> WireError { WireError(.invalidTag(field: field, value: value)) }
    /// An id appears twice where ids must be distinct (so a map cannot silently lose an entry).
    public static func duplicateID(field: String, id: Int) -> WireError { WireError(.duplicateID(field: field, id: id)) }

    public var description: String {
        switch base {
        case .frameTooLarge(let size, let limit):
            return "frame of \(size) bytes exceeds the maximum frame size of \(limit) bytes"
        case .frameTooSmall(let size):
            return "frame length \(size) is too small for the version and message type bytes"
        case .unsupportedVersion(let version):
            return "unsupported protocol version \(version) (this node speaks \(WireProtocol.version))"
        case .unknownMessageType(let type):
            return "unknown message type \(type)"
        case .truncated(let what):
            return "frame body ends inside \(what)"
        case .trailingBytes(let count):
            return "\(count) unexpected bytes after the end of the message body"
        case .invalidUTF8(let field):
            return "\(field) is not valid UTF-8"
        case .countTooLarge(let field, let count, let remaining):
            return "\(field) claims \(count) elements but only \(remaining) bytes remain"
        case .invalidTag(let field, let value):
            return "\(field) has invalid tag byte \(value)"
        case .duplicateID(let field, let id):
            return "\(field) lists id \(id) more than once"
        }
    }
}
