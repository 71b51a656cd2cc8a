import ParleyModel
import ParleySolver

/// Settings of sharing-form ADMM, with named defaults (after OSQP).
public struct ADMMSettings: Sendable, Equatable {
    /// Absolute and relative tolerances on the primal and dual residuals.
    public var absoluteTolerance: Double = 1e-6
    public var relativeTolerance: Double = 5e-5
    public var maximumIterations: Int = 4000
    public var maximumSeconds: Double = .infinity
    /// Initial penalty; `nil` chooses it from the partners' own costs and linking-row usages.
    public var rho: Double?
    /// Over-relaxation α in (0, 2), of the rows' mean usages (in the z̄ and w updates); each
    /// partner's deviation from the mean is not relaxed. Textbook over-relaxed sharing ADMM
    /// relaxes the deviations too (each partner keeping its own relaxed copy); measured without
    /// acceleration it took more iterations on six of the seven scenario and block instances
    /// (airl_first 2,164 → 3,316, env_aggr 349 → 460, lands3 69 → 89; chem unchanged).
    public var relaxation: Double = 1.6
    /// Residual balancing: look every this many iterations (iteration counts, not wall time,
    /// so runs are reproducible); with acceleration the gaps double (10, 30, 70, 150, …), since
    /// every change of ρ discards the acceleration's history ...
    public var adaptiveInterval: Int = 10
    /// ... and change ρ only when the balancing factor exceeds this (or its inverse) ...
    public var adaptiveThreshold: Double = 5
    /// ... or this, with acceleration: its rarer looks act on a smaller imbalance.
    public var acceleratedAdaptiveThreshold: Double = 2
    /// ρ stays within [initial / rhoRange, initial × rhoRange]: a penalty far beyond the
    /// prices' scale makes the partners' QPs ill-conditioned.
    public var rhoRange: Double = 1e4
    /// At a look, when the last plain step moved no partner's plan at all (dual residual exactly
    /// 0) while the linking rows are still off (primal residual above 0), ρ is multiplied by
    /// this (within `rhoRange`). The partners' updates sit at vertices of their models, and
    /// only a larger penalty, or prices that drift for many steps, moves them; residual
    /// balancing, which has no ratio there, used to skip such looks. A generated two-stage
    /// program of seven scenarios packed into two partners (Tests/Fixtures/solver/generated-st7)
    /// had ρ balanced down to its floor early on, then sat there to the iteration limit, its
    /// primal residual at 1.97; with this rule it converges in 76 steps (with ρ × 10, 156; with
    /// a jump to the cap, 2,617). Measured over 616 ADMM rounds of four generated sweeps: 118,699
    /// → 101,683 iterations, none left at the limit (one was); on the detected Netlib splits
    /// sc50b 2,581 → 81 steps (1.3e-11 off its optimum), the rest and the seven block instances
    /// unchanged. Only after a plain step: one started from an accelerated point can land back
    /// on the last iterate without being stuck (counting those too also took afiro 340 → 76,
    /// but is not the same evidence).
    public var stalledRhoFactor: Double = 100
    /// Anderson acceleration of the whole iteration (see `AndersonAcceleration`): how many past
    /// steps it combines; 0 turns it off.
    public var accelerationMemory: Int = 10
    /// An accelerated point is kept only when its fixed-point residual is at most this many times
    /// the last accepted one; otherwise the round goes back to the plain step it replaced.
    public var safeguardFactor: Double = 1
    /// An accelerated point whose weights on the recent iterates sum, in absolute value, to more
    /// than this is moved towards the plain step until they sum to this: weights far beyond it
    /// extrapolate far past the iterates. On a generated nine-scenario program
    /// (Tests/Fixtures/solver/generated-st9) they summed to 6e10 at step 36 and put one
    /// partner's penalty targets near 2e6 on rows whose usages were below 100 (CLP then found no
    /// optimum of its update). Those weights were solved from round-off, which the accelerator
    /// now refuses to use (`AndersonAcceleration.informative`). Since then the limit changes no
    /// iteration count on lands3, airl_first, env_aggr, fxm2_6, chem, ship04l or ken-07; it
    /// stays as a backstop.
    public var accelerationWeightLimit: Double = 1e4
    /// Unbounded chains (after OSQP's test of dual infeasibility, on sums only): when this many
    /// plain steps in a row each lower the chain's cost by the same amount (to 1e-3) and move
    /// the partners' usages by the same distance, the cost falling by more than
    /// `unboundedTolerance` × (cost per unit of usage) × that distance while every linking row's
    /// sum stays within its recession cone (an equality row's sum moves by at most
    /// `unboundedTolerance` × the distance; a ≤ row's does not rise by more), the steps look
    /// like a translation along a direction the linking rows do not bound. Looks are not proof:
    /// capri cut by the detector (ρ's range widened) walked a long finite edge that way for 20
    /// steps, its cost falling by 0.037 a step. So the partners are priced at the round's
    /// prices, and the round ends unbounded only when the rays of those unbounded there combine
    /// (non-negative weights) into a certificate: a direction that keeps every linking row's sum
    /// within its recession cone and lowers the cost. Otherwise it goes on. That LP sees each
    /// such partner's ray (its linking-row usage and cost, as DW's master does): the one place
    /// an ADMM round uses answers of single partners rather than sums, and only once a chain
    /// looks unbounded. 0 turns the test off.
    public var unboundedSteps: Int = 20
    public var unboundedTolerance: Double = 1e-4

