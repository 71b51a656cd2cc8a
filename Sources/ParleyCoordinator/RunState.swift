import Foundation
import ParleyDecomposition
import ParleyModel
import ParleyTransport

/// What `parley round resume RUN` needs besides the checkpoint: how the round was started.
/// Written atomically to `RUN/round.json` when a networked round starts; it names files (the
/// contract, the coordinator's certificate and key), never their contents.
public struct RoundManifest: Sendable, Equatable, Codable {
    public var version = 1
    public var round: String
    /// The contract, as an absolute path.
    public var chain: String
    public var method: String
    public var certificate: String
    public var privateKey: String
    public var trustRoots: String
    public var revocationList: String?
    public var requestTimeoutSeconds: Double
    public var partnerDeadlineSeconds: Double
    /// nil: no heartbeat.
    public var heartbeatSeconds: Double?
    public var gapTolerance: Double
    public var stabilization: Bool
    public var pricesPerRound: Int
    /// DW's `columnAgeLimit` (nil in a manifest written before columns were retired: the default).
    public var columnAgeLimit: Int? = nil
    /// ADMM's Anderson acceleration (`ADMMSettings.accelerationMemory` > 0).
    public var acceleration: Bool
    /// ADMM's residual tolerances (nil in a manifest written before they could be set: the defaults).
    public var admmAbsoluteTolerance: Double?
    public var admmRelativeTolerance: Double?
    public var maximumIterations: Int
    /// nil: no limit.
    public var maximumSeconds: Double?

    public static func path(runDirectory: String) -> String { "\(runDirectory)/round.json" }
}

/// How a networked round ended, as the coordinator decided it: written atomically to
/// `RUN/handover.json` before the first plan instruction goes out. If a partner then fails to take
/// its plan (a full disk, a crash) or the coordinator stops, `parley round resume` sends the same
/// instructions again instead of iterating on: the partners that already wrote their plans get
/// the instruction they answered (a final plan stands, and only the same one is accepted again).
/// It holds proposal ids and weights, the coordinator's own numbers, nothing of a partner's plan.
public struct PlanHandover: Sendable, Equatable, Codable {
    /// One partner's instruction: weights of its proposals by id (DW), or nil ids and weights for
    /// ADMM's last iterate.
    public struct Instruction: Sendable, Equatable, Codable {
        public var ids: [Int]?
        public var weights: [Double]?
    }

    public var version = 1
    public var round: String
    public var method: String
    /// The round's status before the plans were checked (`optimal`, `converged`, or a limit).
    public var status: RoundStatus
    public var objective: Double?
    public var bound: Double?
    public var gap: Double?
    public var iterations: Int
    public var seconds: Double
    public var cpuSeconds: Double
    public var message: String
    public var linkingPrices: [Double]?
    /// In the contract's partner order.
    public var instructions: [Instruction]
    /// Whether the plans are final (see `PlanInstruction.isFinal`); a provisional handover is not
    /// sent again: the resumed round iterates on.
    public var isFinal: Bool

    public static func path(runDirectory: String) -> String { "\(runDirectory)/handover.json" }

    init(round: String, result: RoundResult, cpuSeconds: Double, kinds: [PlanInstruction.Kind], isFinal: Bool) {
        self.round = round
        method = result.method
        status = result.status
        objective = result.objective
        bound = result.bound
        gap = result.gap
        iterations = result.iterations
        seconds = result.seconds
        self.cpuSeconds = cpuSeconds
        message = result.message
        linkingPrices = result.linkingPrices
        instructions = kinds.map { kind in
            switch kind {
            case .weights(let weights):
                let sorted = weights.sorted { $0.key < $1.key }
                return Instruction(ids: sorted.map(\.key), weights: sorted.map(\.value))
            case .lastIterate:
                return Instruction(ids: nil, weights: nil)
            }
        }
        self.isFinal = isFinal
    }

    var result: RoundResult {
        RoundResult(
            method: method, status: status, objective: objective, bound: bound, gap: gap, iterations: iterations, seconds: seconds,
            message: message, linkingPrices: linkingPrices)
    }

