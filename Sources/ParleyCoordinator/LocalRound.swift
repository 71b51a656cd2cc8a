import Foundation
import ParleyDecomposition
import ParleyModel

/// Which decomposition a round uses.
public enum RoundMethod: String, Sendable, CaseIterable {
    case dw
    case admm
}

/// A round with every partner in this process, loaded from the chain directory
/// (`<chain dir>/partners/<name>/partner.yaml` and its model). Writes the run directory:
/// `convergence.jsonl`, `summary.json` and `plans/<partner>.csv`, each plan and the summary
/// written atomically.
public struct LocalRound: Sendable {
    public var chainPath: String
    public var method: RoundMethod
    public var outputDirectory: String
    public var dantzigWolfe = DantzigWolfeSettings()
    public var admm = ADMMSettings()
    /// Receives the terminal table, a line at a time (nil: quiet).
    public var printer: (@Sendable (String) -> Void)?

    public init(chainPath: String, method: RoundMethod, outputDirectory: String) {
        self.chainPath = chainPath
        self.method = method
        self.outputDirectory = outputDirectory
    }

    /// Loads the contract and every partner's private model, naming the file at fault.
    public static func loadPartners(chainPath: String) throws -> (ChainContract, [LocalPartner]) {
        let contract = try ChainContract.load(path: chainPath)
        let directory = (chainPath as NSString).deletingLastPathComponent
        let base = directory.isEmpty ? "." : directory
        let partners = try contract.partners.map { party in
            let problem = try PartnerProblem.load(contract: contract, partnerDirectory: "\(base)/partners/\(party.name)", expected: party.name)
            return try LocalPartner(problem: problem, chainSense: contract.sense)
        }
        return (contract, partners)
    }

    public func run() async throws -> RoundResult {
        let (contract, partners) = try Self.loadPartners(chainPath: chainPath)
        let lock = try RoundRunner.lockRunDirectory(outputDirectory)
        defer { withExtendedLifetime(lock) {} }
        let runner = RoundRunner(
            contract: contract, method: method, outputDirectory: outputDirectory, dantzigWolfe: dantzigWolfe, admm: admm,
            printer: printer)
        return try await runner.run(partners: partners) { partner in
            // Each partner forms its own share; here (local mode) the runner files it for them.
            guard let local = partner as? LocalPartner, let text = await local.planTable() else { return }
            try AtomicFile.write(text, to: "\(outputDirectory)/plans/\(local.name).csv")
            if let table = await local.linkingTable() {
                try AtomicFile.write(table, to: "\(outputDirectory)/plans/\(local.name).linking.csv")
            }
        }
    }
}
