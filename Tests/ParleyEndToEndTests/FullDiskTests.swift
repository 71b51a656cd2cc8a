import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A full disk under the coordinator's run directory or a node's state directory (a small tmpfs):
/// nothing crashes, nothing torn is left in the append-only files, the error names the file and
/// says how to go on, and once there is room `round resume` ends at the optimum with every plan.
/// Skipped where a tmpfs cannot be mounted.
@Suite(
    .serialized,
    .enabled(if: SmallDisk.permitted, "mounting a tmpfs is not permitted here (needs root and CAP_SYS_ADMIN)"))
struct FullDiskTests {
    /// pds-02's run directory on 24 KiB: the first checkpoint (22 KB) never fits, the round is
    /// decided and its plan handover written down, and `linking.csv` is the write that fails.
    @Test func aCoordinatorWhoseDiskFillsStopsSayingHowToGoOn() async throws {
        let scratch = try Scratch("full-run")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        let run = "\(scratch.path)/disk/run"
        let disk = try SmallDisk(path: "\(scratch.path)/disk", kibibytes: 24)
        defer { disk.unmount() }

        let full = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(full.status == 1, "\(full.output)")
        #expect(full.output.contains("warning: cannot write the checkpoint in \(run) (a coordinator crash now loses the round): \(run)/checkpoint.log: cannot append the checkpoint (No space left on device"), "\(full.output)")
        #expect(full.output.contains(": No space left on device; once it can be written, `parley round resume \(run)` takes the round up again"), "\(full.output)")
        // The checkpoint log holds whole records only (here none: the first never fit).
        let checkpoint = try FileManager.default.attributesOfItem(atPath: "\(run)/checkpoint.log")[.size] as? Int
        #expect(checkpoint == 0)

        try disk.resize(kibibytes: 4096)
        let resumed = try await ParleyBinary.run(["round", "resume", run, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try expectReachedOptimum(run, of: "pds-02", federation: federation)
        // The convergence log is whole: iterations 1…n, once each.
        let iterations = try String(contentsOfFile: "\(run)/convergence.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["iteration"] as? Int
        }
        #expect(iterations == (1...iterations.count).map { $0 }, "\(iterations)")
        #expect(iterations.count == summary["iterations"] as? Int)
    }

    /// One node's state directory on 48 KiB: it fills within a few iterations. The node keeps
    /// serving (it answers no request it cannot record), the round ends naming it, its audit log
    /// and proposal store hold whole records only (the node restarted reads them back), and with
    /// room again the round resumes to the optimum.
    @Test func aNodeWhoseDiskFillsKeepsServingAndTheRoundResumes() async throws {
        let scratch = try Scratch("full-state")
        let federation = try await prepareFederation("pds-02", scratch: scratch)
        let victim = federation.contract.partners[2].name
        let state = "\(federation.directory)/\(victim)/state"
        let disk = try SmallDisk(path: state, kibibytes: 48)
        defer { disk.unmount() }
        let nodes = try federation.startNodes(executable: ParleyBinary.path)
        defer { nodes.stop() }
        let late = await offThePool { nodes.waitUntilListening() }
        try #require(late.isEmpty, "nodes not listening: \(late)")

        let run = "\(scratch.path)/run"
        let full = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run) + ["--partner-deadline", "2"])
        #expect(full.status == 3, "\(full.output)")
        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "partner_unreachable")
        #expect(summary["partner"] as? String == victim)
        #expect(nodes.processIdentifiers.values.allSatisfy { kill($0, 0) == 0 }, "a node died")
        #expect(nodes.log(of: victim).contains("No space left on device"), "\(nodes.log(of: victim))")
        // Every audit line is whole JSON (a line the disk took only in part was cut back off).
        let audit = try String(contentsOfFile: "\(state)/audit.jsonl", encoding: .utf8)
        #expect(audit.hasSuffix("\n"))
        for line in audit.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "torn audit line: \(line)")
        }

        // The node restarted reads its proposal store and audit log back (a record torn in the
        // middle would not read), then the round goes on with room again.
        stopProcess(try #require(nodes.processIdentifiers[victim]))
        try disk.resize(kibibytes: 4096)
        let log = "\(scratch.path)/restarted.log"
        let restarted = try launchParley(["node", "--config", federation.configuration(of: victim)], log: log)
        defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGTERM) } }
        let listening = await offThePool {
            for _ in 0..<600 where !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("\"message\":\"listening\"") {
                usleep(50_000)
            }
            return ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("\"message\":\"listening\"")
        }
        try #require(listening, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let resumed = try await ParleyBinary.run(["round", "resume", run, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.output)")
        try expectReachedOptimum(run, of: "pds-02", federation: federation)
    }

    /// A node's log (stderr) that cannot be written, to a full disk or to a reader that went away,
    /// loses lines, not the node: both serve a round to its optimum. (Foundation's
    /// `FileHandle.write` traps on a failed write, and SIGPIPE would end the process.)
    @Test func aNodeWhoseLogCannotBeWrittenServesOn() async throws {
        let scratch = try Scratch("full-log")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let disk = try SmallDisk(path: "\(scratch.path)/logs", kibibytes: 16)
        defer { disk.unmount() }
        _ = FileManager.default.createFile(atPath: "\(disk.path)/filler", contents: Data(count: 16 * 1024))
        _ = FileManager.default.createFile(atPath: "\(disk.path)/node.log", contents: nil)

        var relaunched: [Process] = []
        defer { for process in relaunched where process.isRunning { kill(process.processIdentifier, SIGTERM) } }
        for (k, party) in federation.contract.partners.prefix(2).enumerated() {
            stopProcess(try #require(nodes.processIdentifiers[party.name]))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ParleyBinary.path)
            process.arguments = ["node", "--config", federation.configuration(of: party.name)]
            process.standardOutput = FileHandle.nullDevice
            if k == 0 {
                process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(disk.path)/node.log"))
            } else {
                let pipe = Pipe()
                process.standardError = pipe
                try pipe.fileHandleForReading.close()
            }
            try process.run()
            relaunched.append(process)
        }
        // The round waits for the two (up to its partner deadline) while they start.
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(round.status == 0, "\(round.output)")
        try expectReachedOptimum(run, of: "lands3", federation: federation)
        #expect(relaunched.allSatisfy { $0.isRunning }, "a relaunched node died")
        let written = try FileManager.default.attributesOfItem(atPath: "\(disk.path)/node.log")[.size] as? Int
        #expect(written == 0)
    }
}
