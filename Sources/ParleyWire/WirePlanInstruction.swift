/// Mirrors `PlanInstruction`: how a partner forms its share of the plan at the end of a round.
public struct WirePlanInstruction: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Dantzig–Wolfe: weights of the partner's own proposals, by id.
        case weights([Int: Double])
        /// ADMM: keep the last iterate.
        case lastIterate
    }

    public var round: String
    public var kind: Kind
    /// The final prices of the linking rows the partner takes part in (in the order of its
    /// pricing requests), or nil when the round proved none.
    public var prices: [Double]?
    /// Whether the round ended (optimal or converged) and the plan stands; false for a round
    /// stopped at a limit, whose plan a resumed round replaces.
    public var isFinal: Bool

    public init(round: String, kind: Kind, prices: [Double]? = nil, isFinal: Bool = true) {
        self.round = round
        self.kind = kind
        self.prices = prices
        self.isFinal = isFinal
    }
}
