import ParleyModel
import ParleySolver

/// A partner whose private model lives in this process: prices with CLP, keeps its proposals,
/// and forms its own plan at the end. The node daemon wraps one of these; `parley round start
/// --local` runs one per partner.
public actor LocalPartner: Partner {
    public nonisolated let name: String
    public nonisolated let linkingRows: [Int]

    private let problem: PartnerProblem
    /// +1 for a minimising chain, -1 for a maximising one: costs are reported in min form.
    private let sign: Double
    private var pricing: ClpSolver
    private var pricingWeight: Double = 1
    /// CLP solves made for pricing requests so far (points answered without one do not count).
    public private(set) var pricingSolves = 0
    private var admm: ClpSolver?
    private var admmRho: Double = .nan
    private var proposals: [Int: (x: [Double], isRay: Bool)] = [:]
    private var known: [ProposalKey: Int] = [:]
    private var nextID = 0
    /// Whether one of our pricing problems has been unbounded: warm answers are then checked
    /// cold when they bring nothing new (see `price`).
    public private(set) var unboundedSeen = false
    private var lastIterate: [Double]?
    /// ADMM: this partner's linking-row usage after each recent iteration (the base of the next
    /// step's proximal term). Keyed by iteration, so a repeated or re-sent request — after a lost
    /// connection, or from a coordinator resumed from an older checkpoint — starts from the usage
    /// it started from the first time, and gets the same answer.
    private var admmUsage: [Int: [Double]] = [:]
    /// ADMM: each recent iteration's residual, usage − starting usage (for the inner products an
    /// accelerated coordinator asks for); kept like `admmUsage`.
    private var admmResidual: [Int: [Double]] = [:]
    /// How many past iterations `admmUsage` keeps (a resumed coordinator is at most a couple of
    /// iterations behind the partners, and acceleration looks back at most ~10).
    static let admmHistory = 32
    private var finalPlan: [Double]?
    /// The final instruction's prices of this partner's linking rows, if it carried any.
    private var finalPrices: [Double]?
    /// Whether the private model has any plan, once `privateModelFeasible` has asked CLP.
    private var feasibleModel: Bool?
    private let settings: SolverSettings
    /// The largest linking-row usage of any optimal pricing answer (or fallback plan) so far:
    /// what this partner's plans look like (see usableVertex).
    private var largestPlanUsage = 0.0
    /// A vertex found on the way to a ray is proposed only if its usage is at most this many
    /// times `largestPlanUsage` (see usableVertex).
    static let vertexUsageLimit = 100.0

    private struct ProposalKey: Hashable {
        var usage: [Double]
        var cost: Double
        var isRay: Bool
    }

    /// - Parameter chainSense: the contract's sense; the private model must have the same.
    public init(problem: PartnerProblem, chainSense: ObjectiveSense, settings: SolverSettings = SolverSettings())
        throws
    {
        guard problem.program.sense == chainSense else {
            throw PartnerError(
                partner: problem.name, kind: .badRequest,
                message: "its model is a \(problem.program.sense.rawValue) problem but the chain's objective is to "
                    + "\(chainSense.rawValue)")
        }
        self.name = problem.name
        self.linkingRows = problem.linkingRows
        self.problem = problem
        self.sign = chainSense == .maximize ? -1 : 1
        var s = settings
        // A warm pricing LP that cycles is caught by this limit and re-solved cold (see price).
        // CLP's nonlinear primal counts many more iterations than a simplex pivots: a QP partner
        // of recipe cut by the detector (with quadratic costs) needs 20,024 on its own, so a QP
        // partner's guard is ten times larger.
        let size = problem.program.rowCount + problem.program.columnCount
        s.maximumIterations = min(s.maximumIterations, problem.program.isQuadratic ? max(100_000, 100 * size) : max(10_000, 20 * size))
        // Solved cold once and then warm for every price vector: presolve would cost more than
        // the cold solve saves.
        s.coldStart = .crash
        self.settings = s
        self.pricing = try ClpSolver(program: Self.pricingModel(problem.program), settings: s)
    }

    /// The private model in min form (the solver then never sees a maximisation).
    private static func pricingModel(_ program: LinearProgram) -> LinearProgram {
        var p = program
        if p.sense == .maximize {
            p.sense = .minimize
            p.objective = p.objective.map { -$0 }
            p.quadratic = p.quadratic.map { QuadraticTerm(row: $0.row, column: $0.column, value: -$0.value) }
            p.objectiveConstant = -p.objectiveConstant
        }
        return p
    }

    // MARK: Dantzig–Wolfe

    public func price(_ request: PricingRequest) async throws -> PricingResponse {
        let m = linkingRows.count
        guard request.prices.allSatisfy({ $0.count == m }) else {
            throw PartnerError(
                partner: name, kind: .badRequest,
                message: "price vector has \(request.prices.first { $0.count != m }?.count ?? 0) entries, "
                    + "expected \(m) (one per linking row of this partner)")
        }
        guard request.prices.allSatisfy({ $0.allSatisfy(\.isFinite) }), request.costWeight.isFinite else {
            throw PartnerError(partner: name, kind: .badRequest, message: "prices must be finite numbers")
        }
        let base = Self.pricingModel(problem.program)
        if request.costWeight != pricingWeight {
            // Phase I ignores costs, quadratic ones included. CLP cannot drop a quadratic
            // objective once loaded, so a QP partner gets a fresh model for the switch.
            if base.isQuadratic {
                var model = base
                if request.costWeight == 0 { model.quadratic = [] }
                pricing = try ClpSolver(program: model, settings: settings)
            }
            pricingWeight = request.costWeight
        }
        var proposalsOut: [Proposal] = []
        var values = [Double?](repeating: nil, count: request.prices.count)
        var best = [Int](repeating: 0, count: request.prices.count)
        /// The plan found optimal at each point answered so far.
        var optimalAt: [Int: Proposal] = [:]
        func value(of plan: Proposal, at prices: [Double]) -> Double {
            request.costWeight * plan.cost - zip(prices, plan.usage).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for j in Self.answerOrder(request.prices.count) {
            let prices = request.prices[j]
            if let plan = Self.sharedOptimum(at: j, of: request.prices, optimalAt: optimalAt) {
                values[j] = value(of: plan, at: prices)
                best[j] = plan.id
                optimalAt[j] = plan
                continue
            }
            let dualTerm = problem.linking.multiplyTransposed(prices)
            let objective = (0..<base.columnCount).map { request.costWeight * base.objective[$0] - dualTerm[$0] }
            try refuseOutOfScale(objective, madeBy: "prices", largest: prices.map(abs).max() ?? 0)
            // CLP's dual tolerance is absolute (1e-7): on an LP whose costs are all far below 1
            // it calls plans optimal that are not. sc205 cut by the detector, with quadratic
            // costs, priced its cost-free partners at prices near 1e-5, and two answered 7e-5
            // and 5e-5 above their optima; the round's bound passed the chain's optimum and it
            // stopped "optimal" 2.3e-6 above it. Such an LP is solved scaled up to a largest
            // cost of 1 (the same plans are optimal); a QP cannot be, its curvature fixed.
            let largestCost = objective.lazy.map(abs).max() ?? 0
            let upscale = request.costWeight != 0 && base.isQuadratic || largestCost >= 1 || largestCost == 0 ? 1 : 1 / largestCost
            let solverObjective = upscale == 1 ? objective : objective.map { $0 * upscale }
            try pricing.setObjective(solverObjective)
            var result = pricing.solve()
            pricingSolves += 1
            /// The pricing model built afresh (without its quadratic term in phase I) and solved
            /// cold at this objective.
            func solvedCold() throws -> (ClpSolver, SolveResult) {
                var model = base
                if request.costWeight == 0 { model.quadratic = [] }
                let cold = try ClpSolver(program: model, settings: settings)
                try cold.setObjective(solverObjective)
                pricingSolves += 1
                return (cold, cold.solve())
            }
            if result.status == .iterationLimit && base.isQuadratic && request.costWeight != 0 {
                // CLP's nonlinear primal went round past the guard on its iterations (etamacro cut
                // by the detector, with quadratic costs, at round 1,628): the barrier instead, as
                // ADMM's updates do.
                result = pricing.solveByBarrier()
            }
            if result.status == .iterationLimit || result.status == .error {
                // A warm start that stalled: rebuild and solve cold.
                (pricing, result) = try solvedCold()
            }
            /// The warm answer's linking-row usage and cost, when the check below computed them.
            var warmPlan: (usage: [Double], cost: Double)?
            if result.status == .optimal && unboundedSeen && !base.isQuadratic {
                let x = result.primal
                warmPlan = (problem.linking.multiply(x), sign * problem.program.objectiveValue(x))
            }
            if let plan = warmPlan, known[ProposalKey(usage: plan.usage, cost: plan.cost, isRay: false)] != nil {
                let x = result.primal
                // A warm answer that is a plan we already proposed, from a partner whose pricing
                // problems turn unbounded: such problems are where CLP's warm primal stops short
                // (tuff cut by the detector into two partners: answers up to 4e-4 above a cold
                // solve's, and the round's bound at its last duals then met the master's
                // objective, 3.9e-6 above the optimum). A cold solve decides, and the model
                // goes on warm from whichever answer is better.
                let (cold, check) = try solvedCold()
                let warmValue = zip(objective, x).reduce(0) { $0 + $1.0 * $1.1 }
                let coldValue = check.status == .optimal ? zip(objective, check.primal).reduce(0) { $0 + $1.0 * $1.1 } : .infinity
                if (check.status == .unbounded && check.unboundedRay != nil) || coldValue < warmValue - 1e-9 * max(1, abs(warmValue)) {
                    pricing = cold
                    result = check
                    warmPlan = nil
                }
            }
            switch result.status {
            case .optimal:
                let x = result.primal
                let (usage, cost) = warmPlan ?? (problem.linking.multiply(x), sign * problem.program.objectiveValue(x))
                largestPlanUsage = max(largestPlanUsage, usage.map(abs).max() ?? 0)
                let proposal = record(x: x, usage: usage, cost: cost, isRay: false)
                values[j] = value(of: proposal, at: prices)
                if let proven = result.objectiveBound, proven < values[j]! {
                    // A QP's optimum found to a tolerance costs a little more than the true one,
                    // and the coordinator's Lagrangian bound is a sum of these values: it takes
                    // the bound the solve's duals prove instead.
                    values[j] = proven
                }
                best[j] = proposal.id
                optimalAt[j] = proposal
                appendUnique(&proposalsOut, proposal)
            case .unbounded:
                unboundedSeen = true
                guard var ray = result.unboundedRay else {
                    throw PartnerError(partner: name, kind: .solverFailure, message: "pricing problem is unbounded and CLP gave no ray")
                }
                let scale = ray.map(abs).max() ?? 1
                ray = ray.map { $0 / scale }
                let usage = problem.linking.multiply(ray)
                let linearCost = sign * zip(problem.program.objective, ray).reduce(0) { $0 + $1.0 * $1.1 }
                let proposal = record(x: ray, usage: usage, cost: linearCost, isRay: true)
                best[j] = proposal.id
                appendUnique(&proposalsOut, proposal)
                if let vertex = usableVertex(result.primal, linear: !base.isQuadratic || request.costWeight == 0) {
                    appendUnique(&proposalsOut, record(x: vertex.x, usage: vertex.usage, cost: sign * problem.program.objectiveValue(vertex.x), isRay: false))
                }
                if !proposals.values.contains(where: { !$0.isRay }) {
                    // The master needs one plan per partner for its convexity row: any feasible one.
                    try pricing.setObjective(Array(repeating: 0, count: base.columnCount))
                    let feasible = pricing.solve()
                    pricingSolves += 1
                    guard feasible.status == .optimal else { throw infeasible(feasible.status) }
                    let u = problem.linking.multiply(feasible.primal)
                    largestPlanUsage = max(largestPlanUsage, u.map(abs).max() ?? 0)
                    appendUnique(
                        &proposalsOut,
                        record(x: feasible.primal, usage: u, cost: sign * problem.program.objectiveValue(feasible.primal), isRay: false))
                }
            case .infeasible:
                throw infeasible(.infeasible)
            case .iterationLimit, .timeLimit, .error:
                throw PartnerError(partner: name, kind: .solverFailure, message: "pricing problem stopped: \(result.status.rawValue)")
            }
        }
        return PricingResponse(proposals: proposalsOut, values: values, best: best)
    }

    /// The order in which a request's points are answered: the first and the last, then those
    /// between. The coordinator's points run from the smoothed point to the master's duals, so
    /// the ends are known before the points between them (see `sharedOptimum`).
    static func answerOrder(_ count: Int) -> [Int] {
        count < 3 ? Array(0..<count) : [0, count - 1] + Array(1..<(count - 1))
    }

    /// A plan that is optimal at point `j` without solving: one found optimal at two points
    /// that `j` lies between.
    ///
    /// The pricing value min over plans of (w·cost − prices·usage) is a minimum of functions
    /// linear in the prices, so a plan that attains it at two price vectors attains it at every
    /// point of the segment between them. The coordinator's points between the smoothed point
    /// and the master's duals are such points (up to rounding), and when both ends have the
    /// same optimal plan — the rule on ken-07 (46 of its 49 three-point requests), airl_first
    /// (106 of 125) and common on env_aggr (191 of 710) — the solves between are skipped. A
    /// point counts as on the segment when it is within 1e-12 of it, relative to the prices'
    /// size: what the coordinator's rounding leaves, and far below what could move a bound.
    static func sharedOptimum(at j: Int, of points: [[Double]], optimalAt: [Int: Proposal]) -> Proposal? {
        let answered = optimalAt.sorted { $0.key < $1.key }
        for (n, (a, plan)) in answered.enumerated() {
            for (b, other) in answered[(n + 1)...] where other.id == plan.id && onSegment(points[j], points[a], points[b]) {
                return plan
            }
        }
        return nil
    }

    /// Whether `p` lies on the segment from `a` to `b`, up to rounding.
    static func onSegment(_ p: [Double], _ a: [Double], _ b: [Double]) -> Bool {
        var squared = 0.0
        var along = 0.0
        for i in p.indices {
            let d = a[i] - b[i]
            squared += d * d
            along += (p[i] - b[i]) * d
        }
        let t = squared > 0 ? along / squared : 0
        guard t >= -1e-12 && t <= 1 + 1e-12 else { return false }
        for i in p.indices {
            let scale = max(1, abs(p[i]), abs(a[i]), abs(b[i]))
            if abs(p[i] - (t * a[i] + (1 - t) * b[i])) > 1e-12 * scale { return false }
        }
        return true
    }

    /// The point where the primal simplex found an unbounded ray, if it is worth proposing too.
    ///
    /// It is one of our plans (primal simplex keeps it feasible; checked), so it goes along at no
    /// cost. With rays alone, a partner whose pricing stays unbounded never offers the master
    /// another plan to combine them with: env_aggr spent 408 rounds in phase 1 with the
    /// artificials stuck at 5, and 289 rounds in all with these vertices.
    ///
    /// Not for a QP (CLP's nonlinear primal stops far out along the ray, not at a vertex), and not
    /// a vertex far larger than our optimal plans: the master takes a proposal's weight to 1e-7,
    /// so one using 1.4e7 of a row (env_aggr has such vertices) would leave the joint plan 1.4
    /// off that row.
    private func usableVertex(_ x: [Double], linear: Bool) -> (x: [Double], usage: [Double])? {
        guard linear, problem.program.maximumViolation(x) <= settings.primalTolerance * max(1, x.map(abs).max() ?? 0) else {
            return nil
        }
        let usage = problem.linking.multiply(x)
        guard (usage.map(abs).max() ?? 0) <= Self.vertexUsageLimit * max(1, largestPlanUsage) else { return nil }
        return (x, usage)
    }

    private func infeasible(_ status: SolveStatus) -> PartnerError {
        status == .infeasible
            ? PartnerError(partner: name, kind: .infeasible, message: "its private model is infeasible (no plan meets its own rows and bounds)")
            : PartnerError(partner: name, kind: .solverFailure, message: "its private model could not be solved: \(status.rawValue)")
    }

    /// Whether the private model has a plan at all (its rows and bounds, no objective), solved
    /// once when first asked.
    private func privateModelFeasible() -> Bool {
        if let known = feasibleModel { return known }
        var model = problem.program
        model.objective = Array(repeating: 0, count: model.columnCount)
        model.quadratic = []
        let feasible = ((try? ClpSolver(program: model, settings: settings))?.solve().status ?? .error) == .optimal
        feasibleModel = feasible
        return feasible
    }

    private func appendUnique(_ list: inout [Proposal], _ p: Proposal) {
        if !list.contains(where: { $0.id == p.id }) { list.append(p) }
    }

    /// Stores a plan (or ray) and returns its proposal; an identical proposal keeps its old id.
    private func record(x: [Double], usage: [Double], cost: Double, isRay: Bool) -> Proposal {
        let key = ProposalKey(usage: usage, cost: cost, isRay: isRay)
        if let id = known[key] { return Proposal(id: id, usage: usage, cost: cost, isRay: isRay) }
        let id = nextID
        nextID += 1
        proposals[id] = (x, isRay)
        known[key] = id
        return Proposal(id: id, usage: usage, cost: cost, isRay: isRay)
    }

    /// Refuses a request whose numbers make costs CLP cannot take (see `ClpSolver.largestCost`):
    /// finite prices of 3e26 from a master solve gone wrong once made CLP abort the process.
    private func refuseOutOfScale(_ objective: [Double], madeBy what: String, largest input: Double) throws(PartnerError) {
        guard objective.contains(where: { abs($0) >= ClpSolver.largestCost }) else { return }
        throw PartnerError(
            partner: name, kind: .badRequest,
            message: "the \(what) sent (up to \(input) in size) make costs beyond the ±\(ClpSolver.largestCost) "
                + "its solver can take: the coordinator's numbers are out of scale")
    }

    // MARK: ADMM

    public func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse {
        let m = linkingRows.count
        guard request.shift.count == m else {
            throw PartnerError(
                partner: name, kind: .badRequest,
                message: "shift vector has \(request.shift.count) entries, expected \(m)")
        }
        guard request.shift.allSatisfy(\.isFinite), request.rho.isFinite, request.rho > 0 else {
            throw PartnerError(partner: name, kind: .badRequest, message: "shift and rho must be finite, rho positive")
        }
        let base = Self.pricingModel(problem.program)
        if admm == nil || request.rho != admmRho {
            // A new ρ means a new quadratic term, and CLP cannot replace one: a fresh model.
            admm = try ClpSolver(program: Self.admmModel(base, linking: problem.linking, rho: request.rho), settings: settings)
            admmRho = request.rho
        }
        let solver = admm!
        func known(_ iteration: Int, _ relation: String = "follows") throws(PartnerError) -> [Double] {
            if iteration < 1 { return Array(repeating: 0, count: m) }
            if let usage = admmUsage[iteration] { return usage }
            throw PartnerError(
                partner: name, kind: .badRequest,
                message: "ADMM iteration \(request.iteration) of round \(request.round) \(relation) iteration \(iteration), "
                    + "which this partner did not take part in (it knows \(admmUsage.keys.sorted().map(String.init).joined(separator: ", ")))")
        }
        let previous = try known(request.iteration - 1)
        var start = previous
        if !request.start.isEmpty {
            guard request.start.allSatisfy({ $0.weight.isFinite }) else {
                throw PartnerError(partner: name, kind: .badRequest, message: "starting weights must be finite")
            }
            start = Array(repeating: 0, count: m)
            for term in request.start {
                for (r, u) in try known(term.iteration, "starts from").enumerated() { start[r] += term.weight * u }
            }
        }
        // (ρ/2)‖u − target‖² = (ρ/2)‖u‖² − ρ·targetᵀu + constant.
        let target = zip(start, request.shift).map { $0 - $1 }
        let objective = base.objective + target.map { -request.rho * $0 }
        try refuseOutOfScale(objective, madeBy: "shift and rho", largest: max(request.rho, request.shift.map(abs).max() ?? 0))
        try solver.setObjective(objective)
        var result = solver.solve()
        if result.status == .iterationLimit {
            // CLP's primal cycled past the guard on its iterations: the barrier instead.
            result = solver.solveByBarrier()
        }
        guard result.status == .optimal else {
            if result.status == .infeasible {
                // The update is feasible whenever the private model is (its usages are free
                // variables), so an "infeasible" from CLP on a feasible model is numerical
                // trouble, not the model's fault: chem at ρ = 10⁸ was told its model was
                // infeasible.
                guard privateModelFeasible() else { throw infeasible(.infeasible) }
                throw PartnerError(
                    partner: name, kind: .solverFailure,
                    message: "ADMM update stopped: CLP called it infeasible, but the private model is feasible "
                        + "(numerical trouble at rho \(request.rho); another --rho, or --no-acceleration, may get past it)")
            }
            if result.status == .unbounded {
                // The penalty bounds every direction that moves a linking row, so a ray moves none
                // and the chain's cost falls without limit along it (if the chain is feasible);
                // or the iterates ran off towards 1e12, as they do on a chain that is unbounded
                // through its linking rows.
                throw PartnerError(
                    partner: name, kind: .unbounded, message: "its ADMM update is unbounded: its plans improve without limit")
            }
            // `.error` here: neither CLP's primal nor its barrier reached a point that passes the
            // stationarity check (see ClpSolver.barrierRescue). Said in words a user can act on.
            let why = result.status == .error
                ? " (CLP's primal, scaled and unscaled, and its barrier found no point that passes the optimality check of this QP; "
                    + "another --rho, --no-acceleration, or --method dw for an LP chain, may get past it)"
                : ""
            throw PartnerError(partner: name, kind: .solverFailure, message: "ADMM update stopped: \(result.status.rawValue)\(why)")
        }
        // The usage is u, the update's own (unique) optimum in the penalised variables; Dx
        // equals it to CLP's primal tolerance, but an LP partner's x may jump between plans
        // with the same u, and on ken-07 that noise in Dx kept the dual residual from settling
        // (1,500 iterations at the optimum without converging; 848 with u, measured while CLP's
        // QP solves that stopped short still went unnoticed; 183 since they are caught).
        let x = Array(result.primal.prefix(base.columnCount))
        let usage = Array(result.primal[base.columnCount...])
        let residual = zip(usage, start).map { $0 - $1 }
        lastIterate = x
        keepADMMStep(iteration: request.iteration, usage: usage, residual: residual)
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }
        var products: [Double] = []
        for t in request.products {
            guard let other = t == request.iteration ? residual : admmResidual[t] else {
                products = []  // forgotten (or from before a restart): the coordinator starts over
                break
            }
            products.append(dot(residual, other))
        }
        let change = zip(usage, previous).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return ADMMResponse(
            usage: usage, cost: sign * problem.program.objectiveValue(x), usageChange: change, residualProducts: products)
    }

    /// Remembers a step's usage and residual, forgetting old steps and any after it (a resumed
    /// coordinator that went back a few iterations).
    private func keepADMMStep(iteration: Int, usage: [Double], residual: [Double]?) {
        admmUsage[iteration] = usage
        admmUsage = admmUsage.filter { $0.key > iteration - Self.admmHistory && $0.key <= iteration }
        admmResidual[iteration] = residual
        admmResidual = admmResidual.filter { $0.key > iteration - Self.admmHistory && $0.key <= iteration }
    }

    /// The ADMM update as CLP solves it: the private model plus one free variable uᵢ per linking
    /// row with rows Dx − u = 0, and the penalty (ρ/2)‖u‖² on u alone (the linear part, −ρ·targetᵀu,
    /// changes every step). Equivalent to penalising Dx directly, but CLP's nonlinear primal
    /// handles the dense, rank-deficient Q + ρDᵀD badly: on lands3 cut into other blocks it looped
    /// for ever inside one pivot (past its iteration and time limits), and on one such update it
    /// stopped "optimal" at 216.287 where the optimum is 202.523 (CLP's barrier agrees on the
    /// latter). With the penalty diagonal on u, those updates solve.
    static func admmModel(_ base: LinearProgram, linking d: SparseMatrix, rho: Double) -> LinearProgram {
        let n = base.columnCount
        let rows = base.rowCount
        let m = d.rowCount
        var triplets: [(row: Int, column: Int, value: Double)] = []
        for j in 0..<n {
            let (own, values) = base.matrix.column(j)
            for (i, v) in zip(own, values) { triplets.append((i, j, v)) }
            let (linking, coefficients) = d.column(j)
            for (i, v) in zip(linking, coefficients) { triplets.append((rows + i, j, v)) }
        }
        for i in 0..<m { triplets.append((rows + i, n + i, -1)) }
        return LinearProgram(
            objective: base.objective + Array(repeating: 0, count: m),
            quadratic: base.quadratic + (0..<m).map { QuadraticTerm(row: n + $0, column: n + $0, value: rho) },
            matrix: SparseMatrix(rowCount: rows + m, columnCount: n + m, triplets: triplets),
            columnLower: base.columnLower + Array(repeating: -.infinity, count: m),
            columnUpper: base.columnUpper + Array(repeating: .infinity, count: m),
            rowLower: base.rowLower + Array(repeating: 0, count: m),
            rowUpper: base.rowUpper + Array(repeating: 0, count: m))
    }

    // MARK: Plan

    public func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt {
        if let prices = instruction.prices {
            guard prices.count == problem.linkingRows.count else {
                throw PartnerError(
                    partner: name, kind: .badRequest,
                    message: "the final instruction has \(prices.count) prices for the partner's \(problem.linkingRows.count) linking rows")
            }
            if let k = prices.firstIndex(where: { !$0.isFinite }) {
                throw PartnerError(partner: name, kind: .badRequest, message: "the final price of \(problem.linkingRowNames[k]) is \(prices[k])")
            }
        }
        let x = try formPlan(instruction)
        finalPlan = x
        finalPrices = instruction.prices
        return PlanReceipt(cost: sign * problem.program.objectiveValue(x), usage: problem.linking.multiply(x))
    }

    /// `linkingRowsAtTheEnd` as the CSV a partner keeps beside its plan (`row,usage,price`; an
    /// empty price when the round proved none).
    public func linkingTable() -> String? {
        guard let rows = linkingRowsAtTheEnd() else { return nil }
        return "row,usage,price\n" + rows.map { "\(CSVText.field($0.row)),\($0.usage),\($0.price.map { "\($0)" } ?? "")\n" }.joined()
    }

    /// This partner's linking rows under its final plan: each row's name, the plan's usage of it
    /// and the round's final price (nil when the round proved none), in the chain's objective
    /// units per unit of usage. Usage × price is what the plan's use of the row is worth at the
    /// negotiated prices. Nil before the final instruction.
    public func linkingRowsAtTheEnd() -> [(row: String, usage: Double, price: Double?)]? {
        guard let finalPlan else { return nil }
        let usage = problem.linking.multiply(finalPlan)
        return problem.linkingRowNames.indices.map { k in (problem.linkingRowNames[k], usage[k], finalPrices?[k]) }
    }

    /// The plan `instruction` forms from this partner's own proposals (or last ADMM iterate),
    /// without keeping it.
    public func formPlan(_ instruction: PlanInstruction) throws -> [Double] {
        var x = Array(repeating: 0.0, count: problem.program.columnCount)
        switch instruction.kind {
        case .weights(let weights):
            // In id order: the same weights form the same plan to the last bit in any process
            // (a dictionary's order changes with its hash seed), so a node restarted between an
            // instruction and its replay still recognises it.
            for (id, w) in weights.sorted(by: { $0.key < $1.key }) {
                guard let stored = proposals[id] else {
                    throw PartnerError(partner: name, kind: .unknownProposal, message: "no proposal with id \(id)")
                }
                guard w.isFinite, w >= -1e-9 else {
                    throw PartnerError(partner: name, kind: .badRequest, message: "weight \(w) for proposal \(id)")
                }
                for j in 0..<x.count { x[j] += w * stored.x[j] }
            }
        case .lastIterate:
            guard let last = lastIterate else {
                throw PartnerError(partner: name, kind: .badRequest, message: "no ADMM iterate to keep")
            }
            x = last
        }
        return x
    }

    /// The names of the private model's variables, in plan order.
    public nonisolated var variableNames: [String] { problem.program.columnNames }

    /// The partner's own share of the joint plan, by variable name (its own side only).
    public func plan() -> [(variable: String, value: Double)]? {
        guard let finalPlan else { return nil }
        return zip(problem.program.columnNames, finalPlan).map { ($0, $1) }
    }

    /// `plan()` as the CSV a partner keeps (`variable,value`). Nil before the final instruction.
    public func planTable() -> String? {
        guard let plan = plan() else { return nil }
        return "variable,value\n" + plan.map { "\(CSVText.field($0.variable)),\($0.value)\n" }.joined()
    }
}

