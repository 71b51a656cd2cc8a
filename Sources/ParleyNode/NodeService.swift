import Foundation
import Synchronization
import Logging
import ParleyDecomposition
import ParleyModel
import ParleySession
import ParleySolver
import ParleyTransport
import ParleyWire
import ServiceLifecycle

/// A partner's node: its private model and solver, answering the contract's coordinator over
/// TLS 1.3 (PROTOCOL.md section 6).
///
/// Everything that can be wrong with the files (config, contract, model, certificates) fails in
/// `init`, naming the file. While running, one coordinator connection is served at a time: a
/// second one gets error 103 ("busy") and is closed — concurrent rounds are refused, not queued,
/// because two rounds would interleave warm-started solves of one model. A bad request gets an
/// error answer and the connection stays open; a connection's failure never stops the node.
///
/// On graceful shutdown (SIGTERM/SIGINT through the service group) the node stops accepting,
/// finishes the request in hand, answers it, and closes.
public struct NodeService: Service {
    public let configuration: NodeConfiguration
    public let contract: ChainContract
    /// The contract's SHA-256, computed once: every hello is checked against it.
    let contractHash: String
    let problem: PartnerProblem
    let tls: ReloadingTLSContext
    let audit: AuditLog
    let logger: Logger
    let state: NodeState
    let settings: SecureChannelSettings

    /// How long a new connection may take to say hello.
    public static let helloTimeout: Duration = .seconds(30)
    /// How long a connection refused as busy is given to say hello before the refusal.
    static let busyHelloWait: Duration = .seconds(2)

    public init(configuration: NodeConfiguration, logger: Logger, settings: SecureChannelSettings = SecureChannelSettings()) throws {
        self.configuration = configuration
        self.logger = logger
        self.settings = settings
        let contract = try ChainContract.load(path: configuration.contract)
        guard let party = contract.partners.first(where: { $0.name == configuration.party }) else {
            throw NodeError(
                "\(configuration.contract): the contract has no partner '\(configuration.party)' "
                    + "(partners: \(contract.partners.map(\.name).joined(separator: ", ")))")
        }
        if let interface = configuration.interface {
            let missing = party.interface.filter { !interface.contains($0) }
            if !missing.isEmpty {
                throw NodeError(
                    "\(configuration.contract): the contract names \(missing.joined(separator: ", ")) of partner "
                        + "'\(party.name)', which the node's interface does not list")
            }
        }
        self.contract = contract
        self.contractHash = contract.contentHash
        let program = try MPSReader().read(path: configuration.model)
        let modelDigest = try FileDigest.sha256(path: configuration.model)
        self.problem = try PartnerProblem(contract: contract, partner: configuration.party, program: program, source: configuration.model)
        // Fail now, not at the first request, if the model does not suit the chain.
        _ = try LocalPartner(problem: problem, chainSense: contract.sense)
        let tls = try TLSContext(
            configuration: TLSConfiguration(
                certificatePath: configuration.certificate, privateKeyPath: configuration.key,
                trustRootsPath: configuration.certificateAuthority, revocationListPath: configuration.revocationList),
            role: .server)
        let certificatePath = configuration.certificate
        let named: @Sendable (TLSContext) throws(TransportError) -> Void = { context throws(TransportError) in
            guard context.ownIdentity == party.certificateName else {
                throw TransportError(
                    .badFile,
                    "\(certificatePath): the certificate is for parley:\(context.ownIdentity), but the contract "
                        + "expects partner '\(party.name)' to be \(party.identity)")
            }
        }
        do { try named(tls) } catch { throw NodeError(error.message) }
        // A renewed certificate or a new CRL is taken at the next connection, without a restart.
        self.tls = ReloadingTLSContext(
            tls, check: named,
            report: { event in
                switch event {
                case .reloaded(let context):
                    logger.notice("TLS files changed: new connections use them", metadata: Self.validity(of: context.configuration))
                case .refused(let error):
                    logger.error(
                        "TLS files changed but cannot be used: new connections keep the previous ones",
                        metadata: ["reason": "\(error.message)"])
                }
            })
        // The node's private plans live here: its own user only.
        try AtomicFile.createDirectory(configuration.state, permissions: 0o700)
        try AtomicFile.createDirectory("\(configuration.state)/plans", permissions: 0o700)
        try AtomicFile.createDirectory("\(configuration.state)/rounds", permissions: 0o700)
        var status = stat()
        if stat(configuration.state, &status) == 0, status.st_mode & S_IWOTH != 0 {
            throw NodeError(
                "\(configuration.state): the state directory is writable by every user (mode \(String(status.st_mode & 0o7777, radix: 8))), "
                    + "and it holds this partner's private plans: make it the node user's alone (chmod 700)")
        }
        self.audit = try AuditLog(path: "\(configuration.state)/audit.jsonl")
        self.state = NodeState(
            problem: problem, sense: contract.sense, stateDirectory: configuration.state, retentionDays: configuration.retentionDays,
            model: (configuration.model, modelDigest))
    }

