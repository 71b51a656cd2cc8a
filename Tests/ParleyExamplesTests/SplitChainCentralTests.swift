import Foundation
import ParleyModel
import ParleySolver
import Testing

/// Every block instance split by detection, written as a chain directory, loaded back from its
/// files and joined again: the central optimum is the published one. This is the whole path a
/// chain's files take before any negotiation, checked end to end.
@Suite struct SplitChainCentralTests {
    static let instances = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/instances").standardizedFileURL.path

    /// `(name, file, reference optimum)` of each instance with a `.dec` file in `optima.csv`.
    static let blockInstances: [(String, String, Double)] = {
        let text = (try? String(contentsOfFile: "\(instances)/optima.csv", encoding: .utf8)) ?? ""
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, let name = header.firstIndex(of: "name"), let file = header.firstIndex(of: "file"),
            let optimum = header.firstIndex(of: "reference_optimum"), let dec = header.firstIndex(of: "decomposition")
        else { return [] }
        return lines.dropFirst().filter { !$0[dec].isEmpty }.map { ($0[name], $0[file], Double($0[optimum])!) }
    }()

    @Test func everyBlockInstanceIsListed() {
        #expect(Self.blockInstances.count == 8)
    }

    @Test(arguments: blockInstances.map { $0.0 })
    func splitWriteLoadSolve(_ name: String) throws {
        let (_, file, optimum) = Self.blockInstances.first { $0.0 == name }!
        let program = try MPSReader().read(path: "\(Self.instances)/\(file)")
        let split = try ChainSplitter(chainName: name).split(program, BlockDetector.detect(program))
        let directory = NSTemporaryDirectory() + "parley-split-\(name)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try split.write(to: directory, inlineLimit: 100)
        let contract = try ChainContract.load(path: files.contract)
        #expect(contract.contentHash == split.contract.contentHash)
        let partners = try files.partnerDirectories.map { try PartnerProblem.load(contract: contract, partnerDirectory: $0) }
        let central = try contract.centralProgram(partners)
        #expect(central.columnCount == program.columnCount)
        #expect(central.matrix.nonzeroCount == program.matrix.nonzeroCount)
        let result = try ClpSolver(program: central).solve()
        #expect(result.status == .optimal)
        #expect(abs(result.objective - optimum) <= 1e-6 * max(1, abs(optimum)))
    }
}
