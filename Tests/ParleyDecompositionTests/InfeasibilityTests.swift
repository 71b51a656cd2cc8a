import ParleyTestSupport
import ParleyDecomposition
import ParleyModel
import ParleySolver
import Testing

/// Infeasibility is an answer: the round ends with a status that names who or what.
@Suite struct InfeasibilityTests {
    /// A one-variable partner model: min cost·x with lower ≤ x ≤ upper and a private row
    /// rowLower ≤ x ≤ rowUpper.
    static func partner(_ name: String, cost: Double, upper: Double, rowLower: Double = -.infinity, rowUpper: Double = .infinity)
        -> LinearProgram
    {
        LinearProgram(
            name: name, objective: [cost], matrix: SparseMatrix(rowCount: 1, columnCount: 1, triplets: [(0, 0, 1)]),
            columnLower: [0], columnUpper: [upper], rowLower: [rowLower], rowUpper: [rowUpper],
            columnNames: ["x"], rowNames: ["own"])
    }

    static func chain(rowLower: Double) -> ChainContract {
        ChainContract(
            chain: "tiny",
            partners: [.init(name: "a", interface: ["x"]), .init(name: "b", interface: ["x"])],
            linkingRows: [
                .init(name: "need", lower: rowLower, upper: .infinity, terms: [.init(partner: "a", variable: "x", coefficient: 1), .init(partner: "b", variable: "x", coefficient: 1)])
            ])
    }

    static func partners(_ contract: ChainContract, _ programs: [LinearProgram]) throws -> [LocalPartner] {
        try zip(contract.partners, programs).map { party, program in
            try LocalPartner(problem: PartnerProblem(contract: contract, partner: party.name, program: program), chainSense: .minimize)
        }
    }

    /// A plan check is relative to the row's size: 1e-3 off a row of two plans of 1,000 units
    /// is round-off at 1e-6, but not on a row whose terms are of size 1.
    @Test func violationIsMeasuredAgainstTheRowsSize() {
        let contract = Self.chain(rowLower: 0)
        #expect(contract.linkingViolation([-1e-3], tolerance: 1e-6).rows == ["need"])
        #expect(contract.linkingViolation([-1e-3], tolerance: 1e-6, magnitude: [2000]).rows.isEmpty)
        #expect(contract.linkingViolation([-1e-3], tolerance: 1e-6, magnitude: [2]).rows == ["need"])
        #expect(contract.linkingViolation([-1e-3], tolerance: 1e-6, magnitude: [2000]).worst == 1e-3)
    }

    /// a and b can each give at most 1; the linking row asks for 3.
    @Test func infeasibleLinkingRowsAreNamed() async throws {
        let contract = Self.chain(rowLower: 3)
        let partners = try Self.partners(contract, [Self.partner("a", cost: 1, upper: 1), Self.partner("b", cost: 2, upper: 1)])
        let (result, weights) = try await DantzigWolfe().run(round: "t", contract: contract, partners: partners)
        #expect(result.status == .infeasible)
        #expect(result.violatedRows == ["need"])
        #expect(result.message == "no combination of the partners' plans meets the linking rows (violated: need)")
        #expect(weights.isEmpty)
    }

    /// The same chain asking for 1.5 is feasible: a gives 1 (cheaper), b gives 0.5: cost 2.
    @Test func feasibleVariantIsOptimal() async throws {
        let contract = Self.chain(rowLower: 1.5)
        let partners = try Self.partners(contract, [Self.partner("a", cost: 1, upper: 1), Self.partner("b", cost: 2, upper: 1)])
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: contract, partners: partners)
        #expect(result.status == .optimal)
        #expect(abs((result.objective ?? .nan) - 2) < 1e-9)
    }

    /// b's own row asks for x ≥ 2 but its bound says x ≤ 1: b is named.
    @Test func infeasiblePartnerIsNamed() async throws {
        let contract = Self.chain(rowLower: 0)
        let partners = try Self.partners(contract, [Self.partner("a", cost: 1, upper: 1), Self.partner("b", cost: 1, upper: 1, rowLower: 2)])
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: contract, partners: partners)
        #expect(result.status == .infeasible)
        #expect(result.partner == "b")
        #expect(result.message == "partner 'b': its private model is infeasible (no plan meets its own rows and bounds)")
        let admm = try await ADMM().run(round: "t", contract: contract, partners: try Self.partners(contract, [Self.partner("a", cost: 1, upper: 1), Self.partner("b", cost: 1, upper: 1, rowLower: 2)]))
        #expect(admm.status == .infeasible && admm.partner == "b")
    }

    /// b's plans improve without limit (x ≥ 0 at cost −1, no upper bound) and the linking row
    /// only asks for at least 0: the chain is unbounded, and b is named. With the linking row
    /// capped at 5 the same partners give a finite optimum: b supplies all 5, at −5.
    @Test func unboundedPartnerIsNamedAndALinkingCapBoundsIt() async throws {
        let contract = Self.chain(rowLower: 0)
        let programs = [Self.partner("a", cost: 1, upper: 1), Self.partner("b", cost: -1, upper: .infinity)]
        let (result, weights) = try await DantzigWolfe().run(round: "t", contract: contract, partners: try Self.partners(contract, programs))
        #expect(result.status == .unbounded)
        #expect(result.partner == "b")
        #expect(result.message == "the chain's objective improves without limit: the plans of partner 'b' improve without limit along a direction the linking rows do not bound")
        #expect(weights.isEmpty)

        var capped = contract
        capped.linkingRows[0].upper = 5
        let (bounded, _) = try await DantzigWolfe().run(round: "t", contract: capped, partners: try Self.partners(capped, programs))
        #expect(bounded.status == .optimal)
        #expect(abs((bounded.objective ?? .nan) - -5) < 1e-9)
    }

    /// A private model whose sense differs from the chain's is refused up front.
    @Test func senseMismatchIsRefused() throws {
        var program = Self.partner("a", cost: 1, upper: 1)
        program.sense = .maximize
        let contract = Self.chain(rowLower: 0)
        #expect(throws: PartnerError(partner: "a", kind: .badRequest, message: "its model is a maximize problem but the chain's objective is to minimize")) {
            try LocalPartner(problem: PartnerProblem(contract: contract, partner: "a", program: program), chainSense: .minimize)
        }
    }
}
