import ParleyTestSupport
import ParleyDecomposition
import ParleyModel
import ParleySolver

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
    init(_ name: String, program: LinearProgram, _ decomposition: BlockDecomposition, partnerCount: Int? = nil) throws {
        self.program = program
        let split = try ChainSplitter(chainName: name, partnerCount: partnerCount).split(program, decomposition)
        try split.contract.validate()
        self.split = split
        partners = try zip(split.contract.partners, split.programs).map { party, model in
            try LocalPartner(
                problem: PartnerProblem(contract: split.contract, partner: party.name, program: model),
                chainSense: split.contract.sense)
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

    /// Sends each partner its plan instruction (weights for DW, last iterate for ADMM).
    func finish(round: String, weights: [[Int: Double]]?) async throws {
        for (k, partner) in partners.enumerated() {
            let kind: PlanInstruction.Kind = weights.map { .weights($0[k]) } ?? .lastIterate
            _ = try await partner.finish(PlanInstruction(round: round, kind: kind))
        }
    }
}
