/// Turns messages into frames: length prefix, version, type, body.
///
/// It refuses a frame the peer's decoder would refuse (over the maximum frame size), so an
/// oversized answer fails here with a clear error instead of as a dropped connection.
public struct FrameEncoder: Sendable {
    public var maximumFrameSize: Int

    /// - Parameter maximumFrameSize: the largest length prefix to send; at most `UInt32.max`.
    public init(maximumFrameSize: Int = WireProtocol.defaultMaximumFrameSize) {
        precondition(maximumFrameSize >= 2 && maximumFrameSize <= Int(UInt32.max), "maximum frame size out of range")
        self.maximumFrameSize = maximumFrameSize
    }

    /// One complete frame.
    public func encode(_ message: WireMessage) throws(WireError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(message, into: &bytes)
        return bytes
    }

    /// Appends one complete frame to `buffer` (left unchanged on error).
    public func encode(_ message: WireMessage, into buffer: inout [UInt8]) throws(WireError) {
        var writer = ByteWriter()
        writer.write(UInt32(0))  // length, patched below once the body is written
        writer.write(WireProtocol.version)
        writer.write(message.kind.rawValue)
        message.writeBody(into: &writer)
        let length = writer.bytes.count - 4
        guard !writer.overflowed, length <= maximumFrameSize else {
            throw .frameTooLarge(size: length, limit: maximumFrameSize)
        }
        writer.bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(length).bigEndian, toByteOffset: 0, as: UInt32.self)
        }
        buffer.append(contentsOf: writer.bytes)
    }
}
