import ParleyDecomposition
import ParleyModel
import ParleySolver
import Testing

/// The prices a round reports for the linking rows are shadow prices of the whole model: each
/// is a subgradient of the chain's optimal objective as a function of that row's bounds. For a
/// cost-minimising chain v(b) is convex, so v(b + δ) ≥ v(b) + price·δ for every shift δ, on both
/// sides; a price of the wrong sign or size (zero where the row is worth something) breaks it.
/// Checked against CLP's solves of the original model with one row's bounds moved.
@Suite struct LinkingPricesTests {
    /// Checks `prices` against the model: for each linking row (up to `rows`), both shifts.
    func checkSubgradients(_ chain: SplitChain, prices: [Double], tolerance: Double, rows: Int = 12) throws {
        let program = chain.program
        let index = program.rowIndexByName()
        let base = try ClpSolver(program: program).solve()
        #expect(base.status == .optimal)
        let scale = max(1, abs(base.objective))
        let sense = program.sense == .minimize ? 1.0 : -1.0
        // The rows with a price first (the ones a wrong price would show on), then the others.
        let order = prices.indices.sorted { abs(prices[$0]) > abs(prices[$1]) }.prefix(rows)
        var priced = 0
        for i in order {
            let row = chain.split.contract.linkingRows[i]
            let r = try #require(index[row.name])
            if prices[i] != 0 { priced += 1 }
            let size = max(1, abs(row.lower.isFinite ? row.lower : 0), abs(row.upper.isFinite ? row.upper : 0))
            for delta in [1e-3 * size, -1e-3 * size] {
                var moved = program
                if moved.rowLower[r].isFinite { moved.rowLower[r] += delta }
                if moved.rowUpper[r].isFinite { moved.rowUpper[r] += delta }
                let shifted = try ClpSolver(program: moved).solve()
                guard shifted.status == .optimal else { continue }  // the shift left no plan: nothing to compare
                // Minimise: v(b+δ) − v(b) − price·δ ≥ 0; maximise: ≤ 0.
                let slack = sense * (shifted.objective - base.objective - prices[i] * delta)
                #expect(
                    slack >= -tolerance * scale,
                    "row \(row.name) price \(prices[i]), shift \(delta): objective \(base.objective) → \(shifted.objective)")
            }
        }
        #expect(priced > 0, "no row with a price: the check says nothing")
    }

    @Test(arguments: ["lands3", "ship04l", "airl_first", "chem"])
    func dantzigWolfePricesAreShadowPricesOfTheWholeModel(_ name: String) async throws {
        let chain = try SplitChain(name)
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .optimal)
        let prices = try #require(result.linkingPrices)
        #expect(prices.count == chain.split.contract.linkingRows.count)
        try checkSubgradients(chain, prices: prices, tolerance: 1e-7)
    }

    @Test func admmPricesAreShadowPricesToItsTolerance() async throws {
        let chain = try SplitChain("lands3")
        let result = try await ADMM().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .converged)
        let prices = try #require(result.linkingPrices)
        try checkSubgradients(chain, prices: prices, tolerance: 1e-5)
    }

    /// A final instruction's prices are checked like every request's: one per row the partner
    /// takes part in, finite.
    @Test func finalPricesOfTheWrongShapeAreABadRequest() async throws {
        let chain = try SplitChain("lands3")
        let (_, weights) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        let partner = chain.partners[0]
        let rows = partner.linkingRows.count
        await #expect(throws: PartnerError(
            partner: partner.name, kind: .badRequest,
            message: "the final instruction has \(rows + 1) prices for the partner's \(rows) linking rows")
        ) {
            try await partner.finish(PlanInstruction(round: "t", kind: .weights(weights[0]), prices: Array(repeating: 1, count: rows + 1)))
        }
        var prices = Array(repeating: 1.0, count: rows)
        prices[0] = .nan
        let name = chain.split.contract.linkingRows[partner.linkingRows[0]].name
        await #expect(throws: PartnerError(partner: partner.name, kind: .badRequest, message: "the final price of \(name) is nan")) {
            try await partner.finish(PlanInstruction(round: "t", kind: .weights(weights[0]), prices: prices))
        }
        #expect(await partner.linkingRowsAtTheEnd() == nil)
    }

    @Test func aRoundStoppedShortReportsNoPrices() async throws {
        let chain = try SplitChain("lands3")
        var settings = DantzigWolfeSettings()
        settings.maximumIterations = 2
        let (result, _) = try await DantzigWolfe(settings: settings).run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .iterationLimit)
        #expect(result.linkingPrices == nil)
    }
}