    public init() {}

    public func validate() throws(SolverError) {
        if !(absoluteTolerance >= 0 && relativeTolerance >= 0) { throw .invalidSetting("tolerances must be at least 0") }
        if maximumIterations < 1 { throw .invalidSetting("maximumIterations must be at least 1") }
        if !(relaxation > 0 && relaxation < 2) { throw .invalidSetting("relaxation must be in (0, 2)") }
        if let rho, !(rho > 0 && rho.isFinite) { throw .invalidSetting("rho must be positive") }
        if adaptiveInterval < 1 || !(adaptiveThreshold > 1) || !(acceleratedAdaptiveThreshold > 1) || !(rhoRange >= 1)
            || !(stalledRhoFactor >= 1 && stalledRhoFactor.isFinite)
        {
            throw .invalidSetting("adaptive settings out of range")
        }
        if accelerationMemory < 0 || !(safeguardFactor > 0 && safeguardFactor.isFinite) || !(accelerationWeightLimit > 1) {
            throw .invalidSetting("acceleration settings out of range")
        }
        if unboundedSteps < 0 || !(unboundedTolerance > 0 && unboundedTolerance < 1) {
            throw .invalidSetting("unbounded-detection settings out of range")
        }
    }
}

/// ADMM in sharing form over the linking rows.
///
/// For linking row i with participants Pᵢ (Nᵢ of them), the coordinator keeps the mean usage ūᵢ,
/// its projection z̄ᵢ onto [Lᵢ/Nᵢ, Uᵢ/Nᵢ], and the scaled dual wᵢ. Each partner minimises its own
/// cost plus (ρ/2)‖usage − (previous usage − shift)‖² with shift = ū − z̄ + w on its rows. The
/// coordinator uses only *sums* over partners (of usages, costs and inner products), so secure
/// aggregation can replace the individual answers later without touching the algorithm.
///
/// Anderson acceleration (on by default; `accelerationMemory`) treats one iteration as a map of
/// the point (every partner's usage, z̄, w) and starts the next iteration from a combination of
/// recent images. It needs only inner products of the iterations' residuals, which are sums of
/// each partner's own part (it pairs its own residuals, usage − starting usage) and the
/// coordinator's; the coordinator sends back the weights, and each partner combines its own
/// earlier usages into its starting usage. A combination whose residual grows is replaced by the
/// plain step, so acceleration never holds the round back by more than that one iteration.
public struct ADMM: Sendable {
    public var settings: ADMMSettings

