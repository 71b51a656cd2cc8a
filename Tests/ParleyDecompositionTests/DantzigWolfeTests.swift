import ParleyTestSupport
import ParleyDecomposition
import ParleyModel
import ParleySolver
import Testing

/// Dantzig–Wolfe over in-process partners reaches the published optimum of the shared block
/// instances, and the partners' plans together are feasible for the original model.
@Suite struct DantzigWolfeTests {
    /// Relative tolerance against `reference_optimum` (the DW gap tolerance is 1e-6 too).
    static let tolerance = 1e-6

    @Test(arguments: ["lands3", "chem", "ship04l", "airl_first", "fxm2_6", "ken-07", "pds-02", "env_aggr"])
    func reachesReferenceOptimum(_ name: String) async throws {
        let chain = try SplitChain(name)
        let reference = Fixtures.references.first { $0.name == name }!.optimum
        let (result, weights) = try await DantzigWolfe().run(
            round: "test", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .optimal, "\(result.message)")
        let objective = try #require(result.objective)
        #expect(abs(objective - reference) <= Self.tolerance * max(1, abs(reference)), "objective \(objective) vs \(reference)")
        let bound = try #require(result.bound)
        #expect(bound <= objective + Self.tolerance * max(1, abs(objective)))
        try await chain.finish(round: "test", weights: weights)
        let x = await chain.jointPlan()
        let scale = max(1, chain.program.rowUpper.filter(\.isFinite).map(abs).max() ?? 1)
        #expect(chain.program.maximumViolation(x) <= 1e-6 * scale, "violation \(chain.program.maximumViolation(x))")
        #expect(abs(chain.program.objectiveValue(x) - reference) <= Self.tolerance * max(1, abs(reference)))
    }

