import Foundation
import ParleyDecomposition
import ParleyModel
import ParleySession
import ParleyTransport
import ParleyWire
import Synchronization

/// A partner reached over the secure channel: each `Partner` call is one request frame and one
/// answer, in order, on a connection that says hello once.
///
/// The connection lives in a task of its own (the channel is scoped); calls queue to it. The
/// coordinator learns only what the answers carry (usages, costs, ids) and bytes on the socket.
public final class RemotePartner: Partner, Sendable {
    // Every stored property is immutable and Sendable but the stream continuation, which is
    // safe to use from any thread.
    public let name: String
    public let linkingRows: [Int]
    public let endpoint: String
    /// Ciphertext bytes on this partner's socket so far.
    public let traffic: TrafficTotal
    private let requests: AsyncStream<Exchange>.Continuation
    private let worker: Task<Void, Never>
    private let requestTimeout: Duration

    struct Exchange: Sendable {
        let message: WireMessage
        let reply: CheckedContinuation<WireMessage, any Error>
    }

    /// How a lost connection is re-made: capped exponential backoff with jitter, for at most
    /// `deadline` before the partner counts as unreachable.
    public struct ReconnectPolicy: Sendable, Hashable {
        public var initialDelay: Duration = .milliseconds(100)
        public var maximumDelay: Duration = .seconds(5)
        public var deadline: Duration = .seconds(60)
        public init() {}

        /// The wait before attempt `attempt` (0-based): doubling from `initialDelay` up to
        /// `maximumDelay`, times a random factor in [0.5, 1] so many coordinators do not retry in step.
        func delay(attempt: Int) -> Duration {
            let doubled = initialDelay * Int(1 << min(attempt, 20))
            return min(doubled, maximumDelay) * Double.random(in: 0.5...1)
        }
    }

    /// Connects, completes the handshake and hello/welcome; throws a `PartnerError` naming the
    /// partner if any of it fails. Later, a lost connection is re-made (see `ReconnectPolicy`)
    /// and the request in hand sent again; the node answers a repeated request idempotently.
    public static func connect(
        party: ChainContract.Party, linkingRows: [Int], contract: ChainContract, context: TLSContext,
        requestTimeout: Duration, reconnect: ReconnectPolicy = ReconnectPolicy(),
        settings: SecureChannelSettings = SecureChannelSettings()
    ) async throws -> RemotePartner {
        guard let (host, port) = NodeConfiguration.splitEndpoint(party.endpoint) else {
            throw PartnerError(partner: party.name, kind: .badRequest, message: "endpoint '\(party.endpoint)' is not host:port")
        }
        let (stream, continuation) = AsyncStream<Exchange>.makeStream()
        let traffic = TrafficTotal()
        let link = Link(
            name: party.name, endpoint: party.endpoint, host: host, port: port, identity: party.certificateName, context: context,
            settings: settings, hello: .hello(WireHello(partyName: contract.coordinator.name, contractHash: contract.contentHash)),
            timeout: requestTimeout, reconnect: reconnect, traffic: traffic)
        // The worker says through `greeting` whether the node welcomed us, then serves requests.
        let (greeting, greeted) = AsyncThrowingStream<Void, any Error>.makeStream()
        let worker = Task { await link.serve(requests: stream, greeted: greeted) }
        do {
            var welcomed = false
            for try await _ in greeting { welcomed = true }
            guard welcomed else {
                throw PartnerError(partner: party.name, kind: .solverFailure, message: "\(party.endpoint) closed the connection")
            }
        } catch {
            continuation.finish()
            await worker.value
            throw error
        }
        return RemotePartner(
            name: party.name, linkingRows: linkingRows, endpoint: party.endpoint, traffic: traffic, requests: continuation,
            worker: worker, requestTimeout: requestTimeout)
    }

    private init(
        name: String, linkingRows: [Int], endpoint: String, traffic: TrafficTotal,
        requests: AsyncStream<Exchange>.Continuation, worker: Task<Void, Never>, requestTimeout: Duration
    ) {
        self.name = name
        self.linkingRows = linkingRows
        self.endpoint = endpoint
        self.traffic = traffic
        self.requests = requests
        self.worker = worker
        self.requestTimeout = requestTimeout
    }

    deinit {
        requests.finish()
    }

    /// Ends the conversation and closes the connection.
    public func close() async {
        requests.finish()
        await worker.value
    }

    /// One partner's connection, re-made as often as needed, and the requests going over it.
    struct Link: Sendable {
        let name: String
        let endpoint: String
        let host: String
        let port: Int
        let identity: String
        let context: TLSContext
        let settings: SecureChannelSettings
        let hello: WireMessage
        let timeout: Duration
        let reconnect: ReconnectPolicy
        let traffic: TrafficTotal

