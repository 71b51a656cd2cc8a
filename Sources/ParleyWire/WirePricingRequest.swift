/// Mirrors `PricingRequest`: one or more price vectors over the partner's own linking rows.
public struct WirePricingRequest: Sendable, Equatable {
    public var round: String
    public var iteration: Int
    /// Each vector is aligned with the partner's linking rows.
    public var prices: [[Double]]
    /// 1 to price the true cost, 0 in phase I.
    public var costWeight: Double

    public init(round: String, iteration: Int, prices: [[Double]], costWeight: Double) {
        self.round = round
        self.iteration = iteration
        self.prices = prices
        self.costWeight = costWeight
    }
}