    public func run() async throws {
        guard let (host, port) = NodeConfiguration.splitEndpoint(configuration.listen) else {
            throw NodeError("listen: '\(configuration.listen)' is not host:port")
        }
        // Two nodes on one state directory would interleave their audit lines and proposal
        // stores (a second unit, a copy of the configuration listening elsewhere).
        let lock = try DirectoryLock(
            directory: configuration.state, name: Self.lockName, owner: "parley node", rule: "one node per state directory")
        defer { withExtendedLifetime(lock) {} }
        let server = try await SecureServer.bind(
            host: host, port: port, contexts: tls.current, policy: .anyOf([contract.coordinator.certificateName]), settings: settings)
        logger.info(
            "listening",
            metadata: [
                "party": "\(configuration.party)", "address": "\(host):\(server.port)",
                "coordinator": "\(contract.coordinator.name)", "contract_hash": "\(contractHash)",
            ].merging(Self.validity(of: tls.current().configuration)) { a, _ in a })
        let logger = self.logger
        let state = self.state
        let tls = self.tls
        await removeIdleRounds()
        // A node runs for months: it says ahead of time, in its log, when its TLS files run out.
        let watch = Task {
            while !Task.isCancelled {
                for warning in Self.expiryWarnings(of: tls.current().configuration) { logger.warning("\(warning)") }
                try await Task.sleep(for: Self.expiryCheckInterval)
            }
        }
        defer { watch.cancel() }
        try await withGracefulShutdownHandler {
            try await server.run(
                handle: { connection in await self.serve(connection) },
                rejected: { error, address in
                    logger.warning("connection refused", metadata: ["remote": "\(address)", "reason": "\(error.message)"])
                })
        } onGracefulShutdown: {
            logger.info("shutting down: finishing the request in hand")
            Task {
                await server.close()
                await state.shutDown()
            }
        }
        logger.info("stopped")
    }

