import Foundation
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `parley demo` as a user runs it: the whole federation comes up and goes away again (also when
/// the demo is stopped with SIGTERM), and its --out never deletes a directory it did not write.
@Suite(.serialized) struct DemoCommandTests {
    /// Process ids of the live processes whose command line contains `fragment` (nodes started
    /// for one demo carry its --out in their config path).
    static func processes(containing fragment: String) -> [pid_t] {
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard pid != own, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return line.contains(fragment)
        }
    }

    /// Waits up to `seconds` for no process to carry `fragment`; the ones still there.
    static func waitUntilGone(_ fragment: String, seconds: Double = 10) async throws -> [pid_t] {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if processes(containing: fragment).isEmpty { return [] }
            try await Task.sleep(for: .milliseconds(50))
        }
        return processes(containing: fragment)
    }

    /// The two-firm example end to end, twice into the same --out (an earlier demo's directory
    /// is replaced): each run negotiates the centralized optimum, draws its plot and leaves no
    /// node behind.
    @Test func twoFirmDemoReachesTheCentralOptimumAndStopsItsNodes() async throws {
        let scratch = try Scratch("demo")
        let out = "\(scratch.path)/two-firm"
        for attempt in 1...2 {
            let run = try await ParleyBinary.run(["demo", "--example", "two-firm", "--out", out])
            #expect(run.status == 0, "attempt \(attempt): \(run.output)")
            func value(_ label: String) -> Double? {
                run.output.split(separator: "\n").first { $0.hasPrefix(label) }
                    .flatMap { $0.dropFirst(label.count).split(separator: " ").first }.flatMap { Double($0) }
            }
            let negotiated = try #require(value("negotiated"), "\(run.output)")
            let centralized = try #require(value("centralized"), "\(run.output)")
            #expect(abs(negotiated - centralized) <= 1e-6 * max(1, abs(centralized)), "\(negotiated) vs \(centralized)")
            // A profit chain: DW's bound is an upper one, proven, and meets the optimum.
            let bound = try #require(value("bound"), "\(run.output)")
            #expect(bound >= centralized - 1e-9 * max(1, abs(centralized)) && bound <= centralized + 1e-6 * 18, "bound \(bound)")
            #expect(FileManager.default.fileExists(atPath: "\(out)/run/convergence.svg"))
            let left = try await Self.waitUntilGone("\(out)/federation/")
            #expect(left.isEmpty, "attempt \(attempt): nodes still running: \(left)")
        }
    }

    /// A directory the demo did not write is refused, before anything in it is touched.
    @Test func demoRefusesAnOutputDirectoryItDidNotWrite() async throws {
        let scratch = try Scratch("demo-out")
        let precious = "\(scratch.path)/precious"
        try FileManager.default.createDirectory(atPath: precious, withIntermediateDirectories: true)
        try "keep me\n".write(toFile: "\(precious)/notes.txt", atomically: true, encoding: .utf8)
        let run = try await ParleyBinary.run(["demo", "--example", "two-firm", "--out", precious])
        #expect(run.status != 0)
        #expect(
            run.output.contains("--out \(precious) exists and was not written by parley demo (no .parley-demo in it)"),
            "\(run.output)")
        #expect((try? String(contentsOfFile: "\(precious)/notes.txt", encoding: .utf8)) == "keep me\n")
    }

    /// SIGTERM while the round runs (pds-02 by ADMM: tens of seconds): the demo stops its nodes
    /// and exits with 128 + SIGTERM.
    @Test(.timeLimit(.minutes(2))) func sigtermStopsTheDemosNodes() async throws {
        let scratch = try Scratch("demo-term")
        let out = "\(scratch.path)/pds"
        let log = "\(scratch.path)/demo.log"
        let demo = try launchParley(["demo", "--method", "admm", "--out", out], log: log)
        defer {
            if demo.isRunning { kill(demo.processIdentifier, SIGKILL) }
            for pid in Self.processes(containing: "\(out)/federation/") { kill(pid, SIGKILL) }
        }
        // Once the nodes listen and the round has logged an iteration.
        let sent = await signal(SIGTERM, to: demo.processIdentifier, when: {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.contains("nodes listening") && loggedIterations("\(out)/run") >= 1
        })
        #expect(sent, "the demo never got its round going: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        try await waitForExit(demo, seconds: 30)
        #expect(!demo.isRunning)
        #expect(demo.terminationStatus == 128 + SIGTERM, "status \(demo.terminationStatus)")
        let left = try await Self.waitUntilGone("\(out)/federation/")
        #expect(left.isEmpty, "nodes still running after SIGTERM: \(left)")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("terminated: stopping the nodes"), "\(text)")
    }
}
