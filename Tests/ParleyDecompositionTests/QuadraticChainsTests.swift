import ParleyDecomposition
import ParleyModel
import ParleySolver
import ParleyTestSupport
import Testing

/// Block instances given convex quadratic costs, as a chain whose partners price with QPs: both
/// methods reach the optimum that CLP finds for the whole QP (the two-firm example is the only
/// other QP chain in the tests, and it has one variable a side).
@Suite struct QuadraticChainsTests {
    /// `name`'s model with a diagonal quadratic cost on every column that has a cost: the term
    /// ½·qⱼ·xⱼ² with qⱼ = |cⱼ| / max(1, |x*ⱼ|), x* the LP's optimum, so that at x* each term is
    /// about half the column's linear cost and the QP's optimum lies inside the LP's faces
    /// (lands3: 381.85 as an LP, 547.75 as this QP). Returns the QP, its blocks and its optimum,
    /// solved whole by CLP.
    /// With `detect`, the model is one of Netlib's and the detector's best split cuts it.
    /// `settings` are the partners' solver settings.
    static func quadratic(_ name: String, detect: Bool = false, settings: SolverSettings = SolverSettings()) throws -> (
        chain: SplitChain, optimum: Double
    ) {
        var program = try MPSReader().read(path: Fixtures.path(detect ? "netlib/\(name).mps" : "blocks/\(name).mps"))
        let decomposition = detect
            ? try #require(BlockDetector.candidates(program).first).decomposition
            : try BlockDecomposition.read(path: Fixtures.path("blocks/\(name).dec"), for: program)
        let lp = try ClpSolver(program: program).solve()
        try #require(lp.status == .optimal)
        program.quadratic = program.objective.indices.filter { program.objective[$0] != 0 }.map { j in
            QuadraticTerm(row: j, column: j, value: abs(program.objective[j]) / max(1, abs(lp.primal[j])))
        }
        let qp = try ClpSolver(program: program).solve()
        try #require(qp.status == .optimal)
        // The quadratic terms matter: the QP's optimum is well above the LP's.
        try #require(qp.objective - lp.objective > 1e-3 * max(1, abs(lp.objective)), "QP \(qp.objective), LP \(lp.objective)")
        return (try SplitChain(name, program: program, decomposition, settings: settings), qp.objective)
    }

    /// Dantzig–Wolfe: optimal within relative 1e-6 of the whole QP's optimum, and the partners'
    /// plans put together are feasible for the original model and cost that optimum.
    @Test(arguments: ["lands3", "chem", "ship04l", "airl_first"])
    func dantzigWolfeReachesTheWholeQPsOptimum(_ name: String) async throws {
        let (chain, optimum) = try Self.quadratic(name)
        try await chain.reachesOptimum(reference: optimum, label: "\(name): ")
    }

    /// Netlib models cut by the detector, with quadratic costs. adlittle and israel have a
    /// partner whose pricing QP CLP solves only unscaled (ClpSolver's rescue); recipe's partners
    /// need more than 10,000 iterations of CLP's primal (see below); sc205's cost-free
    /// partners are priced at prices near 1e-5, where CLP's absolute dual tolerance let two of
    /// them answer plans 7e-5 above their optima, and the round stopped "optimal" 2.3e-6 above
    /// the chain's optimum, its bound above it.
    @Test(arguments: ["adlittle", "israel", "sc205", "recipe"])
    func dantzigWolfeReachesTheOptimumOfDetectedSplitsWithQuadraticCosts(_ name: String) async throws {
        let (chain, optimum) = try Self.quadratic(name, detect: true)
        #expect(chain.partners.count >= 2)
        try await chain.reachesOptimum(reference: optimum, label: "\(name): ")
    }

    /// recipe's detected split with quadratic costs by ADMM: its partners' QPs take CLP's
    /// nonlinear primal more than 10,000 iterations (20,024 for p01 alone), the guard an LP
    /// partner keeps against cycling; a QP partner's guard is ten times larger, or the round
    /// ended at once "pricing problem stopped: iteration_limit" (DW too).
    @Test func admmReachesTheOptimumOfRecipesDetectedSplitWithQuadraticCosts() async throws {
        let (chain, optimum) = try Self.quadratic("recipe", detect: true)
        let result = try await ADMM().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .converged, "\(result.message)")
        let objective = try #require(result.objective)
        #expect(abs(objective - optimum) <= 1e-4 * max(1, abs(optimum)), "objective \(objective) vs \(optimum)")
    }

    /// A pricing QP whose primal stops at the partner's guard on its iterations is solved by the
    /// barrier, as an ADMM update is (etamacro cut by the detector, with quadratic costs, cycled
    /// past the guard at round 1,628 and ended "pricing problem stopped: iteration_limit"). Here
    /// the guard is 20 iterations, which chem's pricing QPs need more than.
    @Test func aPricingQPThatReachesTheGuardIsSolvedByTheBarrier() async throws {
        var settings = SolverSettings()
        settings.maximumIterations = 20
        let (chain, optimum) = try Self.quadratic("chem", settings: settings)
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .optimal, "\(result.message)")
        let objective = try #require(result.objective)
        #expect(abs(objective - optimum) <= 1e-6 * max(1, abs(optimum)), "objective \(objective) vs \(optimum)")
    }

    /// ADMM: converged within relative 1e-4 of the whole QP's optimum, its partners' plans within
    /// the last primal residual of the linking rows.
    @Test(arguments: ["lands3", "chem", "ship04l", "airl_first"])
    func admmReachesTheWholeQPsOptimum(_ name: String) async throws {
        let (chain, optimum) = try Self.quadratic(name)
        let result = try await ADMM().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .converged, "\(name): \(result.message)")
        let objective = try #require(result.objective)
        #expect(abs(objective - optimum) <= 1e-4 * max(1, abs(optimum)), "\(name): objective \(objective) vs \(optimum)")
        try await chain.finish(round: "t", weights: nil)
        let x = await chain.jointPlan()
        let residual = result.history.last?.primalResidual ?? 0
        #expect(chain.program.maximumViolation(x) <= residual + 1e-6, "\(name): violation \(chain.program.maximumViolation(x))")
    }
}
