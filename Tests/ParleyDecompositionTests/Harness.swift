import ParleyTestSupport
import ParleyDecomposition
import ParleyModel
import ParleySolver
import Testing

/// A block instance split into in-process partners, ready for a round.
struct SplitChain {
    var program: LinearProgram
    var split: ChainSplitter.Result
    var partners: [LocalPartner]

    init(_ name: String, partnerCount: Int? = nil) throws {
        let program = try MPSReader().read(path: Fixtures.path("blocks/\(name).mps"))
        try self.init(name, program: program, BlockDecomposition.read(path: Fixtures.path("blocks/\(name).dec"), for: program), partnerCount: partnerCount)
    }

    /// A model cut by another decomposition than its `.dec` file's (one detected, or written by
    /// the test).
    /// `settings` are the partners' solver settings.
    init(
        _ name: String, program: LinearProgram, _ decomposition: BlockDecomposition, partnerCount: Int? = nil,
        settings: SolverSettings = SolverSettings()
    ) throws {
        self.program = program
        let split = try ChainSplitter(chainName: name, partnerCount: partnerCount).split(program, decomposition)
        try split.contract.validate()
        self.split = split
        partners = try zip(split.contract.partners, split.programs).map { party, model in
            try LocalPartner(
                problem: PartnerProblem(contract: split.contract, partner: party.name, program: model),
                chainSense: split.contract.sense, settings: settings)
        }
    }

    /// The partners' plans put back into the original model's column order.
    func jointPlan() async -> [Double] {
        var x = Array(repeating: 0.0, count: program.columnCount)
        for (k, partner) in partners.enumerated() {
            guard let plan = await partner.plan() else { continue }
            for (local, original) in split.originalColumns[k].enumerated() { x[original] = plan[local].value }
        }
        return x
    }

    /// Runs Dantzig–Wolfe on the chain and checks it against the model's optimum `reference`
    /// (relative 1e-6): the round ends optimal there, and the partners' plans put together meet
    /// the original model's rows and bounds and cost the optimum. `label` prefixes the messages.
    func reachesOptimum(reference: Double, label: String = "", settings: DantzigWolfeSettings = DantzigWolfeSettings()) async throws {
        let tolerance = 1e-6
        let (result, weights) = try await DantzigWolfe(settings: settings).run(round: "t", contract: split.contract, partners: partners)
        #expect(result.status == .optimal, "\(label)\(result.message)")
        let objective = try #require(result.objective)
        #expect(abs(objective - reference) <= tolerance * max(1, abs(reference)), "\(label)objective \(objective) vs \(reference)")
        try await finish(round: "t", weights: weights)
        let x = await jointPlan()
        let scale = max(1, program.rowUpper.filter(\.isFinite).map(abs).max() ?? 1)
        #expect(program.maximumViolation(x) <= 1e-6 * scale, "\(label)violation \(program.maximumViolation(x))")
        #expect(abs(program.objectiveValue(x) - reference) <= tolerance * max(1, abs(reference)), "\(label)the plan's cost")
    }

    /// Sends each partner its plan instruction (weights for DW, last iterate for ADMM).
    func finish(round: String, weights: [[Int: Double]]?) async throws {
        for (k, partner) in partners.enumerated() {
            let kind: PlanInstruction.Kind = weights.map { .weights($0[k]) } ?? .lastIterate
            _ = try await partner.finish(PlanInstruction(round: round, kind: kind))
        }
    }
}
