import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--max-seconds` is a real deadline: a node stopped (SIGSTOP) once the round has reached it
/// holds an iteration in flight, and when the time limit passes that iteration is cut, the round ends `time_limit`
/// naming the partner that had not answered, long before the request timeout, and no node
/// holds a plan.
@Suite(.serialized) struct RoundDeadlineTests {
    @Test func anIterationInFlightIsCutAtTheTimeLimit() async throws {
        let scratch = try Scratch("deadline")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        let victim = federation.contract.partners[4].name
        let pid = try #require(nodes.processIdentifiers[victim])
        let run = "\(scratch.path)/run"
        let coordinatorLog = "\(scratch.path)/coordinator.log"
        let started = Date()
        let coordinator = try launchParley(roundArguments(federation, method: "dw", out: run) + ["--max-seconds", "8"], log: coordinatorLog)
        defer {
            kill(pid, SIGCONT)
            if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
            nodes.stop()
        }

        // Stopped as soon as the round's first iteration is logged: a later one then waits for
        // it, well before the time limit could end the round between iterations. Watched on a
        // thread of its own (see `signal`): polled from the shared pool while other suites kept
        // it busy, the round (0.3 s) had once ended optimal before the stop. Not at the node's
        // "coordinator connected" line either: stopped that early, its welcome can still be
        // unsent, and the round then fails to start at all.
        #expect(await signal(SIGSTOP, to: pid) { loggedIterations(run) >= 1 })
        try await waitForExit(coordinator, seconds: 30)
        let took = Date().timeIntervalSince(started)
        #expect(!coordinator.isRunning)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        coordinator.waitUntilExit()
        let output = (try? String(contentsOfFile: coordinatorLog, encoding: .utf8)) ?? ""
        #expect(coordinator.terminationStatus == 3, "\(output)")
        // Cut at the limit (plus start-up and connecting), not after the 300 s request timeout.
        #expect(took >= 8 && took < 30, "the round took \(took) s")

        let summary = try readSummary(run)
        let done = try #require(summary["iterations"] as? Int)
        #expect(summary["status"] as? String == "time_limit")
        #expect(summary["message"] as? String == "time limit of 8 s reached in iteration \(done + 1); no answer from \(victim)")
        #expect(output.contains("status      time_limit: time limit of 8 s reached"))
        for party in federation.contract.partners {
            let plans = (try? FileManager.default.contentsOfDirectory(atPath: "\(federation.directory)/\(party.name)/state/plans")) ?? []
            #expect(plans.isEmpty, "\(party.name) has \(plans)")
        }
    }
}
