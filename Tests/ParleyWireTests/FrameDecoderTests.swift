import ParleyTestSupport
import ParleyWire
import Testing

/// The streaming decoder: chunking does not matter, and each malformed input gets its own error.
@Suite struct FrameDecoderTests {
    static func frame(_ message: WireMessage) -> [UInt8] { try! FrameEncoder().encode(message) }

    /// A frame built by hand: length prefix computed from `rest` (version, type, body).
    static func rawFrame(version: UInt8 = WireProtocol.version, type: UInt8, body: [UInt8]) -> [UInt8] {
        let length = UInt32(2 + body.count)
        return withUnsafeBytes(of: length.bigEndian, Array.init) + [version, type] + body
    }

    static func decode(_ bytes: [UInt8]) throws(WireError) -> [WireMessage] {
        var decoder = FrameDecoder()
        return try decoder.feed(bytes)
    }

    @Test func byteAtATimeEqualsAllAtOnce() throws {
        let stream = Samples.all.flatMap(Self.frame)
        var whole = FrameDecoder()
        let atOnce = try whole.feed(stream)
        var decoder = FrameDecoder()
        var oneByOne: [WireMessage] = []
        for byte in stream { oneByOne += try decoder.feed(CollectionOfOne(byte)) }
        #expect(atOnce.count == Samples.all.count)
        #expect(oneByOne.count == atOnce.count)
        let encoder = FrameEncoder()
        #expect(try oneByOne.flatMap(encoder.encode) == stream)
        #expect(try atOnce.flatMap(encoder.encode) == stream)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func arbitraryChunkingEqualsAllAtOnce() throws {
        let stream = Samples.all.flatMap(Self.frame)
        var generator = SplitMix64(seed: 7)
        for _ in 0..<50 {
            var decoder = FrameDecoder()
            var messages: [WireMessage] = []
            var index = 0
            while index < stream.count {
                let size = Int.random(in: 1...64, using: &generator)
                let end = min(index + size, stream.count)
                messages += try decoder.feed(stream[index..<end])
                index = end
            }
            #expect(try messages.flatMap(FrameEncoder().encode) == stream)
        }
    }

    @Test func partialFrameYieldsNothingYet() throws {
        let frame = Self.frame(.ping(nonce: 5))
        var decoder = FrameDecoder()
        #expect(try decoder.feed(frame.dropLast()).isEmpty)
        #expect(try decoder.feed(frame.suffix(1)) == [.ping(nonce: 5)])
    }

