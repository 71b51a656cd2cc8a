import ParleyModel

/// How a round ended. A status is an answer (as in MathOptInterface), not an error.
public enum RoundStatus: String, Sendable, Codable {
    case optimal
    /// ADMM met its residual tolerances (the plan meets the linking rows within them).
    case converged
    /// No joint plan meets the linking rows (`RoundResult.violatedRows` names them), or a
    /// partner's own model is infeasible (`RoundResult.partner`).
    case infeasible
    case unbounded
    /// The round stopped as if optimal, but its answer is not proven: the partners' final plans
    /// leave a linking row by more than the tolerance, the Lagrangian bound passed the objective,
    /// or a partner's unbounded pricing answer at the master's duals improves nothing there
    /// (numerical trouble). OSQP's "solved inaccurate".
    case inaccurate
    case iterationLimit = "iteration_limit"
    case timeLimit = "time_limit"
    /// A partner failed or answered nonsense (`RoundResult.partner`, `message`).
    case partnerFailed = "partner_failed"
    /// A partner stayed unreachable past its deadline (`RoundResult.partner`).
    case partnerUnreachable = "partner_unreachable"

    /// How a partner's failure ends a round.
    init(_ error: PartnerError) {
        switch error.kind {
        case .infeasible: self = .infeasible
        case .unbounded: self = .unbounded
        case .unreachable: self = .partnerUnreachable
        default: self = .partnerFailed
        }
    }
}

/// One row of the convergence log.
public struct IterationRecord: Sendable, Equatable, Codable {
    public var iteration: Int
    public var seconds: Double
    /// DW: 1 while finding a feasible combination, 2 after. ADMM: 0.
    public var phase: Int
    /// Chain objective of the current plan (DW: the restricted master's; ADMM: Σ costs).
    public var objective: Double?
    /// DW: the best Lagrangian bound so far (chain sense).
    public var bound: Double?
    /// DW: relative gap between objective and bound.
    public var gap: Double?
    /// ADMM residuals and penalty.
    public var primalResidual: Double?
    public var dualResidual: Double?
    public var rho: Double?
    /// DW: columns in the master; added this iteration; retired to the pool this iteration
    /// (phase 2).
    public var columns: Int?
    public var added: Int?
    public var retired: Int?
    /// DW: smoothing weight used this iteration.
    public var alpha: Double?
    /// The partner that answered last this iteration, and its time.
    public var slowestPartner: String?
    public var slowestSeconds: Double?

    public init(iteration: Int, seconds: Double, phase: Int) {
        self.iteration = iteration
        self.seconds = seconds
        self.phase = phase
    }
}

/// The outcome of a round.
public struct RoundResult: Sendable {
    public var method: String
    public var status: RoundStatus
    public var objective: Double?
    /// The best Lagrangian bound (chain sense; ADMM: at its last prices, when every partner's
    /// value is finite there) and the relative gap to `objective`.
    public var bound: Double?
    public var gap: Double?
    public var iterations: Int
    public var seconds: Double
    public var message: String
    /// The partner a failure is about.
    public var partner: String?
    /// Linking rows no plan could meet (infeasible chains).
    public var violatedRows: [String]
    /// Largest violation of a linking row by the final plans together (absolute).
    public var linkingViolation: Double?
    /// Whether every partner formed and kept its plan: after an optimal (DW) or converged (ADMM)
    /// round, and after a DW round stopped at a limit in phase 2 (the master's combination, with
    /// the round's gap).
    public var plansDelivered = false
    /// The linking rows' prices at the end (contract order, in the chain's objective units per
    /// unit of the row): how fast the chain's optimal objective moves as the row's bounds are
    /// raised, a shadow price. A cost-minimising chain's binding capacity (≤) row has a price
    /// ≤ 0: one more unit of capacity lowers the cost by |price|. Set for an optimal DW round
    /// (the final master's duals) and a converged ADMM round (its last prices y = ρ·w, exact to
    /// the round's tolerances); nil otherwise. Where the chain's duals are not unique these are
    /// one valid set.
    public var linkingPrices: [Double]?
    public var history: [IterationRecord]
}

