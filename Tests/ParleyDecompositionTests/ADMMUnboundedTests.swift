import Foundation
@testable import ParleyDecomposition
import ParleyModel
import Synchronization
import Testing

/// ADMM's unbounded test, driven by scripted partners whose steps are a translation: a and b
/// share one equality row (a.x − b.x = 0) and both raise their x by 10 a step (a's usage of
/// the row +10, b's −10), so the row's sum never moves, while each one's cost falls by 5 a
/// step. What decides is what the partners answer when priced at the round's prices.
@Suite struct ADMMUnboundedTests {
    /// Moves until step `stopAfter` (never, when nil), then stays; priced, it answers a bounded
    /// value, or an unbounded one (a ray) when `unboundedAtPrices`.
    final class ScriptedPartner: Partner, Sendable {
        let name: String
        let linkingRows = [0]
        let direction: Double
        let stopAfter: Int?
        let unboundedAtPrices: Bool
        /// The iterations of the pricing requests it was sent.
        let priced = Mutex<[Int]>([])

        init(_ name: String, direction: Double, stopAfter: Int?, unboundedAtPrices: Bool) {
            self.name = name
            self.direction = direction
            self.stopAfter = stopAfter
            self.unboundedAtPrices = unboundedAtPrices
        }

        func steps(_ iteration: Int) -> Double { Double(min(iteration, stopAfter ?? .max)) }

        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse {
            let moved = steps(request.iteration) - steps(request.iteration - 1)
            // No residual products: acceleration starts over every step, so every step is plain.
            return ADMMResponse(
                usage: [direction * 10 * steps(request.iteration)], cost: -5 * steps(request.iteration),
                usageChange: 100 * moved * moved)
        }

        func price(_ request: PricingRequest) async throws -> PricingResponse {
            priced.withLock { $0.append(request.iteration) }
            if unboundedAtPrices {
                let ray = Proposal(id: 0, usage: [direction], cost: -0.5, isRay: true)
                return PricingResponse(proposals: [ray], values: [nil], best: [0])
            }
            let plan = Proposal(id: 1, usage: [0], cost: 0, isRay: false)
            return PricingResponse(proposals: [plan], values: [0], best: [1])
        }

        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt {
            PlanReceipt(cost: -5 * steps(.max), usage: [0])
        }
    }

    static let contract = ChainContract(
        chain: "translation",
        partners: [.init(name: "a", interface: ["x"]), .init(name: "b", interface: ["x"])],
        linkingRows: [
            .init(
                name: "copy", lower: 0, upper: 0,
                terms: [.init(partner: "a", variable: "x", coefficient: 1), .init(partner: "b", variable: "x", coefficient: -1)])
        ])

    static func settings() -> ADMMSettings {
        var settings = ADMMSettings()
        settings.rho = 1
        settings.maximumIterations = 200
        return settings
    }

