import Foundation
import ParleyDecomposition
import ParleyModel
import ParleyTransport

/// A round with every partner's node reached over TLS at the endpoint the contract names.
///
/// Connects to all partners in parallel (each must prove, by certificate, to be the party the
/// contract names for its endpoint, and must hold the same contract), then runs the method
/// through them. Writes the same run directory as a local round, with `bytes_sent` and
/// `bytes_received` per iteration; the plans stay with the partners (each writes its own).
public struct NetworkRound: Sendable {
    public var chainPath: String
    public var method: RoundMethod
    public var outputDirectory: String
    public var tls: TLSConfiguration
    public var dantzigWolfe = DantzigWolfeSettings()
    public var admm = ADMMSettings()
    /// How long one request may take before the partner counts as failed.
    public var requestTimeout: Duration = .seconds(300)
    /// How a lost partner connection is re-made, and how long a partner may stay unreachable.
    public var reconnect = RemotePartner.ReconnectPolicy()
    /// How long a partner's connection may stay idle before a ping checks it (nil: never).
    public var heartbeat: Duration? = .seconds(5)
    /// The round's wall-clock limit, counted from the first iteration: calls still in flight
    /// when it passes are cut and the round ends `time_limit` (nil: none).
    public var timeLimit: Duration? = nil
    public var printer: (@Sendable (String) -> Void)?
    /// Hears what the round waits for before it can start (a node not reachable yet).
    public var notice: (@Sendable (String) -> Void)?
    /// Continue a round from its checkpoint (`parley round resume`); the round id is the
    /// checkpoint's.
    public var resume: RoundCheckpoint?
    /// Resume round `handOverAgain`, which ended and wrote down its plan handover
    /// (`RUN/handover.json`) but left no checkpoint: hand the same plans over again, nothing else.
    public var handOverAgain: String?

    public init(chainPath: String, method: RoundMethod, outputDirectory: String, tls: TLSConfiguration) {
        self.chainPath = chainPath
        self.method = method
        self.outputDirectory = outputDirectory
        self.tls = tls
    }

    public func run() async throws -> RoundResult {
        let contract = try ChainContract.load(path: chainPath)
        if let resume, resume.method != method {
            throw CheckpointError("the checkpoint is of a \(resume.method.rawValue) round, not \(method.rawValue)")
        }
        let contractHash = contract.contentHash
        if let resume, resume.contractHash != contractHash {
            throw CheckpointError(
                "\(chainPath) changed since the round started (contract \(contractHash.prefix(12))…, "
                    + "checkpoint \(resume.contractHash.prefix(12))…): a resumed round must run under the same contract")
        }
        let round = resume?.round ?? handOverAgain ?? newRoundID(chain: contract.chain)
        let lock = try RoundRunner.lockRunDirectory(outputDirectory)
        defer { withExtendedLifetime(lock) {} }
        let context = try TLSContext(configuration: tls, role: .client)
        guard context.ownIdentity == contract.coordinator.certificateName else {
            throw TransportError(
                .wrongIdentity,
                "\(tls.certificatePath) is the certificate of parley:\(context.ownIdentity), but the contract's "
                    + "coordinator is \(contract.coordinator.identity)")
        }
        let requestTimeout = requestTimeout
        let reconnect = reconnect
        let heartbeat = heartbeat
        let partners: [RemotePartner]
        let clock = ContinuousClock()
        let start = clock.now
        // A partner that refuses us or holds another contract ends the round before its first
        // iteration with a PartnerError naming it; one not reachable yet is waited for, as a lost
        // connection is, up to the reconnect deadline.
        let notice = notice
        partners = try await withThrowingTaskGroup(of: (Int, RemotePartner).self) { group in
            for (k, party) in contract.partners.enumerated() {
                group.addTask {
                    let partner = try await RemotePartner.connect(
                        party: party, linkingRows: contract.linkingRows(of: party.name), contract: contract, contractHash: contractHash,
                        context: context, requestTimeout: requestTimeout, reconnect: reconnect, heartbeat: heartbeat, waiting: notice)
                    return (k, partner)
                }
            }
            var connected = [RemotePartner?](repeating: nil, count: contract.partners.count)
            do {
                for try await (k, partner) in group { connected[k] = partner }
            } catch {
                for partner in connected.compactMap({ $0 }) { await partner.close() }
                throw error
            }
            return connected.map { $0! }
        }
        printer?("connected to \(partners.count) partners in \(String(format: "%.2f", (clock.now - start).secondsValue)) s")
        try AtomicFile.createDirectory(outputDirectory)
        let absoluteChain = URL(fileURLWithPath: chainPath).standardizedFileURL.path
        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        let manifest = RoundManifest(
            round: round, chain: absoluteChain, method: method.rawValue, certificate: absolute(tls.certificatePath),
            privateKey: absolute(tls.privateKeyPath), trustRoots: absolute(tls.trustRootsPath),
            revocationList: tls.revocationListPath.map(absolute), requestTimeoutSeconds: requestTimeout.secondsValue,
            partnerDeadlineSeconds: reconnect.deadline.secondsValue, heartbeatSeconds: heartbeat?.secondsValue,
            gapTolerance: dantzigWolfe.gapTolerance,
            stabilization: dantzigWolfe.stabilization, pricesPerRound: dantzigWolfe.pricesPerRound,
            columnAgeLimit: dantzigWolfe.columnAgeLimit,
            acceleration: admm.accelerationMemory > 0, admmAbsoluteTolerance: admm.absoluteTolerance,
            admmRelativeTolerance: admm.relativeTolerance,
            maximumIterations: method == .dw ? dantzigWolfe.maximumIterations : admm.maximumIterations,
            maximumSeconds: { let s = method == .dw ? dantzigWolfe.maximumSeconds : admm.maximumSeconds; return s.isFinite ? s : nil }())
        try RunState.write(manifest, to: RoundManifest.path(runDirectory: outputDirectory))
        var runner = RoundRunner(
            contract: contract, method: method, outputDirectory: outputDirectory, dantzigWolfe: dantzigWolfe, admm: admm,
            printer: printer)
        runner.round = round
        runner.checkpoints = true
        runner.resume = resume
        runner.handOverOnly = resume == nil && handOverAgain != nil
        runner.traffic = {
            partners.reduce((sent: 0, received: 0)) { ($0.sent + $1.traffic.sent, $0.received + $1.traffic.received) }
        }
        var guarded: [any Partner] = partners
        if let timeLimit {
            let deadline = RoundDeadline(limit: timeLimit)
            runner.deadline = deadline
            guarded = deadline.guarding(partners)
            deadline.start()
        }
        let result = try await runner.run(partners: guarded) { _ in }
        for partner in partners { await partner.close() }
        return result
    }
}

extension Duration {
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
