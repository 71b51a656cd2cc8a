import Foundation
import ParleyDecomposition
import ParleyModel

/// The convergence log of a round: one JSON object per iteration in `convergence.jsonl`
/// (appended and flushed as the round goes, so `parley log show --follow` can tail it), and one
/// aligned row per iteration for the terminal.
public final class ConvergenceLog: @unchecked Sendable {
    // @unchecked: the file handle and counters are only touched under `lock`.
    private let lock = NSLock()
    private let handle: FileHandle?
    public let method: String

    /// Opens (truncates) `path` for the log, or keeps no file when `path` is nil.
    public init(path: String?, method: String) throws(ModelFileError) {
        self.method = method
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let handle = FileHandle(forWritingAtPath: path)
            else {
                throw ModelFileError(file: path, line: nil, message: "cannot create the convergence log")
            }
            self.handle = handle
        } else {
            self.handle = nil
        }
    }

    deinit {
        try? handle?.close()
    }

    /// The JSON Lines form of one record.
    public static func jsonLine(_ r: IterationRecord, method: String) -> String {
        var fields: [(String, String)] = [
            ("iteration", "\(r.iteration)"),
            ("seconds", JSONText.number(r.seconds)),
            ("objective", JSONText.number(r.objective)),
        ]
        if method == "dw" {
            fields += [
                ("bound", JSONText.number(r.bound)),
                ("gap", JSONText.number(r.gap)),
                ("phase", "\(r.phase)"),
                ("columns", r.columns.map(String.init) ?? "null"),
                ("added", r.added.map(String.init) ?? "null"),
                ("alpha", JSONText.number(r.alpha)),
            ]
        } else {
            fields += [
                ("primal_residual", JSONText.number(r.primalResidual)),
                ("dual_residual", JSONText.number(r.dualResidual)),
                ("rho", JSONText.number(r.rho)),
            ]
        }
        fields += [
            ("slowest_partner", JSONText.string(r.slowestPartner)),
            ("slowest_seconds", JSONText.number(r.slowestSeconds)),
        ]
        return JSONText.object(fields)
    }

    /// Appends a record to the file (flushed to the kernel at once).
    /// Appends `record`, with `extra` fields (already JSON values) at the end of its line.
    public func append(_ record: IterationRecord, extra: [(String, String)] = []) {
        guard let handle else { return }
        var line = Self.jsonLine(record, method: method)
        if !extra.isEmpty {
            line.removeLast()  // the closing brace
            line += ", " + extra.map { "\(JSONText.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        line += "\n"
        lock.withLock { handle.write(Data(line.utf8)) }
    }

    /// Makes the log durable (end of round).
    public func sync() {
        lock.withLock { try? handle?.synchronize() }
    }

    // MARK: Terminal table

    public static func header(method: String) -> String {
        if method == "dw" {
            return pad(["iter", "phase", "objective", "bound", "gap", "columns", "added", "alpha", "slowest", "time s"])
        }
        return pad(["iter", "objective", "primal res", "dual res", "rho", "slowest", "time s"])
    }

    public static func row(_ r: IterationRecord, method: String) -> String {
        func g(_ x: Double?, _ digits: Int = 10) -> String {
            guard let x, x.isFinite else { return "-" }
            return String(format: "%.\(digits)g", x)
        }
        if method == "dw" {
            return pad([
                "\(r.iteration)", "\(r.phase)", g(r.objective, 12), g(r.bound, 12), g(r.gap, 3),
                r.columns.map(String.init) ?? "-", r.added.map(String.init) ?? "-", g(r.alpha, 2),
                r.slowestPartner ?? "-", String(format: "%.3f", r.seconds),
            ])
        }
        return pad([
            "\(r.iteration)", g(r.objective, 12), g(r.primalResidual, 3), g(r.dualResidual, 3), g(r.rho, 3),
            r.slowestPartner ?? "-", String(format: "%.3f", r.seconds),
        ])
    }

    static let widths = [6, 6, 20, 20, 10, 8, 6, 6, 10, 9]

    static func pad(_ cells: [String]) -> String {
        let widths = cells.count == 10 ? Self.widths : [6, 20, 11, 11, 10, 10, 9]
        return zip(cells, widths).map { cell, w in
            cell.count >= w ? cell + " " : String(repeating: " ", count: w - cell.count) + cell
        }.joined(separator: " ")
    }
}
