import Foundation
import ParleyDecomposition
import ParleyModel
import ParleyTransport

/// What a running node holds between requests: the connection it serves, whether a request is
/// in hand, and the current round's partner (its warm solver and stored proposals).
actor NodeState {
    struct Ticket: Equatable { let number: Int }

    private let problem: PartnerProblem
    private let sense: ObjectiveSense
    private let stateDirectory: String
    private var active: (ticket: Ticket, connection: SecureConnection)?
    private var issued = 0
    private var busy = false
    private(set) var isShuttingDown = false
    private var current: (round: String, partner: LocalPartner, store: ProposalStore)?

    private let retentionDays: Int

    init(problem: PartnerProblem, sense: ObjectiveSense, stateDirectory: String, retentionDays: Int = 0) {
        self.problem = problem
        self.sense = sense
        self.stateDirectory = stateDirectory
        self.retentionDays = retentionDays
    }

    /// Removes the proposals of rounds idle past the retention period (never the round in
    /// progress); the round ids removed.
    func removeIdleRounds() -> [String] {
        ProposalStore.removeRounds(in: "\(stateDirectory)/rounds", idleLongerThan: retentionDays, except: current?.round)
    }

    /// Takes the node for `connection`; nil if another connection has it or the node is stopping.
    func claim(_ connection: SecureConnection) -> Ticket? {
        guard active == nil, !isShuttingDown else { return nil }
        issued += 1
        let ticket = Ticket(number: issued)
        active = (ticket, connection)
        return ticket
    }

    func release(_ ticket: Ticket) {
        if active?.ticket == ticket { active = nil }
    }

    func mayTakeRequest() -> Bool { !isShuttingDown }
    /// Takes a request in hand unless shutdown has begun (then the connection is closing, or
    /// about to, and the request is left unanswered).
    func beginRequest() -> Bool {
        guard !isShuttingDown else { return false }
        busy = true
        return true
    }
    func endRequest() {
        busy = false
        if isShuttingDown, let connection = active?.connection { Task { await connection.close() } }
    }

    /// The current round's proposal store (to fsync it off the request loop).
    func currentStore() -> ProposalStore? { current?.store }

    /// Graceful shutdown: an idle connection closes now, a busy one after its answer.
    func shutDown() async {
        isShuttingDown = true
        if !busy, let connection = active?.connection { await connection.close() }
    }

    /// The partner for `round`: the current one, or a fresh one (cold solver, no proposals) when a
    /// new round starts.
    func round(_ round: String, startIfNew: Bool = true) async throws -> (LocalPartner, ProposalStore) {
        if let current, current.round == round { return (current.partner, current.store) }
        guard Self.isSafeRoundID(round) else {
            throw PartnerError(
                partner: problem.name, kind: .badRequest,
                message: "round id '\(round.prefix(80))' must be 1–128 letters, digits, '.', '_' or '-', not starting with '.'")
        }
        guard startIfNew || FileManager.default.fileExists(atPath: "\(stateDirectory)/rounds/\(round).proposals") else {
            throw PartnerError(
                partner: problem.name, kind: .badRequest,
                message: "round '\(round.prefix(80))' is not the round in progress (\(current?.round ?? "none"))")
        }
        let partner = try LocalPartner(problem: problem, chainSense: sense)
        // A round this node already took part in before a restart: its proposals come back
        // under their old ids, so the coordinator's columns and final weights still match.
        let path = "\(stateDirectory)/rounds/\(round).proposals"
        let kept = try ProposalStore.load(path: path)
        for proposal in kept { await partner.restoreProposal(id: proposal.id, x: proposal.x, isRay: proposal.isRay) }
        // An ADMM round: the steps it took, so the next one starts from its last usage.
        for step in try ProposalStore.loadADMMSteps(path: path, usageCount: partner.linkingRows.count) {
            await partner.restoreADMMStep(iteration: step.iteration, usage: step.usage, residual: step.residual, x: step.x)
        }
        let store = try ProposalStore(path: path, known: kept.map(\.id))
        current = (round, partner, store)
        return (partner, store)
    }

    /// Round ids become file names: no separators, no leading dot, bounded length.
    static func isSafeRoundID(_ round: String) -> Bool {
        guard (1...128).contains(round.utf8.count), !round.hasPrefix(".") else { return false }
        return round.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }
}
