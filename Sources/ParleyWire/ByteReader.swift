/// Reads big-endian fixed-width fields from a frame body, throwing instead of reading past it.
///
/// Every count is checked against the bytes that remain before anything is allocated for it, so
/// a peer's claims never size an allocation beyond the frame it actually sent.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var index: Int
    private let end: Int

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    var remaining: Int { end - index }

    private mutating func take(_ count: Int, _ what: String) throws(WireError) -> Int {
        guard remaining >= count else { throw .truncated(what) }
        defer { index += count }
        return index
    }

    mutating func readUInt8(_ what: String) throws(WireError) -> UInt8 {
        bytes[try take(1, what)]
    }

    mutating func readUInt16(_ what: String) throws(WireError) -> UInt16 {
        let at = try take(2, what)
        return UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
    }

    mutating func readUInt32(_ what: String) throws(WireError) -> UInt32 {
        let at = try take(4, what)
        return bytes.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }

    mutating func readUInt64(_ what: String) throws(WireError) -> UInt64 {
        let at = try take(8, what)
        return bytes.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    }

    mutating func readInt(_ what: String) throws(WireError) -> Int {
        Int(Int64(bitPattern: try readUInt64(what)))
    }

    mutating func readDouble(_ what: String) throws(WireError) -> Double {
        Double(bitPattern: try readUInt64(what))
    }

    mutating func readBool(_ what: String) throws(WireError) -> Bool {
        let byte = try readUInt8(what)
        switch byte {
        case 0: return false
        case 1: return true
        default: throw .invalidTag(field: what, value: byte)
        }
    }

    /// A UInt32 element count, rejected unless `count × minimumElementSize` bytes remain.
    mutating func readCount(_ what: String, minimumElementSize: Int) throws(WireError) -> Int {
        let count = Int(try readUInt32("\(what) count"))
        guard count * minimumElementSize <= remaining else {
            throw .countTooLarge(field: what, count: count, remaining: remaining)
        }
        return count
    }

    mutating func readString(_ what: String) throws(WireError) -> String {
        let length = try readCount(what, minimumElementSize: 1)
        let at = index
        index += length
        guard let string = String(validating: bytes[at..<at + length], as: UTF8.self) else {
            throw .invalidUTF8(what)
        }
        return string
    }

    mutating func readDoubles(_ what: String) throws(WireError) -> [Double] {
        let count = try readCount(what, minimumElementSize: 8)
        let at = index
        index += count * 8
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at + i * 8, as: UInt64.self)))
            }
        }
    }

    func expectEnd() throws(WireError) {
        guard remaining == 0 else { throw .trailingBytes(remaining) }
    }
}
