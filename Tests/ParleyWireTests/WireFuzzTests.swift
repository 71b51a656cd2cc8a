import ParleyTestSupport
import ParleyWire
import Testing

/// A seeded property test: random and mutated frames always end in a message or a `WireError`.
///
/// Reaching the end without a crash is the assertion that matters (a trap or an allocation sized
/// by a hostile prefix would abort the process); the counts check the mix really exercised both
/// outcomes. The seed is fixed so a failure replays exactly.
@Suite struct WireFuzzTests {
    static let iterations = 200_000
    static let seed: UInt64 = 0x5041_524C_4559  // "PARLEY"

    @Test func randomAndMutatedFramesNeverCrash() {
        var generator = SplitMix64(seed: Self.seed)
        let encoder = FrameEncoder()
        let seeds = Samples.all.map { try! encoder.encode($0) } + [Self.largeFrame()]
        var decoded = 0
        var rejected = 0
        var incomplete = 0
        for _ in 0..<Self.iterations {
            let input = Self.mutant(of: seeds, using: &generator)
            // Decoding the same bytes whole and in random chunks must agree, error included.
            var whole = FrameDecoder(maximumFrameSize: 1 << 20)
            var chunked = FrameDecoder(maximumFrameSize: 1 << 20)
            let first = Result { () throws(WireError) in try whole.feed(input) }
            let second = Result { () throws(WireError) in try Self.feedInChunks(input, to: &chunked, using: &generator) }
            switch (first, second) {
            case (.success(let a), .success(let b)):
                if a.isEmpty { incomplete += 1 } else { decoded += 1 }
                if a.count != b.count { Issue.record("chunking changed the message count for \(input)") }
            case (.failure(let a), .failure(let b)):
                rejected += 1
                if a != b { Issue.record("chunking changed the error: \(a) vs \(b)") }
            default:
                Issue.record("whole and chunked decoding disagree on \(input)")
            }
        }
        #expect(decoded + rejected + incomplete == Self.iterations)
        #expect(decoded > 1_000 && rejected > 1_000)
    }

    static func feedInChunks(
        _ input: [UInt8], to decoder: inout FrameDecoder, using generator: inout SplitMix64
    ) throws(WireError) -> [WireMessage] {
        var messages: [WireMessage] = []
        var index = 0
        while index < input.count {
            let end = min(input.count, index + Int.random(in: 1...32, using: &generator))
            messages += try decoder.feed(input[index..<end])
            index = end
        }
        return messages
    }

    static func largeFrame() -> [UInt8] {
        try! FrameEncoder().encode(
            .pricingResponse(
                WirePricingResponse(
                    proposals: (0..<4).map { WireProposal(id: $0, usage: [1, 2, 3, Double($0)], cost: 1, isRay: $0 == 2) },
                    values: [1, nil, 3, nil],
                    best: [0, 2, 1, 2]
                )
            )
        )
    }

    static func mutant(of seeds: [[UInt8]], using generator: inout SplitMix64) -> [UInt8] {
        var bytes = seeds.randomElement(using: &generator)!
        switch generator.next() % 8 {
        case 0:  // pure noise, sometimes with a plausible header
            bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count >= 6 && Bool.random(using: &generator) {
                let length = UInt32(bytes.count - 4)
                bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: length.bigEndian, Array.init))
                bytes[4] = 1
                bytes[5] = UInt8.random(in: 1...12, using: &generator)
            }
        case 1, 2:  // bit flips
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &generator)
            }
        case 3:  // truncation
            bytes.removeLast(Int.random(in: 0...bytes.count, using: &generator))
        case 4:  // length-prefix corruption
            let length = [UInt32.max, 0, 1, 2, UInt32(1 << 20) + 1, UInt32.random(in: 0...UInt32.max, using: &generator),
                UInt32(bytes.count - 4) &+ UInt32.random(in: 0...16, using: &generator) &- 8].randomElement(using: &generator)!
            bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: length.bigEndian, Array.init))
        case 5:  // overwrite body bytes with random values (counts, tags, string bytes)
            for _ in 0..<Int.random(in: 1...3, using: &generator) where bytes.count > 6 {
                bytes[Int.random(in: 6..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
        case 6:  // insert or append random bytes
            let extra = (0..<Int.random(in: 1...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.insert(contentsOf: extra, at: Int.random(in: 0...bytes.count, using: &generator))
        default:  // two frames back to back, the second mutated by a bit flip
            var second = seeds.randomElement(using: &generator)!
            let index = Int.random(in: 0..<second.count, using: &generator)
            second[index] ^= 1 << UInt8.random(in: 0...7, using: &generator)
            bytes += second
        }
        return bytes
    }
}
