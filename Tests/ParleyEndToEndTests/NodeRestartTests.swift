import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A node killed with SIGKILL in the middle of a round and started again with the same
/// configuration: the coordinator reconnects, sends the request in hand again, and the round ends
/// at the same optimum, with the restarted node's plan formed from proposals it kept on disk.
@Suite(.serialized) struct NodeRestartTests {
    @Test func roundSurvivesANodeKilledAfterIterationThree() async throws {
        let scratch = try Scratch("restart")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        let victim = federation.contract.partners[3].name
        let victimConfig = federation.nodeConfigurations.first { $0.party == victim }!.path

        let run = "\(scratch.path)/run"
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: ParleyBinary.path)
        coordinator.arguments = roundArguments(federation, method: "dw", out: run) + ["--partner-deadline", "60"]
        let coordinatorLog = "\(scratch.path)/coordinator.log"
        _ = FileManager.default.createFile(atPath: coordinatorLog, contents: nil)
        coordinator.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: coordinatorLog))
        coordinator.standardError = coordinator.standardOutput
        try coordinator.run()

        // Wait for iteration 3 in the coordinator's log, then kill the node outright.
        let pid = try #require(nodes.processIdentifiers[victim])
        #expect(await signal(SIGKILL, to: pid) { loggedIterations(run) >= 3 })
        try await Task.sleep(for: .microseconds(300_000))

        // The same node, same configuration, started again.
        let restarted = Process()
        restarted.executableURL = URL(fileURLWithPath: ParleyBinary.path)
        restarted.arguments = ["node", "--config", victimConfig]
        restarted.standardOutput = FileHandle.nullDevice
        restarted.standardError = FileHandle.nullDevice
        try restarted.run()
        defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGTERM) } }

        for _ in 0..<2400 where coordinator.isRunning { try await Task.sleep(for: .microseconds(50_000)) }
        #expect(!coordinator.isRunning)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        #expect(coordinator.terminationStatus == 0, "\((try? String(contentsOfFile: coordinatorLog, encoding: .utf8)) ?? "")")

        let summary = try readSummary(run)
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        // The restarted node formed its plan, and the joint plan is feasible.
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let columns = program.columnIndexByName()
        var x = Array(repeating: 0.0, count: program.columnCount)
        let roundID = try #require(summary["round"] as? String)
        for party in federation.contract.partners {
            for (name, value) in try readPlan("\(federation.directory)/\(party.name)/state/plans/\(roundID).csv") {
                x[try #require(columns[name])] = value
            }
        }
        #expect(program.maximumViolation(x) <= 1e-6 * max(1, x.map(abs).max() ?? 1))
    }
}

/// A node that dies and stays away past the partner deadline ends the round with
/// `partner_unreachable` naming it, rather than a round that waits forever.
@Suite(.serialized) struct UnreachablePartnerTests {
    @Test func roundEndsNamingThePartnerThatStayedAway() async throws {
        let scratch = try Scratch("unreachable")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        let victim = federation.contract.partners[5].name
        let run = "\(scratch.path)/run"
        let coordinator = Process()
        coordinator.executableURL = URL(fileURLWithPath: ParleyBinary.path)
        coordinator.arguments = roundArguments(federation, method: "dw", out: run) + ["--partner-deadline", "2"]
        coordinator.standardOutput = FileHandle.nullDevice
        coordinator.standardError = FileHandle.nullDevice
        try coordinator.run()
        let pid = try #require(nodes.processIdentifiers[victim])
        #expect(await signal(SIGKILL, to: pid) { loggedIterations(run) >= 2 })
        for _ in 0..<1200 where coordinator.isRunning { try await Task.sleep(for: .microseconds(50_000)) }
        #expect(!coordinator.isRunning)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        #expect(coordinator.terminationStatus == 3)
        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "partner_unreachable")
        #expect(summary["partner"] as? String == victim)
        #expect((summary["message"] as? String)?.contains("unreachable at \(federation.contract.partners[5].endpoint)") == true)
        // The round never reached its plan instructions: no node holds a plan file, not even a
        // partial one.
        for party in federation.contract.partners {
            let plans = (try? FileManager.default.contentsOfDirectory(atPath: "\(federation.directory)/\(party.name)/state/plans")) ?? []
            #expect(plans.isEmpty, "\(party.name) has \(plans)")
        }
    }
}
