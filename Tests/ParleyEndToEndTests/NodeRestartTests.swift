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
        let victimConfig = federation.configuration(of: victim)

        let run = "\(scratch.path)/run"
        let coordinatorLog = "\(scratch.path)/coordinator.log"
        let coordinator = try launchParley(roundArguments(federation, method: "dw", out: run) + ["--partner-deadline", "60"], log: coordinatorLog)

        // Wait for iteration 3 in the coordinator's log, then kill the node outright.
        let pid = try #require(nodes.processIdentifiers[victim])
        #expect(await signal(SIGKILL, to: pid) { loggedIterations(run) >= 3 })
        try await Task.sleep(for: .microseconds(300_000))

        // The same node, same configuration, started again.
        let restarted = try launchParley(["node", "--config", victimConfig])
        defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGTERM) } }

        try await waitForExit(coordinator, seconds: 120)
        #expect(!coordinator.isRunning)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        #expect(coordinator.terminationStatus == 0, "\((try? String(contentsOfFile: coordinatorLog, encoding: .utf8)) ?? "")")

        // The restarted node formed its plan, and the joint plan is feasible and optimal.
        try expectReachedOptimum(run, of: "pds-02", federation: federation)
    }

    /// A node restarted in the middle of a round with its private model edited: the round's
    /// stored plans were priced on the old model, so the node refuses to take the round up again,
    /// naming both files, rather than combine them into a plan for another model (or crash on
    /// one that no longer fits). With the round's model back, the round resumes to its optimum.
    @Test func aNodeWhoseModelChangedMidRoundRefusesToGoOnWithIt() async throws {
        let scratch = try Scratch("model-changed")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let victim = federation.contract.partners[0].name
        let victimConfig = federation.configuration(of: victim)
        let model = "\(scratch.path)/chain/partners/\(victim)/model.mps"
        let state = "\(federation.directory)/\(victim)/state"

        let run = "\(scratch.path)/run"
        let stopped = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run) + ["--max-iterations", "3"])
        #expect(stopped.status == 3, "\(stopped.output)")
        let round = try #require(try readSummary(run)["round"] as? String)
        let digest = try FileDigest.sha256(path: model)
        #expect(try String(contentsOfFile: "\(state)/rounds/\(round).model", encoding: .utf8) == digest + "\n")

        // The operator edits the model (here a comment line: any change counts) and restarts.
        let pid = try #require(nodes.processIdentifiers[victim])
        stopProcess(pid, with: SIGTERM)
        let original = try String(contentsOfFile: model, encoding: .utf8)
        try ("* edited by the operator\n" + original).write(toFile: model, atomically: true, encoding: .utf8)
        let edited = try FileDigest.sha256(path: model)
        var restarted = try launchParley(["node", "--config", victimConfig])
        let refused = try await ParleyBinary.run(["round", "resume", run, "--max-iterations", "100"])
        #expect(refused.status == 3, "\(refused.output)")
        let failed = try readSummary(run)
        #expect(failed["status"] as? String == "partner_failed")
        #expect(failed["partner"] as? String == victim)
        #expect((failed["message"] as? String ?? "").contains(
            "round \(round) began on another private model (SHA-256 \(digest.prefix(12))…, in \(state)/rounds/\(round).model); "
                + "\(model) has changed since (\(edited.prefix(12))…), so the round's stored plans do not fit it: "
                + "start a new round, or put the round's model back"), "\(failed)")
        #expect(!FileManager.default.fileExists(atPath: "\(state)/plans/\(round).csv"))

        // The round's model back: the round resumes to the optimum.
        kill(restarted.processIdentifier, SIGTERM)
        restarted.waitUntilExit()
        try original.write(toFile: model, atomically: true, encoding: .utf8)
        restarted = try launchParley(["node", "--config", victimConfig])
        defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGTERM) } }
        let resumed = try await ParleyBinary.run(["round", "resume", run, "--max-iterations", "100"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try readSummary(run)
        let reference = Fixtures.references.first { $0.name == "lands3" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
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
        let coordinator = try launchParley(roundArguments(federation, method: "dw", out: run) + ["--partner-deadline", "2"])
        let pid = try #require(nodes.processIdentifiers[victim])
        #expect(await signal(SIGKILL, to: pid) { loggedIterations(run) >= 2 })
        try await waitForExit(coordinator, seconds: 60)
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

/// A node that is not up yet when the round starts (restarting, or deployed a moment late) is
/// waited for, as a lost connection is, instead of ending the round before it begins; one that
/// stays away past the partner deadline ends it naming the partner and why.
@Suite(.serialized) struct LateNodeTests {
    @Test func aRoundWaitsForANodeThatIsNotUpYet() async throws {
        let scratch = try Scratch("late")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let late = federation.contract.partners[1]
        let config = federation.configuration(of: late.name)
        let pid = try #require(nodes.processIdentifiers[late.name])
        kill(pid, SIGKILL)
        try await Task.sleep(for: .milliseconds(200))

        // Away for good: the round ends after the deadline, naming the node and the reason.
        let away = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run-away") + ["--partner-deadline", "1"])
        #expect(away.status == 3)
        #expect(away.output.contains("waiting: \(late.name) at \(late.endpoint) is not reachable yet (Connection refused); trying again for up to 1.0 seconds"), "\(away.output)")
        #expect(away.output.contains("partner '\(late.name)': unreachable at \(late.endpoint) for 1.0 seconds: Connection refused"), "\(away.output)")

        // Started a second after the round: the round waits for it and ends optimal.
        let log = "\(scratch.path)/coordinator.log"
        let coordinator = try launchParley(roundArguments(federation, method: "dw", out: "\(scratch.path)/run") + ["--partner-deadline", "60"], log: log)
        try await Task.sleep(for: .seconds(1))
        let restarted = try launchParley(["node", "--config", config])
        defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGTERM) } }
        try await waitForExit(coordinator, seconds: 60)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(coordinator.terminationStatus == 0, "\(output)")
        #expect(output.contains("waiting: \(late.name) at \(late.endpoint) is not reachable yet"))
        #expect(try readSummary("\(scratch.path)/run")["status"] as? String == "optimal")
    }
}

