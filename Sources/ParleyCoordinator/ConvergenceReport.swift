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
    /// The linking rows' prices from `RUN/linking.csv` (nil before plans are handed out; a nil
    /// price where the round has none).
    public var prices: [(row: String, price: Double?)]?

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
        var report = ConvergenceReport(runDirectory: runDirectory, records: records, summary: summary)
        if finished { report.prices = try linkingPrices(path: linkingPath(runDirectory: runDirectory)) }
        return report
    }

    /// `RUN/linking.csv`.
    public static func linkingPath(runDirectory: String) -> String { "\(runDirectory)/linking.csv" }

    /// Each row's name and price from a `linking.csv` (nil when there is none), naming the file
    /// and line of anything unreadable. Names may be quoted (`CSVText`); the four numeric fields are the last.
    static func linkingPrices(path: String) throws(ModelFileError) -> [(row: String, price: Double?)]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var rows: [(row: String, price: Double?)] = []
        for (k, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            if k == 0 {
                guard line == "row,lower,upper,activity,price" else {
                    throw ModelFileError(file: path, line: 1, message: "not a linking table (header '\(line)')")
                }
                continue
            }
            guard let (name, fields) = CSVText.split(line, trailing: 4) else {
                throw ModelFileError(file: path, line: k + 1, message: "expected a row name and 4 fields")
            }
            let price = fields[3]
            guard price.isEmpty || Double(price) != nil else {
                throw ModelFileError(file: path, line: k + 1, message: "price '\(price)' is not a number")
            }
            rows.append((name, Double(price)))
        }
        return rows
    }

    /// One line on the linking rows' prices: how many are priced, and the largest.
    public var pricesLine: String? { prices.map { Self.pricesLine($0, runDirectory: runDirectory) } }

    /// The prices line of a run directory's `linking.csv` (nil without one), as `log show` ends.
    public static func pricesLine(runDirectory: String) throws(ModelFileError) -> String? {
        try linkingPrices(path: linkingPath(runDirectory: runDirectory)).map { pricesLine($0, runDirectory: runDirectory) }
    }

    static func pricesLine(_ prices: [(row: String, price: Double?)], runDirectory: String) -> String {
        let priced = prices.compactMap { p in p.price.flatMap { $0 != 0 ? (p.row, $0) : nil } }
        let path = linkingPath(runDirectory: runDirectory)
        guard prices.contains(where: { $0.price != nil }) else {
            return "prices      none proven (a round stopped short); the rows' activities are in \(path)"
        }
        let largest = priced.sorted { abs($0.1) > abs($1.1) }.prefix(3).map { "\($0.0) \(ConvergenceLog.objectiveText($0.1))" }
        return "prices      \(priced.count) of \(prices.count) linking rows priced"
            + (largest.isEmpty ? "" : "; largest \(largest.joined(separator: ", "))\(priced.count > 3 ? ", …" : "")") + " (\(path))"
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
            if let pricesLine { lines.append(pricesLine) }
        }
        return lines
    }
}
