/// What a coordinator may ask of a partner, and all a partner ever tells it.
///
/// The same protocol is implemented in process (``LocalPartner``) and, in the network layer, by a
/// proxy that sends each call over TLS to the partner's node. Every value a partner returns is in
/// these types: linking-row usages, costs, proposal ids, and the optimal values of its pricing
/// problems — never a variable value, a private row or a cost vector.
public protocol Partner: Sendable {
    /// The partner's name in the contract.
    var name: String { get }
    /// Contract indices of the linking rows this partner takes part in (public, from the contract).
    var linkingRows: [Int] { get }

    /// Dantzig–Wolfe pricing: for each price vector, the partner's best response.
    func price(_ request: PricingRequest) async throws -> PricingResponse
    /// One ADMM x-update.
    func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse
    /// The end of a round: the partner turns the weights of its own proposals (DW) or its last
    /// ADMM iterate into its share of the joint plan and keeps it.
    func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt
}

/// A pricing request: one or more price vectors over the partner's own linking rows.
public struct PricingRequest: Sendable, Equatable {
    public var round: String
    public var iteration: Int
    /// Each vector is aligned with the partner's `linkingRows`.
    public var prices: [[Double]]
    /// 1 to price the partner's true cost, 0 in phase I (feasibility: cost ignored).
    public var costWeight: Double

    public init(round: String, iteration: Int, prices: [[Double]], costWeight: Double) {
        self.round = round
        self.iteration = iteration
        self.prices = prices
        self.costWeight = costWeight
    }
}

/// A proposal: how much of each linking row a partner's plan would use, and what it costs.
/// The plan itself stays with the partner under `id`.
public struct Proposal: Sendable, Equatable {
    public var id: Int
    /// Aligned with the partner's `linkingRows`.
    public var usage: [Double]
    /// Cost in the chain's minimisation form (a maximising chain's value, negated).
    public var cost: Double
    /// A ray (an unbounded direction) rather than a plan: it has no convexity weight.
    public var isRay: Bool

    public init(id: Int, usage: [Double], cost: Double, isRay: Bool) {
        self.id = id
        self.usage = usage
        self.cost = cost
        self.isRay = isRay
    }
}

/// The answer to a ``PricingRequest``.
public struct PricingResponse: Sendable, Equatable {
    /// Distinct proposals found (several price vectors may lead to the same one). Besides the
    /// ray, an unbounded answer may carry plans, such as the vertex the ray leaves from.
    public var proposals: [Proposal]
    /// For each price vector, min over the partner's plans of (costWeight·cost − prices·usage),
    /// or `nil` when that is unbounded. The coordinator's Lagrangian bound is built from these.
    public var values: [Double?]
    /// For each price vector, the id of the proposal that attains `values` (a ray when unbounded).
    public var best: [Int]

    public init(proposals: [Proposal], values: [Double?], best: [Int]) {
        self.proposals = proposals
        self.values = values
        self.best = best
    }
}

/// One ADMM x-update: minimise cost + (ρ/2)·‖usage − target‖² over the partner's plans, where
/// target = (own starting usage) − `shift`. Only `shift` (built from sums over all partners) and ρ
/// are sent; the partner knows its own usages. The starting usage is the partner's last one, or,
/// when the coordinator accelerates (see `ADMM`), a combination of its own earlier ones.
public struct ADMMRequest: Sendable, Equatable {
    /// A weight on the partner's own usage after an earlier iteration.
    public struct Weight: Sendable, Equatable {
        public var iteration: Int
        public var weight: Double

        public init(iteration: Int, weight: Double) {
            self.iteration = iteration
            self.weight = weight
        }
    }

    public var round: String
    public var iteration: Int
    /// Aligned with the partner's `linkingRows`.
    public var shift: [Double]
    public var rho: Double
    /// The starting usage as weights (summing to 1) on the partner's own earlier usages; empty:
    /// its last one (the plain step).
    public var start: [Weight]
    /// Earlier iterations whose residuals (usage − starting usage) the answer pairs with this
    /// one's in `residualProducts`; this iteration itself pairs the residual with itself.
    public var products: [Int]

    public init(round: String, iteration: Int, shift: [Double], rho: Double, start: [Weight] = [], products: [Int] = []) {
        self.round = round
        self.iteration = iteration
        self.shift = shift
        self.rho = rho
        self.start = start
        self.products = products
    }
}

/// The answer to an ``ADMMRequest``: the new plan's usage and cost.
public struct ADMMResponse: Sendable, Equatable {
    public var usage: [Double]
    public var cost: Double
    /// ‖usage − previous usage‖²: the partner's share of the dual residual (a sum over partners
    /// is all the coordinator needs of it).
    public var usageChange: Double
    /// ⟨r, rₜ⟩ for each iteration t the request listed in `products`, r = usage − starting usage:
    /// the partner's share of the inner products acceleration needs (again only their sum over
    /// partners is used). Empty when it no longer knows one of those residuals.
    public var residualProducts: [Double]

    public init(usage: [Double], cost: Double, usageChange: Double, residualProducts: [Double] = []) {
        self.usage = usage
        self.cost = cost
        self.usageChange = usageChange
        self.residualProducts = residualProducts
    }
}

/// How a partner forms its share of the plan at the end of a round.
public struct PlanInstruction: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Dantzig–Wolfe: weights of the partner's own proposals (by id).
        case weights([Int: Double])
        /// ADMM: keep the last iterate.
        case lastIterate
    }

    public var round: String
    public var kind: Kind
    /// The round's final prices of the linking rows this partner takes part in (in the order of
    /// its pricing requests; see `RoundResult.linkingPrices`), or nil when the round proved none.
    /// They are the rates at which the partner's use of each row is valued in the joint plan.
    public var prices: [Double]?
    /// Whether the plan stands: true once the round ended optimal (DW) or converged (ADMM);
    /// false when it stopped at a limit with a plan in hand, which `parley round resume` may
    /// replace with the round's final one.
    public var isFinal: Bool

    public init(round: String, kind: Kind, prices: [Double]? = nil, isFinal: Bool = true) {
        self.round = round
        self.kind = kind
        self.prices = prices
        self.isFinal = isFinal
    }
}

/// A partner's acknowledgement of its plan: only what the coordinator may know.
public struct PlanReceipt: Sendable, Equatable {
    /// The plan's cost (chain's minimisation form) and linking-row usage, so the coordinator can
    /// check the plans together meet the linking rows and add up to the reported objective.
    public var cost: Double
    public var usage: [Double]

    public init(cost: Double, usage: [Double]) {
        self.cost = cost
        self.usage = usage
    }
}

/// A partner could not answer. The coordinator ends the round with a status naming it.
public struct PartnerError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case infeasible, unbounded, solverFailure = "solver_failure", badRequest = "bad_request"
        case unknownProposal = "unknown_proposal"
        /// The partner could not be reached for longer than the round allows.
        case unreachable
    }

    public var partner: String
    public var kind: Kind
    public var message: String

    public init(partner: String, kind: Kind, message: String) {
        self.partner = partner
        self.kind = kind
        self.message = message
    }

    public var description: String { "partner '\(partner)': \(message)" }
}
