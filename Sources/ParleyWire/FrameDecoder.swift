/// A streaming frame decoder: feed it bytes as they arrive, take out whole messages.
///
/// A state machine in the style of NIO's `ByteToMessageDecoder`: it buffers only the bytes it has
/// been given, checks the length prefix against `maximumFrameSize` as soon as its four bytes are
/// in (before waiting for, or reserving room for, the body), and once it has thrown it stays
/// failed — a stream that lost framing cannot be resynchronised, so the connection must close.
public struct FrameDecoder: Sendable {
    private enum State: Sendable {
        /// Waiting for the 4-byte length prefix.
        case header
        /// The prefix said `length` more bytes; waiting for all of them.
        case body(length: Int)
        case failed(WireError)
    }

    public let maximumFrameSize: Int
    private var state: State = .header
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maximumFrameSize: Int = WireProtocol.defaultMaximumFrameSize) {
        precondition(maximumFrameSize >= 2 && maximumFrameSize <= Int(UInt32.max), "maximum frame size out of range")
        self.maximumFrameSize = maximumFrameSize
    }

    /// Bytes received but not yet consumed by a whole message.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Appends received bytes without decoding.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if case .failed = state { return }
        // Drop consumed bytes once they dominate, so a long-lived connection does not keep them.
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message, `nil` if more bytes are needed.
    public mutating func next() throws(WireError) -> WireMessage? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .header:
                guard bufferedByteCount >= 4 else { return nil }
                let length = buffer.withUnsafeBytes {
                    Int(UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: readIndex, as: UInt32.self)))
                }
                if length > maximumFrameSize { throw fail(.frameTooLarge(size: length, limit: maximumFrameSize)) }
                if length < 2 { throw fail(.frameTooSmall(size: length)) }
                readIndex += 4
                state = .body(length: length)
            case .body(let length):
                guard bufferedByteCount >= length else { return nil }
                let start = readIndex
                readIndex += length
                state = .header
                do {
                    return try Self.decodeFrame(buffer, range: start..<start + length)
                } catch {
                    throw fail(error)
                }
            }
        }
    }

    /// Appends `bytes` and returns every message they complete. An error ends the stream: the
    /// messages completed earlier in the same chunk are dropped with it, as the connection closes.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(WireError) -> [WireMessage] {
        append(bytes)
        var messages: [WireMessage] = []
        while let message = try next() { messages.append(message) }
        return messages
    }

    /// Enters the terminal failed state and frees the buffer; returns the error to throw.
    private mutating func fail(_ error: WireError) -> WireError {
        state = .failed(error)
        buffer = []
        readIndex = 0
        return error
    }

    /// Decodes version, type and body of one frame whose length prefix has been removed.
    static func decodeFrame(_ bytes: [UInt8], range: Range<Int>) throws(WireError) -> WireMessage {
        var reader = ByteReader(bytes, range: range)
        let version = try reader.readUInt8("version")
        guard version == WireProtocol.version else { throw .unsupportedVersion(version) }
        let type = try reader.readUInt8("message type")
        guard let kind = WireMessage.Kind(rawValue: type) else { throw .unknownMessageType(type) }
        return try WireMessage.readBody(kind, from: &reader)
    }
}
