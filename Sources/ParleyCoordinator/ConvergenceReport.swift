import Foundation
import ParleyModel

/// A run directory read back: the rows of `convergence.jsonl` and, once the round has ended,
/// its `summary.json`. What `parley log show` prints and `parley log plot` draws.
public struct ConvergenceReport: Sendable {
    /// The run directory, as given.
    public var runDirectory: String
    /// The log's rows, in file order.
    public var records: [ConvergenceRecord]
    /// Nil while the round is still running (the summary is written last).
    public var summary: ConvergenceSummary?

    /// A report from parts already read (`load` reads them from the run directory).
    public init(runDirectory: String, records: [ConvergenceRecord], summary: ConvergenceSummary?) {
        self.runDirectory = runDirectory
        self.records = records
        self.summary = summary
    }

    /// `RUN/convergence.jsonl`.
    public static func logPath(runDirectory: String) -> String { "\(runDirectory)/convergence.jsonl" }
    /// `RUN/summary.json`.
    public static func summaryPath(runDirectory: String) -> String { "\(runDirectory)/summary.json" }

    /// Reads a run directory, finished or still running. A last log line without its newline
    /// belongs to a running round that is writing it and is left out; once the summary exists
    /// the log is complete and such a line is read (and must be whole).
    public static func load(runDirectory: String) throws(ModelFileError) -> ConvergenceReport {
        try checkRunDirectory(runDirectory)
        let logPath = logPath(runDirectory: runDirectory)
        let summaryPath = summaryPath(runDirectory: runDirectory)
        // The summary first: if it exists, the log was complete before it was written.
        let finished = FileManager.default.fileExists(atPath: summaryPath)
        guard let bytes = FileManager.default.contents(atPath: logPath) else {
            throw ModelFileError(file: logPath, line: nil, message: "cannot read the file")
        }
        var reader = ConvergenceLogReader(path: logPath)
        var records = try reader.consume(bytes)
        let summary: ConvergenceSummary?
        if finished {
            records += try reader.finish()
            summary = try ConvergenceSummary.load(path: summaryPath)
        } else {
            summary = nil
        }
        return ConvergenceReport(runDirectory: runDirectory, records: records, summary: summary)
    }

    /// Fails, naming the path, unless `runDirectory` is a directory holding a convergence log.
    static func checkRunDirectory(_ runDirectory: String) throws(ModelFileError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelFileError(file: runDirectory, line: nil, message: "no such run directory")
        }
        let logPath = logPath(runDirectory: runDirectory)
        guard FileManager.default.fileExists(atPath: logPath) else {
            throw ModelFileError(file: logPath, line: nil, message: "no convergence log in this run directory")
        }
    }

    /// The round's method: the summary's, else the one the log's keys show, else nil (no rows yet).
    public var method: RoundMethod? {
        if let name = summary?.method, let method = RoundMethod(rawValue: name) { return method }
        return records.lazy.compactMap(\.method).first
    }

    /// Whether any row carries traffic counters (networked rounds).
    public var hasTraffic: Bool { records.contains(where: \.hasTraffic) }

    /// What `parley log show` prints: the table the round printed live, then the summary.
    public var lines: [String] {
        var lines: [String] = []
        if !records.isEmpty {
            // Rows that name no method's keys get DW's columns, as `follow` gives them.
            let method = (method ?? .dw).rawValue
            lines.append(ConvergenceLog.header(method: method, traffic: hasTraffic))
            for record in records {
                lines.append(ConvergenceLog.row(record, method: method, traffic: hasTraffic))
            }
        } else {
            lines.append("no iterations yet in \(Self.logPath(runDirectory: runDirectory))")
        }
        if let summary {
            lines.append("")
            lines += summary.lines
        }
        return lines
    }
}
