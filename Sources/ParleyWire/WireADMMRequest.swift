/// Mirrors `ADMMRequest`: one ADMM x-update.
public struct WireADMMRequest: Sendable, Equatable {
    public var round: String
    public var iteration: Int
    /// Aligned with the partner's linking rows.
    public var shift: [Double]
    public var rho: Double

    public init(round: String, iteration: Int, shift: [Double], rho: Double) {
        self.round = round
        self.iteration = iteration
        self.shift = shift
        self.rho = rho
    }
}