    /// The instructions, or an error naming the file when they do not fit the round's partners.
    func kinds(partners: Int, path: String) throws(ModelFileError) -> [PlanInstruction.Kind] {
        guard instructions.count == partners else {
            throw ModelFileError(file: path, line: nil, message: "\(instructions.count) instructions for \(partners) partners")
        }
        return try instructions.map { (instruction) throws(ModelFileError) -> PlanInstruction.Kind in
            switch (instruction.ids, instruction.weights) {
            case (nil, nil): return .lastIterate
            case (let ids?, let weights?) where ids.count == weights.count && Set(ids).count == ids.count:
                return .weights(Dictionary(uniqueKeysWithValues: zip(ids, weights)))
            default:
                throw ModelFileError(file: path, line: nil, message: "an instruction's ids and weights do not pair up")
            }
        }
    }
}

/// A round's saved state, by method.
public enum RoundCheckpoint: Sendable, Equatable {
    case dw(DantzigWolfeCheckpoint)
    case admm(ADMMCheckpoint)

    public var round: String {
        switch self {
        case .dw(let c): c.round
        case .admm(let c): c.round
        }
    }
    public var contractHash: String {
        switch self {
        case .dw(let c): c.contractHash
        case .admm(let c): c.contractHash
        }
    }
    public var iteration: Int {
        switch self {
        case .dw(let c): c.iteration
        case .admm(let c): c.iteration
        }
    }
    public var history: [IterationRecord] {
        switch self {
        case .dw(let c): c.history
        case .admm(let c): c.history
        }
    }
    public var method: RoundMethod {
        switch self {
        case .dw: .dw
        case .admm: .admm
        }
    }
}

/// Reading and writing a run directory's `round.json` and `checkpoint.log`.
public enum RunState {
    public static func checkpointPath(runDirectory: String) -> String { CheckpointStore.path(runDirectory) }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // −∞ is a checkpoint's bound before the first one is known.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Writes `value` as JSON to `path`: temporary file, fsync, rename.
    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        let data = try encoder().encode(value)
        try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: path)
    }

    static func read<T: Decodable>(_ type: T.Type, from path: String, what: String) throws(ModelFileError) -> T {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ModelFileError(file: path, line: nil, message: "cannot read the \(what): \((error as NSError).localizedDescription)")
        }
        do {
            return try decoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw ModelFileError(file: path, line: nil, message: "the \(what) has no '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelFileError(file: path, line: nil, message: "the \(what) has a bad value at '\(key)'")
        } catch {
            throw ModelFileError(file: path, line: nil, message: "the \(what) is not valid JSON (a write cut short?)")
        }
    }

    /// The run's final plan handover, if the round got that far (a provisional one, from a stop at
    /// a limit, does not count: a resumed round iterates on from its checkpoint).
    public static func readFinalHandover(runDirectory: String) throws(ModelFileError) -> PlanHandover? {
        let path = PlanHandover.path(runDirectory: runDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let handover = try read(PlanHandover.self, from: path, what: "plan handover")
        return handover.isFinal ? handover : nil
    }

    public static func readManifest(runDirectory: String) throws(ModelFileError) -> RoundManifest {
        try read(RoundManifest.self, from: RoundManifest.path(runDirectory: runDirectory), what: "round manifest")
    }

    /// The checkpoint of a round run by `method` (see `CheckpointStore` for the files).
    public static func readCheckpoint(runDirectory: String, method: RoundMethod) throws(ModelFileError) -> RoundCheckpoint {
        try CheckpointStore.read(runDirectory: runDirectory, method: method)
    }

    /// Writes `checkpoint` as the run directory's only one (what a round does bit by bit).
    public static func save(_ checkpoint: RoundCheckpoint, runDirectory: String) throws {
        _ = try CheckpointStore(runDirectory: runDirectory, resumed: checkpoint)
    }

    /// Cuts `convergence.jsonl` back to the iterations a checkpoint covers (the coordinator may
    /// have logged one more before it stopped) and adds any the log lacks from the checkpoint's
    /// history, so the resumed round's lines follow on without a gap or a repeat.
    public static func trimLog(path: String, to checkpoint: DantzigWolfeCheckpoint, method: String) throws {
        try trimLog(path: path, to: .dw(checkpoint), method: method)
    }

    public static func trimLog(path: String, to checkpoint: RoundCheckpoint, method: String) throws {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var kept: [String] = []
        var seen = Set<Int>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let iteration = object["iteration"] as? Int, iteration <= checkpoint.iteration, !seen.contains(iteration)
            else { continue }
            seen.insert(iteration)
            kept.append(String(line))
        }
        for record in checkpoint.history where !seen.contains(record.iteration) {
            kept.append(ConvergenceLog.jsonLine(record, method: method))
        }
        try AtomicFile.write(kept.map { $0 + "\n" }.joined(), to: path)
    }
}
