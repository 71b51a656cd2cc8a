/// An open-addressing hash table from names to indices, where a name is a byte range of a
/// buffer the caller owns (the MPS file's bytes).
///
/// The MPS reader looks up two or three names on every line; doing that without building a
/// `String` and without SipHash makes reading several times faster (`make bench` shows the read
/// share of `parley solve`).
struct NameTable {
    /// Where a name lies in the buffer, and its first eight bytes: most names are no longer,
    /// and then a match is decided without reading the buffer at all.
    private struct Name {
        var start: Int
        var length: Int
        var head: UInt64
    }

    /// 0 for an empty slot, else the name's index + 1 in the low 32 bits and the high 32 bits of
    /// its hash in the high ones: most probes that miss are told apart without reading the
    /// name's entry in `names`. (An MPS file has far fewer than 2^32 names.)
    private var slots: [UInt64]
    private var names: [Name] = []
    private var mask: Int

    /// A table for `capacity` names before it grows; `reserve` names' worth of their list is
    /// set aside (not touched) as well.
    init(capacity: Int = 1024, reserve: Int = 0) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        names.reserveCapacity(max(capacity, reserve))
    }

    var count: Int { names.count }

    /// Bytes `offset ..< offset + count` (1 ≤ count ≤ 8) as one word, byte 0 in the low bits.
    /// One load when eight bytes can be read there without leaving the buffer, else byte by byte.
    @inline(__always)
    private static func word(_ bytes: UnsafeBufferPointer<UInt8>, _ offset: Int, _ count: Int) -> UInt64 {
        let base = UnsafeRawPointer(bytes.baseAddress!)
        if offset &+ 8 <= bytes.count {
            let all = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            return count == 8 ? all : all & ((1 &<< (UInt64(truncatingIfNeeded: count) &<< 3)) &- 1)
        }
        var word: UInt64 = 0
        for k in 0..<count { word |= UInt64(bytes[offset &+ k]) &<< (UInt64(truncatingIfNeeded: k) &<< 3) }
        return word
    }

    /// The first eight bytes of a name (fewer if it is shorter), as a word.
    @inline(__always)
    private static func head(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> UInt64 {
        word(bytes, start, min(8, length))
    }

    /// A word per step: names are mostly 6–16 bytes, and a step per byte was a good part of the
    /// look-up time.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int, head: UInt64) -> UInt64 {
        var h = (0xcbf2_9ce4_8422_2325 ^ UInt64(truncatingIfNeeded: length) ^ head) &* 0x9e37_79b9_7f4a_7c15
        var k = 8
        while k < length {
            h ^= h &>> 29
            h = (h ^ word(bytes, start &+ k, min(8, length &- k))) &* 0x9e37_79b9_7f4a_7c15
            k &+= 8
        }
        // Names often differ only at the end ("R00001", "R00002"): finish with MurmurHash3's
        // mixer so that every byte reaches the low bits used as the slot and the high bits kept
        // as the tag.
        h ^= h &>> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h &>> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h &>> 33
        return h
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> UInt64 {
        hash(bytes, start, length, head: head(bytes, start, length))
    }

    /// Whether `bytes[a ..< a + length]` and `bytes[b ..< b + length]` are the same bytes.
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ length: Int) -> Bool {
        var k = 0
        while k < length {
            let n = min(8, length &- k)
            if word(bytes, a &+ k, n) != word(bytes, b &+ k, n) { return false }
            k &+= n
        }
        return true
    }

    /// The index stored for the name at `bytes[start ..< start + length]`, if any.
    func find(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int) -> Int? {
        let head = Self.head(bytes, start, length)
        return find(bytes, start: start, length: length, head: head, hash: Self.hash(bytes, start, length, head: head))
    }

    private func find(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int, head: UInt64, hash h: UInt64
    ) -> Int? {
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) &- 1
                let name = names[index]
                if name.length == length && name.head == head
                    && (length <= 8 || Self.equal(bytes, name.start &+ 8, start &+ 8, length &- 8))
                {
                    return index
                }
            }
            slot = (slot &+ 1) & mask
        }
    }

    /// The index of the name at `bytes[start ..< start + length]`, adding it first if it is new
    /// (`added`); one hash for both.
    mutating func findOrInsert(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int) -> (index: Int, added: Bool) {
        let head = Self.head(bytes, start, length)
        let h = Self.hash(bytes, start, length, head: head)
        if let index = find(bytes, start: start, length: length, head: head, hash: h) { return (index, false) }
        return (insert(Name(start: start, length: length, head: head), hash: h, bytes), true)
    }

    /// Adds the name and returns its index (`count` before the call); the name must be new.
    @discardableResult
    mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int) -> Int {
        let head = Self.head(bytes, start, length)
        return insert(Name(start: start, length: length, head: head), hash: Self.hash(bytes, start, length, head: head), bytes)
    }

    private mutating func insert(_ name: Name, hash h: UInt64, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if (names.count + 1) * 2 > slots.count { grow(bytes) }
        let index = names.count
        names.append(name)
        place(h, index)
        return index
    }

    private mutating func place(_ h: UInt64, _ index: Int) {
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] != 0 { slot = (slot &+ 1) & mask }
        slots[slot] = h & 0xFFFF_FFFF_0000_0000 | UInt64(index + 1)
    }

    private mutating func grow(_ bytes: UnsafeBufferPointer<UInt8>) {
        slots = Array(repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for index in names.indices {
            let name = names[index]
            place(Self.hash(bytes, name.start, name.length, head: name.head), index)
        }
    }
}