    public init(settings: ADMMSettings = ADMMSettings()) {
        self.settings = settings
    }

    /// Runs a round. `checkpoint` receives the coordinator's state after every iteration; a round
    /// started with `resume` (a checkpoint of the same round, contract and partners) continues
    /// after that iteration. The partners keep their own recent usages by iteration, so they
    /// answer a resumed round's requests from where it left off.
    public func run(
        round: String, contract: ChainContract, partners: [any Partner], observer: IterationObserver? = nil,
        resume: ADMMCheckpoint? = nil, checkpoint: (@Sendable (ADMMCheckpoint) -> Void)? = nil
    ) async throws -> RoundResult {
        try settings.validate()
        if let resume { try resume.check(round: round, contract: contract, partners: partners) }
        let clock = ContinuousClock()
        let start = clock.now
        let secondsBefore = resume?.seconds ?? 0
        let m = contract.linkingRows.count
        let (lower, upper) = contract.linkingBounds
        let sign = contract.sense == .maximize ? -1.0 : 1.0
        var count = Array(repeating: 0.0, count: m)
        for p in partners { for r in p.linkingRows { count[r] += 1 } }
        var history: [IterationRecord] = resume?.history ?? []

        func finish(_ status: RoundStatus, _ message: String, partner: String? = nil, violation: Double? = nil) -> RoundResult {
            // An unbounded or infeasible chain has no plan whose value could be reported (DW
            // reports none either); the last iterate's cost stays in the convergence log.
            let last = history.last
            let planned = status != .unbounded && status != .infeasible
            return RoundResult(
                method: "admm", status: status, objective: planned ? last?.objective : nil, bound: nil, gap: nil,
                iterations: history.count, seconds: secondsBefore + (clock.now - start).secondsValue, message: message, partner: partner,
                violatedRows: [], linkingViolation: violation, history: history)
        }

        /// A round that stopped with a plan (converged, or at its iteration limit; a time limit is
        /// kept to the second) ends with the Lagrangian bound at its last prices y = ρ·w (at a
        /// fixed point the partners' updates are optimal for cost + yᵀ(usage); see
        /// LinkingRowPrices), from one pricing request per partner. The bound holds whatever y
        /// is; near convergence it is near the optimum, so the gap says how far the round's
        /// answer can be from it. No bound when a partner's value is unbounded at y, or a partner
        /// fails to answer (the round's own status stands).
        /// The round's prices y = ρ·w (each price that points at an infinite side set to zero),
        /// and every partner's answer to one pricing request there: what the closing bound and
        /// the unbounded certificate are made of.
        func pricedAtRoundPrices(w: [Double], rho: Double, iteration: Int) async throws -> (y: [Double], answers: [PricingResponse]) {
            let y = LinkingRowPrices(lower: lower, upper: upper).projected(w.map { -rho * $0 })
            let requests = partners.map { p in
                PricingRequest(round: round, iteration: iteration, prices: [p.linkingRows.map { y[$0] }], costWeight: 1)
            }
            let (answers, _) = try await forEachPartner(partners) { k, partner in try await partner.price(requests[k]) }
            return (y, answers)
        }

        func finishWithBound(_ status: RoundStatus, _ message: String, violation: Double, w: [Double], rho: Double, iteration: Int) async -> RoundResult {
            var result = finish(status, message, violation: violation)
            let prices = LinkingRowPrices(lower: lower, upper: upper)
            do {
                let (y, answers) = try await pricedAtRoundPrices(w: w, rho: rho, iteration: iteration)
                if status == .converged { result.linkingPrices = y.map { sign * $0 + 0 } }
                var total = 0.0
                for (k, answer) in answers.enumerated() {
                    guard let value = answer.values.first ?? nil else {
                        // A plan variable without a bound of its own, whose price at y is off its
                        // exact value by the round's residual (two-firm's delivery dB, priced at
                        // B's marginal cost 4 only in the limit).
                        result.message += " (no bound: \(partners[k].name)'s value is unbounded at the final prices)"
                        return result
                    }
                    total += value
                }
                let bound = prices.boundTerm(y) + total
                guard bound.isFinite, let objective = result.objective else { return result }
                let cost = sign * (objective - contract.objectiveConstant)
                result.bound = sign * bound + contract.objectiveConstant
                // The gap is the distance from the plan's cost to the bound, either way: ADMM's
                // plan meets the linking rows only within the primal residual, so its cost can be
                // below the bound, and so below the optimum (a generated two-stage program of 50
                // scenarios: 2.2e-5 under it). A gap clamped at zero would then read "proven".
                result.gap = abs(cost - bound) / max(1, abs(cost))
                if cost < bound {
                    result.message += "; the plan's cost is below the bound (its linking rows hold within the primal residual only)"
                }
                result.seconds = secondsBefore + (clock.now - start).secondsValue
            } catch {
                result.message += " (no bound: \(error))"
            }
            return result
        }

        /// A certificate that the chain is unbounded, from the rays of the partners whose pricing
        /// problems are unbounded at the round's prices y = ρ·w (projected as in
        /// `finishWithBound`): non-negative weights on those rays whose combined linking-row
        /// usage stays within every row's recession cone and whose combined cost is negative.
        /// The names of the partners whose rays it uses, or none.
        func unboundedCertificate(w: [Double], rho: Double, iteration: Int) async throws -> [String] {
            let (_, answers) = try await pricedAtRoundPrices(w: w, rho: rho, iteration: iteration)
            var rays: [(partner: Int, ray: Proposal)] = []
            for (k, answer) in answers.enumerated() where (answer.values.first ?? nil) == nil {
                let best = answer.proposals.first { $0.id == answer.best.first && $0.isRay } ?? answer.proposals.first(where: \.isRay)
                guard let ray = best, ray.usage.count == partners[k].linkingRows.count,
                    ray.cost.isFinite, ray.usage.allSatisfy(\.isFinite)
                else { continue }
                rays.append((k, ray))
            }
            return Self.certificate(rays: rays, partners: partners, lower: lower, upper: upper).map { partners[$0].name }
        }

        do {
            // ρ from the data: the partners' own optima (zero prices) give a cost scale and a
            // usage scale; ρ ≈ cost / usage² puts the penalty on the scale of the prices.
            var rho = resume?.rho ?? settings.rho ?? 1
            if settings.rho == nil && resume == nil {
                let zero = (0..<partners.count).map { k in
                    PricingRequest(round: round, iteration: 0, prices: [Array(repeating: 0, count: partners[k].linkingRows.count)], costWeight: 1)
                }
                let (own, _) = try await forEachPartner(partners) { k, partner in try await partner.price(zero[k]) }
                var cost = 0.0
                var usage = 0.0
                for response in own {
                    for p in response.proposals where !p.isRay {
                        cost += abs(p.cost)
                        usage += p.usage.reduce(0) { $0 + $1 * $1 }
                    }
                }
                rho = max(cost, 1) / max(usage, 1)
            }
            let initialRho = resume?.initialRho ?? rho
            let contractHash = contract.contentHash  // once: it is a SHA-256 of the whole contract
            let rhoLimits = (initialRho / settings.rhoRange, initialRho * settings.rhoRange)

            var meanUsage = resume?.meanUsage ?? Array(repeating: 0.0, count: m)
            var z = resume?.z ?? Array(repeating: 0.0, count: m)
            var w = resume?.w ?? Array(repeating: 0.0, count: m)
            var iteration = resume?.iteration ?? 0
            let accelerated = settings.accelerationMemory > 0
            var accelerator = AndersonAcceleration(memory: max(settings.accelerationMemory, 1))
            // The coordinator's part of each recent iteration's image (ū, z̄, w after it) and of its
            // residual (z̄ and w's change over the step), by iteration; the partners keep theirs.
            var images: [Int: ADMMCoordinatorPart] = [:]
            var residuals: [Int: [Double]] = [:]
            var next: ADMMStart = .plain  // where the next iteration starts from
            var acceptedResidual = Double.infinity
            var nextAdaptation = (iteration / settings.adaptiveInterval + 1) * settings.adaptiveInterval
            var lastAdaptation = iteration
            // The unbounded test: the last plain step (its total cost and linking-row sums, and how
            // far it lowered the cost and moved the usages), and how many steady ones led to it.
            var lastPlain: (iteration: Int, rho: Double, cost: Double, sum: [Double], descent: Double, move: Double)?
            var steadySteps = 0
            while true {
                // The state after the last iteration, ρ adapted: what a resumed round starts from.
                if iteration > 0, let checkpoint {
                    checkpoint(
                        ADMMCheckpoint(
                            round: round, contractHash: contractHash, partners: partners.map(\.name), iteration: iteration,
                            seconds: secondsBefore + (clock.now - start).secondsValue, rho: rho, initialRho: initialRho,
                            meanUsage: meanUsage, z: z, w: w, history: history))
                }
                iteration += 1
                // Where this iteration starts: the last iterate (the plain step), or a combination
                // of recent ones that acceleration chose (or the plain step such a combination
                // replaced). Each partner forms its own part of it from its own usages; the
                // coordinator's part, and the shift, come from sums.
                let from = next
                next = .plain
                let origin: ADMMCoordinatorPart
                var startWeights: [ADMMRequest.Weight] = []
                switch from {
                case .plain:
                    origin = ADMMCoordinatorPart(meanUsage: meanUsage, z: z, w: w)
                case .combination(let weights):
                    startWeights = weights.map { ADMMRequest.Weight(iteration: $0.iteration, weight: $0.weight) }
                    origin = ADMMCoordinatorPart.combining(weights.map { (images[$0.iteration]!, $0.weight) }, rows: m)
                case .earlier(let past):
                    startWeights = [ADMMRequest.Weight(iteration: past, weight: 1)]
                    origin = images[past]!
                }
                let products = accelerated ? accelerator.iterations + [iteration] : []
                let requests = partners.map { p in
                    ADMMRequest(
                        round: round, iteration: iteration,
                        shift: p.linkingRows.map { origin.meanUsage[$0] - origin.z[$0] + origin.w[$0] }, rho: rho,
                        start: startWeights, products: products)
                }
                let (answers, seconds) = try await forEachPartner(partners) { k, partner in try await partner.admmStep(requests[k]) }
                var sum = Array(repeating: 0.0, count: m)
                var cost = 0.0
                var change = 0.0
                var spread = 0.0
                // Σ over partners of ⟨r, rₜ⟩ for t in `products` (nil: a partner could not say).
                var productSums: [Double]? = products.isEmpty ? nil : Array(repeating: 0, count: products.count)
                for (k, a) in answers.enumerated() {
                    guard a.usage.count == partners[k].linkingRows.count, a.usage.allSatisfy(\.isFinite), a.cost.isFinite,
                        a.usageChange.isFinite, a.usageChange >= 0, a.residualProducts.allSatisfy(\.isFinite)
                    else {
                        throw PartnerError(partner: partners[k].name, kind: .badRequest, message: "answered an ADMM update with a malformed usage vector")
                    }
                    for (r, u) in zip(partners[k].linkingRows, a.usage) { sum[r] += u }
                    cost += a.cost
                    change += a.usageChange
                    spread += a.usage.reduce(0) { $0 + $1 * $1 }
                    if a.residualProducts.count == products.count, let sums = productSums {
                        productSums = zip(sums, a.residualProducts).map { $0 + $1 }
                    } else {
                        productSums = nil
                    }
                }
                // From here on only the sums are used.
                z = origin.z
                w = origin.w
                let previousZ = z
                for i in 0..<m where count[i] > 0 {
                    meanUsage[i] = sum[i] / count[i]
                    let relaxed = settings.relaxation * meanUsage[i] + (1 - settings.relaxation) * previousZ[i]
                    z[i] = min(max(relaxed + w[i], lower[i] / count[i]), upper[i] / count[i])
                    w[i] += relaxed - z[i]
                }
                var primal = 0.0, dual = 0.0
                var usageNorm = 0.0, zNorm = 0.0, priceNorm = 0.0
                for i in 0..<m where count[i] > 0 {
                    let r = count[i] * (meanUsage[i] - z[i])
                    primal += r * r
                    usageNorm += sum[i] * sum[i]
                    zNorm += (count[i] * z[i]) * (count[i] * z[i])
                    priceNorm += (rho * w[i]) * (rho * w[i])
                }
                primal = primal.squareRoot()
                // Dual residual: ρ times how far the partners' plans still move (for rows with a
                // single feasible value, z̄ never moves, so z̄'s change would say nothing).
                dual = rho * change.squareRoot()
                // Scales (as OSQP's max(‖Ax‖, ‖z‖) and max(‖Aᵀy‖, ‖q‖)): the partners' usages
                // themselves, not their sum, which is ~0 on copy rows (x_s − x_s' = 0); prices,
                // or the chain's cost per unit of usage when the prices are still ~0.
                let primalScale = max(usageNorm, zNorm, spread).squareRoot()
                let dualScale = max(priceNorm.squareRoot(), abs(cost) / max(primalScale, 1))
                let rootM = Double(max(m, 1)).squareRoot()
                let primalLimit = settings.absoluteTolerance * rootM + settings.relativeTolerance * primalScale
                let dualLimit = settings.absoluteTolerance * rootM + settings.relativeTolerance * dualScale

                var record = IterationRecord(iteration: iteration, seconds: secondsBefore + (clock.now - start).secondsValue, phase: 0)
                record.objective = sign * cost + contract.objectiveConstant
                record.primalResidual = primal
                record.dualResidual = dual
                record.rho = rho
                let slowest = seconds.indices.max { seconds[$0] < seconds[$1] }
                record.slowestPartner = slowest.map { partners[$0].name }
                record.slowestSeconds = slowest.map { seconds[$0] }
                history.append(record)
                observer?(record)

                let violation = contract.linkingViolation(sum, tolerance: 0).worst
                // The unbounded test (see ADMMSettings.unboundedSteps); ρ is still the step's own here.
                let plainStep: Bool
                if case .plain = from { plainStep = true } else { plainStep = false }
                if plainStep && settings.unboundedSteps > 0 {
                    let move = change.squareRoot()
                    var descent = Double.nan
                    if let last = lastPlain, last.iteration == iteration - 1, last.rho == rho, move > 0 {
                        descent = cost - last.cost
                        let slack = settings.unboundedTolerance * move
                        let recedes = (0..<m).allSatisfy { i in
                            let d = sum[i] - last.sum[i]
                            return count[i] == 0 || ((!upper[i].isFinite || d <= slack) && (!lower[i].isFinite || d >= -slack))
                        }
                        let steady = last.descent.isNaN
                            || (abs(descent - last.descent) <= 1e-3 * abs(descent) && abs(move - last.move) <= 1e-3 * move)
                        let falls = descent < -settings.unboundedTolerance * dualScale * move
                        steadySteps = falls && recedes && steady ? steadySteps + 1 : 0
                    } else {
                        steadySteps = 0
                    }
                    lastPlain = (iteration, rho, cost, sum, descent, move)
                    if steadySteps >= settings.unboundedSteps {
                        steadySteps = 0
                        let named = try await unboundedCertificate(w: w, rho: rho, iteration: iteration)
                        if !named.isEmpty {
                            let who = named.map { "'\($0)'" }.joined(separator: ", ")
                            return finish(
                                .unbounded,
                                "the chain's objective improves without limit: the plans of partner\(named.count > 1 ? "s" : "") \(who) "
                                    + "improve without limit along a direction the linking rows do not bound (for "
                                    + "\(settings.unboundedSteps) steps the cost fell by \(abs(descent)) a step)",
                                partner: named.first, violation: violation)
                        }
                    }
                } else {
                    lastPlain = nil
                    steadySteps = 0
                }
                // The dual residual is how far the plans moved from the last iterate. A step that
                // started elsewhere (acceleration's combination, or the plain step a rejected one
                // replaced) can land back on that iterate without it being a fixed point: blend
                // cut into blocks "converged" at 6 iterations, 7.8% above its optimum, with a dual
                // residual of exactly 0. A plain step from here decides.
                var confirming = false
                if primal <= primalLimit && dual <= dualLimit {
                    if case .plain = from {
                        return await finishWithBound(
                            .converged, "primal residual \(primal) ≤ \(primalLimit), dual residual \(dual) ≤ \(dualLimit)",
                            violation: violation, w: w, rho: rho, iteration: iteration)
                    }
                    confirming = true
                }
                if iteration >= settings.maximumIterations {
                    return await finishWithBound(
                        .iterationLimit, "stopped after \(iteration) iterations", violation: violation, w: w, rho: rho, iteration: iteration)
                }
                if secondsBefore + (clock.now - start).secondsValue >= settings.maximumSeconds {
                    return finish(.timeLimit, "stopped after \(secondsBefore + (clock.now - start).secondsValue) s", violation: violation)
                }
                if confirming {
                    next = .plain
                    continue
                }
                // Residual balancing on scaled residuals (OSQP): move ρ towards the side that lags.
                // A plain step after which no partner's plan moved at all (dual residual exactly 0)
                // leaves no ratio to balance: `stalledRhoFactor` says what to do then.
                let stalled = plainStep && dual == 0
                if iteration >= nextAdaptation && primal > 0 && (dual > 0 || stalled) {
                    nextAdaptation = iteration + (accelerated ? 2 * (iteration - lastAdaptation) : settings.adaptiveInterval)
                    lastAdaptation = iteration
                    let scaledPrimal = primal / max(primalScale, 1e-30)
                    let scaledDual = dual / max(dualScale, 1e-30)
                    let factor = stalled ? settings.stalledRhoFactor : (scaledPrimal / scaledDual).squareRoot()
                    let threshold = accelerated ? settings.acceleratedAdaptiveThreshold : settings.adaptiveThreshold
                    if factor > threshold || factor < 1 / threshold {
                        let next = min(rhoLimits.1, max(rhoLimits.0, rho * factor))
                        if next != rho {
                            // At a limit ρ stays, and so does the map: the acceleration's history
                            // (and the products just asked for) still hold.
                            for i in 0..<m { w[i] *= rho / next }
                            rho = next
                            accelerator.reset()  // a new ρ is a new map: its history says nothing
                        }
                    }
                }
                // Acceleration, from sums: this iteration's residual (every partner's usage minus
                // its starting usage, and z̄ and w's change) as inner products with the recent ones.
                guard accelerated else { continue }
                images[iteration] = ADMMCoordinatorPart(meanUsage: meanUsage, z: z, w: w)
                residuals[iteration] = zip(z + w, origin.z + origin.w).map { $0 - $1 }
                defer {
                    // Keep what the next iterations may combine: the window and the last iterate.
                    let needed = Set(accelerator.iterations + [iteration - 1, iteration])
                    images = images.filter { needed.contains($0.key) }
                    residuals = residuals.filter { needed.contains($0.key) }
                }
                guard rho == record.rho, var totals = productSums else {
                    // A new ρ is a new map (its history says nothing), and a partner that no longer
                    // knows a residual (restarted, or after a resume) means starting over too.
                    accelerator.reset()
                    continue
                }
                for (j, t) in products.enumerated() {
                    totals[j] += zip(residuals[iteration]!, residuals[t]!).reduce(0) { $0 + $1.0 * $1.1 }
                }
                let residual = totals[products.count - 1].squareRoot()
                if case .combination = from, residual > settings.safeguardFactor * acceptedResidual {
                    // The combination did worse than the plain step it replaced: take that step.
                    accelerator.reset()
                    next = .earlier(iteration - 1)
                    continue
                }
                acceptedResidual = residual
                accelerator.record(iteration: iteration, products: Array(totals.dropLast()), selfProduct: totals.last!)
                if var weights = accelerator.weights() {
                    let total = weights.reduce(0) { $0 + abs($1) }
                    if total > settings.accelerationWeightLimit {
                        // (1 − θ)·(the plain step) + θ·(the combination), weights summing to the limit.
                        let theta = (settings.accelerationWeightLimit - 1) / (total - 1)
                        weights = weights.map { theta * $0 }
                        weights[weights.count - 1] += 1 - theta
                    }
                    next = .combination(Array(zip(accelerator.iterations, weights)))
                }
            }
        } catch let error as PartnerError {
            return finish(RoundStatus(error), error.description, partner: error.partner)
        }
    }
}

