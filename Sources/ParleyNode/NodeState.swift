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
    /// The private model's file and the SHA-256 of its bytes, kept beside each round's proposals
    /// (`STATE/rounds/<round>.model`): a round's stored plans fit only the model they were
    /// priced on.
    private let model: (path: String, digest: String)?

    init(
        problem: PartnerProblem, sense: ObjectiveSense, stateDirectory: String, retentionDays: Int = 0,
        model: (path: String, digest: String)? = nil
    ) {
        self.problem = problem
        self.sense = sense
        self.stateDirectory = stateDirectory
        self.retentionDays = retentionDays
        self.model = model
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
        try checkModel(round: round, resuming: FileManager.default.fileExists(atPath: path))
        let kept = try ProposalStore.load(path: path)
        let columns = problem.program.columnCount
        if let wrong = kept.first(where: { $0.x.count != columns }) {
            throw PartnerError(
                partner: problem.name, kind: .badRequest,
                message: "\(path): proposal \(wrong.id) holds \(wrong.x.count) values, but the model has \(columns) columns: "
                    + "the round's stored plans do not fit the model; start a new round")
        }
        for proposal in kept { await partner.restoreProposal(id: proposal.id, x: proposal.x, isRay: proposal.isRay) }
        // An ADMM round: the steps it took, so the next one starts from its last usage.
        for step in try ProposalStore.loadADMMSteps(path: path, usageCount: partner.linkingRows.count) {
            guard step.x.count == columns else {
                throw PartnerError(
                    partner: problem.name, kind: .badRequest,
                    message: "\(path): ADMM step \(step.iteration) holds a plan of \(step.x.count) values, but the model has \(columns) "
                        + "columns: the round's stored plans do not fit the model; start a new round")
            }
            await partner.restoreADMMStep(iteration: step.iteration, usage: step.usage, residual: step.residual, x: step.x)
        }
        let store = try ProposalStore(path: path, known: kept.map(\.id))
        current = (round, partner, store)
        return (partner, store)
    }

    /// A new round notes the model it is priced on; a round taken up again (after a restart)
    /// must find the same one, or its stored plans would be combined into a plan for another
    /// model (or not fit it at all).
    private func checkModel(round: String, resuming: Bool) throws {
        guard let model else { return }
        let notePath = "\(stateDirectory)/rounds/\(round).model"
        if resuming, let noted = try? String(contentsOfFile: notePath, encoding: .utf8) {
            let digest = noted.trimmingCharacters(in: .whitespacesAndNewlines)
            guard digest == model.digest else {
                throw PartnerError(
                    partner: problem.name, kind: .badRequest,
                    message: "round \(round) began on another private model (SHA-256 \(digest.prefix(12))…, in \(notePath)); "
                        + "\(model.path) has changed since (\(model.digest.prefix(12))…), so the round's stored plans do not fit it: "
                        + "start a new round, or put the round's model back")
            }
        } else if !resuming {
            try AtomicFile.write(model.digest + "\n", to: notePath, permissions: 0o600)
        }
    }

    /// Round ids become file names: no separators, no leading dot, bounded length.
    static func isSafeRoundID(_ round: String) -> Bool {
        guard (1...128).contains(round.utf8.count), !round.hasPrefix(".") else { return false }
        return round.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }
}