    /// ken-07 packed into 7 partners (several blocks per partner) reaches the same optimum.
    @Test func packedPartnersReachTheSameOptimum() async throws {
        let chain = try SplitChain("ken-07", partnerCount: 7)
        #expect(chain.partners.count == 7)
        let reference = Fixtures.references.first { $0.name == "ken-07" }!.optimum
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .optimal, "\(result.message)")
        #expect(abs((result.objective ?? .nan) - reference) <= Self.tolerance * abs(reference))
    }

    /// Dual-price smoothing costs at most 10% more rounds than none (the target; chem
    /// took 18 against 14 before α restarted after a mispricing), and both runs reach the optimum.
    @Test(arguments: ["lands3", "chem", "ship04l", "airl_first"])
    func stabilizationCostsAtMostTenPercentMoreRounds(_ name: String) async throws {
        let reference = Fixtures.references.first { $0.name == name }!.optimum
        var rounds: [Bool: Int] = [:]
        for stabilization in [true, false] {
            let chain = try SplitChain(name)
            var settings = DantzigWolfeSettings()
            settings.stabilization = stabilization
            let (result, _) = try await DantzigWolfe(settings: settings).run(
                round: "t", contract: chain.split.contract, partners: chain.partners)
            #expect(result.status == .optimal, "\(result.message)")
            #expect(abs((result.objective ?? .nan) - reference) <= Self.tolerance * max(1, abs(reference)))
            rounds[stabilization] = result.iterations
        }
        let with = try #require(rounds[true]), without = try #require(rounds[false])
        #expect(Double(with) <= 1.1 * Double(without), "\(with) rounds with smoothing, \(without) without")
    }

    /// Phase 1 may not drop part of a partner's plan to dodge a linking row: once a partner has a
    /// plan in the master its convexity row has no artificial. pds-02's seeds exceed a few
    /// capacities by a few units; when the master could answer that by running partners at a
    /// fraction of their plans, phase 1 took 19 of its 22 rounds. Now it takes 9 of 14.
    @Test func phaseOneKeepsEveryPartnersPlanWhole() async throws {
        let chain = try SplitChain("pds-02")
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .optimal, "\(result.message)")
        let phaseOne = result.history.filter { $0.phase == 1 }.count
        #expect(phaseOne <= 10, "\(phaseOne) of \(result.iterations) rounds in phase 1")
        #expect(result.iterations <= 16, "\(result.iterations) rounds")
    }

    /// The price vectors of one request are different points: without a stability centre (no
    /// smoothing, or phase 2's first round) the smoothed and intermediate points are the
    /// master's duals themselves, and they are priced once, not again for every rounding
    /// difference of b·y + (1 − b)·y.
    @Test(arguments: [true, false])
    func noRequestPricesOnePointTwice(stabilization: Bool) async throws {
        let chain = try SplitChain("pds-02")
        let recorders = chain.partners.map(RecordingPartner.init)
        var settings = DantzigWolfeSettings()
        settings.stabilization = stabilization
        let (result, _) = try await DantzigWolfe(settings: settings).run(
            round: "t", contract: chain.split.contract, partners: recorders)
        #expect(result.status == .optimal, "\(result.message)")
        var severalPoints = 0
        for request in recorders[0].requests.withLock({ $0 }) {
            if request.prices.count > 1 { severalPoints += 1 }
            for i in request.prices.indices {
                for j in request.prices.indices where j > i {
                    let same = zip(request.prices[i], request.prices[j]).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($0), abs($1)) }
                    #expect(!same, "iteration \(request.iteration) prices one point twice (vectors \(i) and \(j))")
                }
            }
        }
        // Smoothing does price several points a round; without it every round prices one.
        #expect(stabilization ? severalPoints > 0 : severalPoints == 0, "\(severalPoints) requests with several points")
    }

    /// One column per partner and no smoothing still reach the optimum (the switches change
    /// speed, never the answer).
    @Test func switchesOffStillOptimal() async throws {
        let chain = try SplitChain("chem")
        var settings = DantzigWolfeSettings()
        settings.stabilization = false
        settings.pricesPerRound = 1
        let reference = Fixtures.references.first { $0.name == "chem" }!.optimum
        let (result, _) = try await DantzigWolfe(settings: settings).run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .optimal)
        #expect(abs((result.objective ?? .nan) - reference) <= Self.tolerance * abs(reference))
    }

    /// Columns unused for `columnAgeLimit` master solves leave the master for the pool (two
    /// solves here, so that a short round retires some), and the round still proves the
    /// optimum with a plan feasible for the original model. With the limit at 0, or without
    /// smoothing, no column leaves.
    @Test func idleColumnsGoToThePoolAndTheRoundStaysExact() async throws {
        let reference = Fixtures.references.first { $0.name == "airl_first" }!.optimum
        func retired(_ limit: Int, stabilization: Bool = true) async throws -> Int {
            let chain = try SplitChain("airl_first")
            var settings = DantzigWolfeSettings()
            settings.columnAgeLimit = limit
            settings.stabilization = stabilization
            if !stabilization { settings.pricesPerRound = 1 }
            let (result, weights) = try await DantzigWolfe(settings: settings).run(
                round: "t", contract: chain.split.contract, partners: chain.partners)
            #expect(result.status == .optimal, "\(result.message)")
            let objective = try #require(result.objective)
            #expect(abs(objective - reference) <= Self.tolerance * abs(reference), "objective \(objective) vs \(reference)")
            try await chain.finish(round: "t", weights: weights)
            let x = await chain.jointPlan()
            let scale = max(1, chain.program.rowUpper.filter(\.isFinite).map(abs).max() ?? 1)
            #expect(chain.program.maximumViolation(x) <= 1e-6 * scale, "violation \(chain.program.maximumViolation(x))")
            // The master's column count falls by what each iteration retired.
            for (before, record) in zip(result.history, result.history.dropFirst()) where record.phase == 2 {
                let (b, c, a, r) = (try #require(before.columns), try #require(record.columns), try #require(record.added), try #require(record.retired))
                #expect(c == b + a - r, "iteration \(record.iteration): \(b) + \(a) − \(r) ≠ \(c)")
            }
            return result.history.compactMap(\.retired).reduce(0, +)
        }
        #expect(try await retired(2) > 0)
        #expect(try await retired(0) == 0)
        #expect(try await retired(2, stabilization: false) == 0)
    }

    /// A partner that wraps another and, from iteration `from` on, answers every price vector
    /// with a "ray" that uses no linking row and costs nothing: unbounded by its own account,
    /// yet no improvement at any prices (what rays made of round-off looked like).
    final class FalseRays: Partner, Sendable {
        let inner: any Partner
        let from: Int
        init(_ inner: any Partner, from: Int) {
            self.inner = inner
            self.from = from
        }
        var name: String { inner.name }
        var linkingRows: [Int] { inner.linkingRows }
        func price(_ request: PricingRequest) async throws -> PricingResponse {
            guard request.iteration >= from else { return try await inner.price(request) }
            let ray = Proposal(id: 1_000_000, usage: Array(repeating: 0, count: linkingRows.count), cost: 0, isRay: true)
            return PricingResponse(proposals: [ray], values: request.prices.map { _ in nil }, best: request.prices.map { _ in ray.id })
        }
        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse { try await inner.admmStep(request) }
        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { try await inner.finish(instruction) }
    }

    /// A partner whose answers, from iteration `from` on, are altered by `alter`, which also sees
    /// the first plan the partner proposed.
    final class AlteredAnswers: Partner, @unchecked Sendable {
        let inner: any Partner
        let from: Int
        let alter: @Sendable (inout PricingResponse, Proposal?) -> Void
        var firstPlan: Proposal?
        init(_ inner: any Partner, from: Int, alter: @escaping @Sendable (inout PricingResponse, Proposal?) -> Void) {
            self.inner = inner
            self.from = from
            self.alter = alter
        }
        var name: String { inner.name }
        var linkingRows: [Int] { inner.linkingRows }
        func price(_ request: PricingRequest) async throws -> PricingResponse {
            var response = try await inner.price(request)
            if firstPlan == nil { firstPlan = response.proposals.first { !$0.isRay } }
            if request.iteration >= from { alter(&response, firstPlan) }
            return response
        }
        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse { try await inner.admmStep(request) }
        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { try await inner.finish(instruction) }
    }

    /// A proposal out of scale (a cost of 1e30, from round 2 on) ends the round naming the
    /// partner and what it sent, before the master sees it (CLP would abort the coordinator on a
    /// master cost of 1e25 or more).
    @Test func aProposalOutOfScaleNamesThePartner() async throws {
        let chain = try SplitChain("lands3")
        var partners: [any Partner] = chain.partners
        partners[2] = AlteredAnswers(partners[2], from: 2) { response, _ in
            if !response.proposals.isEmpty { response.proposals[0].cost = 1e30 }
        }
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: partners)
        #expect(result.status == .partnerFailed)
        #expect(result.partner == partners[2].name)
        #expect(result.message.hasPrefix("partner '\(partners[2].name)': answered a pricing request with a proposal out of scale (cost 1e+30, "), "\(result.message)")
        #expect(result.message.hasSuffix("; at most ±1e+20 is taken)"), "\(result.message)")
    }

    /// A master whose own column still prices out at its duals after the finer tolerances are
    /// spent is no proof of optimality: the round ends `inaccurate` (it used to stop "optimal").
    /// Here a partner answers, besides its own answers, with its first plan again at a cost 1,000
    /// lower (and values 1,000 lower, so the bound cannot close the gap either), every round.
    @Test func aMasterThatStillMispricesItsColumnsIsNoProof() async throws {
        let chain = try SplitChain("lands3")
        var partners: [any Partner] = chain.partners
        partners[0] = AlteredAnswers(partners[0], from: 1) { response, first in
            guard var again = first else { return }
            again.cost -= 1000
            response.proposals.append(again)
            response.values = response.values.map { $0.map { $0 - 1000 } }
        }
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: partners)
        #expect(result.status == .inaccurate, "\(result.status): \(result.message)")
        #expect(
            result.message
                == "a column of the master still prices out at its duals after 3 solves with finer tolerances: numerical trouble, "
                + "the result is not proven")
    }

    /// An answer that contradicts itself is no proof: a partner calling its pricing problem
    /// unbounded at the master's duals while none of its rays prices out there. The round ends
    /// `inaccurate` naming it; it used to take "no column prices out" as optimality and stop
    /// "optimal" (here 0.56% above lands3's optimum; adlittle cut by the detector, 10%).
    @Test func aRayThatImprovesNothingIsNoProofOfOptimality() async throws {
        let chain = try SplitChain("lands3")
        var partners: [any Partner] = chain.partners
        partners[1] = FalseRays(partners[1], from: 3)
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: partners)
        #expect(result.status == .inaccurate, "\(result.status): \(result.message) \(String(describing: result.objective))")
        #expect(result.partner == partners[1].name)
        #expect(
            result.message
                == "partner '\(partners[1].name)' called its pricing problem unbounded at the master's prices, but its ray does not "
                + "improve on them: numerical trouble in its pricing problem, the result is not proven")
    }

    /// A phase-1 penalty too small to pay for leaving the linking rows, and no raises: phase 1
    /// stalls with artificials in use, phase 0 finds the chain feasible after all, and phase 2
    /// goes on from that master to the optimum (that switch's solve used to go unchecked).
    @Test(arguments: ["lands3", "ship04l", "airl_first"])
    func aRoundThatProvesFeasibilityInPhaseZeroReachesTheOptimum(_ name: String) async throws {
        var settings = DantzigWolfeSettings()
        settings.penaltyFactor = 1e-6
        settings.penaltyRaises = 0
        let probe = try SplitChain(name)
        let (run, _) = try await DantzigWolfe(settings: settings).run(round: "t", contract: probe.split.contract, partners: probe.partners)
        let phases = run.history.map(\.phase)
        #expect(phases.contains(0) && phases.last == 2, "\(name): phases \(Set(phases))")
        let chain = try SplitChain(name)
        let reference = Fixtures.references.first { $0.name == name }!.optimum
        try await chain.reachesOptimum(reference: reference, label: "\(name): ", settings: settings)
    }

    /// A gap tolerance of 0 asks for the exact optimum: the round ends optimal there, with its
    /// bound meeting its objective; a bound passing the objective by round-off (8e-16 to 3e-13
    /// of it) is not "numerical trouble", which it was called when the check used the gap
    /// tolerance itself.
    @Test(arguments: ["lands3", "airl_first", "ken-07"])
    func aGapOfZeroIsMet(_ name: String) async throws {
        let chain = try SplitChain(name)
        let reference = Fixtures.references.first { $0.name == name }!.optimum
        var settings = DantzigWolfeSettings()
        settings.gapTolerance = 0
        let (result, _) = try await DantzigWolfe(settings: settings).run(round: "t", contract: chain.split.contract, partners: chain.partners)
        #expect(result.status == .optimal, "\(result.status): \(result.message)")
        #expect(result.gap == 0)
        let objective = try #require(result.objective)
        #expect(abs(objective - reference) <= Self.tolerance * max(1, abs(reference)), "objective \(objective) vs \(reference)")
    }
}
