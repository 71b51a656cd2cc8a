/// Mirrors `PlanReceipt`: a partner's acknowledgement of its plan.
public struct WirePlanReceipt: Sendable, Equatable {
    public var cost: Double
    public var usage: [Double]

    public init(cost: Double, usage: [Double]) {
        self.cost = cost
        self.usage = usage
    }
}
