import Foundation
import ParleyDecomposition
import ParleyTransport
import ParleyWire
import Synchronization

extension RemotePartner {
    /// One partner's connection, re-made as often as needed, and the requests going over it.
    ///
    /// A link is broken when a request or a heartbeat ping gets no answer within the request
    /// timeout, or when the connection fails; it is then re-made with backoff and the request in
    /// hand sent again, for up to the reconnect deadline. So too before the first welcome, when the
    /// node cannot be reached yet (connection refused or timed out: a node restarting, or not up
    /// yet, as the round starts, or closing the connection without a word before its welcome: a
    /// node restarting); `waiting` hears of it once. What ends a partner at once is a refusal
    /// (another contract, a wrong identity, a certificate turned away) or, before the first
    /// welcome, any other failure to set up the connection.
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
        /// How long the connection may stay idle before a ping checks it (nil: never).
        let heartbeat: Duration?
        let traffic: TrafficTotal
        /// Told once, before the first welcome, that the node is not reachable yet and is being
        /// retried.
        let waiting: (@Sendable (String) -> Void)?

        /// Failures to set up a first connection that are worth retrying: the node's address
        /// refused the connection or did not answer, or the connection broke or went quiet before
        /// the node's welcome (closed without a word, reset, no answer in time: a node starting,
        /// stopping or restarting, as it would be mid-round). A refusal the node states (a TLS
        /// alert, an `abort` or error frame, another contract) or something that is not a Parley
        /// node on the port is not one.
        static func mayBeStarting(_ error: any Error) -> Bool {
            if error is NotReachable { return true }
            guard let error = error as? TransportError else { return false }
            return error.kind == .closedByPeer || error.kind == .connectionFailed || error.kind == .timedOut
        }

        /// What the link's task waits for: a call's request, or a clock tick to check idleness.
        enum Event: Sendable {
            case exchange(Exchange)
            case heartbeat
        }

        struct Exchange: Sendable {
            let message: WireMessage
            let reply: Reply
        }

        /// A call's answer, delivered once: by the link, or earlier by the call's cancellation
        /// (or a closed link), after which a late answer is dropped.
        final class Reply: Sendable {
            private enum State {
                case empty
                case waiting(CheckedContinuation<WireMessage, any Error>)
                case early(Result<WireMessage, any Error>)
                case done
            }

            private let state = Mutex<State>(.empty)

            func wait(_ continuation: CheckedContinuation<WireMessage, any Error>) {
                let early: Result<WireMessage, any Error>? = state.withLock { state in
                    switch state {
                    case .empty:
                        state = .waiting(continuation)
                        return nil
                    case .early(let result):
                        state = .done
                        return result
                    case .waiting, .done:
                        return nil
                    }
                }
                if let early { continuation.resume(with: early) }
            }

            func resume(with result: Result<WireMessage, any Error>) {
                let waiting: CheckedContinuation<WireMessage, any Error>? = state.withLock { state in
                    switch state {
                    case .empty:
                        state = .early(result)
                        return nil
                    case .waiting(let continuation):
                        state = .done
                        return continuation
                    case .early, .done:
                        return nil
                    }
                }
                waiting?.resume(with: result)
            }

            /// Answered, cut or failed: nothing more to send for it.
            var isSettled: Bool {
                state.withLock { state in
                    switch state {
                    case .empty, .waiting: false
                    case .early, .done: true
                    }
                }
            }
        }

        /// Ticks a few times per heartbeat interval, so an idle connection is pinged within
        /// about 1.25 intervals of its last answer. Ticks that arrive while a request is in hand
        /// wait in the stream and are dropped as not idle.
        static func tick(_ events: AsyncStream<Event>.Continuation, every interval: Duration) -> Task<Void, Never> {
            Task {
                let period = max(interval / 4, .milliseconds(10))
                while !Task.isCancelled {
                    try? await Task.sleep(for: period)
                    if case .terminated = events.yield(.heartbeat) { return }
                }
            }
        }