    /// Both keep their costs falling without limit, and at the round's prices each is unbounded
    /// along a ray (a's raises the row by 1, b's lowers it by 1): together the rays keep the
    /// row and lower the cost, a certificate. The round ends unbounded after 20 steady steps
    /// (the first step has nothing to compare with) and names both.
    @Test func translationWithRaysThatKeepTheRowsEndsUnbounded() async throws {
        let a = ScriptedPartner("a", direction: 1, stopAfter: nil, unboundedAtPrices: true)
        let b = ScriptedPartner("b", direction: -1, stopAfter: nil, unboundedAtPrices: true)
        let result = try await ADMM(settings: Self.settings()).run(round: "t", contract: Self.contract, partners: [a, b])
        #expect(result.status == .unbounded, "\(result.status): \(result.message)")
        #expect(result.partner == "a")
        #expect(result.objective == nil, "no plan's value to report")
        #expect(result.iterations == 21)
        #expect(
            result.message
                == "the chain's objective improves without limit: the plans of partners 'a', 'b' improve without limit "
                + "along a direction the linking rows do not bound (for 20 steps the cost fell by 10.0 a step)")
        #expect(a.priced.withLock { $0 } == [21])
    }

    /// The same steps, but only a is unbounded at the round's prices, and its ray alone leaves the
    /// row: no certificate. Each time 20 more steady steps pass the partners are priced again,
    /// and the round runs on to its iteration limit.
    @Test func rayThatLeavesTheRowsIsNoCertificate() async throws {
        let a = ScriptedPartner("a", direction: 1, stopAfter: nil, unboundedAtPrices: true)
        let b = ScriptedPartner("b", direction: -1, stopAfter: nil, unboundedAtPrices: false)
        var settings = Self.settings()
        settings.maximumIterations = 90
        let result = try await ADMM(settings: settings).run(round: "t", contract: Self.contract, partners: [a, b])
        #expect(result.status == .iterationLimit, "\(result.status): \(result.message)")
        #expect(b.priced.withLock { $0 } == [21, 41, 61, 81, 90])
    }

    /// The same steps for 40 iterations, but no partner is unbounded at the round's prices: a
    /// false alarm at step 21 (the next would need 20 more steady steps, and the partners stop
    /// at 40), after which the round goes on, and converges once the partners stop moving.
    @Test func translationThatStopsIsNotUnbounded() async throws {
        let a = ScriptedPartner("a", direction: 1, stopAfter: 40, unboundedAtPrices: false)
        let b = ScriptedPartner("b", direction: -1, stopAfter: 40, unboundedAtPrices: false)
        let result = try await ADMM(settings: Self.settings()).run(round: "t", contract: Self.contract, partners: [a, b])
        #expect(result.status == .converged, "\(result.status): \(result.message)")
        #expect(result.iterations > 40)
        let priced = a.priced.withLock { $0 }
        #expect(priced.first == 21, "pricing requests at iterations \(priced)")
        #expect(priced.last == result.iterations, "the closing bound prices at the last iteration: \(priced)")
    }

    /// Steps that do not repeat (each moves 0.9 times as far as the last, and the cost falls by
    /// 0.9 times as much) are no translation, though the row's sum stays put and the cost keeps
    /// falling: no partner is priced before the round ends, though both would say unbounded.
    @Test func slowingStepsAreNotATranslation() async throws {
        final class Slowing: Partner, Sendable {
            let name: String
            let linkingRows = [0]
            let direction: Double
            let priced = Mutex<[Int]>([])
            init(_ name: String, direction: Double) {
                self.name = name
                self.direction = direction
            }
            func usage(_ k: Int) -> Double { direction * 10 * (1 - pow(0.9, Double(k))) / 0.1 }
            func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse {
                let d = usage(request.iteration) - usage(request.iteration - 1)
                return ADMMResponse(usage: [usage(request.iteration)], cost: -0.5 * abs(usage(request.iteration)), usageChange: d * d)
            }
            func price(_ request: PricingRequest) async throws -> PricingResponse {
                priced.withLock { $0.append(request.iteration) }
                return PricingResponse(proposals: [], values: [nil], best: [0])
            }
            func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { PlanReceipt(cost: 0, usage: [0]) }
        }
        let a = Slowing("a", direction: 1)
        let b = Slowing("b", direction: -1)
        var settings = Self.settings()
        settings.maximumIterations = 60
        let result = try await ADMM(settings: settings).run(round: "t", contract: Self.contract, partners: [a, b])
        #expect(result.status != .unbounded, "\(result.message)")
        #expect(a.priced.withLock { $0 }.allSatisfy { $0 == result.iterations })
    }

    /// Stands for a partner taking part in `linkingRows`; never asked anything.
    struct Bystander: Partner {
        let name: String
        let linkingRows: [Int]
        struct NotAsked: Error {}
        func price(_ request: PricingRequest) async throws -> PricingResponse { throw NotAsked() }
        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse { throw NotAsked() }
        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { throw NotAsked() }
    }

    /// The certificate's cone, row by row: a ≤ row (upper side only) takes a combined usage
    /// that does not rise, a ≥ row one that does not fall, a row with both sides finite none at
    /// all; and the combined cost must fall.
    @Test(arguments: [
        // (lower, upper, rays as (usage, cost), certificate expected)
        (-Double.infinity, 10.0, [(-1.0, -1.0)], true), (-Double.infinity, 10.0, [(1.0, -1.0)], false),
        (0.0, Double.infinity, [(1.0, -1.0)], true), (0.0, Double.infinity, [(-1.0, -1.0)], false),
        (0.0, 5.0, [(1.0, -1.0)], false), (0.0, 5.0, [(1.0, -1.0), (-2.0, -1.0)], true),
        (-Double.infinity, Double.infinity, [(7.0, -1.0)], true), (0.0, 0.0, [(1.0, 3.0), (-1.0, -2.0)], false),
    ])
    func certificateConeByRowSense(lower: Double, upper: Double, rays: [(Double, Double)], expected: Bool) {
        let partners: [any Partner] = rays.indices.map { Bystander(name: "p\($0)", linkingRows: [0]) }
        let proposals = rays.enumerated().map { k, ray in
            (partner: k, ray: Proposal(id: 0, usage: [ray.0], cost: ray.1, isRay: true))
        }
        let named = ADMM.certificate(rays: proposals, partners: partners, lower: [lower], upper: [upper])
        #expect(named.isEmpty != expected, "rays \(rays) on [\(lower), \(upper)]: \(named)")
        if expected { #expect(named == Array(rays.indices)) }
    }
}
