/// Mirrors `ADMMResponse`: the new plan's usage, cost, squared usage change and the residual's
/// inner products with earlier ones.
public struct WireADMMResponse: Sendable, Equatable {
    public var usage: [Double]
    public var cost: Double
    public var usageChange: Double
    public var residualProducts: [Double]

    public init(usage: [Double], cost: Double, usageChange: Double, residualProducts: [Double] = []) {
        self.usage = usage
        self.cost = cost
        self.usageChange = usageChange
        self.residualProducts = residualProducts
    }
}