        func serve(events: AsyncStream<Event>, greeted: AsyncThrowingStream<Void, any Error>.Continuation) async {
            var iterator = events.makeAsyncIterator()
            var pending: Exchange? = nil
            var welcomedOnce = false
            var attempt = 0
            var failingSince: ContinuousClock.Instant? = nil
            var nonce: UInt64 = 0
            func giveUp(_ error: PartnerError) async {
                if !welcomedOnce { greeted.finish(throwing: error) }
                pending?.reply.resume(with: .failure(error))
                pending = nil
                while let later = await iterator.next() {
                    if case .exchange(let exchange) = later { exchange.reply.resume(with: .failure(error)) }
                }
            }
            while true {
                if Task.isCancelled {
                    // Closed while waiting to reconnect: no further attempt.
                    await giveUp(PartnerError(partner: name, kind: .solverFailure, message: "connection to \(endpoint) is closed"))
                    return
                }
                do {
                    // While reconnecting, no attempt may outlast what is left of the deadline.
                    var attemptSettings = settings
                    if let failingSince {
                        let left = max(reconnect.deadline - (ContinuousClock.now - failingSince), .milliseconds(200))
                        attemptSettings.connectTimeout = min(settings.connectTimeout, left)
                        attemptSettings.handshakeTimeout = min(settings.handshakeTimeout, left)
                    }
                    let connection: SecureConnection
                    do {
                        connection = try await SecureClient.connect(
                            host: host, port: port, context: context, policy: .party(identity), settings: attemptSettings)
                    } catch let error as TransportError where error.kind == .connectionFailed || error.kind == .timedOut {
                        throw NotReachable(error: error)
                    }
                    traffic.add(connection.traffic)
                    try await connection.withSession { session in
                        try await session.send(hello)
                        // TLS 1.3: the welcome is the node's acceptance of our certificate, the
                        // end of setting up the connection, so the handshake's limit bounds it.
                        let answer = try await session.receive(timeout: attemptSettings.handshakeTimeout)
                        switch answer {
                        case .welcome(let welcome):
                            guard case .hello(let ours) = hello, welcome.contractHash == ours.contractHash else {
                                throw PartnerError(
                                    partner: name, kind: .badRequest,
                                    message: "welcomed with contract hash \(welcome.contractHash), not this contract's")
                            }
                        case .error(let error) where error.code == WireErrorMessage.busy:
                            // The node still holds a connection: ours from before a cut, or a
                            // coordinator's that ended (crashed, or exited while the link was
                            // down) without its close reaching the node. It lets go when that
                            // close arrives or its keepalive finds the peer gone, so this is
                            // retried like a lost link; a round that really holds the node
                            // keeps it past the deadline, and the message says which.
                            throw NodeBusy(
                                text: "\(endpoint) is busy (another round, or an earlier coordinator's connection not yet closed at its end): "
                                    + error.text)
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
                        var lastHeard = ContinuousClock.now
                        if let exchange = pending {
                            if !exchange.reply.isSettled {
                                let answer = try await request(exchange.message, on: session)
                                exchange.reply.resume(with: .success(answer))
                            }
                            pending = nil
                            lastHeard = .now
                        }
                        while let event = await iterator.next() {
                            switch event {
                            case .exchange(let exchange):
                                guard !exchange.reply.isSettled else { continue }  // cut before it was sent
                                pending = exchange
                                let answer = try await request(exchange.message, on: session)
                                pending = nil
                                exchange.reply.resume(with: .success(answer))
                                lastHeard = .now
                            case .heartbeat:
                                guard let heartbeat, ContinuousClock.now - lastHeard >= heartbeat else { continue }
                                nonce &+= 1
                                try await ping(nonce, on: session)
                                lastHeard = .now
                            }
                        }
                    }
                    greeted.finish()
                    return  // the round is over
                } catch let error as PartnerError {
                    await giveUp(error)  // refused: retrying cannot help
                    return
                } catch where Task.isCancelled {
                    // Closed by the round (over, or cut at its deadline) while still busy here.
                    await giveUp(PartnerError(partner: name, kind: .solverFailure, message: "connection to \(endpoint) is closed"))
                    return
                } catch where !welcomedOnce && !(error is NodeBusy) && !Self.mayBeStarting(error) {
                    // Reached, but the connection could not be set up: say so now. (A busy node,
                    // or one not answering yet, is retried below.)
                    await giveUp(RemotePartner.describe(error, partner: name, endpoint: endpoint))
                    return
                } catch {
                    // Broken: a restarting node, a cut link, a request or ping unanswered in time,
                    // or a node still busy with a connection in the way. Re-make the connection and
                    // send the request in hand again, for as long as the policy allows.
                    let now = ContinuousClock.now
                    let since = failingSince ?? now
                    failingSince = since
                    if now - since >= reconnect.deadline {
                        let why =
                            (error as? NodeBusy).map { "busy for \(reconnect.deadline): \($0.text)" }
                            ?? "unreachable at \(endpoint) for \(reconnect.deadline): \(Self.reason(error, at: endpoint))"
                        await giveUp(PartnerError(partner: name, kind: .unreachable, message: why))
                        return
                    }
                    let left = reconnect.deadline - (now - since)
                    if !welcomedOnce && attempt == 0 && !(error is NodeBusy) {
                        let state = error is NotReachable ? "not reachable yet" : "not ready yet"
                        waiting?("\(name) at \(endpoint) is \(state) (\(Self.reason(error, at: endpoint))); trying again for up to \(reconnect.deadline)")
                    }
                    try? await Task.sleep(for: min(reconnect.delay(attempt: attempt), left))
                    attempt += 1
                }
            }
        }

        /// The error's text for a message that names `endpoint` already: without the "cannot
        /// connect to EP: " or "EP: " the transport puts in front of it.
        static func reason(_ error: any Error, at endpoint: String) -> String {
            let text = "\(error)"
            for prefix in ["cannot connect to \(endpoint): ", "\(endpoint): "] where text.hasPrefix(prefix) {
                return String(text.dropFirst(prefix.count))
            }
            return text
        }

        /// Sends one request and waits for its answer, passing over pongs to earlier pings.
        private func request(_ message: WireMessage, on session: SecureSession) async throws -> WireMessage {
            try await session.send(message)
            let deadline = ContinuousClock.now + timeout
            while true {
                let answer = try await session.receive(timeout: max(deadline - .now, .milliseconds(1)))
                if case .pong = answer { continue }
                return answer
            }
        }

        /// A heartbeat: `ping`, and its `pong` within the request timeout, or the link is broken.
        private func ping(_ nonce: UInt64, on session: SecureSession) async throws {
            try await session.send(.ping(nonce: nonce))
            let answer: WireMessage
            do {
                answer = try await session.receive(timeout: timeout)
            } catch let error as TransportError where error.kind == .timedOut {
                throw TransportError(.timedOut, "no pong from \(name) within \(timeout) of a heartbeat ping")
            }
            guard case .pong(nonce: nonce) = answer else {
                throw PartnerError(partner: name, kind: .badRequest, message: "answered a ping with \(answer.kind)")
            }
        }
    }
}

/// No connection to the node's address (refused, or no answer in time), as opposed to one the
/// node set up and then turned down.
struct NotReachable: Error, CustomStringConvertible {
    var error: TransportError
    var description: String { error.message }
}

/// A node's "busy" answer to our hello: retried for the reconnect deadline.
struct NodeBusy: Error {
    var text: String
}
