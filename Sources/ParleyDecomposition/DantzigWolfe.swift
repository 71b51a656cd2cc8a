import ParleyModel
import ParleySolver

/// Settings of Dantzig–Wolfe column generation, with named defaults.
public struct DantzigWolfeSettings: Sendable, Equatable {
    /// Stop when (objective − bound) / max(1, |objective|) is at most this.
    public var gapTolerance: Double = 1e-6
    /// Phase 1 ends when the artificial variables sum to at most this (relative to the rows' scale).
    public var feasibilityTolerance: Double = 1e-7
    /// A column enters when its reduced cost is below −this × max(1, |cost|, |prices·usage|).
    public var reducedCostTolerance: Double = 1e-9
    public var maximumIterations: Int = 5000
    public var maximumSeconds: Double = .infinity
    /// Dual-price smoothing (Wentges, with Pessoa et al.'s automatic α).
    public var stabilization: Bool = true
    public var initialAlpha: Double = 0.8
    public var maximumAlpha: Double = 0.9
    /// With several price vectors per round: when the round adds columns but none of them comes
    /// from the smoothed point, that point mispriced (the stability centre pulled too hard), so
    /// α restarts from 0 and the automatic rule grows it back, rather than nudging α by the
    /// subgradient at a point that led nowhere. Measured: chem 18 → 12 rounds (14 unstabilized),
    /// lands3 13 → 11, env_aggr 289 → 318 (1204 unstabilized), the others unchanged.
    public var resetAlphaOnMispricing: Bool = true
    /// Price vectors sent to each partner per round (each may yield a column): the smoothed
    /// point, the master's duals, and points between. 1 gives classic one-column pricing.
    public var pricesPerRound: Int = 3
    /// Phase 1 penalises each unit of artificial variable by this × (the partners' own optimal
    /// costs summed) / (their largest linking-row usage) — about what a unit of linking-row usage
    /// costs the chain — so pricing sees true costs from the start; raised (`penaltyRaises`)
    /// when phase 1 ends with artificials still in use. 1000 was the default while convexity
    /// rows had artificials of their own: with big-M prices on the linking rows, pricing
    /// problems swing from one extreme plan to another (pds-02: 47 simplex iterations a solve
    /// instead of 14) and bring columns phase 2 cannot use (chem 12 → 23 rounds). With 1 / 10 /
    /// 100 / 1000, the rounds of the eight block instances under the three DW settings `make
    /// bench` runs (default, no stabilization, one price vector) summed 1914 / 2183 / 2232 / 2097.
    public var penaltyFactor: Double = 1
    /// How often phase 1 multiplies the penalty by 100 before phase 0 decides feasibility.
    public var penaltyRaises: Int = 3
    /// With smoothing, a column leaves the master after this many phase-2 master solves in a
    /// row at weight zero with a positive reduced cost (0 keeps every column). It stays in the
    /// pool, which is checked every iteration, and comes back when it prices out again. The
    /// master's simplex pivots cost in proportion to its columns, and once the master holds
    /// thousands of them its re-solves are most of a round (env_aggr: 2.4 of 2.9 s; a generated
    /// 25-scenario chain, ~90% of each round): retiring them, env_aggr took 1.8 s and the 25- and
    /// 50-scenario chains 4.6 and 31 s (from 5.6 and 44), in about as many rounds. Without
    /// smoothing the prices jump from round to round, and most retired columns were soon
    /// needed again (env_aggr: 21,195 of 26,138 came back; 1,010 → 1,584 rounds), so then no
    /// column is retired.
    public var columnAgeLimit: Int = 10
    public var solver = SolverSettings()

    public init() {}

    public func validate() throws(SolverError) {
        if !(gapTolerance >= 0 && gapTolerance.isFinite) { throw .invalidSetting("gapTolerance must be finite and at least 0") }
        if !(feasibilityTolerance > 0) { throw .invalidSetting("feasibilityTolerance must be positive") }
        if maximumIterations < 1 { throw .invalidSetting("maximumIterations must be at least 1") }
        if pricesPerRound < 1 { throw .invalidSetting("pricesPerRound must be at least 1") }
        if columnAgeLimit < 0 { throw .invalidSetting("columnAgeLimit must be at least 0") }
        if !(0..<1).contains(initialAlpha) || !(0..<1).contains(maximumAlpha) {
            throw .invalidSetting("alpha must be in [0, 1)")
        }
        try solver.validate()
    }
}

/// Dantzig–Wolfe column generation over remote or local partners.
///
/// The restricted master holds, per partner, convex weights of its proposals (and non-negative
/// weights of its rays) subject to the linking rows and one convexity row per partner. Artificial
/// variables on every row make any start feasible: phase 1 penalises them (big-M, raised when
/// needed) while pricing true costs; phase 2 fixes them at zero; phase 0 (pure feasibility) is
/// the last resort that proves a chain infeasible.
/// Each iteration every partner is asked, in parallel, for its best responses to one or more
/// price vectors; their optimal values give a Lagrangian lower bound, and the master's objective
/// an upper bound. The round stops when the relative gap is within tolerance (or no column
/// prices out at the master's own duals, which closes the gap).
public struct DantzigWolfe: Sendable {
    public var settings: DantzigWolfeSettings

    public init(settings: DantzigWolfeSettings = DantzigWolfeSettings()) {
        self.settings = settings
    }

