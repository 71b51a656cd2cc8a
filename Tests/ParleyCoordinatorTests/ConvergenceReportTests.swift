import Foundation
import ParleyCoordinator
import ParleyDecomposition
import ParleyModel
import Testing

/// `parley log show`: a run directory read back is the table the round printed live, one row
/// per iteration, and the summary it wrote; bad files are named by file and line.
@Suite struct ConvergenceReportTests {
    @Test func dantzigWolfeRunReadsBackAsTheLiveTable() async throws {
        let run = try await SampleRun.make(.dw)
        defer { run.remove() }
        #expect(run.result.status == .optimal)
        let report = try ConvergenceReport.load(runDirectory: run.runDirectory)

        #expect(report.method == .dw)
        #expect(report.records.count == run.result.iterations)
        #expect(report.records.map(\.iteration) == Array(1...run.result.iterations))
        // The file holds exactly what the round observed.
        #expect(report.records == run.result.history.map { ConvergenceRecord($0, method: .dw) })

        let summary = try #require(report.summary)
        #expect(summary.status == "optimal")
        #expect(summary.method == "dw")
        #expect(summary.iterations == report.records.count)
        #expect(summary.objective == run.result.objective)
        #expect(summary.bound == run.result.bound)
        #expect(summary.gap == run.result.gap)
        #expect(summary.partners == ["p01", "p02", "p03"])
        #expect(report.records.last?.objective == run.result.objective)

        // Header and one row per iteration, the very lines the round printed, then the summary.
        let lines = report.lines
        #expect(Array(lines.prefix(run.printed.count)) == run.printed)
        #expect(run.printed.count == 1 + run.result.iterations)
        #expect(lines[0].hasPrefix("  iter  phase            objective                bound        gap"))
        let rest = Array(lines.dropFirst(run.printed.count))
        #expect(rest.first == "")
        #expect(rest.contains("status      optimal: \(run.result.message)"))
        #expect(rest.contains("objective   " + String(format: "%.12g", run.result.objective!)))
        #expect(rest.contains("gap         " + String(format: "%.2e", run.result.gap!)))
        #expect(rest.contains("iterations  \(run.result.iterations) in " + String(format: "%.3f", run.result.seconds) + " s"))
        #expect(rest.contains("partners    p01, p02, p03"))
        // Then the linking rows' prices, as linking.csv has them.
        let prices = try #require(run.result.linkingPrices)
        #expect(report.prices?.map(\.price) == prices)
        let priced = prices.filter { $0 != 0 }.count
        #expect(priced > 0)
        #expect(rest.last?.hasPrefix("prices      \(priced) of \(prices.count) linking rows priced; largest ") == true, "\(rest.last ?? "")")
        #expect(rest.last?.hasSuffix(" (\(run.runDirectory)/linking.csv)") == true)

        // A linking table that is not one is named by file and line.
        let path = ConvergenceReport.linkingPath(runDirectory: run.runDirectory)
        try "row,lower,upper,activity,price\nR1,,4,4,-2\nR2,,4,3,cheap\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ModelFileError(file: path, line: 3, message: "price 'cheap' is not a number")) {
            try ConvergenceReport.load(runDirectory: run.runDirectory)
        }
        // Following the finished run prints the table and summary, and says so on its last line.
        var followed: [String] = []
        try await ConvergenceReport.follow(runDirectory: run.runDirectory) { followed.append($0) }
        #expect(followed.last == "prices      unreadable: \(path):3: price 'cheap' is not a number")
    }

    @Test func admmRunHasResidualColumns() async throws {
        let run = try await SampleRun.make(.admm, maximumIterations: 40)
        defer { run.remove() }
        let report = try ConvergenceReport.load(runDirectory: run.runDirectory)
        #expect(report.method == .admm)
        #expect(report.records.count == run.result.iterations)
        #expect(report.records.allSatisfy { $0.primalResidual != nil && $0.dualResidual != nil && $0.rho != nil })
        #expect(report.summary?.status == run.result.status.rawValue)
        let lines = report.lines
        #expect(lines[0].hasPrefix("  iter            objective  primal res    dual res        rho"))
        #expect(Array(lines.prefix(run.printed.count)) == run.printed)
        let last = try #require(report.records.last)
        #expect(lines[report.records.count].contains(String(format: "%.2e", last.primalResidual!)))
    }

    @Test func aReusedRunDirectoryIsNotTakenForFinished() async throws {
        // Without a fresh start, a follower would stop at the old summary at once.
        let run = try await SampleRun.make(.dw, staleSummary: true)
        defer { run.remove() }
        #expect(!run.summaryWhileRunning)
        #expect(try ConvergenceReport.load(runDirectory: run.runDirectory).summary?.iterations == run.result.iterations)
    }

    @Test func missingDirectoryAndLogAreNamed() throws {
        #expect(throws: ModelFileError(file: "/nonexistent/run", line: nil, message: "no such run directory")) {
            try ConvergenceReport.load(runDirectory: "/nonexistent/run")
        }
        let empty = NSTemporaryDirectory() + "parley-log-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(
            throws: ModelFileError(
                file: "\(empty)/convergence.jsonl", line: nil, message: "no convergence log in this run directory")
        ) {
            try ConvergenceReport.load(runDirectory: empty)
        }
    }

    @Test func malformedLineIsNamedByFileAndLine() throws {
        let good = #"{"iteration": 1, "seconds": 0.1, "objective": 5, "bound": 1, "gap": 0.8}"#
        let run = try SampleRun.directory(log: good + "\n\n" + #"{"iteration": 3, "objective": oops}"# + "\n")
        defer { try? FileManager.default.removeItem(atPath: run) }
        #expect(throws: ModelFileError(file: "\(run)/convergence.jsonl", line: 3, message: #"not a JSON object: {"iteration": 3, "objective": oops}"#)) {
            try ConvergenceReport.load(runDirectory: run)
        }

        // In a finished run (a summary beside the log), a last line without its newline that
        // does not read was cut short, and is called so.
        let cut = try SampleRun.directory(log: good + "\n" + #"{"iteration": 2, "seconds": 0."#)
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try #"{"status": "optimal"}"#.write(toFile: ConvergenceReport.summaryPath(runDirectory: cut), atomically: true, encoding: .utf8)
        #expect(
            throws: ModelFileError(
                file: "\(cut)/convergence.jsonl", line: 2,
                message: "the last line is cut short (no newline ends it: written only in part, as when the disk fills): "
                    + #"not a JSON object: {"iteration": 2, "seconds": 0."#)
        ) {
            try ConvergenceReport.load(runDirectory: cut)
        }

        let typed = try SampleRun.directory(log: good + "\n" + #"{"iteration": 2, "gap": "small"}"# + "\n")
        defer { try? FileManager.default.removeItem(atPath: typed) }
        #expect(throws: ModelFileError(file: "\(typed)/convergence.jsonl", line: 2, message: #""gap" is not a number"#)) {
            try ConvergenceReport.load(runDirectory: typed)
        }

        let unnumbered = try SampleRun.directory(log: #"{"seconds": 1}"# + "\n")
        defer { try? FileManager.default.removeItem(atPath: unnumbered) }
        #expect(throws: ModelFileError(file: "\(unnumbered)/convergence.jsonl", line: 1, message: #"no "iteration" number"#)) {
            try ConvergenceReport.load(runDirectory: unnumbered)
        }
    }

    @Test func unknownKeysNullsAndTrafficAreTolerated() throws {
        let log = """
            {"iteration": 1, "seconds": 0.5, "objective": null, "primal_residual": 2.5, "dual_residual": 0.125, "rho": 1, "slowest_partner": "acme", "bytes_sent": 4100, "bytes_received": 812, "future_key": [1, 2]}
            {"iteration": 2, "seconds": 0.75, "objective": -12.5, "primal_residual": null, "dual_residual": 0.0625, "rho": 2, "bytes_sent": 1234567}

            """
        let run = try SampleRun.directory(log: log)
        defer { try? FileManager.default.removeItem(atPath: run) }
        let report = try ConvergenceReport.load(runDirectory: run)
        #expect(report.method == .admm)
        // A row naming no method's keys still makes a table (with DW's columns).
        let bare = try SampleRun.directory(log: #"{"iteration": 1, "seconds": 2}"# + "\n")
        defer { try? FileManager.default.removeItem(atPath: bare) }
        #expect(try ConvergenceReport.load(runDirectory: bare).lines.last?.hasPrefix("     1      -") == true)
        #expect(report.summary == nil)
        #expect(report.records.count == 2)
        #expect(report.records[0].objective == nil)
        #expect(report.records[0].bytesSent == 4100)
        #expect(report.records[1].bytesReceived == nil)
        #expect(
            report.lines == [
                "  iter            objective  primal res    dual res        rho    slowest    time s       sent   received",
                "     1                    -    2.50e+00    1.25e-01          1       acme     0.500     4.1 kB      812 B",
                "     2                -12.5           -    6.25e-02          2          -     0.750    1.23 MB          -",
            ])
    }

    @Test func halfWrittenLastLineWaitsUntilTheRoundEnds() throws {
        let whole = #"{"iteration": 1, "seconds": 0.1, "objective": 5, "bound": 1, "gap": 0.8, "phase": 2}"#
        let run = try SampleRun.directory(log: whole + "\n" + #"{"iteration": 2, "seconds": 0.2, "obj"#)
        defer { try? FileManager.default.removeItem(atPath: run) }
        // Still running: the half line is the round's next row in the making.
        #expect(try ConvergenceReport.load(runDirectory: run).records.map(\.iteration) == [1])
        #expect(try ConvergenceReport.load(runDirectory: run).lines.last?.hasPrefix("     1      2") == true)
        // Ended: the log is complete, and a torn last line is an error.
        try #"{"method": "dw", "status": "time_limit", "iterations": 2}"#.write(toFile: "\(run)/summary.json", atomically: true, encoding: .utf8)
        #expect(throws: ModelFileError.self) { try ConvergenceReport.load(runDirectory: run) }
        try (whole + "\n" + #"{"iteration": 2, "seconds": 0.2, "objective": 4}"#).write(
            toFile: "\(run)/convergence.jsonl", atomically: true, encoding: .utf8)
        let report = try ConvergenceReport.load(runDirectory: run)
        #expect(report.records.map(\.iteration) == [1, 2])
        #expect(report.lines.suffix(2) == ["status      time_limit", "iterations  2"])
    }

    @Test func readerGivesTheSameRecordsByteAtATime() throws {
        let text = """
            {"iteration": 1, "seconds": 0.1, "objective": 5, "bound": 1, "gap": 0.8, "slowest_partner": "p\\u00e9"}
            {"iteration": 2, "seconds": 0.2, "objective": 4.5, "bound": 4.25, "gap": 0.0555, "columns": 7}

            """
        var whole = ConvergenceLogReader(path: "x")
        let expected = try whole.consume(Array(text.utf8))
        #expect(expected.count == 2)
        #expect(expected[0].slowestPartner == "pé")
        var pieces = ConvergenceLogReader(path: "x")
        var got: [ConvergenceRecord] = []
        for byte in text.utf8 {
            got += try pieces.consume([byte])
        }
        #expect(got == expected)
        #expect(!pieces.hasPartialLine)
    }

    @Test(.timeLimit(.minutes(1))) func followSeesRowsArriveAndEndsWithTheSummary() async throws {
        let run = try SampleRun.directory(log: "")
        defer { try? FileManager.default.removeItem(atPath: run) }
        let log = try #require(FileHandle(forWritingAtPath: "\(run)/convergence.jsonl"))
        defer { try? log.close() }
        func append(_ text: String) { log.write(Data(text.utf8)) }

        // The printed form, followed in a second task, to compare with `show` at the end.
        let printed = Task {
            var lines: [String] = []
            try await ConvergenceReport.follow(runDirectory: run, pollInterval: .milliseconds(10)) { lines.append($0) }
            return lines
        }
        var events = ConvergenceReport.events(runDirectory: run, pollInterval: .milliseconds(10)).makeAsyncIterator()

        append(#"{"iteration": 1, "seconds": 0.1, "objective": 9, "bound": 1, "gap": 0.9, "phase": 1}"# + "\n")
        #expect(try await events.next() == .record(Self.record(1, seconds: 0.1, objective: 9, bound: 1, gap: 0.9, phase: 1)))

        // A row written in two pieces arrives once, whole.
        append(#"{"iteration": 2, "seconds": 0.2, "objective": 5,"#)
        try await Task.sleep(for: .milliseconds(50))
        append(#" "bound": 4, "gap": 0.2, "phase": 2}"# + "\n")
        #expect(try await events.next() == .record(Self.record(2, seconds: 0.2, objective: 5, bound: 4, gap: 0.2, phase: 2)))

        append(#"{"iteration": 3, "seconds": 0.3, "objective": 5, "bound": 5, "gap": 0, "phase": 2}"# + "\n")
        #expect(try await events.next() == .record(Self.record(3, seconds: 0.3, objective: 5, bound: 5, gap: 0, phase: 2)))
        try log.synchronize()
        try #"{"method": "dw", "status": "optimal", "objective": 5, "iterations": 3, "message": "done"}"#.write(
            toFile: "\(run)/summary.json", atomically: true, encoding: .utf8)

        var summary = ConvergenceSummary(method: "dw", status: "optimal")
        summary.objective = 5
        summary.iterations = 3
        summary.message = "done"
        #expect(try await events.next() == .summary(summary))
        #expect(try await events.next() == nil)

        #expect(try await printed.value == ConvergenceReport.load(runDirectory: run).lines)
    }

    @Test(.timeLimit(.minutes(1))) func followStopsWhenANewRoundRewritesTheLog() async throws {
        let first = #"{"iteration": 1, "seconds": 0.1, "objective": 9, "bound": 1, "gap": 0.9, "phase": 1}"#
        let run = try SampleRun.directory(log: first + "\n" + first.replacingOccurrences(of: ": 1,", with: ": 2,") + "\n")
        defer { try? FileManager.default.removeItem(atPath: run) }
        var events = ConvergenceReport.events(runDirectory: run, pollInterval: .milliseconds(10)).makeAsyncIterator()
        #expect(try await events.next() == .record(Self.record(1, seconds: 0.1, objective: 9, bound: 1, gap: 0.9, phase: 1)))
        #expect(try await events.next() != nil)
        try (first + "\n").write(toFile: "\(run)/convergence.jsonl", atomically: false, encoding: .utf8)
        await #expect(
            throws: ModelFileError(
                file: "\(run)/convergence.jsonl", line: nil, message: "the log was rewritten (a new round started here)")
        ) {
            _ = try await events.next()
        }
    }

    /// `log show --follow` started before the round: it waits for the run directory and its
    /// log, says so once, then prints the table as `show` does.
    @Test(.timeLimit(.minutes(1))) func followStartedBeforeTheRoundWaitsForIt() async throws {
        let parent = NSTemporaryDirectory() + "parley-follow-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let run = "\(parent)/run"
        final class Seen: @unchecked Sendable {
            // @unchecked: touched by the follower's task only, read after it ends.
            var waiting: [String] = []
            var lines: [String] = []
        }
        let seen = Seen()
        let follower = Task {
            try await ConvergenceReport.follow(
                runDirectory: run, pollInterval: .milliseconds(10), waitForStart: true,
                waiting: { seen.waiting.append($0) }, output: { seen.lines.append($0) })
        }
        try await Task.sleep(for: .milliseconds(100))
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: false)
        try await Task.sleep(for: .milliseconds(50))
        try (#"{"iteration": 1, "seconds": 0.1, "objective": 9, "bound": 1, "gap": 0.9, "phase": 1}"# + "\n").write(
            toFile: "\(run)/convergence.jsonl", atomically: false, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(50))
        try #"{"method": "dw", "status": "optimal", "objective": 9, "iterations": 1, "message": "done"}"#.write(
            toFile: "\(run)/summary.json", atomically: true, encoding: .utf8)
        try await follower.value
        #expect(seen.waiting == ["\(run)/convergence.jsonl"])
        #expect(seen.lines == (try ConvergenceReport.load(runDirectory: run).lines))
    }

    /// Waiting is for a round yet to start, not for a mistyped path: a run directory whose parent
    /// does not exist is an error at once.
    @Test func followWaitingStillNamesAMissingParent() async throws {
        await #expect(throws: ModelFileError(file: "/nonexistent/run", line: nil, message: "no such run directory")) {
            try await ConvergenceReport.follow(runDirectory: "/nonexistent/run", waitForStart: true) { _ in }
        }
    }

    @Test func followNamesAMissingRunDirectory() async throws {
        var events = ConvergenceReport.events(runDirectory: "/nonexistent/run").makeAsyncIterator()
        await #expect(throws: ModelFileError(file: "/nonexistent/run", line: nil, message: "no such run directory")) {
            _ = try await events.next()
        }
    }

    static func record(_ iteration: Int, seconds: Double, objective: Double, bound: Double, gap: Double, phase: Int) -> ConvergenceRecord {
        var r = ConvergenceRecord(iteration: iteration, method: .dw)
        r.seconds = seconds
        r.objective = objective
        r.bound = bound
        r.gap = gap
        r.phase = phase
        return r
    }
}