/// A node that closes the connection without a word before its welcome (as one stopping or
/// restarting does) is waited for like one not up yet, instead of ending the round at once; a
/// node that states a refusal still ends it at once (FederationTests).
@Suite(.serialized) struct HangUpAtStartTests {
    /// Accepts TCP connections on 127.0.0.1:`port` and closes each at once, until stopped.
    final class HangUpListener: @unchecked Sendable {
        private let socket: Int32
        private let thread: Thread

        init(port: Int) throws {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var yes: Int32 = 1
            setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(socket, 16) == 0 else { throw FederationSetupError(message: "cannot listen on \(port): \(errno)") }
            self.socket = socket
            thread = Thread {
                while true {
                    let client = accept(socket, nil, nil)
                    if client < 0 { return }  // the listening socket was shut down
                    close(client)
                }
            }
            thread.start()
        }

        func stop() {
            shutdown(socket, Int32(SHUT_RDWR))
            close(socket)
        }
    }

    @Test func aNodeThatHangsUpBeforeItsWelcomeIsWaitedFor() async throws {
        let scratch = try Scratch("hang-up")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let late = federation.contract.partners[1]
        let config = federation.configuration(of: late.name)
        let (_, port) = try #require(NodeConfiguration.splitEndpoint(late.endpoint))
        let pid = try #require(nodes.processIdentifiers[late.name])
        stopProcess(pid, with: SIGKILL)
        let listener = try HangUpListener(port: port)

        // Hanging up for good: the round ends after the deadline, naming the node and the reason.
        let away = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run-away") + ["--partner-deadline", "1"])
        #expect(away.status == 3)
        #expect(away.output.contains(
            "waiting: \(late.name) at \(late.endpoint) is not ready yet (the peer closed the connection during the TLS handshake); "
                + "trying again for up to 1.0 seconds"), "\(away.output)")
        #expect(away.output.contains(
            "partner '\(late.name)': unreachable at \(late.endpoint) for 1.0 seconds: the peer closed the connection during the TLS handshake"),
            "\(away.output)")

        // The node back a second after the round started: the round waits for it and ends optimal.
        let log = "\(scratch.path)/coordinator.log"
        let coordinator = try launchParley(roundArguments(federation, method: "dw", out: "\(scratch.path)/run") + ["--partner-deadline", "60"], log: log)
        try await Task.sleep(for: .seconds(1))
        listener.stop()
        let restarted = try launchParley(["node", "--config", config])
        defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGTERM) } }
        try await waitForExit(coordinator, seconds: 60)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(coordinator.terminationStatus == 0, "\(output)")
        #expect(output.contains("waiting: \(late.name) at \(late.endpoint) is not ready yet"), "\(output)")
        #expect(try readSummary("\(scratch.path)/run")["status"] as? String == "optimal")
    }
}