    /// Runs a round. `round` identifies it in every request.
    ///
    /// `weights` are each partner's weights of its own proposals when the round hands over a
    /// plan — optimal, or stopped at its iteration or time limit in phase 2 — and empty for every
    /// other end: this is the one place that decides which rounds have a plan.
    ///
    /// `checkpoint` receives the round's state after every iteration, before the observer hears
    /// of it; a round started with `resume` (a checkpoint of the same round, contract and
    /// partners) continues after that iteration as if it had never stopped.
    public func run(
        round: String, contract: ChainContract, partners: [any Partner], observer: IterationObserver? = nil,
        resume: DantzigWolfeCheckpoint? = nil, checkpoint: (@Sendable (DantzigWolfeCheckpoint) -> Void)? = nil
    ) async throws -> (result: RoundResult, weights: [[Int: Double]]) {
        try settings.validate()
        var engine = try DantzigWolfeEngine(settings: settings, contract: contract, partners: partners, round: round)
        if let resume { try engine.restore(resume) }
        engine.checkpointSink = checkpoint
        return await engine.run(observer: observer)
    }
}

/// The state of one column-generation round.
struct DantzigWolfeEngine {
    struct Column {
        var partner: Int
        var proposal: Proposal
    }

    let settings: DantzigWolfeSettings
    let contract: ChainContract
    /// The contract's content hash, computed once (SHA-256 of its canonical form: ~10 ms for
    /// pds-02, too much to pay in every checkpoint).
    let contractHash: String
    let partners: [any Partner]
    let round: String
    let m: Int
    let lower: [Double]
    let upper: [Double]
    /// Chain sense: +1 minimise, −1 maximise (the engine always minimises).
    let sign: Double
    let master: ClpSolver
    var artificialCount = 0
    var artificialRow: [Int] = []
    /// The artificial of each partner's convexity row ("the partner does nothing").
    var convexityArtificial: [Int] = []
    /// Partners with a plan (not a ray) among the master's columns. Their convexity artificials
    /// stay at zero: the plan meets the convexity row, and an artificial there would let phase 1
    /// drop a fraction of the partner's whole plan instead of exceeding a linking row by a few
    /// units (pds-02 spent 19 of 22 rounds in phase 1 that way, its artificials all on
    /// convexity rows).
    var planned: Set<Int> = []
    var columns: [Column] = []
    /// Per master column (in `columns`' order): phase-2 master solves in a row it has sat at
    /// weight zero with a positive reduced cost (see `DantzigWolfeSettings.columnAgeLimit`).
    var idle: [Int] = []
    var inMaster: Set<ProposalRef> = []
    /// Columns seen but not in the master: priced at the master's duals every iteration.
    var pool: [Column] = []
    var inPool: Set<ProposalRef> = []
    /// Whether this run retired any column (a resumed round may have before it stopped).
    var retiredAny = false
    /// Whether the last pricing returned a column already in the master that prices out at the
    /// master's duals (see the master's dual tolerance in `loop`).
    var mispricedInMaster = false
    /// The most negative reduced cost (relative to its terms) of such a column in the last pricing.
    var worstMisprice = 0.0
    /// How often the master's dual tolerance has been made finer (at most `Self.finerMasters`).
    var finerMasters = 0
    var phase = 1
    var alpha: Double
    var center: [Double]?
    var bestBound = -Double.infinity
    var bigM = 1.0
    /// The master's costs are in this unit (set from the seeds: their summed |cost|, at least 1).
    /// CLP's tolerances are absolute, so in currency units a chain costing 3e10 had its master
    /// solved to 1e-7 of a currency unit: the primal simplex then chases round-off through many
    /// degenerate pivots (pds-02's round: 1,695 master simplex iterations, 761 in this unit). Duals
    /// and the objective are converted back on the way out, so nothing outside the master sees the
    /// unit.
    var costUnit = 1.0
    /// Phase 1 hands over to phase 2 when the artificials sum to at most this.
    var switchThreshold = 0.0
    var history: [IterationRecord] = []
    let clock = ContinuousClock()
    let start: ContinuousClock.Instant
    /// Seconds the round ran before it was resumed (0 for a fresh round).
    var secondsBefore = 0.0
    /// Iterations done, and how often phase 1 raised its penalty (kept across a resume).
    var iteration = 0
    var penaltyRaises = 0
    /// Set when the round continues from a checkpoint (no seeding).
    var resumed = false
    var checkpointSink: (@Sendable (DantzigWolfeCheckpoint) -> Void)?

    struct ProposalRef: Hashable {
        var partner: Int
        var id: Int
    }

    init(settings: DantzigWolfeSettings, contract: ChainContract, partners: [any Partner], round: String) throws {
        self.settings = settings
        self.contract = contract
        self.contractHash = contract.contentHash
        self.partners = partners
        self.round = round
        self.m = contract.linkingRows.count
        (self.lower, self.upper) = contract.linkingBounds
        self.sign = contract.sense == .maximize ? -1 : 1
        self.alpha = settings.stabilization ? settings.initialAlpha : 0
        self.start = clock.now
        // Master rows: linking rows, then one convexity row per partner. Artificial columns make
        // every row satisfiable from the start; phase I drives them to zero.
        let p = partners.count
        var triplets: [(row: Int, column: Int, value: Double)] = []
        var artificialRow: [Int] = []
        for i in 0..<m {
            if lower[i].isFinite || !upper[i].isFinite {
                triplets.append((i, artificialRow.count, 1))
                artificialRow.append(i)
            }
            if upper[i].isFinite {
                triplets.append((i, artificialRow.count, -1))
                artificialRow.append(i)
            }
        }
        var convexityArtificial: [Int] = []
        for k in 0..<p {
            triplets.append((m + k, artificialRow.count, 1))
            convexityArtificial.append(artificialRow.count)
            artificialRow.append(m + k)
        }
        let a = artificialRow.count
        let program = LinearProgram(
            objective: Array(repeating: 1, count: a),
            matrix: SparseMatrix(rowCount: m + p, columnCount: a, triplets: triplets),
            columnLower: Array(repeating: 0, count: a), columnUpper: Array(repeating: .infinity, count: a),
            rowLower: lower + Array(repeating: 1, count: p), rowUpper: upper + Array(repeating: 1, count: p))
        var masterSettings = settings.solver
        masterSettings.scaling = false  // the master grows by columns every iteration
        masterSettings.checkPrimalFeasibility = true  // weights at −1e-6 on columns of large cost
        // In cost units (see costUnit) the dual tolerance is relative to the chain's cost, and the
        // master's dual objective strays from its primal one by several times it (pds-02: 8e-7
        // at CLP's default 1e-7, which left phase 2 stalled at a gap of 1.6e-6). Kept a thousand
        // times finer than the gap the round must prove.
        masterSettings.dualTolerance = max(1e-10, min(masterSettings.dualTolerance, settings.gapTolerance / 1000))
        self.master = try ClpSolver(program: program, settings: masterSettings)
        self.artificialCount = a
        self.artificialRow = artificialRow
        self.convexityArtificial = convexityArtificial
    }