extension ADMM {
    /// The partners (indices) whose rays combine into a certificate of unboundedness: weights
    /// λ ≥ 0 summing to 1 with Σ λ·usage within each linking row's recession cone (= 0 on a row
    /// with both sides finite, ≤ 0 with only an upper side, ≥ 0 with only a lower one) and
    /// Σ λ·cost < 0 (below −1e-9 of the largest ray cost), from a small LP. Empty when there
    /// is none.
    static func certificate(rays: [(partner: Int, ray: Proposal)], partners: [any Partner], lower: [Double], upper: [Double])
        -> [Int]
    {
        guard !rays.isEmpty else { return [] }
        let used = Array(Set(rays.flatMap { partners[$0.partner].linkingRows })).sorted()
        let position = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
        var triplets: [(row: Int, column: Int, value: Double)] = []
        for (j, entry) in rays.enumerated() {
            for (r, u) in zip(partners[entry.partner].linkingRows, entry.ray.usage) where u != 0 {
                triplets.append((position[r]!, j, u))
            }
            triplets.append((used.count, j, 1))
        }
        let rowLower = used.map { lower[$0].isFinite ? 0 : -Double.infinity } + [1]
        let rowUpper = used.map { upper[$0].isFinite ? 0 : Double.infinity } + [1]
        let program = LinearProgram(
            objective: rays.map(\.ray.cost),
            matrix: SparseMatrix(rowCount: used.count + 1, columnCount: rays.count, triplets: triplets),
            columnLower: Array(repeating: 0, count: rays.count), columnUpper: Array(repeating: .infinity, count: rays.count),
            rowLower: rowLower, rowUpper: rowUpper)
        guard let solver = try? ClpSolver(program: program) else { return [] }
        let result = solver.solve()
        let scale = max(1, rays.map { abs($0.ray.cost) }.max() ?? 1)
        guard result.status == .optimal, result.objective < -1e-9 * scale else { return [] }
        return Array(Set(rays.indices.filter { result.primal[$0] > 1e-12 }.map { rays[$0].partner })).sorted()
    }
}

/// Where an ADMM iteration starts: the last iterate, or weights on recent iterates (acceleration).
enum ADMMStart {
    case plain
    /// Acceleration's choice: weights on recent iterates.
    case combination([(iteration: Int, weight: Double)])
    /// The iterate after an earlier iteration: the plain step a rejected combination replaced.
    case earlier(Int)
}

/// The coordinator's own part of an ADMM iterate: the mean usages (from sums), their
/// projections z̄ and the scaled duals w, over the linking rows.
struct ADMMCoordinatorPart: Sendable {
    var meanUsage: [Double]
    var z: [Double]
    var w: [Double]

    static func combining(_ parts: [(ADMMCoordinatorPart, Double)], rows m: Int) -> ADMMCoordinatorPart {
        var c = ADMMCoordinatorPart(meanUsage: Array(repeating: 0, count: m), z: Array(repeating: 0, count: m), w: Array(repeating: 0, count: m))
        for (part, weight) in parts {
            for i in 0..<m {
                c.meanUsage[i] += weight * part.meanUsage[i]
                c.z[i] += weight * part.z[i]
                c.w[i] += weight * part.w[i]
            }
        }
        return c
    }
}
