/// Mirrors `Proposal`: a plan's linking-row usage and cost, the plan staying with the partner.
public struct WireProposal: Sendable, Equatable {
    public var id: Int
    public var usage: [Double]
    public var cost: Double
    /// A ray (unbounded direction) rather than a plan.
    public var isRay: Bool

    public init(id: Int, usage: [Double], cost: Double, isRay: Bool) {
        self.id = id
        self.usage = usage
        self.cost = cost
        self.isRay = isRay
    }
}