extension LocalPartner {
    /// A stored proposal's plan (or ray), so a node can keep its proposals on disk.
    public func storedProposal(id: Int) -> (x: [Double], isRay: Bool)? { proposals[id] }

    /// After a restart: the ADMM steps this partner took before, replayed from its own record in
    /// the order taken (the plan and its usage), so the next step starts where it left off and
    /// `.lastIterate` has its plan. As when answering, a step forgets any later ones (a resumed
    /// coordinator that went back a few iterations).
    public func restoreADMMStep(iteration: Int, usage: [Double], residual: [Double]?, x: [Double]) {
        lastIterate = x
        keepADMMStep(iteration: iteration, usage: usage, residual: residual)
    }

    /// The plan and residual of the ADMM step just answered (for the node to keep on disk with
    /// its usage).
    public func lastADMMStep(iteration: Int) -> (x: [Double], residual: [Double]?)? {
        lastIterate.map { ($0, admmResidual[iteration]) }
    }

    /// Puts back a proposal kept on disk (after a restart) under its old id, with its usage and
    /// cost computed as when it was made, so repeated requests find it and plan instructions
    /// can weight it. A ray is kept only from a pricing problem that was unbounded, so it also
    /// brings back `unboundedSeen`: a node restarted mid-round keeps checking its warm answers
    /// cold as before.
    public func restoreProposal(id: Int, x: [Double], isRay: Bool) {
        if isRay { unboundedSeen = true }
        let usage = problem.linking.multiply(x)
        let cost =
            isRay
            ? sign * zip(problem.program.objective, x).reduce(0) { $0 + $1.0 * $1.1 }
            : sign * problem.program.objectiveValue(x)
        proposals[id] = (x, isRay)
        known[ProposalKey(usage: usage, cost: cost, isRay: isRay)] = id
        nextID = max(nextID, id + 1)
    }
}
