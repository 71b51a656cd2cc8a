import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import ParleyTransport
import ParleyWire
import Synchronization
import Testing

/// Heartbeats on idle coordinator↔node connections: a peer that stops answering is found by a
/// missing pong and the link re-made at once; a normal round with pings flying still ends at the
/// published optimum.
@Suite(.serialized) struct HeartbeatTests {
    /// What a silent peer saw: when each connection came and each ping arrived.
    actor Sightings {
        var connections: [ContinuousClock.Instant] = []
        /// Each ping's time and the connection (0, 1, …) it came on.
        var pings: [(at: ContinuousClock.Instant, connection: Int)] = []
        func connected() -> Int {
            connections.append(.now)
            return connections.count - 1
        }
        func pinged(on connection: Int) { pings.append((.now, connection)) }
    }

    /// How late this process's tasks run: the longest overshoot of a 50 ms sleep while it
    /// watches. Every test suite shares a pool of 2 threads here, and CPU-bound ones (CLP solves)
    /// hold it for seconds; the heartbeat's ticks and the silent peer's notes wait the same way,
    /// so a timing bound is widened by what was measured, not by a guess.
    final class Lateness: Sendable {
        private let worst = Mutex(Duration.zero)
        var value: Duration { worst.withLock { $0 } }

        func watch() -> Task<Void, Never> {
            Task {
                while !Task.isCancelled {
                    let start = ContinuousClock.now
                    try? await Task.sleep(for: .milliseconds(50))
                    let late = ContinuousClock.now - start - .milliseconds(50)
                    worst.withLock { $0 = max($0, late) }
                }
            }
        }
    }

    /// A TLS server with the partner's certificate that welcomes the coordinator and then never
    /// answers again (as a hung node or a half-dead middlebox would): the coordinator's heartbeat
    /// finds it within about interval + timeout and connects anew.
    @Test func aSilentPeerIsFoundWithinIntervalPlusTimeout() async throws {
        let scratch = try Scratch("heartbeat-silent")
        let federation = try await prepareFederation("lands3", scratch: scratch)
        let contract = federation.contract
        let party = contract.partners[0]
        let (host, port) = try #require(NodeConfiguration.splitEndpoint(party.endpoint))
        let files = "\(federation.directory)/\(party.name)/\(party.name)"
        let serverContext = try TLSContext(
            configuration: TLSConfiguration(
                certificatePath: "\(files).crt", privateKeyPath: "\(files).key", trustRootsPath: federation.coordinatorTLS.trustRootsPath),
            role: .server)
        let server = try await SecureServer.bind(
            host: host, port: port, context: serverContext, policy: .anyOf([contract.coordinator.certificateName]))
        let seen = Sightings()
        let serving = Task {
            try await server.run(
                handle: { connection in
                    let number = await seen.connected()
                    try? await connection.withSession { session in
                        guard case .hello = try await session.receive() else { return }
                        try await session.send(.welcome(WireWelcome(partyName: party.name, contractHash: contract.contentHash)))
                        while let message = try await session.receiveUnlessClosed() {
                            if case .ping = message { await seen.pinged(on: number) }  // and no pong, ever
                        }
                    }
                },
                rejected: { _, _ in })
        }
        defer {
            serving.cancel()
            Task { await server.close() }
        }

        let lateness = Lateness()
        let watching = lateness.watch()
        defer { watching.cancel() }
        let interval = Duration.milliseconds(500)
        let timeout = Duration.seconds(2)
        let context = try TLSContext(configuration: federation.coordinatorTLS, role: .client)
        // The welcome arrives between these two instants: lower bounds are measured from the
        // first, upper bounds from the second (on a loaded machine `connect` returned late, and a
        // ping on time looked early measured from its return).
        let dialled = ContinuousClock.now
        let partner = try await RemotePartner.connect(
            party: party, linkingRows: contract.linkingRows(of: party.name), contract: contract, context: context,
            requestTimeout: timeout, heartbeat: interval)
        let welcomed = ContinuousClock.now
        for _ in 0..<600 where await seen.connections.count < 2 { try await Task.sleep(for: .milliseconds(50)) }
        await partner.close()

        let connections = await seen.connections
        let pings = await seen.pings
        try #require(connections.count >= 2, "the coordinator never gave up on the silent connection")
        let firstPing = try #require(pings.first).at - welcomed
        let redial = connections[1] - welcomed
        let firstPingFromDial = try #require(pings.first).at - dialled
        let redialFromDial = connections[1] - dialled
        // One ping on the first connection, unanswered, is what made the coordinator re-dial
        // (nothing else was asked of this partner).
        #expect(pings.filter { $0.connection == 0 }.count == 1)
        // Pinged once idle for the interval (ticks at a quarter of it); re-dialled once the pong
        // was overdue by the request timeout (plus the first backoff, at most 100 ms). Slack:
        // 300 ms per step, plus this process's measured lateness for each task hop on the way
        // (ticker, link, peer).
        let late = lateness.value
        #expect(
            firstPingFromDial >= interval && firstPing <= interval * 1.25 + .milliseconds(300) + late * 3,
            "first ping \(firstPingFromDial) after dialling, \(firstPing) after connect returned, tasks up to \(late) late")
        #expect(
            redialFromDial >= interval + timeout && redial <= interval * 1.25 + timeout + .milliseconds(600) + late * 6,
            "re-dialled \(redialFromDial) after dialling, \(redial) after connect returned, tasks up to \(late) late")
    }

    /// pds-02 over eleven nodes with a 5 ms heartbeat: partners waiting for the others are pinged
    /// (their audit logs hold the pongs) and the round still ends at the published optimum. (It
    /// was 50 ms, longer than any partner waits on a fast machine, where no ping went out.)
    @Test func aRoundWithFrequentHeartbeatsReachesTheReferenceOptimum() async throws {
        let scratch = try Scratch("heartbeat-round")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run) + ["--heartbeat", "0.005"])
        #expect(round.status == 0, "\(round.output)")
        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "optimal")
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        var pongs = 0
        for party in federation.contract.partners {
            let audit = try String(contentsOfFile: "\(federation.directory)/\(party.name)/state/audit.jsonl", encoding: .utf8)
            pongs += try audit.split(separator: "\n").filter { line in
                let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return entry?["type"] as? String == "pong"
            }.count
        }
        #expect(pongs > 0, "no partner was pinged: the heartbeat never fired")
    }
}
