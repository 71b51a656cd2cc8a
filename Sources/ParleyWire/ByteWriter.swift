/// Appends big-endian fixed-width fields to a byte array.
struct ByteWriter {
    var bytes: [UInt8]
    /// Set when a string or vector had more than `UInt32.max` elements: its count cannot be
    /// written, so the encoder refuses the frame instead of trapping.
    private(set) var overflowed = false

    init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Swift `Int` ids and iterations travel as two's-complement Int64.
    mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }

    /// The IEEE-754 bit pattern, so NaN payloads, signed zeros and infinities survive exactly.
    mutating func write(_ value: Double) { write(value.bitPattern) }

    mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func writeCount(_ count: Int) {
        if count > Int(UInt32.max) { overflowed = true }
        write(UInt32(truncatingIfNeeded: count))
    }

    mutating func write(_ value: String) {
        let utf8 = value.utf8
        writeCount(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    mutating func write(_ values: [Double]) {
        writeCount(values.count)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: values.count * 8))
        bytes.withUnsafeMutableBytes { raw in
            for (i, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.bigEndian, toByteOffset: start + i * 8, as: UInt64.self)
            }
        }
    }
}
