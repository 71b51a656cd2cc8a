import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real cut link: each node in a network namespace of its own, joined to the coordinator's by
/// a veth pair, and one node's link taken down mid-round. Down past the partner deadline, the
/// round ends `partner_unreachable` naming that partner and no node holds a plan — and once the
/// link is back, `parley round resume` finishes it at the optimum; down for less,
/// the coordinator reconnects and the round ends at the published optimum with every plan whole.
/// Skipped where network namespaces cannot be made.
@Suite(
    .serialized,
    .enabled(
        if: NetworkNamespaces.permitted,
        "network namespaces are not permitted here (`ip netns add` failed: needs root and CAP_SYS_ADMIN)"))
struct NetworkCutTests {
    /// pds-02 packed into three partners, each node in its namespace, the coordinator in its own.
    static let partners = 3

    struct Cut {
        let scratch: Scratch
        let network: NetworkNamespaces
        let federation: LocalFederation
        let nodes: RunningNodes
        let run: String
        let coordinator: Process
        let coordinatorLog: String

        var output: String { (try? String(contentsOfFile: coordinatorLog, encoding: .utf8)) ?? "" }

        /// Everything this test started stops, and the namespaces go, whatever happened.
        func tearDown() {
            if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
            coordinator.waitUntilExit()
            nodes.stop()
            network.tearDown()
        }

        /// Waits for `count` iterations in the coordinator's log (false if the round ended first).
        func waitForIterations(_ count: Int) async throws -> Bool {
            for _ in 0..<6000 where coordinator.isRunning {
                let lines = ((try? String(contentsOfFile: "\(run)/convergence.jsonl", encoding: .utf8)) ?? "").split(separator: "\n")
                if lines.count >= count { return true }
                try await Task.sleep(for: .microseconds(2_000))
            }
            return false
        }

        func waitForExit(seconds: Double) async throws {
            for _ in 0..<Int(seconds * 20) where coordinator.isRunning { try await Task.sleep(for: .microseconds(50_000)) }
        }
    }

