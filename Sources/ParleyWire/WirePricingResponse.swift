/// Mirrors `PricingResponse`: the proposals found and, per price vector, the value and best id.
public struct WirePricingResponse: Sendable, Equatable {
    public var proposals: [WireProposal]
    /// Per price vector; `nil` when the pricing problem is unbounded.
    public var values: [Double?]
    /// Per price vector, the id of the proposal attaining `values`.
    public var best: [Int]

    public init(proposals: [WireProposal], values: [Double?], best: [Int]) {
        self.proposals = proposals
        self.values = values
        self.best = best
    }
}
