import ParleyModel

/// Everything the ADMM coordinator needs to go on after it stopped: ρ (and the one the round
/// started with, which bounds it), the mean usages, their projections and the scaled duals, all
/// over the linking rows and built from sums only, and the iterations so far. The partners keep
/// their own usages by iteration (see `LocalPartner`), so nothing of theirs is in here. Nor is
/// the acceleration's history: a resumed round takes a plain step and builds it up again.
public struct ADMMCheckpoint: Sendable, Equatable, Codable {
    public var version = 1
    public var round: String
    public var contractHash: String
    public var partners: [String]
    public var iteration: Int
    public var seconds: Double
    public var rho: Double
    public var initialRho: Double
    public var meanUsage: [Double]
    public var z: [Double]
    public var w: [Double]
    public var history: [IterationRecord]

    public init(
        round: String, contractHash: String, partners: [String], iteration: Int, seconds: Double, rho: Double,
        initialRho: Double, meanUsage: [Double], z: [Double], w: [Double], history: [IterationRecord]
    ) {
        self.round = round
        self.contractHash = contractHash
        self.partners = partners
        self.iteration = iteration
        self.seconds = seconds
        self.rho = rho
        self.initialRho = initialRho
        self.meanUsage = meanUsage
        self.z = z
        self.w = w
        self.history = history
    }

    /// Throws unless this checkpoint can continue `round` under `contract` with `partners`.
    func check(round: String, contract: ChainContract, partners: [any Partner]) throws {
        try CheckpointError.checkIdentity(
            version: version, round: self.round, contractHash: contractHash, partners: self.partners,
            against: (round, contract.contentHash, partners.map(\.name)))
        let m = contract.linkingRows.count
        guard iteration >= 1, seconds >= 0, rho > 0, rho.isFinite, initialRho > 0, initialRho.isFinite,
            [meanUsage, z, w].allSatisfy({ $0.count == m && $0.allSatisfy(\.isFinite) }), history.count == iteration
        else { throw CheckpointError("the checkpoint's state is out of range") }
    }
}
