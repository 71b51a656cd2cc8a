/// Mirrors `ADMMRequest`: one ADMM x-update.
public struct WireADMMRequest: Sendable, Equatable {
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
    /// Aligned with the partner's linking rows.
    public var shift: [Double]
    public var rho: Double
    /// The starting usage as weights on the partner's own earlier usages; empty: its last one.
    public var start: [Weight]
    /// Iterations whose residuals the answer pairs with this one's.
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
