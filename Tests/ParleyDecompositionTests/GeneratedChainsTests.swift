import ParleyDecomposition
import ParleyModel
import ParleySolver
import Testing

/// Chains the algorithms were never tuned on: seeded multicommodity and two-stage models
/// (`GeneratedChain`), cut by the generator's blocks, by the detector, and packed into two
/// partners. Each round must end at the optimum CLP finds for the whole model, with a joint plan
/// feasible for it. The sizes vary with the seed; every seed is a different model.
@Suite struct GeneratedChainsTests {
    @Test(arguments: 1...4)
    func multicommodityChainsByDantzigWolfe(_ seed: UInt64) async throws {
        let generated = GeneratedChain.multicommodity(
            seed: seed, commodities: 3 + Int(seed % 5), nodes: 15 + 5 * Int(seed), degree: 2 + Int(seed % 2),
            capacitated: 5 + 3 * Int(seed))
        try await Self.solvesEveryCut(generated, admm: false)
    }

    @Test(arguments: 1...4)
    func stochasticChainsByBothMethods(_ seed: UInt64) async throws {
        let generated = GeneratedChain.stochastic(
            seed: seed, scenarios: 3 + Int(seed), first: 2 + Int(seed % 4), second: 4 + 2 * Int(seed), demands: 2 + Int(seed % 3))
        try await Self.solvesEveryCut(generated, admm: true)
    }

    static func solvesEveryCut(_ generated: GeneratedChain, admm: Bool) async throws {
        let program = generated.program
        let central = try ClpSolver(program: program).solve()
        try #require(central.status == .optimal)
        let reference = central.objective
        let decomposition = try BlockDecomposition(program: program, blockRows: generated.blockRows)
        // The detector finds the generator's blocks, and no more.
        let detected = try #require(BlockDetector.candidates(program).first)
        #expect(
            Set(detected.decomposition.blockRows.map(Set.init)) == Set(decomposition.blockRows.map(Set.init)),
            "detected \(detected.decomposition.blockCount) blocks, generated \(decomposition.blockCount)")
        let cuts: [(String, BlockDecomposition, Int?)] = [
            ("generated", decomposition, nil), ("detected", detected.decomposition, nil), ("packed", decomposition, 2),
        ]
        for (cut, blocks, partners) in cuts {
            let chain = try SplitChain(program.name, program: program, blocks, partnerCount: partners)
            try await chain.reachesOptimum(reference: reference, label: "\(cut): ")
            guard admm else { continue }
            let fresh = try SplitChain(program.name, program: program, blocks, partnerCount: partners)
            let admmResult = try await ADMM().run(round: "a", contract: fresh.split.contract, partners: fresh.partners)
            #expect(admmResult.status == .converged, "\(cut): \(admmResult.message)")
            let admmObjective = try #require(admmResult.objective)
            #expect(abs(admmObjective - reference) <= 1e-4 * max(1, abs(reference)), "\(cut): ADMM \(admmObjective) vs \(reference)")
            if let bound = admmResult.bound {
                #expect(bound <= reference + 1e-9 * max(1, abs(reference)), "\(cut): ADMM bound \(bound) above \(reference)")
            }
        }
    }
}
