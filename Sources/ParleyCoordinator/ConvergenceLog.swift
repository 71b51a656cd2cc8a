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
    private let path: String?
    /// Bytes the disk did not take yet (full): written before the next line, so that the log
    /// is whole again once there is room.
    private var unwritten: [UInt8] = []
    private let warned = WarnOnce()
    public let method: String

    /// Opens (truncates, or with `append` continues) `path` for the log, or keeps no file when
    /// `path` is nil.
    public init(path: String?, method: String, append: Bool = false) throws(ModelFileError) {
        self.method = method
        self.path = path
        if let path {
            let exists = append && FileManager.default.fileExists(atPath: path)
            guard exists || FileManager.default.createFile(atPath: path, contents: nil),
                let handle = FileHandle(forWritingAtPath: path)
            else {
                throw ModelFileError(file: path, line: nil, message: "cannot create the convergence log")
            }
            if exists { _ = try? handle.seekToEnd() }
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
                ("retired", r.retired.map(String.init) ?? "null"),
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

    /// Appends `record`, with `extra` fields (already JSON values) at the end of its line, handed
    /// to the kernel at once. A write the disk refuses (full) does not stop the round: it says so
    /// once on stderr and keeps the bytes for the next append or `sync`.
    public func append(_ record: IterationRecord, extra: [(String, String)] = []) {
        guard handle != nil else { return }
        var line = Self.jsonLine(record, method: method)
        if !extra.isEmpty {
            line.removeLast()  // the closing brace
            line += ", " + extra.map { "\(JSONText.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        line += "\n"
        lock.withLock {
            unwritten += line.utf8
            writeUnwritten()
        }
    }

    /// Makes the log durable (end of round); false if part of it could not be written.
    @discardableResult
    public func sync() -> Bool {
        lock.withLock {
            writeUnwritten()
            try? handle?.synchronize()
            return unwritten.isEmpty
        }
    }

    /// Writes what is waiting, as much as the disk takes. Called under `lock`.
    private func writeUnwritten() {
        guard let handle else { return }
        while !unwritten.isEmpty {
            let written = unwritten.withUnsafeBytes { write(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                unwritten.removeFirst(written)
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                let reason = written < 0 ? String(cString: strerror(errno)) : "nothing written"
                warned.say(
                    "warning: cannot append to \(path ?? "the convergence log") (\(reason)); the round goes on, and the lines "
                        + "are written when there is room")
                return
            }
        }
    }

    // MARK: Terminal table

    /// The table's header line for a round of `method` (`dw`, anything else is ADMM); `traffic`
    /// adds the bytes sent and received columns of networked rounds.
    public static func header(method: String, traffic: Bool = false) -> String {
        pad(columns(method: method, traffic: traffic).map { ($0.title, $0.width) })
    }

    /// The table row for a record as a round hands it to its observers.
    public static func row(_ r: IterationRecord, method: String) -> String {
        row(ConvergenceRecord(r, method: method == "dw" ? .dw : .admm), method: method)
    }

    /// The table row for a record read back from `convergence.jsonl`: the same row the round
    /// printed live, so `parley log show` and the round's own output look alike. Absent and
    /// null values show as `-`.
    public static func row(_ r: ConvergenceRecord, method: String, traffic: Bool = false) -> String {
        pad(columns(method: method, traffic: traffic).map { ($0.value(r), $0.width) })
    }

    /// Objectives and bounds: twelve significant digits show a gap of 1e-9 and keep
    /// 28857862377.4 out of exponent form.
    static let objectiveFormat = "%.12g"
    /// Gaps, residuals and violations: their size is what matters.
    static let smallFormat = "%.2e"
    static let secondsFormat = "%.3f"

    /// An objective or bound, a gap or residual, and seconds, as the table shows them.
    static func objectiveText(_ value: Double?) -> String { format(value, objectiveFormat) }
    static func smallText(_ value: Double?) -> String { format(value, smallFormat) }
    static func secondsText(_ value: Double?) -> String { format(value, secondsFormat) }

    /// A column: its title, its width (right-aligned) and how a record fills it.
    struct Column {
        var title: String
        var width: Int
        var value: (ConvergenceRecord) -> String

        /// A number in a printf format.
        static func number(_ title: String, _ width: Int, _ format: String, _ key: KeyPath<ConvergenceRecord, Double?>) -> Column {
            Column(title: title, width: width) { ConvergenceLog.format($0[keyPath: key], format) }
        }

        static func integer(_ title: String, _ width: Int, _ key: KeyPath<ConvergenceRecord, Int?>) -> Column {
            Column(title: title, width: width) { $0[keyPath: key].map(String.init) ?? "-" }
        }
    }

    static func columns(method: String, traffic: Bool) -> [Column] {
        let iteration = Column(title: "iter", width: 6) { String($0.iteration) }
        let objective = Column.number("objective", 20, objectiveFormat, \.objective)
        let slowest = Column(title: "slowest", width: 10) { $0.slowestPartner ?? "-" }
        let time = Column.number("time s", 9, secondsFormat, \.seconds)
        var columns: [Column]
        if method == "dw" {
            columns = [
                iteration, .integer("phase", 6, \.phase), objective, .number("bound", 20, objectiveFormat, \.bound),
                .number("gap", 10, smallFormat, \.gap), .integer("columns", 8, \.columns), .integer("added", 6, \.added),
                .number("alpha", 6, "%.2g", \.alpha), slowest, time,
            ]
        } else {
            columns = [
                iteration, objective, .number("primal res", 11, smallFormat, \.primalResidual),
                .number("dual res", 11, smallFormat, \.dualResidual), .number("rho", 10, "%.3g", \.rho), slowest, time,
            ]
        }
        if traffic {
            columns.append(Column(title: "sent", width: 10) { byteCount($0.bytesSent) })
            columns.append(Column(title: "received", width: 10) { byteCount($0.bytesReceived) })
        }
        return columns
    }

    /// `value` in a printf format, or `-` when absent or not finite.
    static func format(_ value: Double?, _ format: String) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: format, value)
    }

    /// A byte count in decimal units with three significant digits (`812 B`, `4.1 kB`, `1.23 MB`).
    static func byteCount(_ bytes: Int?) -> String {
        guard let bytes else { return "-" }
        var value = Double(bytes)
        for unit in ["B", "kB", "MB", "GB"] {
            if abs(value) < 999.5 { return unit == "B" ? "\(bytes) B" : String(format: "%.3g", value) + " " + unit }
            value /= 1000
        }
        return String(format: "%.3g TB", value)
    }

    static func pad(_ cells: [(String, Int)]) -> String {
        cells.map { cell, width in
            cell.count >= width ? cell + " " : String(repeating: " ", count: width - cell.count) + cell
        }.joined(separator: " ")
    }
}
