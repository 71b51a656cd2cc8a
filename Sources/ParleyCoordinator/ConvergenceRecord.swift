import Foundation
import ParleyDecomposition

/// One row of `convergence.jsonl` as a reader sees it: every field but the iteration number may
/// be absent or null.
///
/// The file is written by rounds of different kinds and versions (local rounds write no traffic
/// counters, networked ones add `bytes_sent` and `bytes_received`), so a reader keeps what it
/// knows, ignores keys it does not, and lets the table and the plot show what is there.
public struct ConvergenceRecord: Sendable, Equatable, Decodable {
    /// The iteration number, from 1: the one field a row must have.
    public var iteration: Int
    /// Seconds since the round started.
    public var seconds: Double?
    /// DW: 1 while finding a feasible combination, 2 after. ADMM: 0.
    public var phase: Int?
    /// Chain objective of the current plan (DW: the restricted master's; ADMM: Σ costs).
    public var objective: Double?
    /// DW: the best Lagrangian bound so far.
    public var bound: Double?
    /// DW: relative gap between objective and bound.
    public var gap: Double?
    /// ADMM residuals and penalty.
    public var primalResidual: Double?
    public var dualResidual: Double?
    public var rho: Double?
    /// DW: columns in the master; added this iteration; retired to the pool this iteration.
    public var columns: Int?
    public var added: Int?
    public var retired: Int?
    /// DW: smoothing weight used this iteration.
    public var alpha: Double?
    /// The partner that answered last this iteration, and its time.
    public var slowestPartner: String?
    public var slowestSeconds: Double?
    /// Networked rounds: bytes the coordinator sent and received this iteration.
    public var bytesSent: Int?
    public var bytesReceived: Int?
    /// Which method's keys the line carries (`bound`/`gap`/`columns` for DW,
    /// `primal_residual`/`dual_residual`/`rho` for ADMM), nil when it has neither.
    public var method: RoundMethod?

    /// A row with only its number (and the method whose columns it belongs to).
    public init(iteration: Int, method: RoundMethod? = nil) {
        self.iteration = iteration
        self.method = method
    }

    /// The record a round hands its observers, as it is written to the file.
    public init(_ r: IterationRecord, method: RoundMethod) {
        self.iteration = r.iteration
        self.seconds = r.seconds
        self.phase = r.phase
        self.objective = r.objective
        self.bound = r.bound
        self.gap = r.gap
        self.primalResidual = r.primalResidual
        self.dualResidual = r.dualResidual
        self.rho = r.rho
        self.columns = r.columns
        self.added = r.added
        self.retired = r.retired
        self.alpha = r.alpha
        self.slowestPartner = r.slowestPartner
        self.slowestSeconds = r.slowestSeconds
        self.method = method
    }

    /// Reads one JSON object of the log. Unknown keys and nulls are fine; a known key holding
    /// the wrong kind of value throws a `FieldError` naming it.
    ///
    /// `JSONDecoder` rather than `JSONSerialization`: on Linux the latter reads some doubles a
    /// unit in the last place off, and the log's numbers are written to read back exactly.
    public init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: JSONKey.self)
        guard let iteration = try object.integer("iteration") else {
            throw FieldError(message: "no \"iteration\" number")
        }
        self.iteration = iteration
        seconds = try object.number("seconds")
        phase = try object.integer("phase")
        objective = try object.number("objective")
        bound = try object.number("bound")
        gap = try object.number("gap")
        primalResidual = try object.number("primal_residual")
        dualResidual = try object.number("dual_residual")
        rho = try object.number("rho")
        columns = try object.integer("columns")
        added = try object.integer("added")
        retired = try object.integer("retired")
        alpha = try object.number("alpha")
        slowestPartner = try object.string("slowest_partner")
        slowestSeconds = try object.number("slowest_seconds")
        bytesSent = try object.integer("bytes_sent")
        bytesReceived = try object.integer("bytes_received")
        if ["primal_residual", "dual_residual", "rho"].contains(where: { object.contains(JSONKey($0)) }) {
            method = .admm
        } else if ["bound", "gap", "columns"].contains(where: { object.contains(JSONKey($0)) }) {
            method = .dw
        }
    }

    /// Whether the line carries traffic counters (networked rounds).
    public var hasTraffic: Bool { bytesSent != nil || bytesReceived != nil }

    /// What is wrong with a field of a JSON object; the reader adds file and line.
    public struct FieldError: Error, Sendable, Equatable {
        public var message: String
    }
}

/// Any key of a JSON object, by name.
struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Optional fields of a JSON object: nil when absent or null, a `FieldError` naming the key when
/// the value is of the wrong kind.
extension KeyedDecodingContainer<JSONKey> {
    func number(_ key: String) throws(ConvergenceRecord.FieldError) -> Double? {
        do { return try decodeIfPresent(Double.self, forKey: JSONKey(key)) } catch {
            throw .init(message: "\"\(key)\" is not a number")
        }
    }

    func integer(_ key: String) throws(ConvergenceRecord.FieldError) -> Int? {
        do { return try decodeIfPresent(Int.self, forKey: JSONKey(key)) } catch {
            throw .init(message: "\"\(key)\" is not a whole number")
        }
    }

    func string(_ key: String) throws(ConvergenceRecord.FieldError) -> String? {
        do { return try decodeIfPresent(String.self, forKey: JSONKey(key)) } catch {
            throw .init(message: "\"\(key)\" is not a string")
        }
    }

    func strings(_ key: String) throws(ConvergenceRecord.FieldError) -> [String] {
        do { return try decodeIfPresent([String].self, forKey: JSONKey(key)) ?? [] } catch {
            throw .init(message: "\"\(key)\" is not a list of strings")
        }
    }
}