extension RoundResult {
    /// A result rebuilt from a record of it (the coordinator's plan handover).
    public init(
        method: String, status: RoundStatus, objective: Double?, bound: Double?, gap: Double?, iterations: Int, seconds: Double,
        message: String, linkingPrices: [Double]? = nil, history: [IterationRecord] = []
    ) {
        self.method = method
        self.status = status
        self.objective = objective
        self.bound = bound
        self.gap = gap
        self.iterations = iterations
        self.seconds = seconds
        self.message = message
        self.violatedRows = []
        self.linkingPrices = linkingPrices
        self.history = history
    }
}

/// Something that watches a round, one record per iteration (terminal table, JSON Lines file).
public typealias IterationObserver = @Sendable (IterationRecord) -> Void

/// Calls `body` for every partner at once (with its index in `partners`) and collects the
/// answers in partner order, with each partner's time; the first error (tagged with the
/// partner's name) ends the call.
func forEachPartner<T: Sendable>(
    _ partners: [any Partner], _ body: @escaping @Sendable (Int, any Partner) async throws -> T
) async throws -> (results: [T], seconds: [Double]) {
    try await withThrowingTaskGroup(of: (Int, T, Double).self) { group in
        for (k, partner) in partners.enumerated() {
            group.addTask {
                let clock = ContinuousClock()
                let start = clock.now
                do {
                    let value = try await body(k, partner)
                    return (k, value, (clock.now - start).secondsValue)
                } catch let error as PartnerError {
                    throw error
                } catch {
                    throw PartnerError(partner: partner.name, kind: .solverFailure, message: "\(error)")
                }
            }
        }
        var results = [T?](repeating: nil, count: partners.count)
        var seconds = [Double](repeating: 0, count: partners.count)
        for try await (k, value, s) in group {
            results[k] = value
            seconds[k] = s
        }
        return (results.map { $0! }, seconds)
    }
}

extension Duration {
    var secondsValue: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

/// Prices on the linking rows and the Lagrangian bound they give, for both methods. A price is
/// per unit of linking-row usage, as pricing requests carry it: a partner's value at prices y is
/// the least cost − yᵀ(usage) over its plans, and L(y) = Σ partners' values + Σᵢ yᵢ·bᵢ (bᵢ the
/// row's lower bound where yᵢ > 0, its upper bound where yᵢ < 0) is at most the optimum, for
/// every y. Only the sum of the partners' values enters it.
struct LinkingRowPrices {
    let lower: [Double]
    let upper: [Double]

    /// `prices` with each price that points at an infinite side set to zero (it would make the
    /// bound −∞).
    func projected(_ prices: [Double]) -> [Double] {
        prices.indices.map { i in
            let y = prices[i]
            return (y > 0 && !lower[i].isFinite) || (y < 0 && !upper[i].isFinite) ? 0 : y
        }
    }

    /// Σ yᵢ·bᵢ over the side each price binds, or −∞ when a price points at an infinite side.
    func boundTerm(_ prices: [Double]) -> Double {
        var total = 0.0
        for (i, y) in prices.enumerated() {
            if y > 0 { total += lower[i].isFinite ? y * lower[i] : -.infinity }
            if y < 0 { total += upper[i].isFinite ? y * upper[i] : -.infinity }
        }
        return total
    }
}

/// Linking-row helpers shared by both methods.
extension ChainContract {
    /// Row lower and upper bounds, in contract order.
    var linkingBounds: (lower: [Double], upper: [Double]) {
        (linkingRows.map(\.lower), linkingRows.map(\.upper))
    }

    /// The largest amount by which `activity` leaves the linking rows' bounds, and the rows that
    /// it leaves by more than `tolerance` relative to the row's size: its bounds, at least 1,
    /// and `magnitude` (the partners' usages in absolute value, summed) where given, since a
    /// copy row x − x' = 0 between plans of 1,000 units is met only to their rounding.
    public func linkingViolation(_ activity: [Double], tolerance: Double, magnitude: [Double]? = nil) -> (worst: Double, rows: [String]) {
        var worst = 0.0
        var rows: [String] = []
        for (i, row) in linkingRows.enumerated() {
            let v = max(row.lower - activity[i], activity[i] - row.upper, 0)
            worst = max(worst, v)
            let size = max(1, abs(row.lower.isFinite ? row.lower : 0), abs(row.upper.isFinite ? row.upper : 0), magnitude?[i] ?? 0)
            if v > tolerance * size {
                rows.append(row.name)
            }
        }
        return (worst, rows)
    }
}
