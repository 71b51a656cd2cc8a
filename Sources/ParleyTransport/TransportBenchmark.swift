import Foundation
import ParleyWire

/// Measures the secure channel on loopback: handshake time and the round trip of a pricing
/// request answered by a proposal of the same size, as a DW round does every iteration.
///
/// Everything runs in this process against a throw-away consortium (CA, a node, a coordinator)
/// in a temporary directory, so the figures are the channel's, not a solver's.
public enum TransportBenchmark {
    public struct Sample: Sendable, Codable {
        public var prices: Int
        public var repetitions: Int
        public var medianMilliseconds: Double
        public var p10Milliseconds: Double
        public var p90Milliseconds: Double
        /// Bytes of the request frame as encoded (length prefix and header included).
        public var requestFrameBytes: Int
        /// Ciphertext bytes the client sent per request (TLS records included).
        public var requestWireBytes: Double
        /// `requestWireBytes / prices`.
        public var wireBytesPerPrice: Double
    }

    public struct Report: Sendable, Codable {
        public var handshakes: Int
        public var handshakeMedianMilliseconds: Double
        public var handshakeP90Milliseconds: Double
        /// Ciphertext bytes of one handshake, both directions.
        public var handshakeBytes: Int
        public var samples: [Sample]
    }

    /// - Parameters:
    ///   - sizes: price vector lengths to time.
    ///   - repetitions: round trips per size (the first few are warm-up and not counted).
    public static func run(sizes: [Int], repetitions: (Int) -> Int, handshakes: Int) async throws -> Report {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ConsortiumCertificates.makeAuthority(directory: directory, validity: .days(2))
        func party(_ name: String) throws -> TLSConfiguration {
            let (key, request) = try ConsortiumCertificates.makeRequest(party: name, hosts: ["127.0.0.1"], directory: directory)
            let certificate = try ConsortiumCertificates.sign(requestPath: request, authorityDirectory: directory, validity: .days(1))
            return TLSConfiguration(
                certificatePath: certificate, privateKeyPath: key, trustRootsPath: directory + "/ca.crt")
        }
        let serverContext = try TLSContext(configuration: party("node"), role: .server)
        let clientContext = try TLSContext(configuration: party("coordinator"), role: .client)
        let server = try await SecureServer.bind(host: "127.0.0.1", port: 0, context: serverContext, policy: .anyOf(["coordinator"]))
        let serving = Task {
            try await server.run(handle: echoProposals, rejected: { _, _ in })
        }
        defer {
            serving.cancel()
        }

        var handshakeTimes: [Double] = []
        var handshakeBytes = 0
        let clock = ContinuousClock()
        for _ in 0..<handshakes {
            let start = clock.now
            let connection = try await SecureClient.connect(
                host: "127.0.0.1", port: server.port, context: clientContext, policy: .party("node"))
            // The server's first answer is what proves it accepted us (TLS 1.3), so it is part
            // of the handshake a user waits for.
            try await connection.withSession { session in
                try await session.send(.ping(nonce: 1))
                _ = try await session.receive()
                handshakeTimes.append((clock.now - start).milliseconds)
            }
            handshakeBytes = connection.traffic.sent + connection.traffic.received
        }

        let connection = try await SecureClient.connect(host: "127.0.0.1", port: server.port, context: clientContext, policy: .party("node"))
        let samples = try await connection.withSession { session in
            var samples: [Sample] = []
            for size in sizes {
                let prices = (0..<size).map { Double($0) * 0.001 - 7.25 }
                let request = WireMessage.pricingRequest(
                    WirePricingRequest(round: "benchmark", iteration: 1, prices: [prices], costWeight: 1))
                let frameBytes = try FrameEncoder().encode(request).count
                let count = repetitions(size)
                let warmUp = max(2, count / 10)
                var times: [Double] = []
                var sentBefore = 0
                var sentDuring = 0
                for repetition in 0..<(warmUp + count) {
                    if repetition == warmUp { sentBefore = connection.traffic.sent }
                    let start = clock.now
                    try await session.send(request)
                    guard case .pricingResponse(let response) = try await session.receive(),
                        response.proposals.first?.usage.count == size
                    else { throw TransportError(.protocolViolation, "the benchmark node answered something else") }
                    if repetition >= warmUp { times.append((clock.now - start).milliseconds) }
                }
                sentDuring = connection.traffic.sent - sentBefore
                let perRequest = Double(sentDuring) / Double(count)
                samples.append(
                    Sample(
                        prices: size, repetitions: count, medianMilliseconds: percentile(times, 0.5),
                        p10Milliseconds: percentile(times, 0.1), p90Milliseconds: percentile(times, 0.9),
                        requestFrameBytes: frameBytes, requestWireBytes: perRequest, wireBytesPerPrice: perRequest / Double(size)))
            }
            return samples
        }
        await server.close()
        return Report(
            handshakes: handshakes, handshakeMedianMilliseconds: percentile(handshakeTimes, 0.5),
            handshakeP90Milliseconds: percentile(handshakeTimes, 0.9), handshakeBytes: handshakeBytes, samples: samples)
    }

    /// The benchmark's node: answers a pricing request with one proposal using every price's row,
    /// and a ping with a pong.
    @Sendable private static func echoProposals(_ connection: SecureConnection) async {
        try? await connection.withSession { session in
            while true {
                switch try await session.receive() {
                case .pricingRequest(let request):
                    let usage = request.prices.first ?? []
                    let proposal = WireProposal(id: request.iteration, usage: usage, cost: 1, isRay: false)
                    try await session.send(.pricingResponse(WirePricingResponse(proposals: [proposal], values: [1], best: [0])))
                case .ping(let nonce):
                    try await session.send(.pong(nonce: nonce))
                default:
                    return
                }
            }
        }
    }

    private static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
