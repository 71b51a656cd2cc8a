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
            let problem = try PartnerProblem.load(contract: contract, partnerDirectory: "\(base)/partners/\(party.name)")
            return try LocalPartner(problem: problem, chainSense: contract.sense)
        }
        return (contract, partners)
    }

    public func run() async throws -> RoundResult {
        let (contract, partners) = try Self.loadPartners(chainPath: chainPath)
        try AtomicFile.createDirectory(outputDirectory)
        try AtomicFile.createDirectory("\(outputDirectory)/plans")
        // A summary marks a finished round (`parley log show --follow` stops at it): one left by
        // an earlier round in this directory must not outlive the start of this one.
        try? FileManager.default.removeItem(atPath: ConvergenceReport.summaryPath(runDirectory: outputDirectory))
        let log = try ConvergenceLog(path: "\(outputDirectory)/convergence.jsonl", method: method.rawValue)
        let round = "\(contract.chain)-\(Int(Date().timeIntervalSince1970))"
        let method = method.rawValue
        let printer = printer
        printer?(ConvergenceLog.header(method: method))
        let observer: IterationObserver = { record in
            log.append(record)
            printer?(ConvergenceLog.row(record, method: method))
        }
        var result: RoundResult
        var instruction: [PlanInstruction.Kind]? = nil
        switch self.method {
        case .dw:
            let (r, weights) = try await DantzigWolfe(settings: dantzigWolfe).run(
                round: round, contract: contract, partners: partners, observer: observer)
            result = r
            if r.status == .optimal && weights.count == partners.count { instruction = weights.map { .weights($0) } }
        case .admm:
            result = try await ADMM(settings: admm).run(round: round, contract: contract, partners: partners, observer: observer)
            if result.status == .converged { instruction = Array(repeating: .lastIterate, count: partners.count) }
        }
        log.sync()
        if let instruction {
            // Each partner forms its own share; here (local mode) the runner files it for them.
            var activity = Array(repeating: 0.0, count: contract.linkingRows.count)
            var cost = 0.0
            for (k, partner) in partners.enumerated() {
                let receipt = try await partner.finish(PlanInstruction(round: round, kind: instruction[k]))
                for (r, u) in zip(partner.linkingRows, receipt.usage) { activity[r] += u }
                cost += receipt.cost
                if let plan = await partner.plan() {
                    let text = "variable,value\n" + plan.map { "\($0.variable),\($0.value)" }.joined(separator: "\n") + "\n"
                    try AtomicFile.write(text, to: "\(outputDirectory)/plans/\(partner.name).csv")
                }
            }
            result.linkingViolation = contract.linkingViolation(activity, tolerance: 0).worst
        }
        let summary = JSONText.object([
            ("method", JSONText.string(result.method)),
            ("status", JSONText.string(result.status.rawValue)),
            ("objective", JSONText.number(result.objective)),
            ("bound", JSONText.number(result.bound)),
            ("gap", JSONText.number(result.gap)),
            ("iterations", "\(result.iterations)"),
            ("seconds", JSONText.number(result.seconds)),
            ("partners", "[" + partners.map { JSONText.string($0.name) }.joined(separator: ", ") + "]"),
            ("message", JSONText.string(result.message)),
            ("partner", JSONText.string(result.partner)),
            ("violated_rows", "[" + result.violatedRows.map { JSONText.string($0) }.joined(separator: ", ") + "]"),
            ("linking_violation", JSONText.number(result.linkingViolation)),
            ("contract_hash", JSONText.string(contract.contentHash)),
            ("round", JSONText.string(round)),
        ])
        try AtomicFile.write(summary + "\n", to: "\(outputDirectory)/summary.json")
        return result
    }
}
