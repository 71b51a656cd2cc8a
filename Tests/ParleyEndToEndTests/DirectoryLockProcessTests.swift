import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import ParleyTransport
import Testing

/// One process per directory that one process must own: a second node on a running node's state
/// directory, and a second round in a run directory in use, are refused, naming the holder; the
/// first goes on.
@Suite struct DirectoryLockProcessTests {
    @Test func aSecondNodeOnAStateDirectoryInUseIsRefused() async throws {
        let scratch = try Scratch("state-lock")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let (party, config) = try #require(federation.nodeConfigurations.first)
        let pid = try #require(nodes.processIdentifiers[party])
        let state = "\(federation.directory)/\(party)/state"
        let port = try #require(try await freePorts(1).first)

        // A copy of the node listening elsewhere, on the same state directory.
        let second = try await ParleyBinary.run(["node", "--config", config], environment: ["PARLEY_LISTEN": "127.0.0.1:\(port)"])
        #expect(second.status == 1)
        #expect(second.output.contains(
            "error: \(state): in use by another parley node (pid \(pid), holding \(state)/node.lock); one node per state directory"),
            "\(second.output)")
        let check = try await ParleyBinary.run(["node", "--config", config, "--check"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("; in use by a running node (pid \(pid))"), "\(check.output)")

        // The first still serves a whole round.
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(round.status == 0, "\(round.output)")
        #expect(try readSummary(run)["status"] as? String == "optimal")
    }

    @Test func aSecondRoundInARunDirectoryInUseIsRefused() async throws {
        let scratch = try Scratch("run-lock")
        _ = try await prepareFederation("lands3", scratch: scratch)
        let chain = "\(scratch.path)/chain/chain.yaml"
        let run = "\(scratch.path)/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        var held: DirectoryLock? = try DirectoryLock(directory: run, name: "coordinator.lock", owner: "coordinator", rule: "test")
        let refused = try await ParleyBinary.run(["round", "start", "--chain", chain, "--local", "--out", run, "--quiet"])
        #expect(refused.status == 1)
        #expect(refused.output.contains(
            "error: \(run): in use by another coordinator (pid \(getpid()), holding \(run)/coordinator.lock); one round at a time per run directory"),
            "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(run)/convergence.jsonl"))
        held = nil
        _ = held
        let round = try await ParleyBinary.run(["round", "start", "--chain", chain, "--local", "--out", run, "--quiet"])
        #expect(round.status == 0, "\(round.output)")
    }
}
