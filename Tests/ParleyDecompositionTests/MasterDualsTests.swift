@testable import ParleyDecomposition
import Testing

/// The check that keeps a master CLP called optimal, but whose duals are round-off, from pricing
/// the partners (see `DantzigWolfeEngine.dualsOutOfScale`).
@Suite struct MasterDualsTests {
    /// A phase-2 master over lands3 with one column of p01 (cost 5, usages up to 1,000): a dual
    /// counts as out of scale when it times the largest coefficient in its row passes 1e10 times
    /// the largest cost.
    @Test func aDualOutOfScaleWithTheCostsIsCaught() throws {
        let chain = try SplitChain("lands3")
        let contract = chain.split.contract
        var engine = try DantzigWolfeEngine(settings: DantzigWolfeSettings(), contract: contract, partners: chain.partners, round: "t")
        let rows = chain.partners[0].linkingRows
        try #require(rows.count >= 2)
        var usage = Array(repeating: 0.5, count: rows.count)
        usage[0] = 1000
        engine.columns = [.init(partner: 0, proposal: Proposal(id: 1, usage: usage, cost: 5, isRay: false))]
        engine.phase = 2
        let count = contract.linkingRows.count + chain.partners.count
        let sane = Array(repeating: 1e3, count: count)
        #expect(engine.dualsOutOfScale(sane) == nil)

        var broken = sane
        broken[rows[1]] = 6.4e22  // what CLP's warm primal once returned
        let found = try #require(engine.dualsOutOfScale(broken))
        #expect(found.row == rows[1] && found.dual == 6.4e22)

        // 1e8 is in scale on a row whose coefficients are at most 1 (1e8 ≤ 5e10), not on the row
        // where the column uses 1,000 (1e11 > 5e10).
        var large = sane
        large[rows[1]] = 1e8
        #expect(engine.dualsOutOfScale(large) == nil)
        large[rows[0]] = 1e8
        #expect(engine.dualsOutOfScale(large)?.row == rows[0])
    }
}
