import ParleyDecomposition
import ParleyModel
import Testing

/// A partner's answers to several price vectors in one request.
@Suite struct PricingTests {
    /// Partner a of InfeasibilityTests' chain: min x with 0 ≤ x ≤ 10, and x on the linking row.
    /// Its pricing problem at price π is min (1 − π)·x: x = 0 while π < 1, x = 10 beyond.
    static func partner() throws -> LocalPartner {
        let contract = InfeasibilityTests.chain(rowLower: 0)
        let program = InfeasibilityTests.partner("a", cost: 1, upper: 10)
        return try LocalPartner(problem: PartnerProblem(contract: contract, partner: "a", program: program), chainSense: .minimize)
    }

    /// The plan x = 0 is optimal at π = 0 and at π = 0.5, so it is optimal at π = 0.25 between
    /// them: that point is answered without a solve, with the value a solve gives there.
    @Test func aPointBetweenTwoWithTheSameOptimumIsAnsweredWithoutASolve() async throws {
        let partner = try Self.partner()
        let response = try await partner.price(PricingRequest(round: "t", iteration: 1, prices: [[0], [0.25], [0.5]], costWeight: 1))
        #expect(await partner.pricingSolves == 2)
        #expect(response.values == [0, 0, 0])
        #expect(Set(response.best).count == 1)

        let alone = try Self.partner()
        let middle = try await alone.price(PricingRequest(round: "t", iteration: 1, prices: [[0.25]], costWeight: 1))
        #expect(middle.values == [response.values[1]])
    }

    /// A point outside the segment (π = 0.75 is not between 0 and 0.5), or between two points
    /// with different optima (x = 0 at π = 0, x = 10 at π = 2), is solved.
    @Test func otherPointsAreSolved() async throws {
        let outside = try Self.partner()
        let a = try await outside.price(PricingRequest(round: "t", iteration: 1, prices: [[0], [0.75], [0.5]], costWeight: 1))
        #expect(await outside.pricingSolves == 3)
        #expect(a.values == [0, 0, 0])

        let apart = try Self.partner()
        let b = try await apart.price(PricingRequest(round: "t", iteration: 1, prices: [[0], [1.5], [2]], costWeight: 1))
        #expect(await apart.pricingSolves == 3)
        #expect(b.values == [0, -5, -10])
        #expect(Set(b.best).count == 2)
    }

    /// A partner whose pricing was unbounded checks its warm answers cold from then on; a node
    /// restarted mid-round rebuilds its partner from the proposals it kept, and a kept ray says
    /// the same (x ≤ ∞ here, so at π = 2 the pricing problem min (1 − π)·x is unbounded).
    @Test func aRestoredRayBringsBackTheColdChecks() async throws {
        let contract = InfeasibilityTests.chain(rowLower: 0)
        let program = InfeasibilityTests.partner("a", cost: 1, upper: .infinity)
        func fresh() throws -> LocalPartner {
            try LocalPartner(problem: PartnerProblem(contract: contract, partner: "a", program: program), chainSense: .minimize)
        }
        let before = try fresh()
        let answer = try await before.price(PricingRequest(round: "t", iteration: 1, prices: [[2]], costWeight: 1))
        let rays = answer.proposals.filter(\.isRay)
        let ray = try #require(rays.first)
        #expect(await before.unboundedSeen)
        let stored = try #require(await before.storedProposal(id: ray.id))

        let restarted = try fresh()
        #expect(await !restarted.unboundedSeen)
        await restarted.restoreProposal(id: 7, x: [0], isRay: false)
        #expect(await !restarted.unboundedSeen, "a plan is no sign of an unbounded pricing problem")
        await restarted.restoreProposal(id: ray.id, x: stored.x, isRay: true)
        #expect(await restarted.unboundedSeen)
    }
}
