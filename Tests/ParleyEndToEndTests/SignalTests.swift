import Foundation
import ParleyCoordinator
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Signals an operator sends: Ctrl-C on a networked round says how to go on, and SIGHUP does not
/// end a node.
@Suite(.serialized) struct SignalTests {
    @Test func anInterruptedRoundSaysHowToResumeAndResumes() async throws {
        let scratch = try Scratch("interrupt")
        let (federation, nodes) = try await startFederation("env_aggr", scratch: scratch)
        defer { nodes.stop() }
        let run = "\(scratch.path)/run"
        let log = "\(scratch.path)/coordinator.log"
        let coordinator = try launchParley(roundArguments(federation, method: "dw", out: run), log: log)
        #expect(await signal(SIGINT, to: coordinator.processIdentifier) { loggedIterations(run) >= 5 })
        try await waitForExit(coordinator, seconds: 10)
        #expect(!coordinator.isRunning)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        #expect(coordinator.terminationStatus == 130)
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(output.contains("interrupted: the nodes keep the round; `parley round resume \(run)` goes on from its last checkpoint"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: "\(run)/summary.json"))

        let resumed = try await ParleyBinary.run(["round", "resume", run, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try readSummary(run)
        let reference = Fixtures.references.first { $0.name == "env_aggr" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
    }

    @Test func aNodeTakesSIGHUPCalmly() async throws {
        let scratch = try Scratch("hangup")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let party = try #require(federation.contract.partners.first?.name)
        let pid = try #require(nodes.processIdentifiers[party])
        kill(pid, SIGHUP)
        for _ in 0..<200 where !nodes.log(of: party).contains("SIGHUP") { usleep(10_000) }
        #expect(nodes.log(of: party).contains(
            "\"message\":\"SIGHUP: nothing to reload by hand; new TLS files and a moved audit log are taken up at the next connection\""))
        #expect(kill(pid, 0) == 0)
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(round.status == 0, "\(round.output)")
    }
}
