/// An open-addressing hash table from names to indices, where a name is a byte range of a
/// buffer the caller owns (the MPS file's bytes).
///
/// The MPS reader looks up two or three names on every line; doing that without building a
/// `String` and without SipHash makes reading several times faster (`make bench` shows the read
/// share of `parley solve`).
struct NameTable {
    private var slots: [Int32]  // -1 empty, else index into `starts`/`lengths`
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { starts.count }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for k in start..<(start + length) {
            h = (h ^ UInt64(bytes[k])) &* 0x100_0000_01b3
        }
        // FNV's low bits mix poorly for names that differ only at the end ("R00001", "R00002"):
        // finish with MurmurHash3's mixer before masking.
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }

    private static func equal(
        _ bytes: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ length: Int
    ) -> Bool {
        for k in 0..<length where bytes[a + k] != bytes[b + k] { return false }
        return true
    }

    /// The index stored for the name at `bytes[start ..< start + length]`, if any.
    func find(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int) -> Int? {
        var slot = Self.hash(bytes, start, length) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { return nil }
            if lengths[entry] == length && Self.equal(bytes, starts[entry], start, length) { return entry }
            slot = (slot + 1) & mask
        }
    }

    /// Adds the name and returns its index (`count` before the call); the name must be new.
    @discardableResult
    mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int) -> Int {
        if (starts.count + 1) * 2 > slots.count { grow(bytes) }
        let index = starts.count
        starts.append(start)
        lengths.append(length)
        place(bytes, index)
        return index
    }

    private mutating func place(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) {
        var slot = Self.hash(bytes, starts[index], lengths[index]) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(index)
    }

    private mutating func grow(_ bytes: UnsafeBufferPointer<UInt8>) {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for index in 0..<starts.count { place(bytes, index) }
    }
}
