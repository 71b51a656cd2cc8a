import ParleyTestSupport
import ParleyModel
import ParleySolver
import Testing

/// Every shared benchmark LP, read by Parley's MPS reader and solved by CLP, reaches the
/// published (HiGHS-recomputed) optimum.
@Suite struct InstanceOptimaTests {
    /// Relative tolerance against `reference_optimum`; the instance README calls 1e-6 safe for all.
    static let tolerance = 1e-6

    /// Both ways of starting cold (presolve, CLP's default; a crash basis, as partners' pricing
    /// LPs start) reach the same optimum.
    @Test(arguments: Fixtures.references, SolverSettings.ColdStart.allCases)
    func reachesReferenceOptimum(_ reference: Fixtures.Reference, _ coldStart: SolverSettings.ColdStart) throws {
        let program = try MPSReader().read(path: reference.path)
        var settings = SolverSettings()
        settings.coldStart = coldStart
        let result = try ClpSolver(program: program, settings: settings).solve()
        #expect(result.status == .optimal)
        let error = abs(result.objective - reference.optimum) / max(1, abs(reference.optimum))
        #expect(error <= Self.tolerance, "objective \(result.objective) vs reference \(reference.optimum)")
        // The point CLP returns is feasible for the model as Parley read it, and gives the objective.
        let scale = max(1, program.rowUpper.filter(\.isFinite).map(abs).max() ?? 1)
        #expect(program.maximumViolation(result.primal) <= 1e-6 * scale)
        #expect(abs(program.objectiveValue(result.primal) - result.objective) <= 1e-7 * max(1, abs(result.objective)))
    }
}
