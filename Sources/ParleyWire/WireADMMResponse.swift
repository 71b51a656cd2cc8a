/// Mirrors `ADMMResponse`: the new plan's usage, cost and squared usage change.
public struct WireADMMResponse: Sendable, Equatable {
    public var usage: [Double]
    public var cost: Double
    public var usageChange: Double

    public init(usage: [Double], cost: Double, usageChange: Double) {
        self.usage = usage
        self.cost = cost
        self.usageChange = usageChange
    }
}
