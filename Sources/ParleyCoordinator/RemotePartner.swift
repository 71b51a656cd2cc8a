import Foundation
import ParleyDecomposition
import ParleyModel
import ParleySession
import ParleyTransport
import ParleyWire

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
    public let traffic: TrafficCounter
    private let requests: AsyncStream<Exchange>.Continuation
    private let worker: Task<Void, Never>
    private let requestTimeout: Duration

    struct Exchange: Sendable {
        let message: WireMessage
        let reply: CheckedContinuation<WireMessage, any Error>
    }

    /// Connects, completes the handshake and hello/welcome; throws a `PartnerError` naming the
    /// partner if any of it fails.
    public static func connect(
        party: ChainContract.Party, linkingRows: [Int], contract: ChainContract, context: TLSContext,
        requestTimeout: Duration, settings: SecureChannelSettings = SecureChannelSettings()
    ) async throws -> RemotePartner {
        guard let (host, port) = NodeConfiguration.splitEndpoint(party.endpoint) else {
            throw PartnerError(partner: party.name, kind: .badRequest, message: "endpoint '\(party.endpoint)' is not host:port")
        }
        let connection: SecureConnection
        do {
            connection = try await SecureClient.connect(
                host: host, port: port, context: context, policy: .party(party.certificateName), settings: settings)
        } catch {
            throw PartnerError(partner: party.name, kind: .solverFailure, message: "cannot connect to \(party.endpoint): \(error)")
        }
        let (stream, continuation) = AsyncStream<Exchange>.makeStream()
        let hello = WireMessage.hello(WireHello(partyName: contract.coordinator.name, contractHash: contract.contentHash))
        let name = party.name
        let endpoint = party.endpoint
        // The worker says through `greeting` whether the node welcomed us, then serves requests.
        let (greeting, greeted) = AsyncThrowingStream<Void, any Error>.makeStream()
        let worker = Task {
            await Self.serve(
                connection: connection, hello: hello, greeted: greeted, requests: stream, name: name, endpoint: endpoint,
                timeout: requestTimeout)
        }
        do {
            var welcomed = false
            for try await _ in greeting { welcomed = true }
            guard welcomed else { throw PartnerError(partner: name, kind: .solverFailure, message: "\(endpoint) closed the connection") }
        } catch {
            continuation.finish()
            await worker.value
            throw error
        }
        return RemotePartner(
            name: name, linkingRows: linkingRows, endpoint: endpoint, traffic: connection.traffic, requests: continuation,
            worker: worker, requestTimeout: requestTimeout)
    }

    private init(
        name: String, linkingRows: [Int], endpoint: String, traffic: TrafficCounter,
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

    private static func serve(
        connection: SecureConnection, hello: WireMessage, greeted: AsyncThrowingStream<Void, any Error>.Continuation,
        requests: AsyncStream<Exchange>, name: String, endpoint: String, timeout: Duration
    ) async {
        var greetedOnce = false
        do {
            try await connection.withSession { session in
                try await session.send(hello)
                // TLS 1.3: the welcome is the node's acceptance of our certificate.
                let answer = try await session.receive(timeout: timeout)
                switch answer {
                case .welcome:
                    break
                case .error(let error):
                    throw PartnerError(partner: name, kind: .badRequest, message: "refused the coordinator: \(error.text)")
                default:
                    throw PartnerError(partner: name, kind: .badRequest, message: "answered hello with \(answer.kind)")
                }
                greetedOnce = true
                greeted.yield(())
                greeted.finish()
                for await exchange in requests {
                    do {
                        try await session.send(exchange.message)
                        exchange.reply.resume(returning: try await session.receive(timeout: timeout))
                    } catch {
                        exchange.reply.resume(throwing: Self.describe(error, partner: name, endpoint: endpoint))
                        // The connection is unusable after a failed exchange; fail whatever is queued.
                        for await later in requests {
                            later.reply.resume(throwing: PartnerError(partner: name, kind: .solverFailure, message: "connection to \(endpoint) lost"))
                        }
                        return
                    }
                }
            }
        } catch {
            if !greetedOnce { greeted.finish(throwing: describe(error, partner: name, endpoint: endpoint)) }
        }
        greeted.finish()
    }

    private static func describe(_ error: any Error, partner: String, endpoint: String) -> PartnerError {
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
