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
/// A call whose task is cancelled returns at once (the round deadline cuts calls this way); its
/// answer, if it still comes, is dropped.
public final class RemotePartner: Partner, Sendable {
    // Every stored property is immutable and Sendable but the stream continuation, which is
    // safe to use from any thread.
    public let name: String
    public let linkingRows: [Int]
    public let endpoint: String
    /// Ciphertext bytes on this partner's socket so far.
    public let traffic: TrafficTotal
    private let events: AsyncStream<Link.Event>.Continuation
    private let worker: Task<Void, Never>
    private let ticker: Task<Void, Never>?

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
    ///
    /// A connection idle for `heartbeat` (nil: never) is checked with a `ping`; no `pong`, like
    /// no answer to a request, within `requestTimeout` means the link is broken, and it is
    /// re-made at once rather than at the next request. `contractHash` is the contract's content
    /// hash when the caller already has it (it is a SHA-256 of the whole contract).
    public static func connect(
        party: ChainContract.Party, linkingRows: [Int], contract: ChainContract, contractHash: String? = nil, context: TLSContext,
        requestTimeout: Duration, reconnect: ReconnectPolicy = ReconnectPolicy(), heartbeat: Duration? = nil,
        settings: SecureChannelSettings = SecureChannelSettings(), waiting: (@Sendable (String) -> Void)? = nil
    ) async throws -> RemotePartner {
        guard let (host, port) = NodeConfiguration.splitEndpoint(party.endpoint) else {
            throw PartnerError(partner: party.name, kind: .badRequest, message: "endpoint '\(party.endpoint)' is not host:port")
        }
        let (stream, continuation) = AsyncStream<Link.Event>.makeStream()
        let traffic = TrafficTotal()
        let link = Link(
            name: party.name, endpoint: party.endpoint, host: host, port: port, identity: party.certificateName, context: context,
            settings: settings, hello: .hello(WireHello(partyName: contract.coordinator.name, contractHash: contractHash ?? contract.contentHash)),
            timeout: requestTimeout, reconnect: reconnect, heartbeat: heartbeat, traffic: traffic, waiting: waiting)
        // The worker says through `greeting` whether the node welcomed us, then serves requests.
        let (greeting, greeted) = AsyncThrowingStream<Void, any Error>.makeStream()
        let worker = Task { await link.serve(events: stream, greeted: greeted) }
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
            name: party.name, linkingRows: linkingRows, endpoint: party.endpoint, traffic: traffic, events: continuation,
            worker: worker, ticker: heartbeat.map { Link.tick(continuation, every: $0) })
    }

    private init(
        name: String, linkingRows: [Int], endpoint: String, traffic: TrafficTotal,
        events: AsyncStream<Link.Event>.Continuation, worker: Task<Void, Never>, ticker: Task<Void, Never>?
    ) {
        self.name = name
        self.linkingRows = linkingRows
        self.endpoint = endpoint
        self.traffic = traffic
        self.events = events
        self.worker = worker
        self.ticker = ticker
    }

    deinit {
        events.finish()
        ticker?.cancel()
    }

    /// Ends the conversation and closes the connection, also one still waiting for the answer
    /// to a call that was cut or re-making a lost connection.
    public func close() async {
        events.finish()
        ticker?.cancel()
        worker.cancel()
        await worker.value
    }

    static func describe(_ error: any Error, partner: String, endpoint: String) -> PartnerError {
        /// The text with the endpoint in front, unless the transport put it there already.
        func naming(_ endpoint: String, _ text: String) -> String {
            text.hasPrefix("\(endpoint): ") || text.hasPrefix("cannot connect to \(endpoint): ") ? text : "\(endpoint): \(text)"
        }
        if let error = error as? PartnerError { return error }
        if let error = error as? TransportError {
            switch error.kind {
            case .timedOut: return PartnerError(partner: partner, kind: .solverFailure, message: "timed out: \(error.message)")
            default: return PartnerError(partner: partner, kind: .solverFailure, message: naming(endpoint, error.message))
            }
        }
        return PartnerError(partner: partner, kind: .solverFailure, message: naming(endpoint, "\(error)"))
    }

    private func exchange(_ message: WireMessage) async throws -> WireMessage {
        let reply = Link.Reply()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                reply.wait(continuation)
                if case .terminated = events.yield(.exchange(Link.Exchange(message: message, reply: reply))) {
                    reply.resume(
                        with: .failure(PartnerError(partner: name, kind: .solverFailure, message: "connection to \(endpoint) is closed")))
                }
            }
        } onCancel: {
            reply.resume(with: .failure(CancellationError()))
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