    /// One coordinator connection: hello, then requests until it closes.
    func serve(_ connection: SecureConnection) async {
        var logger = self.logger
        logger[metadataKey: "remote"] = "\(connection.remoteAddress)"
        guard let ticket = await state.claim(connection) else {
            logger.warning("refused a second connection: one round at a time")
            try? await connection.withSession { session in
                // Its hello first (briefly): answered and closed before it was read, the
                // coordinator's own send could meet a closed connection and never see "busy",
                // which it retries, but a failure it reports at once.
                _ = try? await session.receive(timeout: Self.busyHelloWait)
                try await send(
                    .error(WireErrorMessage(code: WireErrorMessage.busy, text: "\(configuration.party) is serving another connection; one round at a time")),
                    on: session, round: nil)
            }
            return
        }
        await removeIdleRounds()
        do {
            if try audit.reopenIfMoved() { logger.notice("audit log moved away: a new one started", metadata: ["path": "\(audit.path)"]) }
        } catch {
            logger.error("audit log moved away, but a new one cannot be started: lines go on in the moved file", metadata: ["reason": "\(error)"])
        }
        do {
            try await connection.withSession { session in
                guard try await greet(session) else { return }
                logger.info("coordinator connected", metadata: ["peer": "\(session.peer)"])
                // The fsyncs of the last answer's audit line and proposals run while the next
                // request is read and solved, and finish before the next answer is sent.
                var durable: Task<Void, any Error>? = nil
                requests: while await state.mayTakeRequest() {
                    let message: WireMessage
                    do {
                        guard let next = try await session.receiveUnlessClosed() else { break requests }
                        message = next
                    } catch let error as WireError {
                        // Not a Parley frame: say so (typed, recorded) and hang up; the node serves on.
                        logger.warning("malformed frame", metadata: ["reason": "\(error)"])
                        try await durable?.value
                        durable = nil
                        try await send(.error(WireErrorMessage(code: WireErrorMessage.malformedFrame, text: "\(error)")), on: session, round: nil)
                        let audit = audit
                        durable = Task { try await Self.makeDurable(audit, nil) }
                        break requests
                    } catch {
                        if await state.isShuttingDown { break requests }
                        try? await durable?.value
                        throw error
                    }
                    if case .ping(let nonce) = message {
                        // A heartbeat, answered at once between requests. Not a request: it does
                        // not hold up a graceful shutdown and forces no fsync. The pong is audited
                        // like everything the node sends (it carries only the coordinator's nonce
                        // back); its line reaches the disk with the next request's sync.
                        try await send(.pong(nonce: nonce), on: session, round: nil)
                        continue
                    }
                    // A request that arrived as shutdown began is left for the coordinator to
                    // send again (to this node restarted, or after the round resumes): the
                    // connection may already be closing, and an answer must not be solved,
                    // audited and then fail to leave.
                    guard await state.beginRequest() else { break requests }
                    let (reply, round) = await answer(message, logger: logger)
                    try await durable?.value
                    if let reply { try await send(reply, on: session, round: round) }
                    let store = await state.currentStore()
                    let audit = audit
                    durable = Task { try await Self.makeDurable(audit, store) }
                    await state.endRequest()
                }
                // Whatever ends the conversation, what was sent is on disk before it is over.
                try await durable?.value
            }
            logger.info("connection closed")
        } catch {
            logger.warning("connection ended", metadata: ["reason": "\(error)"])
        }
        // Released before this connection's task ends (it was a detached task, so a coordinator
        // that reconnected at once could still find the node "busy" with a closed connection).
        await state.release(ticket)
    }

    /// Removes the stored proposals of rounds idle past `retention_days`, saying which.
    private func removeIdleRounds() async {
        let removed = await state.removeIdleRounds()
        guard !removed.isEmpty else { return }
        logger.info(
            "removed the stored proposals of rounds idle for more than \(configuration.retentionDays) days",
            metadata: ["rounds": "\(removed.joined(separator: ", "))"])
    }

    /// When the node's certificate and CRL run out, for its log lines: a long-running node needs a
    /// new CRL before the old one's next update (after it, every handshake fails) and a renewed
    /// certificate before it expires; both are taken from the files without a restart.
    static func validity(of configuration: TLSConfiguration) -> Logger.Metadata {
        var facts: Logger.Metadata = [:]
        let dates = configuration.expiryDates()
        if let end = dates.certificate { facts["certificate_valid_until"] = "\(end.formatted(.iso8601))" }
        if let end = dates.revocationList { facts["crl_next_update"] = "\(end.formatted(.iso8601))" }
        return facts
    }

    /// What `parley node --check` prints once every file has passed: what the node would serve,
    /// and the warnings it would log.
    public func checkReport() -> [String] {
        let tls = tls.current().configuration
        let program = problem.program
        var lines = [
            "ok            \(configuration.party): configuration, contract, model and TLS files",
            "contract      \(configuration.contract): chain '\(contract.chain)', hash \(contractHash)",
            "model         \(configuration.model): \(Self.count(program.rowCount, "row")), \(Self.count(program.columnCount, "column"))"
                + (program.isQuadratic ? ", quadratic costs" : "") + "; in \(problem.linkingRows.count) of the contract's \(contract.linkingRows.count) linking rows",
            "listen        \(configuration.listen), for \(contract.coordinator.identity) only",
        ]
        let dates = tls.expiryDates()
        func text(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? "?" }
        lines.append("certificate   \(tls.certificatePath): parley:\(configuration.party), valid until \(text(dates.certificate))")
        if let crl = tls.revocationListPath {
            lines.append("crl           \(crl): next update \(text(dates.revocationList))")
        }
        let retention = configuration.retentionDays
        let holder = DirectoryLock.holder(of: "\(configuration.state)/\(Self.lockName)")
        lines.append(
            "state         \(configuration.state); "
                + (retention == 0 ? "round proposals kept for ever" : "round proposals removed after \(Self.count(retention, "day")) idle")
                + (holder.map { "; in use by a running node (pid \($0))" } ?? ""))
        lines += Self.expiryWarnings(of: tls).map { "warning: \($0)" }
        return lines
    }

