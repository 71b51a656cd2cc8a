import Foundation
import ParleyCoordinator
import ParleyDecomposition
import ParleyModel
import ParleyTestSupport

/// A run directory made by a real local round on lands3 (3 partners, a few hundred rows), with
/// the lines the round printed live, for the log tests to read back.
struct SampleRun {
    var work: String
    var runDirectory: String
    var result: RoundResult
    var printed: [String]
    /// Whether a `summary.json` was in the run directory while the round printed its table.
    var summaryWhileRunning: Bool

    /// Collects the round's printed lines from whichever task prints them.
    final class Lines: @unchecked Sendable {
        // @unchecked: `lines` is only touched under `lock`.
        private let lock = NSLock()
        private var lines: [String] = []
        private var summarySeen = false
        func append(_ line: String, summaryExists: Bool) {
            lock.withLock {
                lines.append(line)
                summarySeen = summarySeen || summaryExists
            }
        }
        var all: [String] { lock.withLock { lines } }
        var sawSummary: Bool { lock.withLock { summarySeen } }
    }

    /// Splits lands3 and runs a round on it; `staleSummary` first leaves a summary of an
    /// earlier round in the run directory.
    static func make(_ method: RoundMethod, maximumIterations: Int? = nil, staleSummary: Bool = false) async throws -> SampleRun {
        let work = NSTemporaryDirectory() + "parley-log-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let program = try MPSReader().read(path: Fixtures.path("blocks/lands3.mps"))
        let decomposition = try BlockDecomposition.read(path: Fixtures.path("blocks/lands3.dec"), for: program)
        _ = try ChainSplitter(chainName: "lands3").split(program, decomposition).write(to: "\(work)/chain")
        var round = LocalRound(chainPath: "\(work)/chain/chain.yaml", method: method, outputDirectory: "\(work)/run")
        if let maximumIterations {
            round.admm.maximumIterations = maximumIterations
            round.dantzigWolfe.maximumIterations = maximumIterations
        }
        let summary = ConvergenceReport.summaryPath(runDirectory: "\(work)/run")
        if staleSummary {
            try FileManager.default.createDirectory(atPath: "\(work)/run", withIntermediateDirectories: true)
            try #"{"status": "optimal"}"#.write(toFile: summary, atomically: true, encoding: .utf8)
        }
        let lines = Lines()
        round.printer = { lines.append($0, summaryExists: FileManager.default.fileExists(atPath: summary)) }
        let result = try await round.run()
        return SampleRun(
            work: work, runDirectory: "\(work)/run", result: result, printed: lines.all, summaryWhileRunning: lines.sawSummary)
    }

    func remove() { try? FileManager.default.removeItem(atPath: work) }

    /// An empty temporary run directory holding `log` as its convergence.jsonl.
    static func directory(log: String) throws -> String {
        let path = NSTemporaryDirectory() + "parley-log-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try log.write(toFile: "\(path)/convergence.jsonl", atomically: false, encoding: .utf8)
        return path
    }
}
