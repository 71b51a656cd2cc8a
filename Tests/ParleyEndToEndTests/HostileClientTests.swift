import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import ParleyTransport
import ParleyWire
import Testing

/// A live node facing a coordinator-certified peer that sends every kind of bad request: each
/// gets a typed error, and the node serves a normal round afterwards.
@Suite(.serialized) struct HostileClientTests {
    @Test func everyBadRequestGetsATypedErrorAndTheNodeServesOn() async throws {
        let scratch = try Scratch("hostile")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let party = federation.contract.partners[0]
        let rows = federation.contract.linkingRows(of: party.name).count
        let (host, port) = try #require(NodeConfiguration.splitEndpoint(party.endpoint))
        let context = try TLSContext(configuration: federation.coordinatorTLS, role: .client)
        let hash = federation.contract.contentHash

        /// One connection's exchange. A node still finishing the previous connection answers
        /// "busy" (one at a time), which is transient: tried again, as a coordinator does.
        func conversation(_ messages: [WireMessage]) async throws -> [WireMessage] {
            func isBusy(_ answer: WireMessage?) -> Bool {
                if case .error(let error) = answer { return error.code == WireErrorMessage.busy }
                return false
            }
            func exchange() async throws -> [WireMessage] {
                let connection = try await SecureClient.connect(host: host, port: port, context: context, policy: .party(party.certificateName))
                return try await connection.withSession { session in
                    var answers: [WireMessage] = []
                    for message in messages {
                        try await session.send(message)
                        answers.append(try await session.receive(timeout: .seconds(20)))
                        if isBusy(answers.last) { break }
                    }
                    return answers
                }
            }
            var answers = try await exchange()
            for _ in 0..<50 where isBusy(answers.first) {
                try await Task.sleep(for: .milliseconds(20))
                answers = try await exchange()
            }
            return answers
        }
        func code(_ message: WireMessage) -> UInt16? {
            if case .error(let error) = message { return error.code }
            return nil
        }

        // Another contract: error 101, and the node hangs up.
        let wrongHash = try await conversation([.hello(WireHello(partyName: "coordinator", contractHash: String(repeating: "0", count: 64)))])
        #expect(code(wrongHash[0]) == WireErrorMessage.contractMismatch)

        // A request before hello: error 102.
        let early = try await conversation([.ping(nonce: 1)])
        #expect(code(early[0]) == WireErrorMessage.unexpectedMessage)

        // After a proper hello, each bad request is answered and the connection stays usable.
        let good = [0.0]
        let answers = try await conversation([
            .hello(WireHello(partyName: "coordinator", contractHash: hash)),
            .pricingRequest(WirePricingRequest(round: "r1", iteration: 1, prices: [good + Array(repeating: 0, count: rows)], costWeight: 1)),
            .pricingRequest(WirePricingRequest(round: "r1", iteration: 2, prices: [Array(repeating: .nan, count: rows)], costWeight: 1)),
            .pricingRequest(WirePricingRequest(round: "r1", iteration: 3, prices: [Array(repeating: .infinity, count: rows)], costWeight: 1)),
            .pricingRequest(WirePricingRequest(round: "../../etc", iteration: 1, prices: [Array(repeating: 0, count: rows)], costWeight: 1)),
            .pricingResponse(WirePricingResponse(proposals: [], values: [], best: [])),
            .planInstruction(WirePlanInstruction(round: "no-such-round", kind: .lastIterate)),
            .pricingRequest(WirePricingRequest(round: "r1", iteration: 4, prices: [Array(repeating: 0, count: rows)], costWeight: 1)),
            .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([999: 1]))),
            // Finite numbers too large for CLP (it asserts, aborting the process, on costs of 1e25).
            .pricingRequest(WirePricingRequest(round: "r1", iteration: 5, prices: [Array(repeating: 1e30, count: rows)], costWeight: 1)),
            .admmRequest(WireADMMRequest(round: "r2", iteration: 1, shift: Array(repeating: 1e30, count: rows), rho: 1)),
            .ping(nonce: 77),
            // Final prices for rows the partner does not have.
            .planInstruction(WirePlanInstruction(round: "r1", kind: .lastIterate, prices: Array(repeating: 1, count: rows + 2))),
        ])
        #expect(answers[0] == .welcome(WireWelcome(partyName: party.name, contractHash: hash)))
        #expect(answers[1] == .error(WireErrorMessage(code: WireErrorMessage.badRequest, text: "price vector has \(rows + 1) entries, expected \(rows) (one per linking row of this partner)")))
        #expect(answers[2] == .error(WireErrorMessage(code: WireErrorMessage.badRequest, text: "prices must be finite numbers")))
        #expect(answers[3] == .error(WireErrorMessage(code: WireErrorMessage.badRequest, text: "prices must be finite numbers")))
        #expect(code(answers[4]) == WireErrorMessage.badRequest)
        #expect(code(answers[5]) == WireErrorMessage.unexpectedMessage)
        #expect(code(answers[6]) == WireErrorMessage.badRequest)
        guard case .pricingResponse(let response) = answers[7] else {
            Issue.record("expected proposals, got \(answers[7])")
            return
        }
        #expect(response.proposals.allSatisfy { $0.usage.count == rows })
        #expect(answers[8] == .error(WireErrorMessage(code: WireErrorMessage.unknownProposal, text: "no proposal with id 999")))
        #expect(answers[9] == .error(WireErrorMessage(
            code: WireErrorMessage.badRequest,
            text: "the prices sent (up to 1e+30 in size) make costs beyond the ±1e+20 its solver can take: the coordinator's numbers are out of scale")))
        #expect(answers[10] == .error(WireErrorMessage(
            code: WireErrorMessage.badRequest,
            text: "the shift and rho sent (up to 1e+30 in size) make costs beyond the ±1e+20 its solver can take: the coordinator's numbers are out of scale")))
        #expect(answers[11] == .pong(nonce: 77))
        #expect(answers[12] == .error(WireErrorMessage(
            code: WireErrorMessage.badRequest, text: "the final instruction has \(rows + 2) prices for the partner's \(rows) linking rows")))

        // A provisional plan (a round stopped at a limit) is kept apart from final plans, and a
        // later one replaces it.
        let id = try #require(response.proposals.first { !$0.isRay }?.id)
        let planPath = "\(federation.directory)/\(party.name)/state/plans/r1.csv"
        let provisionalPath = "\(federation.directory)/\(party.name)/state/plans/r1.provisional.csv"
        let provisional = try await conversation([
            .hello(WireHello(partyName: "coordinator", contractHash: hash)),
            .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([id: 1]), isFinal: false)),
            .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([id: 0.5]), isFinal: false)),
        ])
        guard case .planReceipt(let half) = provisional[2] else {
            Issue.record("expected a receipt, got \(provisional[2])")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: planPath))
        let halfPlan = try readPlan(provisionalPath)
        #expect(FileManager.default.fileExists(atPath: "\(federation.directory)/\(party.name)/state/plans/r1.provisional.linking.csv"))

        // A final instruction, then the same one replayed (answered as before, the plan left as
        // it is), then one that would form another plan, and a provisional one (both refused: a
        // written final plan stands).
        let finals = try await conversation([
            .hello(WireHello(partyName: "coordinator", contractHash: hash)),
            .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([id: 1]))),
            .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([id: 1]))),
            .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([id: 0.5]))),
            .planInstruction(WirePlanInstruction(round: "r1", kind: .weights([id: 1]), isFinal: false)),
        ])
        guard case .planReceipt(let receipt) = finals[1] else {
            Issue.record("expected a receipt, got \(finals[1])")
            return
        }
        #expect(finals[2] == .planReceipt(receipt))
        #expect(abs(2 * half.cost - receipt.cost) <= 1e-9 * max(1, abs(receipt.cost)))
        #expect(finals[3] == .error(WireErrorMessage(
            code: WireErrorMessage.badRequest,
            text: "the plan of round r1 is final (written to \(planPath)); a final instruction that forms another plan is refused")))
        #expect(finals[4] == .error(WireErrorMessage(
            code: WireErrorMessage.badRequest,
            text: "the plan of round r1 is final (written to \(planPath)); a provisional plan for it is refused")))
        let plan = try readPlan(planPath)
        #expect(!plan.isEmpty && plan.contains { $0.1 != 0 })
        #expect(zip(plan, halfPlan).allSatisfy { $0.0 == $1.0 && $0.1 == 2 * $1.1 })
        // The final plan replaced the provisional one.
        #expect(!FileManager.default.fileExists(atPath: provisionalPath))
        #expect(!FileManager.default.fileExists(atPath: "\(federation.directory)/\(party.name)/state/plans/r1.provisional.linking.csv"))

        // Bytes that are not a Parley frame (an unknown message type) after a good hello: the
        // node answers error 100 and closes. `openssl s_client` carries the raw bytes.
        // Then the same with a length prefix far beyond the node's maximum frame size.
        for tail: [UInt8] in [[0, 0, 0, 2, WireProtocol.version, 0xEE], [0xFF, 0xFF, 0xFF, 0xF0, WireProtocol.version, 3]] {
            var raw = try FrameEncoder().encode(.hello(WireHello(partyName: "coordinator", contractHash: hash)))
            raw += tail
            let client = Process()
            client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            client.arguments = [
                "openssl", "s_client", "-connect", "\(host):\(port)", "-quiet", "-CAfile", federation.coordinatorTLS.trustRootsPath,
                "-cert", federation.coordinatorTLS.certificatePath, "-key", federation.coordinatorTLS.privateKeyPath,
            ]
            let input = Pipe()
            let output = Pipe()
            client.standardInput = input
            client.standardOutput = output
            client.standardError = FileHandle.nullDevice
            try client.run()
            input.fileHandleForWriting.write(Data(raw))
            let received = output.fileHandleForReading.readDataToEndOfFile()  // the node closes
            try? input.fileHandleForWriting.close()
            client.waitUntilExit()
            var decoder = FrameDecoder()
            let frames = try decoder.feed(Array(received))
            #expect(frames.first.map { if case .welcome = $0 { true } else { false } } == true)
            #expect(frames.dropFirst().first.flatMap(code) == WireErrorMessage.malformedFrame)
        }

        // And a normal round still runs.
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run"))
        #expect(round.status == 0, "\(round.output)")
    }

    /// A node answers a second coordinator connection "busy" (one round at a time); the
    /// connection in the way may be a crashed coordinator's whose close has not reached the
    /// node, so a round retries a busy node for its partner deadline instead of giving up at
    /// once (a resumed round was refused that way after a link cut). Here another connection,
    /// welcomed, holds partner p01 for 1.5 s after the round starts: the round still ends
    /// optimal. With a deadline shorter than the hold it fails naming the partner as busy.
    @Test func aRoundWaitsOutAConnectionThatHoldsANode() async throws {
        let scratch = try Scratch("held")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let party = federation.contract.partners[0]
        let (host, port) = try #require(NodeConfiguration.splitEndpoint(party.endpoint))
        let context = try TLSContext(configuration: federation.coordinatorTLS, role: .client)
        let hash = federation.contract.contentHash

        /// A round started while a welcomed connection holds the node for `duration`.
        func roundWhileHeld(for duration: Duration, partnerDeadline: String, out: String) async throws -> (status: Int32, output: String) {
            let connection = try await SecureClient.connect(host: host, port: port, context: context, policy: .party(party.certificateName))
            let welcomed = AsyncStream<Void>.makeStream()
            let held = Task {
                try await connection.withSession { session in
                    try await session.send(.hello(WireHello(partyName: "coordinator", contractHash: hash)))
                    _ = try await session.receive(timeout: .seconds(20))
                    welcomed.continuation.finish()
                    try await Task.sleep(for: duration)
                }
            }
            for await _ in welcomed.stream {}
            let round = try await ParleyBinary.run(
                roundArguments(federation, method: "dw", out: "\(scratch.path)/\(out)") + ["--partner-deadline", partnerDeadline])
            try await held.value
            return round
        }

        let round = try await roundWhileHeld(for: .milliseconds(1500), partnerDeadline: "20", out: "run")
        #expect(round.status == 0, "\(round.output)")
        #expect(try readSummary("\(scratch.path)/run")["status"] as? String == "optimal")

        let refused = try await roundWhileHeld(for: .seconds(6), partnerDeadline: "1", out: "run-short")
        #expect(refused.status == 3, "\(refused.output)")
        #expect(
            refused.output.contains(
                "error: partner '\(party.name)': busy for 1.0 seconds: \(party.endpoint) is busy (another round, or an earlier "
                    + "coordinator's connection not yet closed at its end): \(party.name) is serving another connection; one round at a time"),
            "\(refused.output)")
    }
}