    func start(tag: String, _ flags: [String]) async throws -> Cut {
        let scratch = try Scratch("netns-\(tag)")
        let network = try NetworkNamespaces(tag: tag, partners: Self.partners)
        do {
            let chain = "\(scratch.path)/chain"
            let split = try await ParleyBinary.run([
                "split", Fixtures.path("blocks/pds-02.mps"), "--dec", Fixtures.path("blocks/pds-02.dec"), "--out", chain,
                "--partners", "\(Self.partners)",
            ])
            guard split.status == 0 else { throw FederationSetupError(message: "parley split failed: \(split.output)") }
            let federation = try await LocalFederation.prepare(
                chainDirectory: chain, directory: "\(scratch.path)/federation",
                partnerHosts: (0..<Self.partners).map(network.address))
            let order = federation.contract.partners.map(\.name)
            let nodes = try federation.startNodes(executable: ParleyBinary.path) { party in
                network.exec(network.namespace(order.firstIndex(of: party)!))
            }
            let late = await offThePool { nodes.waitUntilListening() }
            guard late.isEmpty else {
                nodes.stop()
                throw FederationSetupError(message: "nodes not listening: \(late)")
            }
            let run = "\(scratch.path)/run"
            let coordinatorLog = "\(scratch.path)/coordinator.log"
            _ = FileManager.default.createFile(atPath: coordinatorLog, contents: nil)
            let command = network.exec(network.coordinatorNamespace) + [ParleyBinary.path] + roundArguments(federation, method: "dw", out: run) + flags
            let coordinator = Process()
            coordinator.executableURL = URL(fileURLWithPath: command[0])
            coordinator.arguments = Array(command.dropFirst())
            coordinator.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: coordinatorLog))
            coordinator.standardError = coordinator.standardOutput
            try coordinator.run()
            return Cut(
                scratch: scratch, network: network, federation: federation, nodes: nodes, run: run, coordinator: coordinator,
                coordinatorLog: coordinatorLog)
        } catch {
            network.tearDown()
            throw error
        }
    }

    @Test func aLinkDownPastThePartnerDeadlineEndsTheRoundNamingThePartner() async throws {
        let cut = try await start(tag: "a", ["--request-timeout", "2", "--heartbeat", "0.5", "--partner-deadline", "3"])
        defer { cut.tearDown() }
        let victim = 1
        let party = cut.federation.contract.partners[victim]
        try #require(try await cut.waitForIterations(3), "the round ended before the cut: \(cut.output)")
        try cut.network.setLink(victim, up: false)
        try await cut.waitForExit(seconds: 40)
        try cut.network.setLink(victim, up: true)
        #expect(!cut.coordinator.isRunning)
        if cut.coordinator.isRunning { kill(cut.coordinator.processIdentifier, SIGKILL) }
        cut.coordinator.waitUntilExit()
        #expect(cut.coordinator.terminationStatus == 3, "\(cut.output)")
        let summary = try readSummary(cut.run)
        #expect(summary["status"] as? String == "partner_unreachable")
        #expect(summary["partner"] as? String == party.name)
        #expect((summary["message"] as? String)?.hasPrefix("partner '\(party.name)': unreachable at \(party.endpoint) for 3.0 seconds") == true, "\(summary["message"] ?? "")")
        // No plan instruction went out: no node holds a plan, not even part of one.
        for other in cut.federation.contract.partners {
            let plans = (try? FileManager.default.contentsOfDirectory(atPath: "\(cut.federation.directory)/\(other.name)/state/plans")) ?? []
            #expect(plans.isEmpty, "\(other.name) has \(plans)")
        }

        // The link is back: the round is resumed from its checkpoint and finishes at the optimum.
        // (Resumed with the round's 3 s partner deadline, so only once the node answers again.)
        let port = try #require(party.endpoint.split(separator: ":").last.flatMap { Int($0) })
        let network = cut.network
        let reachable = await offThePool { network.waitUntilReachable(victim, port: port, seconds: 20) }
        try #require(reachable, "\(party.name) is not reachable after its link came back")
        let command = cut.network.exec(cut.network.coordinatorNamespace) + [ParleyBinary.path, "round", "resume", cut.run, "--quiet"]
        let resume = Process()
        resume.executableURL = URL(fileURLWithPath: command[0])
        resume.arguments = Array(command.dropFirst())
        let resumeLog = "\(cut.scratch.path)/resume.log"
        _ = FileManager.default.createFile(atPath: resumeLog, contents: nil)
        resume.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: resumeLog))
        resume.standardError = resume.standardOutput
        try resume.run()
        try await waitForExit(resume, seconds: 60)
        if resume.isRunning { kill(resume.processIdentifier, SIGKILL) }
        resume.waitUntilExit()
        let resumeOutput = (try? String(contentsOfFile: resumeLog, encoding: .utf8)) ?? ""
        #expect(resume.terminationStatus == 0, "\(resumeOutput)")
        let finished = try readSummary(cut.run)
        #expect(finished["status"] as? String == "optimal")
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let objective = try #require(finished["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        let round = try #require(finished["round"] as? String)
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let columns = program.columnIndexByName()
        var x = Array(repeating: 0.0, count: program.columnCount)
        for other in cut.federation.contract.partners {
            for (name, value) in try readPlan("\(cut.federation.directory)/\(other.name)/state/plans/\(round).csv") {
                x[try #require(columns[name])] = value
            }
        }
        #expect(program.maximumViolation(x) <= 1e-6 * max(1, x.map(abs).max() ?? 1))
    }

    @Test func aLinkDownForLessThanTheDeadlineIsReconnectedAndTheRoundEndsOptimal() async throws {
        let cut = try await start(tag: "b", ["--request-timeout", "2", "--heartbeat", "0.5", "--partner-deadline", "30"])
        defer { cut.tearDown() }
        let victim = 1
        let party = cut.federation.contract.partners[victim]
        try #require(try await cut.waitForIterations(3), "the round ended before the cut: \(cut.output)")
        try cut.network.setLink(victim, up: false)
        try await Task.sleep(for: .microseconds(3_500_000))  // longer than the request timeout: the coordinator gives up on the connection
        try cut.network.setLink(victim, up: true)
        try await cut.waitForExit(seconds: 45)
        #expect(!cut.coordinator.isRunning)
        if cut.coordinator.isRunning { kill(cut.coordinator.processIdentifier, SIGKILL) }
        cut.coordinator.waitUntilExit()
        #expect(cut.coordinator.terminationStatus == 0, "\(cut.output)")
        // The victim's node saw the coordinator connect a second time.
        let connects = cut.nodes.log(of: party.name).components(separatedBy: "\"message\":\"coordinator connected\"").count - 1
        #expect(connects >= 2, "\(party.name) saw \(connects) connections")

        let summary = try readSummary(cut.run)
        #expect(summary["status"] as? String == "optimal")
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        // Every node wrote its whole plan, and together they are a feasible plan of the original
        // model at the reference objective.
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let columns = program.columnIndexByName()
        var x = Array(repeating: 0.0, count: program.columnCount)
        var seen = 0
        let roundID = try #require(summary["round"] as? String)
        for other in cut.federation.contract.partners {
            for (name, value) in try readPlan("\(cut.federation.directory)/\(other.name)/state/plans/\(roundID).csv") {
                x[try #require(columns[name])] = value
                seen += 1
            }
        }
        #expect(seen == program.columnCount)
        #expect(program.maximumViolation(x) <= 1e-6 * max(1, x.map(abs).max() ?? 1))
        #expect(abs(program.objectiveValue(x) - reference) <= 1e-6 * abs(reference))
    }
}
