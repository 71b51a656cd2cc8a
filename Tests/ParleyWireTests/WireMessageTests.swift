import ParleyTestSupport
import ParleyWire
import Testing

/// Every message survives encode → decode bit for bit.
///
/// `==` on `Double` says NaN ≠ NaN and 0 == −0, so equality is checked on the re-encoded bytes
/// (bit patterns) and, where a message has no NaN, also with `==`.
@Suite struct WireMessageTests {
    @Test(arguments: Samples.all)
    func roundTrips(_ message: WireMessage) throws {
        let frame = try FrameEncoder().encode(message)
        var decoder = FrameDecoder()
        let decoded = try decoder.feed(frame)
        try #require(decoded.count == 1)
        #expect(try FrameEncoder().encode(decoded[0]) == frame)
        #expect(decoded[0].kind == message.kind)
        #expect(decoder.bufferedByteCount == 0)
    }

    /// Seeded random messages of every kind, with random bit patterns for every double, survive
    /// encode → decode → encode unchanged.
    @Test func randomMessagesRoundTrip() throws {
        var generator = SplitMix64(seed: 42)
        let encoder = FrameEncoder()
        for _ in 0..<5_000 {
            let message = RandomMessages.next(using: &generator)
            let frame = try encoder.encode(message)
            var decoder = FrameDecoder()
            let decoded = try decoder.feed(frame)
            try #require(decoded.count == 1)
            #expect(try encoder.encode(decoded[0]) == frame)
        }
    }

    @Test func equalityWhereNoNaN() throws {
        let message = WireMessage.pricingRequest(
            WirePricingRequest(round: "r", iteration: 3, prices: [[1, -0.0, .infinity]], costWeight: 0)
        )
        var decoder = FrameDecoder()
        #expect(try decoder.feed(FrameEncoder().encode(message)) == [message])
    }

    @Test func nanPayloadsAndSignedZeroSurvive() throws {
        let usage = Samples.awkward
        let message = WireMessage.planReceipt(WirePlanReceipt(cost: Samples.signalingNaN, usage: usage))
        var decoder = FrameDecoder()
        let decoded = try decoder.feed(FrameEncoder().encode(message))
        guard case .planReceipt(let receipt) = decoded.first else {
            Issue.record("expected a plan receipt, got \(decoded)")
            return
        }
        #expect(receipt.cost.bitPattern == Samples.signalingNaN.bitPattern)
        #expect(receipt.usage.map(\.bitPattern) == usage.map(\.bitPattern))
    }

    @Test func frameHeaderIsLengthVersionType() throws {
        let frame = try FrameEncoder().encode(.ping(nonce: 0x0102_0304_0506_0708))
        #expect(frame == [0, 0, 0, 10, 4, 11, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    /// The worked example in Docs/PROTOCOL.md, byte for byte.
    @Test func documentedPricingRequestExample() throws {
        let message = WireMessage.pricingRequest(
            WirePricingRequest(round: "r1", iteration: 3, prices: [[1.5, -2.0]], costWeight: 1)
        )
        let hex = try FrameEncoder().encode(message).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        #expect(
            hex == "00000030" + "04" + "03" + "00000002" + "7231" + "0000000000000003" + "3ff0000000000000"
                + "00000001" + "00000002" + "3ff8000000000000" + "c000000000000000"
        )
    }

    /// Issue 4's target: at most 9 bytes per price (8 for the double plus amortized framing).
    @Test(arguments: [100, 10_000, 1_000_000])
    func bytesPerPrice(_ count: Int) throws {
        let prices = (0..<count).map { Double($0) * 0.5 }
        let message = WireMessage.pricingRequest(
            WirePricingRequest(round: "round-2026-11-29", iteration: 41, prices: [prices], costWeight: 1)
        )
        let frame = try FrameEncoder().encode(message)
        let perPrice = Double(frame.count) / Double(count)
        print("pricing request, \(count) prices: \(frame.count) bytes, \(perPrice) bytes per price")
        #expect(perPrice <= 9)
        var decoder = FrameDecoder()
        #expect(try decoder.feed(frame) == [message])
    }

    @Test func encoderRefusesFrameOverItsLimit() {
        let encoder = FrameEncoder(maximumFrameSize: 16)
        let message = WireMessage.admmResponse(WireADMMResponse(usage: [1, 2], cost: 0, usageChange: 0))
        // 2 header bytes + 8 + 8 + 4 + 16 + 4 (no residual products) = 42 bytes after the prefix.
        #expect(throws: WireError.frameTooLarge(size: 42, limit: 16)) { try encoder.encode(message) }
    }

    @Test func encodingAppendsToABuffer() throws {
        var buffer: [UInt8] = [0xAA]
        try FrameEncoder().encode(.pong(nonce: 1), into: &buffer)
        #expect(buffer.count == 1 + 14)
        #expect(buffer.first == 0xAA)
    }
}