    /// The lock file in the state directory (see `DirectoryLock`).
    static let lockName = "node.lock"

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// How often the node checks how long its certificate and CRL have left.
    static let expiryCheckInterval: Duration = .seconds(6 * 3_600)

    /// The configuration's expiry warnings, with what a node needs to know: no restart.
    static func expiryWarnings(of configuration: TLSConfiguration, at now: Date = Date()) -> [String] {
        configuration.expiryWarnings(at: now).map { $0 + " (the node takes new files without a restart)" }
    }

    /// Hello/welcome: the coordinator must name itself as its certificate does and hold the same
    /// contract.
    private func greet(_ session: SecureSession) async throws -> Bool {
        let first = try await session.receive(timeout: Self.helloTimeout)
        guard case .hello(let hello) = first else {
            try await send(
                .error(WireErrorMessage(code: WireErrorMessage.unexpectedMessage, text: "expected hello first, got \(AuditLog.typeName(first.kind))")),
                on: session, round: nil)
            return false
        }
        guard hello.partyName == session.peer else {
            try await send(
                .error(WireErrorMessage(code: WireErrorMessage.badRequest, text: "hello names '\(hello.partyName)' but the certificate is parley:\(session.peer)")),
                on: session, round: nil)
            return false
        }
        guard hello.contractHash == contractHash else {
            logger.warning("refused a coordinator with another contract", metadata: ["theirs": "\(hello.contractHash)", "ours": "\(contractHash)"])
            try await send(
                .error(
                    WireErrorMessage(
                        code: WireErrorMessage.contractMismatch,
                        text: "contract hash \(hello.contractHash) differs from \(configuration.party)'s \(contractHash) (\(configuration.contract))")),
                on: session, round: nil)
            return false
        }
        try await send(.welcome(WireWelcome(partyName: configuration.party, contractHash: contractHash)), on: session, round: nil)
        return true
    }

    /// The answer to one request (nil: none is due), and the round it belongs to.
    private func answer(_ message: WireMessage, logger: Logger) async -> (WireMessage?, String?) {
        let round: String?
        do {
            switch message {
            case .pricingRequest(let request):
                round = request.round
                let (partner, store) = try await state.round(request.round)
                let response = try await partner.price(request.partnerRequest)
                try await store.keep(response.proposals.map(\.id), from: partner)
                return (.pricingResponse(WirePricingResponse(response)), round)
            case .admmRequest(let request):
                round = request.round
                let (partner, store) = try await state.round(request.round)
                let response = try await partner.admmStep(request.partnerRequest)
                if let step = await partner.lastADMMStep(iteration: request.iteration) {
                    try store.keepADMMStep(iteration: request.iteration, usage: response.usage, residual: step.residual, x: step.x)
                }
                return (.admmResponse(WireADMMResponse(response)), round)
            case .planInstruction(let instruction):
                round = instruction.round
                let (partner, _) = try await state.round(instruction.round, startIfNew: false)
                try await refuseAChangedFinalPlan(instruction, partner: partner)
                let receipt = try await partner.finish(instruction.partnerInstruction)
                let path = try await writePlan(partner, round: instruction.round, isFinal: instruction.isFinal)
                if instruction.isFinal {
                    logger.info("plan written", metadata: ["round": "\(instruction.round)", "path": "\(path)"])
                } else {
                    logger.notice(
                        "provisional plan written: the round stopped at a limit; if it is resumed, its final plan replaces this one",
                        metadata: ["round": "\(instruction.round)", "path": "\(path)"])
                }
                return (.planReceipt(WirePlanReceipt(receipt)), round)
            case .pong:
                return (nil, nil)
            default:
                return (
                    .error(WireErrorMessage(code: WireErrorMessage.unexpectedMessage, text: "a node does not accept \(AuditLog.typeName(message.kind))")),
                    nil
                )
            }
        } catch let error as PartnerError {
            logger.warning("request failed", metadata: ["kind": "\(error.kind.rawValue)", "reason": "\(error.message)"])
            return (.error(WireErrorMessage(error)), nil)
        } catch {
            logger.error("request failed", metadata: ["reason": "\(error)"])
            return (.error(WireErrorMessage(code: WireErrorMessage.solverFailure, text: "\(error)")), nil)
        }
    }

