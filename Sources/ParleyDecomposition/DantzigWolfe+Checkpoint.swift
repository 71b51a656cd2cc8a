import ParleyModel
import ParleySolver

/// Everything a Dantzig–Wolfe round needs to go on after its coordinator stopped: the columns
/// (proposals' linking-row usages and costs, under the partners' ids — never a plan), the phase
/// and penalty, the stabilization centre and α, the best bound, and the iterations so far.
///
/// The partners keep their own proposals under the same ids, so a round resumed from a
/// checkpoint still ends with weights each partner can turn into its share of the plan.
public struct DantzigWolfeCheckpoint: Sendable, Equatable, Codable {
    public struct Column: Sendable, Equatable, Codable {
        /// Index of the partner in the contract's order.
        public var partner: Int
        public var id: Int
        public var usage: [Double]
        public var cost: Double
        public var isRay: Bool

        public init(partner: Int, id: Int, usage: [Double], cost: Double, isRay: Bool) {
            self.partner = partner
            self.id = id
            self.usage = usage
            self.cost = cost
            self.isRay = isRay
        }
    }

    /// Format version of this record.
    public var version = 1
    public var round: String
    public var contractHash: String
    /// The partners' names, in contract order (the columns index into this).
    public var partners: [String]
    /// Iterations done; the resumed round's next one is `iteration + 1`.
    public var iteration: Int
    /// Seconds the round had run.
    public var seconds: Double
    public var phase: Int
    public var alpha: Double
    public var center: [Double]?
    /// −∞ until a bound is known.
    public var bestBound: Double
    public var bigM: Double
    public var costUnit: Double
    public var switchThreshold: Double
    public var penaltyRaises: Int
    /// How many times the master's dual tolerance had been made 100 times finer (see
    /// `DantzigWolfeEngine.finerMasters`); nil in checkpoints written before it was kept: none.
    public var finerMasters: Int?
    /// The master's columns in the order they entered, then the pool (columns seen but not
    /// entered, or retired from the master).
    public var columns: [Column]
    /// Per column of `columns`: master solves in a row it has sat idle (see
    /// `DantzigWolfeSettings.columnAgeLimit`); nil in checkpoints written before columns were
    /// retired: all zero.
    public var columnIdle: [Int]?
    public var pool: [Column]
    public var history: [IterationRecord]

    public init(
        round: String, contractHash: String, partners: [String], iteration: Int, seconds: Double, phase: Int,
        alpha: Double, center: [Double]?, bestBound: Double, bigM: Double, costUnit: Double, switchThreshold: Double,
        penaltyRaises: Int, columns: [Column], pool: [Column], history: [IterationRecord], finerMasters: Int? = nil,
        columnIdle: [Int]? = nil
    ) {
        self.round = round
        self.contractHash = contractHash
        self.partners = partners
        self.iteration = iteration
        self.seconds = seconds
        self.phase = phase
        self.alpha = alpha
        self.center = center
        self.bestBound = bestBound
        self.bigM = bigM
        self.costUnit = costUnit
        self.switchThreshold = switchThreshold
        self.penaltyRaises = penaltyRaises
        self.finerMasters = finerMasters
        self.columns = columns
        self.columnIdle = columnIdle
        self.pool = pool
        self.history = history
    }
}

/// Why a checkpoint cannot continue this round.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Throws unless a checkpoint's format, round, contract and partners are the ones `expected`.
    static func checkIdentity(
        version: Int, round: String, contractHash: String, partners: [String],
        against expected: (round: String, contractHash: String, partners: [String])
    ) throws {
        guard version == 1 else { throw CheckpointError("checkpoint format version \(version) is not supported (expected 1)") }
        guard round == expected.round else { throw CheckpointError("the checkpoint is of round \(round), not \(expected.round)") }
        guard contractHash == expected.contractHash else {
            throw CheckpointError(
                "the checkpoint was taken under contract \(contractHash.prefix(12))…, but the chain is now \(expected.contractHash.prefix(12))…")
        }
        guard partners == expected.partners else {
            throw CheckpointError("the checkpoint's partners (\(partners.joined(separator: ", "))) are not the contract's")
        }
    }
}

extension DantzigWolfeEngine {
    func checkpoint() -> DantzigWolfeCheckpoint {
        func saved(_ c: Column) -> DantzigWolfeCheckpoint.Column {
            .init(partner: c.partner, id: c.proposal.id, usage: c.proposal.usage, cost: c.proposal.cost, isRay: c.proposal.isRay)
        }
        return DantzigWolfeCheckpoint(
            round: round, contractHash: contractHash, partners: partners.map(\.name), iteration: iteration,
            seconds: elapsed, phase: phase, alpha: alpha, center: center, bestBound: bestBound, bigM: bigM,
            costUnit: costUnit, switchThreshold: switchThreshold, penaltyRaises: penaltyRaises,
            columns: columns.map(saved), pool: pool.map(saved), history: history, finerMasters: finerMasters,
            columnIdle: idle)
    }

    /// Rebuilds the master and the round's state from `saved`, after checking that it belongs to
    /// this round, contract and set of partners.
    mutating func restore(_ saved: DantzigWolfeCheckpoint) throws {
        try CheckpointError.checkIdentity(
            version: saved.version, round: saved.round, contractHash: saved.contractHash, partners: saved.partners,
            against: (round, contractHash, partners.map(\.name)))
        guard (0...2).contains(saved.phase), saved.iteration >= 1, saved.costUnit > 0, saved.costUnit.isFinite,
            saved.bigM.isFinite, saved.bigM > 0, saved.alpha >= 0, saved.alpha < 1, saved.seconds >= 0,
            saved.center.map({ $0.count == m && $0.allSatisfy(\.isFinite) }) ?? true, !saved.bestBound.isNaN,
            (0...Self.finerMasters).contains(saved.finerMasters ?? 0),
            saved.columnIdle.map({ $0.count == saved.columns.count && $0.allSatisfy { $0 >= 0 } }) ?? true
        else { throw CheckpointError("the checkpoint's state is out of range") }
        func column(_ c: DantzigWolfeCheckpoint.Column) throws -> Column {
            guard partners.indices.contains(c.partner), c.usage.count == partners[c.partner].linkingRows.count,
                c.usage.allSatisfy(\.isFinite), c.cost.isFinite
            else { throw CheckpointError("the checkpoint holds a malformed column (partner \(c.partner), id \(c.id))") }
            return Column(partner: c.partner, proposal: Proposal(id: c.id, usage: c.usage, cost: c.cost, isRay: c.isRay))
        }
        let restored = try saved.columns.map(column)
        costUnit = saved.costUnit
        phase = saved.phase
        bigM = saved.bigM
        for c in restored { inMaster.insert(ProposalRef(partner: c.partner, id: c.proposal.id)) }
        columns = restored
        idle = saved.columnIdle ?? Array(repeating: 0, count: restored.count)
        try master.addColumns(restored.map(masterColumn))
        try closeConvexityArtificials()
        switch phase {
        case 2: try enterPhaseTwo()
        case 0: try enterFeasibilityPhase()
        default: try setPenalty(bigM)
        }
        pool = try saved.pool.map(column)
        inPool = Set(pool.map { ProposalRef(partner: $0.partner, id: $0.proposal.id) })
        alpha = saved.alpha
        center = saved.center
        bestBound = saved.bestBound
        switchThreshold = saved.switchThreshold
        penaltyRaises = saved.penaltyRaises
        finerMasters = saved.finerMasters ?? 0
        try applyMasterDualTolerance()
        iteration = saved.iteration
        history = saved.history
        secondsBefore = saved.seconds
        resumed = true
    }
}
