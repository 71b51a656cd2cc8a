import Foundation
import ParleyModel

/// What following a running round yields: each new row, then the summary, which ends it.
public enum ConvergenceEvent: Sendable, Equatable {
    /// A row of the log, once its newline has been written.
    case record(ConvergenceRecord)
    /// The summary: the round is over and no row follows.
    case summary(ConvergenceSummary)
}

extension ConvergenceReport {
    /// How often `follow` looks at the log for new rows.
    public static let defaultPollInterval = Duration.milliseconds(200)

    /// Follows a run directory as the round writes it: every row already in the log, then each
    /// new one as it is appended, then the summary when `summary.json` appears, which ends the
    /// stream. Cancelling the consuming task stops it.
    ///
    /// The log is polled rather than watched: it is appended a line at a time, a few lines a
    /// second at most, and polling works the same on every file system and platform. A line is
    /// read once its newline has arrived. The run directory and its log must exist when
    /// following starts (the error names the missing path).
    public static func events(
        runDirectory: String, pollInterval: Duration = defaultPollInterval
    ) -> AsyncThrowingStream<ConvergenceEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await poll(runDirectory: runDirectory, pollInterval: pollInterval) {
                        continuation.yield($0)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// `parley log show --follow`: prints the table as `show` does, a line at a time as rows
    /// arrive (the header with the first row, when the method is known), then the summary.
    ///
    /// With `waitForStart`, a run directory or log that does not exist yet is waited for (the
    /// round creates both when it starts), and `waiting` hears the log's path once; a run
    /// directory whose parent does not exist either is an error at once, as a mistyped path.
    public static func follow(
        runDirectory: String, pollInterval: Duration = defaultPollInterval, waitForStart: Bool = false,
        waiting: (String) -> Void = { _ in }, output: (String) -> Void
    ) async throws {
        if waitForStart { try await waitForLog(runDirectory: runDirectory, pollInterval: pollInterval, waiting: waiting) }
        var columns: (method: String, traffic: Bool)?
        try await poll(runDirectory: runDirectory, pollInterval: pollInterval) { event in
            switch event {
            case .record(let record):
                if columns == nil {
                    columns = ((record.method ?? .dw).rawValue, record.hasTraffic)
                    output(ConvergenceLog.header(method: columns!.method, traffic: columns!.traffic))
                }
                output(ConvergenceLog.row(record, method: columns!.method, traffic: columns!.traffic))
            case .summary(let summary):
                if columns == nil { output("no iterations in \(logPath(runDirectory: runDirectory))") }
                output("")
                summary.lines.forEach(output)
                // Written before the summary, so there by now when the round handed out plans.
                do {
                    if let line = try pricesLine(runDirectory: runDirectory) { output(line) }
                } catch {
                    output("prices      unreadable: \(error)")
                }
            }
        }
    }

    /// Waits until the run directory holds its log, or a summary without one (a round that
    /// ended before its first iteration: `poll` then names the missing log).
    static func waitForLog(runDirectory: String, pollInterval: Duration, waiting: (String) -> Void) async throws {
        let logPath = logPath(runDirectory: runDirectory)
        let parent = (runDirectory as NSString).deletingLastPathComponent
        var announced = false
        while !FileManager.default.fileExists(atPath: logPath) && !FileManager.default.fileExists(atPath: summaryPath(runDirectory: runDirectory)) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ModelFileError(file: runDirectory, line: nil, message: "no such run directory")
            }
            if !announced {
                waiting(logPath)
                announced = true
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// The polling loop behind `events` and `follow`.
    static func poll(
        runDirectory: String, pollInterval: Duration, handle event: (ConvergenceEvent) -> Void
    ) async throws {
        try checkRunDirectory(runDirectory)
        let logPath = logPath(runDirectory: runDirectory)
        let summaryPath = summaryPath(runDirectory: runDirectory)
        guard let file = FileHandle(forReadingAtPath: logPath) else {
            throw ModelFileError(file: logPath, line: nil, message: "cannot read the file")
        }
        defer { try? file.close() }
        var reader = ConvergenceLogReader(path: logPath)
        var offset: UInt64 = 0
        while true {
            // Look for the summary before reading: once it exists, the log is complete.
            let finished = FileManager.default.fileExists(atPath: summaryPath)
            let bytes: Data
            do {
                // A log shorter than what was read has been started afresh by a new round in
                // this directory: its rows would not continue the ones printed.
                guard try file.seekToEnd() >= offset else {
                    throw ModelFileError(file: logPath, line: nil, message: "the log was rewritten (a new round started here)")
                }
                try file.seek(toOffset: offset)
                bytes = try file.readToEnd() ?? Data()
            } catch let error as ModelFileError {
                throw error
            } catch {
                throw ModelFileError(file: logPath, line: nil, message: "cannot read the file")
            }
            offset += UInt64(bytes.count)
            for record in try reader.consume(bytes) { event(.record(record)) }
            if finished {
                for record in try reader.finish() { event(.record(record)) }
                event(.summary(try ConvergenceSummary.load(path: summaryPath)))
                return
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}