    /// A round's final plan stands once written: the same instruction again (a coordinator that
    /// lost the receipt) is answered as before, but one that would form another plan, or a
    /// provisional one after it, is refused. A provisional plan (the round stopped at a limit) is
    /// kept apart and may be replaced, by a later provisional plan or by the final one.
    private func refuseAChangedFinalPlan(_ instruction: WirePlanInstruction, partner: LocalPartner) async throws {
        let path = Self.planPath(state: configuration.state, round: instruction.round, isFinal: true)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        guard instruction.isFinal else {
            throw PartnerError(
                partner: configuration.party, kind: .badRequest,
                message: "the plan of round \(instruction.round) is final (written to \(path)); a provisional plan for it is refused")
        }
        let x = try await partner.formPlan(instruction.partnerInstruction)
        let written = text.split(separator: "\n").dropFirst().map { CSVText.split($0, trailing: 1).flatMap { Double($0.fields[0]) } }
        guard written.count == x.count && zip(written, x).allSatisfy({ $0 == $1 }) else {
            throw PartnerError(
                partner: configuration.party, kind: .badRequest,
                message: "the plan of round \(instruction.round) is final (written to \(path)); a final instruction that forms another plan is refused")
        }
    }

    /// `STATE/plans/<round>.csv` for a final plan, `STATE/plans/<round>.provisional.csv` for one
    /// from a round stopped at a limit.
    static func planPath(state: String, round: String, isFinal: Bool, suffix: String = "csv") -> String {
        "\(state)/plans/\(round)\(isFinal ? "" : ".provisional").\(suffix)"
    }

    private func writePlan(_ partner: LocalPartner, round: String, isFinal: Bool) async throws -> String {
        guard let text = await partner.planTable() else { throw NodeError("no plan after the final instruction") }
        let state = configuration.state
        let path = Self.planPath(state: state, round: round, isFinal: isFinal)
        // Beside the plan, its linking rows' usage and final prices (both written again if the
        // instruction is replayed).
        if let table = await partner.linkingTable() {
            try AtomicFile.write(table, to: Self.planPath(state: state, round: round, isFinal: isFinal, suffix: "linking.csv"), permissions: 0o600)
        }
        try AtomicFile.write(text, to: path, permissions: 0o600)
        if isFinal {
            // The final plan is on disk: an earlier provisional one is out of date.
            for suffix in ["csv", "linking.csv"] {
                let old = Self.planPath(state: state, round: round, isFinal: false, suffix: suffix)
                if unlink(old) != 0 && errno != ENOENT {
                    throw NodeError("\(old): cannot remove the provisional plan (\(String(cString: strerror(errno))))")
                }
            }
        }
        return path
    }

    private static let syncQueue = DispatchQueue(label: "parley.node.fsync", attributes: .concurrent)

    /// fsyncs the audit log and the round's proposals, both at once (one journal commit can carry
    /// both), on threads of their own rather than the request loop's.
    static func makeDurable(_ audit: AuditLog, _ store: ProposalStore?) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let group = DispatchGroup()
            let failure = Mutex<(any Error)?>(nil)
            for sync in [{ try audit.sync() }, { try store?.sync() }] as [@Sendable () throws -> Void] {
                syncQueue.async(group: group) {
                    do { try sync() } catch { failure.withLock { $0 = $0 ?? error } }
                }
            }
            group.notify(queue: syncQueue) {
                if let error = failure.withLock({ $0 }) { done.resume(throwing: error) } else { done.resume() }
            }
        }
    }

    /// Records `message` in the audit log, then sends it: nothing leaves unrecorded.
    private func send(_ message: WireMessage, on session: SecureSession, round: String?) async throws {
        let frameBytes = (try? FrameEncoder(maximumFrameSize: settings.maximumFrameSize).encode(message).count) ?? 0
        try audit.record(message, peer: session.peer, round: round, frameBytes: frameBytes)
        do {
            try await session.send(message)
        } catch {
            try? audit.recordNotDelivered(message.kind, peer: session.peer, round: round, reason: "\(error)")
            throw error
        }
    }
}
