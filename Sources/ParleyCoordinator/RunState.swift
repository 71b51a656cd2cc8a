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