        func serve(requests: AsyncStream<Exchange>, greeted: AsyncThrowingStream<Void, any Error>.Continuation) async {
            var iterator = requests.makeAsyncIterator()
            var pending: Exchange? = nil
            var welcomedOnce = false
            var attempt = 0
            var failingSince: ContinuousClock.Instant? = nil
            func giveUp(_ error: PartnerError) async {
                if !welcomedOnce { greeted.finish(throwing: error) }
                pending?.reply.resume(throwing: error)
                pending = nil
                while let later = await iterator.next() { later.reply.resume(throwing: error) }
            }
            while true {
                do {
                    let connection = try await SecureClient.connect(
                        host: host, port: port, context: context, policy: .party(identity), settings: settings)
                    traffic.add(connection.traffic)
                    try await connection.withSession { session in
                        try await session.send(hello)
                        // TLS 1.3: the welcome is the node's acceptance of our certificate.
                        let answer = try await session.receive(timeout: timeout)
                        switch answer {
                        case .welcome(let welcome):
                            guard case .hello(let ours) = hello, welcome.contractHash == ours.contractHash else {
                                throw PartnerError(
                                    partner: name, kind: .badRequest,
                                    message: "welcomed with contract hash \(welcome.contractHash), not this contract's")
                            }
                        case .error(let error):
                            throw PartnerError(partner: name, kind: .badRequest, message: "refused the coordinator: \(error.text)")
                        default:
                            throw PartnerError(partner: name, kind: .badRequest, message: "answered hello with \(answer.kind)")
                        }
                        if !welcomedOnce {
                            welcomedOnce = true
                            greeted.yield(())
                            greeted.finish()
                        }
                        attempt = 0
                        failingSince = nil
                        if let exchange = pending {
                            try await session.send(exchange.message)
                            let answer = try await session.receive(timeout: timeout)
                            pending = nil
                            exchange.reply.resume(returning: answer)
                        }
                        while let exchange = await iterator.next() {
                            pending = exchange
                            try await session.send(exchange.message)
                            let answer = try await session.receive(timeout: timeout)
                            pending = nil
                            exchange.reply.resume(returning: answer)
                        }
                    }
                    greeted.finish()
                    return  // the round is over
                } catch let error as PartnerError {
                    await giveUp(error)  // refused: retrying cannot help
                    return
                } catch let error as TransportError where error.kind == .timedOut || !welcomedOnce {
                    // A straggler past its deadline, or a partner never reached at all: say so now.
                    await giveUp(RemotePartner.describe(error, partner: name, endpoint: endpoint))
                    return
                } catch {
                    // Lost: a restarting node or a cut link. Re-make the connection and send the
                    // request in hand again, for as long as the policy allows.
                    let now = ContinuousClock.now
                    let since = failingSince ?? now
                    failingSince = since
                    if now - since > reconnect.deadline {
                        await giveUp(
                            PartnerError(
                                partner: name, kind: .unreachable,
                                message: "unreachable at \(endpoint) for \(reconnect.deadline): \(error)"))
                        return
                    }
                    try? await Task.sleep(for: reconnect.delay(attempt: attempt))
                    attempt += 1
                }
            }
        }
    }

    fileprivate static func describe(_ error: any Error, partner: String, endpoint: String) -> PartnerError {
        if let error = error as? PartnerError { return error }
        if let error = error as? TransportError {
            switch error.kind {
            case .timedOut: return PartnerError(partner: partner, kind: .solverFailure, message: "timed out: \(error.message)")
            default: return PartnerError(partner: partner, kind: .solverFailure, message: "\(endpoint): \(error.message)")
            }
        }
        return PartnerError(partner: partner, kind: .solverFailure, message: "\(endpoint): \(error)")
    }

    private func exchange(_ message: WireMessage) async throws -> WireMessage {
        try await withCheckedThrowingContinuation { reply in
            if case .terminated = requests.yield(Exchange(message: message, reply: reply)) {
                reply.resume(throwing: PartnerError(partner: name, kind: .solverFailure, message: "connection to \(endpoint) is closed"))
            }
        }
    }

    /// The answer as the decomposition expects it; an `error` frame becomes the partner's error,
    /// anything else is nonsense from the partner and says so.
    private func expect<T>(_ message: WireMessage, _ what: String, _ pick: (WireMessage) -> T?) async throws -> T {
        let answer = try await exchange(message)
        if let value = pick(answer) { return value }
        if case .error(let error) = answer { throw error.partnerError(partner: name) }
        throw PartnerError(partner: name, kind: .badRequest, message: "answered a \(what) with \(answer.kind)")
    }

    public func price(_ request: PricingRequest) async throws -> PricingResponse {
        try await expect(.pricingRequest(WirePricingRequest(request)), "pricing request") { answer in
            if case .pricingResponse(let response) = answer { return response.partnerResponse }
            return nil
        }
    }

    public func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse {
        try await expect(.admmRequest(WireADMMRequest(request)), "ADMM request") { answer in
            if case .admmResponse(let response) = answer { return response.partnerResponse }
            return nil
        }
    }

    public func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt {
        try await expect(.planInstruction(WirePlanInstruction(instruction)), "plan instruction") { answer in
            if case .planReceipt(let receipt) = answer { return receipt.partnerReceipt }
            return nil
        }
    }
}

/// Bytes on all of a partner's connections so far (a reconnect starts a new counter).
public final class TrafficTotal: Sendable {
    private let counters = Mutex<[TrafficCounter]>([])

    func add(_ counter: TrafficCounter) { counters.withLock { $0.append(counter) } }

    public var sent: Int { counters.withLock { $0.reduce(0) { $0 + $1.sent } } }
    public var received: Int { counters.withLock { $0.reduce(0) { $0 + $1.received } } }
}