    /// The limit is checked on the 4-byte prefix alone: the error comes with the fourth byte,
    /// before any body byte arrives and without buffering more than the prefix.
    @Test func oversizedLengthPrefixIsRejectedAfterFourBytes() throws {
        var decoder = FrameDecoder()
        let prefix: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        for byte in prefix.dropLast() { #expect(try decoder.feed(CollectionOfOne(byte)).isEmpty) }
        #expect(decoder.bufferedByteCount == 3)
        #expect(throws: WireError.frameTooLarge(size: 0xFFFF_FFFF, limit: 64 << 20)) {
            try decoder.feed(CollectionOfOne(prefix[3]))
        }
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func limitIsASetting() throws {
        let frame = Self.frame(.ping(nonce: 1))  // length prefix 10
        var tight = FrameDecoder(maximumFrameSize: 9)
        #expect(throws: WireError.frameTooLarge(size: 10, limit: 9)) { try tight.feed(frame) }
        var exact = FrameDecoder(maximumFrameSize: 10)
        #expect(try exact.feed(frame) == [.ping(nonce: 1)])
    }

    @Test func decoderStaysFailed() throws {
        var decoder = FrameDecoder()
        #expect(throws: WireError.unknownMessageType(200)) { try decoder.feed(Self.rawFrame(type: 200, body: [])) }
        #expect(throws: WireError.unknownMessageType(200)) { try decoder.feed(Self.frame(.ping(nonce: 1))) }
    }

    @Test func lengthBelowHeaderIsRejected() {
        #expect(throws: WireError.frameTooSmall(size: 1)) { try Self.decode([0, 0, 0, 1, 1]) }
        #expect(throws: WireError.frameTooSmall(size: 0)) { try Self.decode([0, 0, 0, 0]) }
    }

    @Test func unknownMessageType() {
        #expect(throws: WireError.unknownMessageType(0)) { try Self.decode(Self.rawFrame(type: 0, body: [])) }
        #expect(throws: WireError.unknownMessageType(13)) { try Self.decode(Self.rawFrame(type: 13, body: [])) }
    }

    @Test func badVersion() {
        var frame = Self.frame(.ping(nonce: 1))
        frame[4] = 1  // the version before ADMM acceleration: refused, not misread
        #expect(throws: WireError.unsupportedVersion(1)) { try Self.decode(frame) }
    }

    @Test func truncatedBody() {
        // A ping whose frame holds only 3 of the nonce's 8 bytes.
        #expect(throws: WireError.truncated("ping.nonce")) {
            try Self.decode(Self.rawFrame(type: 11, body: [1, 2, 3]))
        }
        // A plan receipt cut inside its cost.
        #expect(throws: WireError.truncated("planReceipt.cost")) {
            try Self.decode(Self.rawFrame(type: 8, body: [0, 0]))
        }
        // A vector count cut short.
        #expect(throws: WireError.truncated("planReceipt.usage count")) {
            try Self.decode(Self.rawFrame(type: 8, body: Array(repeating: 0, count: 8) + [0, 0]))
        }
    }

    @Test func trailingBytes() {
        #expect(throws: WireError.trailingBytes(2)) {
            try Self.decode(Self.rawFrame(type: 11, body: Array(repeating: 0, count: 10)))
        }
    }

    @Test func invalidUTF8() {
        // abort.reason = 2 bytes: 0xC3 0x28 (a lead byte followed by a non-continuation byte).
        #expect(throws: WireError.invalidUTF8("abort.reason")) {
            try Self.decode(Self.rawFrame(type: 10, body: [0, 0, 0, 2, 0xC3, 0x28]))
        }
        // A UTF-16 surrogate encoded in UTF-8 (ED A0 80) is not valid UTF-8 either.
        #expect(throws: WireError.invalidUTF8("welcome.partyName")) {
            try Self.decode(Self.rawFrame(type: 2, body: [0, 0, 0, 3, 0xED, 0xA0, 0x80, 0, 0, 0, 0]))
        }
    }

    /// A count of 2^32−1 with ten bytes left is refused before anything is allocated for it.
    @Test func countLargerThanRemainingBytes() {
        let body: [UInt8] = Array(repeating: 0, count: 16) + [0xFF, 0xFF, 0xFF, 0xFF] + Array(repeating: 0, count: 10)
        #expect(throws: WireError.countTooLarge(field: "admmResponse.usage", count: 0xFFFF_FFFF, remaining: 10)) {
            try Self.decode(Self.rawFrame(type: 6, body: body))
        }
        #expect(throws: WireError.countTooLarge(field: "abort.reason", count: 11, remaining: 10)) {
            try Self.decode(Self.rawFrame(type: 10, body: [0, 0, 0, 11] + Array(repeating: 0x41, count: 10)))
        }
        // Proposals take at least 21 bytes each: a count of 1 with 20 bytes left is refused.
        #expect(throws: WireError.countTooLarge(field: "pricingResponse.proposals", count: 1, remaining: 20)) {
            try Self.decode(Self.rawFrame(type: 4, body: [0, 0, 0, 1] + Array(repeating: 0, count: 20)))
        }
    }

    @Test func invalidTags() {
        // proposal.isRay must be 0 or 1.
        let proposal: [UInt8] = [0, 0, 0, 1] + Array(repeating: 0, count: 8) + [2] + Array(repeating: 0, count: 12)
        #expect(throws: WireError.invalidTag(field: "proposal.isRay", value: 2)) {
            try Self.decode(Self.rawFrame(type: 4, body: proposal))
        }
        #expect(throws: WireError.invalidTag(field: "planInstruction.kind", value: 7)) {
            try Self.decode(Self.rawFrame(type: 7, body: [0, 0, 0, 0, 7]))
        }
        #expect(throws: WireError.invalidTag(field: "planInstruction.hasPrices", value: 2)) {
            try Self.decode(Self.rawFrame(type: 7, body: [0, 0, 0, 0, 1, 2]))
        }
        #expect(throws: WireError.invalidTag(field: "planInstruction.final", value: 2)) {
            try Self.decode(Self.rawFrame(type: 7, body: [0, 0, 0, 0, 1, 0, 2]))
        }
        // A plan instruction without its `final` byte (version 3's layout) is cut short.
        #expect(throws: WireError.truncated("planInstruction.final")) {
            try Self.decode(Self.rawFrame(type: 7, body: [0, 0, 0, 0, 1, 0]))
        }
        #expect(throws: WireError.invalidTag(field: "pricingResponse.values[] tag", value: 3)) {
            try Self.decode(Self.rawFrame(type: 4, body: [0, 0, 0, 0, 0, 0, 0, 1, 3]))
        }
    }

    @Test func duplicateWeightIDs() {
        let entry: [UInt8] = Array(repeating: 0, count: 7) + [5] + Array(repeating: 0, count: 8)
        #expect(throws: WireError.duplicateID(field: "planInstruction.weights", id: 5)) {
            try Self.decode(Self.rawFrame(type: 7, body: [0, 0, 0, 0, 0, 0, 0, 0, 2] + entry + entry))
        }
    }

    /// Malformed frames give the same error fed one byte at a time as fed whole.
    @Test func errorsAreTheSameByteAtATime() {
        let cases: [([UInt8], WireError)] = [
            ([0xFF, 0xFF, 0xFF, 0xFF, 1, 3], .frameTooLarge(size: 0xFFFF_FFFF, limit: 64 << 20)),
            (Self.rawFrame(version: 9, type: 11, body: []), .unsupportedVersion(9)),
            (Self.rawFrame(type: 99, body: []), .unknownMessageType(99)),
            (Self.rawFrame(type: 11, body: [1]), .truncated("ping.nonce")),
            (Self.rawFrame(type: 12, body: Array(repeating: 0, count: 9)), .trailingBytes(1)),
            (Self.rawFrame(type: 10, body: [0, 0, 0, 1, 0xFF]), .invalidUTF8("abort.reason")),
            (Self.rawFrame(type: 8, body: Array(repeating: 0, count: 8) + [0, 0, 0, 2] + Array(repeating: 0, count: 15)),
             .countTooLarge(field: "planReceipt.usage", count: 2, remaining: 15)),
        ]
        for (bytes, expected) in cases {
            #expect(throws: expected) { try Self.decode(bytes) }
            var decoder = FrameDecoder()
            #expect(throws: expected) {
                for byte in bytes { _ = try decoder.feed(CollectionOfOne(byte)) }
            }
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(
            WireError.countTooLarge(field: "x", count: 4, remaining: 3).description
                == "x claims 4 elements but only 3 bytes remain"
        )
        #expect(WireError.frameTooLarge(size: 9, limit: 8).description.contains("maximum frame size of 8"))
        #expect(WireError.unsupportedVersion(9).description.contains("version 9"))
    }
}
