import Foundation
import ParleyModel

/// A round's `summary.json` as a reader sees it: how the round ended and where it got to.
///
/// Written once, atomically, when the round ends, so its presence is also the sign that the
/// round is over. Every field may be absent or null (rounds of other kinds and versions).
public struct ConvergenceSummary: Sendable, Equatable, Decodable {
    /// `dw` or `admm`.
    public var method: String?
    /// `optimal`, `converged`, `infeasible`, `iteration_limit`, … (`RoundStatus` raw values).
    public var status: String?
    /// The final objective, Lagrangian bound and relative gap (ADMM: from its last prices).
    public var objective: Double?
    public var bound: Double?
    public var gap: Double?
    /// Iterations run and seconds taken.
    public var iterations: Int?
    public var seconds: Double?
    /// The partners' names, in contract order.
    public var partners: [String]
    /// Why the round ended, in words.
    public var message: String?
    /// The partner the message is about, when it is about one.
    public var partner: String?
    /// DW, infeasible: the linking rows no plan can meet.
    public var violatedRows: [String]
    /// The largest violation of a linking row by the partners' final plans.
    public var linkingViolation: Double?

    /// A summary with only a method and a status; the rest absent.
    public init(method: String? = nil, status: String? = nil) {
        self.method = method
        self.status = status
        self.partners = []
        self.violatedRows = []
    }

    /// Reads a summary file, naming the file when it cannot be read or is not a JSON object.
    public static func load(path: String) throws(ModelFileError) -> ConvergenceSummary {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ModelFileError(file: path, line: nil, message: exists ? "cannot read the file" : "no such file")
        }
        do {
            return try JSONDecoder().decode(ConvergenceSummary.self, from: data)
        } catch let error as ConvergenceRecord.FieldError {
            throw ModelFileError(file: path, line: nil, message: error.message)
        } catch {
            throw ModelFileError(file: path, line: nil, message: "not a JSON object")
        }
    }

    /// Reads the JSON object of a summary; unknown keys and nulls are fine.
    public init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: JSONKey.self)
        method = try object.string("method")
        status = try object.string("status")
        objective = try object.number("objective")
        bound = try object.number("bound")
        gap = try object.number("gap")
        iterations = try object.integer("iterations")
        seconds = try object.number("seconds")
        partners = try object.strings("partners")
        message = try object.string("message")
        partner = try object.string("partner")
        violatedRows = try object.strings("violated_rows")
        linkingViolation = try object.number("linking_violation")
    }

    /// The summary as aligned `field  value` lines for the terminal, leaving out what is absent.
    public var lines: [String] {
        typealias Log = ConvergenceLog
        var rows: [(String, String)] = []
        if let status { rows.append(("status", status + (message.map { $0.isEmpty ? "" : ": \($0)" } ?? ""))) }
        if let objective { rows.append(("objective", Log.objectiveText(objective))) }
        if let bound { rows.append(("bound", Log.objectiveText(bound))) }
        if let gap { rows.append(("gap", Log.smallText(gap))) }
        if let linkingViolation { rows.append(("linking", "max violation " + Log.smallText(linkingViolation))) }
        if !violatedRows.isEmpty { rows.append(("violated", violatedRows.joined(separator: ", "))) }
        if let iterations {
            rows.append(("iterations", "\(iterations)" + (seconds.map { " in " + Log.secondsText($0) + " s" } ?? "")))
        }
        if !partners.isEmpty { rows.append(("partners", partners.joined(separator: ", "))) }
        return rows.map { $0.0.padding(toLength: 12, withPad: " ", startingAt: 0) + $0.1 }
    }
}