    var elapsed: Double { secondsBefore + (clock.now - start).secondsValue }

    mutating func run(observer: IterationObserver?) async -> (result: RoundResult, weights: [[Int: Double]]) {
        do {
            return try await loop(observer: observer)
        } catch let error as PartnerError {
            let status = RoundStatus(error)
            return (finish(status, message: error.description, partner: error.partner), [])
        } catch {
            return (finish(.partnerFailed, message: "\(error)"), [])
        }
    }

    func finish(
        _ status: RoundStatus, message: String, partner: String? = nil, objective: Double? = nil,
        violated: [String] = []
    ) -> RoundResult {
        let last = history.last
        return RoundResult(
            method: "dw", status: status, objective: objective ?? last?.objective, bound: last?.bound,
            gap: last?.gap, iterations: history.count, seconds: elapsed, message: message, partner: partner,
            violatedRows: violated, linkingViolation: nil, history: history)
    }

    /// The price vector restricted to partner k's rows.
    func local(_ prices: [Double], _ k: Int) -> [Double] { partners[k].linkingRows.map { prices[$0] } }

    func reducedCost(_ c: Column, prices: [Double], convexity: [Double], weight: Double) -> (value: Double, scale: Double) {
        var priced = 0.0
        for (r, u) in zip(partners[c.partner].linkingRows, c.proposal.usage) { priced += prices[r] * u }
        let cost = weight * c.proposal.cost
        let value = cost - priced - (c.proposal.isRay ? 0 : convexity[c.partner])
        return (value, max(1, abs(cost), abs(priced)))
    }

    mutating func addColumns(
        _ candidates: [Column], prices: [Double], convexity: [Double], weight: Double, force: Bool = false
    ) throws -> Int {
        var entering: [NewColumn] = []
        for c in candidates {
            let ref = ProposalRef(partner: c.partner, id: c.proposal.id)
            let (rc, scale) = reducedCost(c, prices: prices, convexity: convexity, weight: weight)
            guard !inMaster.contains(ref) else {
                if !force && rc < -settings.reducedCostTolerance * scale {
                    mispricedInMaster = true
                    worstMisprice = min(worstMisprice, rc / scale)
                }
                continue
            }
            guard force || rc < -settings.reducedCostTolerance * scale else {
                if inPool.insert(ref).inserted { pool.append(c) }
                continue
            }
            entering.append(masterColumn(c))
            inMaster.insert(ref)
            columns.append(c)
            idle.append(0)
        }
        if !entering.isEmpty {
            pool.removeAll { inMaster.contains(ProposalRef(partner: $0.partner, id: $0.proposal.id)) }
            inPool.subtract(inMaster)
        }
        try master.addColumns(entering)
        try closeConvexityArtificials()
        return entering.count
    }

    /// Fixes at zero the convexity artificial of every partner that now has a plan in the master.
    mutating func closeConvexityArtificials() throws {
        for c in columns where !c.proposal.isRay && !planned.contains(c.partner) {
            planned.insert(c.partner)
            try master.setColumnBounds(convexityArtificial[c.partner], lower: 0, upper: 0)
        }
    }

    /// A column of the master: the proposal's usage on the partner's linking rows, a 1 on its
    /// convexity row unless it is a ray, and its cost in cost units (none in phase 0).
    func masterColumn(_ c: Column) -> NewColumn {
        var rows = partners[c.partner].linkingRows
        var values = c.proposal.usage
        if !c.proposal.isRay {
            rows.append(m + c.partner)
            values.append(1)
        }
        let nonzero = values.indices.filter { values[$0] != 0 }
        return NewColumn(objective: phase == 0 ? 0 : c.proposal.cost / costUnit, rows: nonzero.map { rows[$0] }, values: nonzero.map { values[$0] })
    }

    /// Phase 2: artificials fixed at zero, true costs only.
    mutating func enterPhaseTwo() throws {
        phase = 2
        for j in 0..<artificialCount { try master.setColumnBounds(j, lower: 0, upper: 0) }
        try master.setObjective(Array(repeating: 0, count: artificialCount) + columns.map { $0.proposal.cost / costUnit })
    }

    /// Back from phase 2 to phase 1 (artificials free again, penalised).
    mutating func leavePhaseTwo() throws {
        phase = 1
        let closed = Set(planned.map { convexityArtificial[$0] })
        for j in 0..<artificialCount where !closed.contains(j) { try master.setColumnBounds(j, lower: 0, upper: .infinity) }
        try setPenalty(bigM)
    }

    /// Phase 0: pure feasibility (artificials cost 1, plans cost nothing), to prove that no
    /// combination of plans meets the linking rows once big-M has stopped helping.
    mutating func enterFeasibilityPhase() throws {
        phase = 0
        try master.setObjective(Array(repeating: 1, count: artificialCount) + Array(repeating: 0, count: columns.count))
    }

    /// Phase 1: true costs plus a penalty `bigM` per unit of artificial.
    mutating func setPenalty(_ penalty: Double) throws {
        bigM = penalty
        try master.setObjective(Array(repeating: penalty / costUnit, count: artificialCount) + columns.map { $0.proposal.cost / costUnit })
    }

    /// The linking rows' bounds, for prices and the Lagrangian bound.
    var linkingPrices: LinkingRowPrices { LinkingRowPrices(lower: lower, upper: upper) }

    /// Whether two price vectors are the same point up to rounding.
    static func samePoint(_ a: [Double], _ b: [Double]) -> Bool {
        zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($0), abs($1)) }
    }

    mutating func loop(observer: IterationObserver?) async throws -> (result: RoundResult, weights: [[Int: Double]]) {
        if !resumed {
            // Iteration 0: every partner's own best plan (zero prices) seeds the master, and sets
            // the scale of the artificial variables' penalty.
            let zero = Array(repeating: 0.0, count: m)
            let seed = try await ask(iteration: 0, points: [zero], weight: 1)
            // A unit of artificial costs about what the whole chain's own optima cost per unit of
            // their largest linking-row usage: enough in practice, and raised when it is not.
            let plans = seed.columns.filter { !$0.proposal.isRay }
            let costScale = max(1, plans.map { abs($0.proposal.cost) }.reduce(0, +))
            let usageScale = max(1, plans.flatMap { $0.proposal.usage.map(abs) }.max() ?? 1)
            costUnit = costScale
            _ = try addColumns(seed.columns, prices: zero, convexity: Array(repeating: 0, count: partners.count), weight: 1, force: true)
            try setPenalty(settings.penaltyFactor * costScale / usageScale)
            switchThreshold = settings.feasibilityTolerance * rowScale
        }

        while true {
            // The state after the last iteration, now that it is settled (penalty raised, phase
            // changed): what a resumed round starts from.
            if iteration > 0 { checkpointSink?(checkpoint()) }
            iteration += 1
            var result = master.solve()
            var raises = 0
            while result.status == .unbounded && phase == 1 && rayUsesArtificials(result) && raises < Self.unboundedRaises {
                // The master's ray buys artificial slack more cheaply than the partners' rays
                // gain: the penalty is too small, not the chain unbounded (stocfor1, scagr7 cut
                // into blocks: a partner's ray that the linking rows do bound, at a price).
                raises += 1
                try setPenalty(bigM * 100)
                result = master.solve()
            }
            if result.status == .optimal && phase != 2 && artificialSum(result) <= switchThreshold {
                // The artificials are gone: from phase 1, or from phase 0 (feasible after all),
                // on to the true costs, and the checks below see that solve. (From phase 0 they
                // used to come first: finnis cut by the detector, with quadratic costs, went on
                // with a phase-2 master CLP called infeasible, and ended "the bound passed the
                // objective 0.0".)
                let from = phase
                try enterPhaseTwo()
                result = master.solve()
                if result.status == .infeasible {
                    // The artificials were small but not zero: back where it came from, stricter.
                    try leavePhaseTwo()
                    if from == 0 { try enterFeasibilityPhase() }
                    switchThreshold /= 100
                    result = master.solve()
                }
            }
            if result.status == .optimal, dualsOutOfScale(result.rowDuals) != nil {
                // CLP's warm primal can stop "optimal" on a basis so ill-conditioned that its
                // duals are round-off: env_aggr with quadratic costs, at its 836th master solve
                // (1,675 pivots), said optimal at 1.0056776 with a dual of 6.4e22 (cost units);
                // solved from scratch, the optimum is 1.0056410 with duals below 1.01. Those
                // duals, sent as prices, had made CLP abort a partner's process.
                master.discardBasis()
                result = master.solve()
                if result.status == .optimal, let bad = dualsOutOfScale(result.rowDuals) {
                    let row = bad.row < m ? "linking row '\(contract.linkingRows[bad.row].name)'" : "partner '\(partners[bad.row - m].name)''s convexity row"
                    return (
                        finish(
                            .inaccurate,
                            message: "the master's dual on \(row) is \(bad.dual * costUnit), out of scale with the chain's costs "
                                + "even solved from scratch: numerical trouble, the result is not proven"),
                        [])
                }
            }
            guard result.status == .optimal else {
                if result.status == .unbounded {
                    let named = unboundedPartners(result)
                    let who = named.map { "'\($0)'" }.joined(separator: ", ")
                    return (
                        finish(
                            .unbounded,
                            message: named.isEmpty
                                ? "the chain's objective improves without limit (partners' rays are not bounded by the linking rows)"
                                : "the chain's objective improves without limit: the plans of partner\(named.count > 1 ? "s" : "") \(who) "
                                    + "improve without limit along a direction the linking rows do not bound",
                            partner: named.first), [])
                }
                return (finish(.partnerFailed, message: "the master problem failed: \(result.status.rawValue)"), [])
            }
            var retired = 0
            if phase == 2 { retired = try retireIdleColumns(result) }
            // Back from cost units (phase 0 has no costs: its duals are in row units already).
            let unit = phase == 0 ? 1 : costUnit
            // The master's duals with each price of the wrong sign for its row set to zero: a
            // positive price on a row with no lower bound (or a negative one on a row with no
            // upper bound) is round-off from CLP, but makes that point's Lagrangian bound −∞.
            // Seen on pds-02 once its master is solved in cost units: every phase-2 bound was −∞
            // and the round ended only when no column priced out. Zeroing keeps every point a
            // valid bound, and smoothed points (combinations of such vectors) stay valid too.
            let prices = linkingPrices.projected(result.rowDuals[0..<m].map { $0 * unit })
            let convexity = result.rowDuals[m...].map { $0 * unit }
            let weight: Double = phase == 0 ? 0 : 1
            let masterObjective = result.objective * unit

            // Price vectors: the smoothed point first, then towards the master's duals.
            var used = phase == 2 ? alpha : 0
            var added = 0
            /// Partners whose pricing problem was unbounded at the master's own duals along a ray
            /// the master does not hold.
            var unboundedAtDuals: [Int] = []
            var record = IterationRecord(iteration: iteration, seconds: 0, phase: phase)
            while true {
                let anchor = center ?? prices
                let count = phase == 2 ? settings.pricesPerRound : 1
                var betas: [Double] = []
                if count == 1 {
                    betas = [used]
                } else {
                    let top = settings.stabilization ? used : 0.5
                    betas = (0..<count).map { top * Double(count - 1 - $0) / Double(count - 1) }
                }
                // Without a stability centre (or with α = 0) the points coincide: price each once.
                // Compared with a tolerance, since b·y + (1 − b)·y is y only up to rounding: pds-02's
                // first phase-2 round priced two copies of the master's duals (11 solves for
                // nothing, ~3 ms of a 0.1 s round).
                var points: [[Double]] = []
                for b in betas {
                    let point = center == nil ? prices : (0..<m).map { b * anchor[$0] + (1 - b) * prices[$0] }
                    if !points.contains(where: { Self.samePoint($0, point) }) { points.append(point) }
                }
                let before = inMaster
                mispricedInMaster = false
                worstMisprice = 0
                let answer = try await ask(iteration: iteration, points: points, weight: weight)
                record.slowestPartner = answer.slowest.name
                record.slowestSeconds = answer.slowest.seconds
                added += try addColumns(answer.columns + pool, prices: prices, convexity: convexity, weight: weight)
                // A partner whose ray the master already holds is no contradiction: the master,
                // optimal with that column in it, prices it within its tolerance (etamacro cut
                // by the detector, ten price vectors a round: a ray at −1.9e-8 a unit).
                let inMasterNow = inMaster
                unboundedAtDuals = (points.lastIndex { Self.samePoint($0, prices) }.map { answer.unbounded[$0] } ?? []).filter { k in
                    !answer.columns.contains { $0.partner == k && $0.proposal.isRay && inMasterNow.contains(ProposalRef(partner: k, id: $0.proposal.id)) }
                }
                if phase != 0 {
                    // Any price vector gives a valid Lagrangian bound on the true problem.
                    for (j, point) in points.enumerated() {
                        guard let total = answer.values[j] else { continue }
                        let bound = linkingPrices.boundTerm(point) + total
                        if !bestBound.isFinite || bound > bestBound + 1e-12 * max(1, abs(bestBound)) {
                            bestBound = bound
                            if settings.stabilization && phase == 2 { center = point }
                        }
                    }
                    if settings.stabilization && phase == 2 {
                        // Did the smoothed point itself bring a column? (addColumns has just added
                        // every new one that prices out at the master's duals.)
                        let smoothedAdded = answer.bestAt0.contains {
                            let ref = ProposalRef(partner: $0.partner, id: $0.proposal.id)
                            return !before.contains(ref) && inMaster.contains(ref)
                        }
                        if settings.resetAlphaOnMispricing && points.count > 1 && added > 0 && !smoothedAdded {
                            alpha = 0
                        } else {
                            updateAlpha(prices: prices, point: points[0], usage: answer.usageAt0)
                        }
                    }
                }
                if added > 0 || used == 0 || phase != 2 || count > 1 { break }
                // Mispricing: move the separation point towards the master's duals.
                used = max(0, used - (1 - alpha))
                used = used < 1e-3 ? 0 : used
            }
            record.seconds = elapsed
            record.columns = columns.count
            record.added = added
            record.retired = phase == 2 ? retired : nil
            record.alpha = phase == 2 && settings.stabilization ? used : nil
            if added == 0 && phase == 2 && mispricedInMaster && finerMasters < Self.finerMasters {
                // A column of the master prices out at its duals, in the chain's units, though CLP
                // called the master optimal: a ray of large weight, whose reduced cost in cost
                // units is inside CLP's dual tolerance. share1b cut by the detector and packed into
                // three partners stopped "optimal" 4.5e-5 above its optimum that way (a ray at
                // −2.3e-5 a unit, −3e-10 in the master, with room for 1e5 units). The master goes
                // on with a tolerance 100 times finer; no bound is claimed from it this round.
                finerMasters += 1
                try applyMasterDualTolerance()
            } else if added == 0 && phase == 2 && mispricedInMaster && worstMisprice < -Self.mispriceLimit {
                // The finer tolerances are spent and a column of the master still prices out at
                // its duals by more than round-off: nothing proves the master optimal. (This used
                // to be taken as proof: finnis cut by the detector, with quadratic costs and a
                // rescue of CLP's QP solves tried in session 15, stopped "optimal" 18% above the
                // chain's optimum.) A ray priced out by 4e-8 of its terms, as kb2's detected
                // split's is, is round-off (below).
                return (
                    finish(
                        .inaccurate,
                        message: "a column of the master still prices out at its duals after \(Self.finerMasters) solves with finer "
                            + "tolerances: numerical trouble, the result is not proven"),
                    [])
            } else if added == 0 && phase == 2 && (unboundedAtDuals.isEmpty || mispricedInMaster) {
                // No column prices out at the master's own duals (or only by round-off, once the
                // finer tolerances are spent): the master is optimal for the full problem, so the
                // bound meets the objective.
                bestBound = max(bestBound, masterObjective)
            }
            if phase == 2 {
                record.objective = sign * masterObjective + contract.objectiveConstant
            }
            if bestBound.isFinite && phase != 0 {
                record.bound = sign * bestBound + contract.objectiveConstant
                if phase == 2 { record.gap = max(0, (masterObjective - bestBound) / max(1, abs(masterObjective))) }
            }
            history.append(record)
            observer?(record)
            if added == 0 && phase == 1 {
                // Converged with artificials still in use: the penalty was too small, or no plan
                // combination meets the linking rows. Raise it a few times, then decide by phase 0.
                if penaltyRaises < settings.penaltyRaises {
                    penaltyRaises += 1
                    try setPenalty(bigM * 100)
                } else {
                    try enterFeasibilityPhase()
                }
                continue
            }
            if added == 0 && phase == 0 {
                let violated = contract.linkingViolation(masterActivity(result), tolerance: settings.feasibilityTolerance).rows
                return (
                    finish(
                        .infeasible,
                        message: "no combination of the partners' plans meets the linking rows"
                            + (violated.isEmpty ? "" : " (violated: \(violated.prefix(10).joined(separator: ", "))"
                                + (violated.count > 10 ? ", …" : "") + ")"),
                        violated: violated), [])
            }
            if phase == 2, bestBound.isFinite,
                (bestBound - masterObjective) / max(1, abs(masterObjective)) > max(settings.gapTolerance, Self.boundRoundOff)
            {
                // A valid bound never passes the objective; one that does by more than round-off
                // is numerical trouble, and a gap clamped to zero would call it optimal.
                return (
                    finish(
                        .inaccurate,
                        message: "the bound \(sign * bestBound + contract.objectiveConstant) passed the objective "
                            + "\(sign * masterObjective + contract.objectiveConstant): numerical trouble, the result is not proven"),
                    [])
            }
            if phase == 2, let gap = record.gap, gap <= settings.gapTolerance {
                return endWithPlan(.optimal, message: "relative gap \(gap) within \(settings.gapTolerance)")
            }
            if added == 0 && phase == 2 && !mispricedInMaster, let k = unboundedAtDuals.first {
                // A partner called its pricing problem unbounded at the master's duals, yet none
                // of its rays prices out there, or was in the master already: a true ray would. Its solver is in numerical
                // trouble, and with no bound closing the gap nothing proves the master optimal.
                // (adlittle cut by the detector stopped "optimal" 10% above its optimum on such
                // an answer before rays made of round-off were refused.)
                return (
                    finish(
                        .inaccurate,
                        message: "partner '\(partners[k].name)' called its pricing problem unbounded at the master's prices, "
                            + "but its ray does not improve on them: numerical trouble in its pricing problem, the result is not proven",
                        partner: partners[k].name),
                    [])
            }
            if iteration >= settings.maximumIterations {
                return endWithPlan(.iterationLimit, message: "stopped after \(iteration) iterations")
            }
            if elapsed >= settings.maximumSeconds {
                return endWithPlan(.timeLimit, message: "stopped after \(elapsed) s")
            }
        }
    }

    /// A master row whose dual, times the largest coefficient any master column has in that row,
    /// exceeds `dualScaleLimit` times the master's largest cost (at least 1): the row, and its
    /// dual in cost units. Reduced costs made of such terms are round-off long before they reach
    /// the master's dual tolerance, so a basis CLP calls optimal with such a dual is not to be
    /// trusted.
    func dualsOutOfScale(_ duals: [Double]) -> (row: Int, dual: Double)? {
        var largest = Array(repeating: 1.0, count: m + partners.count)  // artificials and convexity rows: 1
        var cost = phase == 0 ? 1 : phase == 1 ? bigM / costUnit : 0
        for c in columns {
            if phase != 0 { cost = max(cost, abs(c.proposal.cost) / costUnit) }
            for (r, u) in zip(partners[c.partner].linkingRows, c.proposal.usage) { largest[r] = max(largest[r], abs(u)) }
        }
        let limit = Self.dualScaleLimit * max(1, cost)
        guard let i = largest.indices.first(where: { abs(duals[$0]) * largest[$0] > limit }) else { return nil }
        return (i, duals[i])
    }

    /// How far below zero (relative to its terms) a master column's reduced cost at the
    /// master's duals may stay, once the finer tolerances are spent, and still count as
    /// round-off (kb2's detected split: a ray at −4e-8).
    static let mispriceLimit = 1e-6

    /// See `dualsOutOfScale`. Over 54 chains' rounds (the eight block instances, also packed into
    /// two and three partners, and 31 chains cut by the detector), with and without smoothing,
    /// the largest dual term was 1.1e4 times the largest cost (etamacro, in phase 1), most below
    /// 1e2; the broken master's was 6e22.
    static let dualScaleLimit = 1e10

    /// The partners whose rays make the master unbounded: those on CLP's unbounded direction if
    /// it gave one, else every partner with a ray in the master (the convexity rows bound the
    /// rest, and artificials cost a positive penalty).
    func unboundedPartners(_ result: SolveResult) -> [String] {
        var involved = Set<Int>()
        if let ray = result.unboundedRay, ray.count == artificialCount + columns.count {
            for (k, c) in columns.enumerated() where c.proposal.isRay && abs(ray[artificialCount + k]) > 1e-9 { involved.insert(c.partner) }
        }
        if involved.isEmpty { involved = Set(columns.filter(\.proposal.isRay).map(\.partner)) }
        return involved.sorted().map { partners[$0].name }
    }

    /// How often one iteration may raise the penalty because the phase-1 master is unbounded
    /// through its artificials (each raise ×100).
    static let unboundedRaises = 8

    /// Whether the master's unbounded direction moves an artificial variable: then a larger
    /// penalty makes it cost more, and the master may be bounded after all. Without a ray from
    /// CLP, assumed so (phase 1 then raises the penalty a few times before believing it).
    func rayUsesArtificials(_ result: SolveResult) -> Bool {
        guard let ray = result.unboundedRay, ray.count == artificialCount + columns.count else { return true }
        let largest = ray.map(abs).max() ?? 0
        return (0..<artificialCount).contains { abs(ray[$0]) > 1e-9 * largest }
    }

    /// A master with at most this many columns per row keeps them all: its re-solves are cheap.
    static let retireAbove = 2

    /// Ages the master's columns by `result` (an optimal phase-2 master) and moves those idle
    /// for `columnAgeLimit` solves to the pool. Only nonbasic columns at weight zero go (up to
    /// 1e-12: CLP's primal leaves some at their perturbed bounds, and counting those as in use
    /// kept env_aggr's master larger, 375 rounds in 3.5 s against 282 in 1.7 s), so the master's
    /// basis, and with it `result`'s duals, stays as it is. Returns how many went.
    mutating func retireIdleColumns(_ result: SolveResult) throws -> Int {
        let limit = settings.columnAgeLimit
        guard settings.stabilization, limit > 0, result.primal.count == artificialCount + columns.count else { return 0 }
        let a = artificialCount
        // Reduced costs in cost units, as CLP's own tolerances (see `costUnit`).
        let threshold = max(settings.solver.dualTolerance, 1e-7)
        var retire: [Int] = []
        for k in columns.indices {
            if result.primal[a + k] <= 1e-12 && result.reducedCosts[a + k] > threshold { idle[k] += 1 } else { idle[k] = 0 }
            if idle[k] >= limit { retire.append(k) }
        }
        guard !retire.isEmpty, columns.count > Self.retireAbove * (m + partners.count) else { return 0 }
        try master.deleteColumns(retire.map { a + $0 })
        retiredAny = true
        var gone = Set(retire)
        var kept: [Column] = []
        var keptIdle: [Int] = []
        kept.reserveCapacity(columns.count - retire.count)
        for (k, c) in columns.enumerated() {
            if gone.remove(k) != nil {
                let ref = ProposalRef(partner: c.partner, id: c.proposal.id)
                inMaster.remove(ref)
                if inPool.insert(ref).inserted { pool.append(c) }
            } else {
                kept.append(c)
                keptIdle.append(idle[k])
            }
        }
        columns = kept
        idle = keptIdle
        return retire.count
    }

    func artificialSum(_ result: SolveResult) -> Double {
        (0..<artificialCount).reduce(0) { $0 + result.primal[$1] }
    }

    var rowScale: Double {
        max(1, (lower + upper).filter(\.isFinite).map(abs).max() ?? 1)
    }

    func masterActivity(_ result: SolveResult) -> [Double] {
        // Activity of the linking rows from proposals only (artificials excluded).
        var activity = Array(repeating: 0.0, count: m)
        for (k, c) in columns.enumerated() {
            let w = result.primal[artificialCount + k]
            guard w != 0 else { continue }
            for (r, u) in zip(partners[c.partner].linkingRows, c.proposal.usage) { activity[r] += w * u }
        }
        return activity
    }

    /// The master's weights of each partner's proposals, from a final solve of the master's
    /// columns (those retired to the pool left at weight zero, and the gap is proven without
    /// them).
    ///
    /// That solve is polished: CLP leaves weights up to its primal tolerance below zero (the rest
    /// of its bound perturbation), and on columns of large usage, dropped or kept, they move the
    /// partners' plans off the linking rows (env_aggr in two partners: 3.2e-4 off copy rows). At
    /// a primal tolerance of 1e-10, re-solved from the optimal basis, what is left is kept as
    /// it is, negative or not, down to −1e-9 (what a partner accepts): the plans then meet the
    /// linking rows as the master's combination does (there, to 4e-11).
    func finalWeights() -> (weights: [[Int: Double]], objective: Double?, prices: [Double]?) {
        var result = master.solve()
        if result.status == .optimal, (try? master.setPrimalTolerance(Self.polishTolerance)) != nil {
            let polished = master.solve()
            if polished.status == .optimal {
                result = polished
            } else {
                try? master.setPrimalTolerance(settings.solver.primalTolerance)
                result = master.solve()
            }
        }
        guard result.status == .optimal, phase == 2 else { return ([], nil, nil) }
        var out = Array(repeating: [Int: Double](), count: partners.count)
        for (k, c) in columns.enumerated() {
            let w = result.primal[artificialCount + k]
            if w > 0 || (w < 0 && w >= -1e-9) { out[c.partner][c.proposal.id, default: 0] += w }
        }
        // The linking rows' duals in the chain's sense and units (see RoundResult.linkingPrices).
        let prices = linkingPrices.projected(result.rowDuals[0..<m].map { $0 * costUnit }).map { sign * $0 + 0 }
        return (out, result.objective * costUnit, prices)
    }

    /// The end of a round that hands over a plan (optimal, or stopped at a limit in phase 2):
    /// the weights of the master re-solved over the columns it now holds, the last iteration's
    /// and the retired ones included, and that plan's own objective and gap. A round stopped at
    /// its limit had reported the objective from before its last iteration's columns: ship04l
    /// stopped after three iterations said 1,794,976.3 for a plan that cost 1,793,691.1.
    ///
    /// The retired columns come back for that solve because its polish asks for a point feasible
    /// to 1e-10, not CLP's 1e-7: tuff cut by the detector, with columns retired after one or
    /// two idle solves, had closed its gap at 0.2921478 on a point feasible to 1e-7 only, and
    /// the strictly feasible plan its smaller master held cost 0.2936825. A plan whose own gap
    /// is still wider than the round's tolerance is not reported optimal.
    mutating func endWithPlan(_ status: RoundStatus, message: String) -> (result: RoundResult, weights: [[Int: Double]]) {
        if phase == 2, !pool.isEmpty, retiredAny || resumed {
            let back = pool
            if (try? master.addColumns(back.map(masterColumn))) != nil {
                for c in back {
                    inMaster.insert(ProposalRef(partner: c.partner, id: c.proposal.id))
                    columns.append(c)
                    idle.append(0)
                }
                pool = []
                inPool = []
            }
        }
        let (weights, objective, prices) = finalWeights()
        var result = finish(status, message: message)
        if let objective {
            result.objective = sign * objective + contract.objectiveConstant
            let gap = bestBound.isFinite ? max(0, (objective - bestBound) / max(1, abs(objective))) : nil
            result.gap = gap
            if status == .optimal, let gap, gap > settings.gapTolerance {
                result.status = .inaccurate
                result.message = "the plan handed over costs \(result.objective!), a gap of \(gap) to the bound: "
                    + "the master's objective met the bound only within CLP's feasibility tolerance, the result is not proven"
            }
        }
        if result.status == .optimal { result.linkingPrices = prices }
        // Weights only with a plan: an optimal round's, or one stopped at its limit. A plan that
        // turned out unproven (inaccurate, above) is not handed over.
        return (result, result.status == .inaccurate ? [] : weights)
    }

    /// How far (relative) a bound may pass the master's objective by round-off alone, whatever
    /// the gap tolerance. With `--gap 0` the check used to take the tolerance itself, and the
    /// rounds of 28 of 54 chains that met their optimum ended "inaccurate": bounds that passed
    /// by 8e-16 to 3e-13 of it (the sum of the partners' optimal values, each a CLP solve).
    static let boundRoundOff = 1e-9

    /// The primal tolerance of the master's final, polishing solve.
    static let polishTolerance = 1e-10

    /// How many times a round may make its master's dual tolerance 100 times finer.
    static let finerMasters = 3

    /// The master's dual tolerance: the solver's, 100 times finer for each of `finerMasters`.
    func applyMasterDualTolerance() throws {
        guard finerMasters > 0 else { return }
        var tolerance = settings.solver.dualTolerance
        for _ in 0..<finerMasters { tolerance /= 100 }
        try master.setDualTolerance(tolerance)
    }

    /// Pessoa et al.: if the subgradient at the separation point points towards the master's
    /// duals, smooth less; otherwise smooth more.
    mutating func updateAlpha(prices: [Double], point: [Double], usage: [Double]?) {
        guard let usage else { return }
        var product = 0.0
        for i in 0..<m {
            let side: Double
            if point[i] > 0 { side = lower[i] } else if point[i] < 0 { side = upper[i] } else { side = min(max(usage[i], lower[i]), upper[i]) }
            guard side.isFinite else { continue }
            product += (side - usage[i]) * (prices[i] - point[i])
        }
        if product > 0 {
            alpha = max(0, alpha - 0.1)
        } else {
            alpha = min(settings.maximumAlpha, alpha + (1 - alpha) * 0.1)
        }
    }

    struct Answer {
        var columns: [Column]
        /// Σ over partners of each point's optimal value (nil if any partner is unbounded there).
        var values: [Double?]
        /// Per point, the partners whose pricing problem is unbounded there.
        var unbounded: [[Int]]
        /// Linking-row usage of the partners' best responses at the first point.
        var usageAt0: [Double]?
        /// The partners' best responses at the first point (one per partner, plan or ray).
        var bestAt0: [Column]
        var slowest: (name: String, seconds: Double)
    }

    func ask(iteration: Int, points: [[Double]], weight: Double) async throws -> Answer {
        let round = round
        let requests = (0..<partners.count).map { k in
            PricingRequest(round: round, iteration: iteration, prices: points.map { local($0, k) }, costWeight: weight)
        }
        let (responses, seconds) = try await forEachPartner(partners) { k, partner in try await partner.price(requests[k]) }
        var columns: [Column] = []
        var values = [Double?](repeating: 0, count: points.count)
        var unbounded = [[Int]](repeating: [], count: points.count)
        var usage: [Double]? = Array(repeating: 0, count: m)
        var bestAt0: [Column] = []
        for (k, response) in responses.enumerated() {
            let rows = partners[k].linkingRows
            guard response.values.count == points.count, response.best.count == points.count,
                response.proposals.allSatisfy({ $0.usage.count == rows.count && $0.cost.isFinite && $0.usage.allSatisfy(\.isFinite) })
            else {
                throw PartnerError(partner: partners[k].name, kind: .badRequest, message: "answered a pricing request with malformed proposals")
            }
            // Numbers of this size would reach CLP as master costs it refuses (it asserts on
            // 1e25 and more); said here, they name the partner that sent them.
            if let p = response.proposals.first(where: { abs($0.cost) >= ClpSolver.largestCost || $0.usage.contains { abs($0) >= ClpSolver.largestCost } }) {
                throw PartnerError(
                    partner: partners[k].name, kind: .badRequest,
                    message: "answered a pricing request with a proposal out of scale (cost \(p.cost), largest usage "
                        + "\(p.usage.map(abs).max() ?? 0); at most ±\(ClpSolver.largestCost) is taken)")
            }
            for p in response.proposals { columns.append(Column(partner: k, proposal: p)) }
            for j in 0..<points.count {
                if let v = response.values[j], let total = values[j] { values[j] = total + v } else { values[j] = nil }
                if response.values[j] == nil { unbounded[j].append(k) }
            }
            if let best = response.proposals.first(where: { $0.id == response.best[0] }) {
                bestAt0.append(Column(partner: k, proposal: best))
            }
            if let best = response.proposals.first(where: { $0.id == response.best[0] }), !best.isRay {
                for (r, u) in zip(rows, best.usage) { usage?[r] += u }
            } else {
                usage = nil
            }
        }
        let slowest = seconds.indices.max { seconds[$0] < seconds[$1] } ?? 0
        return Answer(
            columns: columns, values: values, unbounded: unbounded, usageAt0: usage, bestAt0: bestAt0,
            slowest: (partners.isEmpty ? "" : partners[slowest].name, seconds.isEmpty ? 0 : seconds[slowest]))
    }
}
