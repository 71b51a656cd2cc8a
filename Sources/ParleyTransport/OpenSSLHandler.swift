import NIOCore
import ParleyWire

/// Which certified parties may be on the other end of a connection.
public enum PeerPolicy: Sendable, Hashable {
    /// Exactly this party (a client connecting to the partner the contract names).
    case party(String)
    /// Any of these parties (a node accepting only the contract's coordinator).
    case anyOf(Set<String>)

    func admits(_ identity: String) -> Bool {
        switch self {
        case .party(let name): identity == name
        case .anyOf(let names): names.contains(identity)
        }
    }

    var expectation: String {
        switch self {
        case .party(let name): "parley:\(name)"
        case .anyOf(let names): names.sorted().map { "parley:\($0)" }.joined(separator: " or ")
        }
    }
}

/// Drives an OpenSSL TLS 1.3 session through memory BIOs inside a SwiftNIO pipeline: ciphertext
/// below, plaintext `ByteBuffer`s above.
///
/// After the handshake it checks the peer's `parley:` identity against a `PeerPolicy`; a
/// certified but unwanted peer is told why in an `abort` frame and disconnected. Application
/// writes made before the handshake completes are held back until it has. `handshakeResult`
/// succeeds with the peer's identity or fails with the reason, on both sides.
final class OpenSSLHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case handshaking
        case active
        /// Failed or closing: inbound bytes are dropped, nothing more is written.
        case closing
    }

    /// How long a server keeps a refused connection's socket open after its alert, so the
    /// client reads the alert instead of a reset (see PLATFORM-NOTES).
    static let lingerAfterFailure = TimeAmount.milliseconds(250)

    private let session: TLSSession
    private let policy: PeerPolicy
    private var state = State.handshaking
    private var heldWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var receivedPlaintext = false
    private let handshakePromise: EventLoopPromise<String>
    private let handshakeTimeout: TimeAmount
    private var handshakeDeadline: Scheduled<Void>?

    /// The peer's party name once the handshake and identity check succeed.
    let handshakeResult: EventLoopFuture<String>

    init(session: TLSSession, policy: PeerPolicy, handshakeTimeout: TimeAmount, eventLoop: EventLoop) {
        self.session = session
        self.policy = policy
        self.handshakeTimeout = handshakeTimeout
        self.handshakePromise = eventLoop.makePromise(of: String.self)
        self.handshakeResult = handshakePromise.futureResult
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A peer that never finishes the handshake (or never starts it) must not hold a
        // connection open forever.
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeDeadline = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            let (handler, context) = loopBound.value
            guard handler.state == .handshaking else { return }
            handler.fail(context: context, TransportError(.timedOut, "no TLS handshake within \(Double(handler.handshakeTimeout.nanoseconds / 1_000_000) / 1000) s"))
        }
        if context.channel.isActive { startHandshake(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeDeadline?.cancel()
        // A channel that never became active (connection refused) never ran the handshake; its
        // waiter must still hear why. (A completed promise ignores this.)
        handshakePromise.fail(TransportError(.connectionFailed, "the connection closed before the TLS handshake"))
        failHeldWrites()
    }

    func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard session.context.role == .client, state == .handshaking else { return }
        step(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state != .closing else { return }
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { session.receiveFromNetwork($0) }
        step(context: context)
    }

    /// Advances the handshake and/or decrypts, then sends whatever OpenSSL produced.
    private func step(context: ChannelHandlerContext) {
        do {
            if state == .handshaking {
                switch try session.continueHandshake() {
                case .wantsMoreInput:
                    flushNetworkOutput(context: context)
                    return
                case .closedByPeer:
                    fail(context: context, TransportError(.closedByPeer, "the peer closed the connection during the TLS handshake"))
                    return
                case .handshakeComplete:
                    flushNetworkOutput(context: context)
                    guard checkPeer(context: context) else { return }
                    state = .active
                    handshakeDeadline?.cancel()
                    handshakePromise.succeed(session.peerIdentities().first ?? "")
                    releaseHeldWrites(context: context)
                }
            }
            guard state == .active else { return }
            var delivered = false
            let progress = try session.readPlaintext { bytes in
                var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                receivedPlaintext = true
                delivered = true
                context.fireChannelRead(wrapInboundOut(buffer))
            }
            if delivered { context.fireChannelReadComplete() }
            flushNetworkOutput(context: context)  // e.g. key updates
            if progress == .closedByPeer {
                state = .closing
                session.shutdown()
                flushNetworkOutput(context: context)
                context.close(promise: nil)
            }
        } catch {
            fail(context: context, explain(error))
        }
    }

    /// TLS 1.3 lets a client finish its handshake before the server has judged the client's
    /// certificate; a refusal then arrives as an alert on the first read. Say so plainly.
    private func explain(_ error: TransportError) -> TransportError {
        if session.context.role == .client, state == .active, !receivedPlaintext {
            var text = "the server refused this party's certificate: \(error.message)"
            // OpenSSL answers a peer with the alert "certificate expired" when its own CRL is out
            // of date, too. If this party's certificate is current, that is the likelier cause.
            if error.message.contains("certificate expired"),
                let own = try? ConsortiumCertificates.describe(path: session.context.configuration.certificatePath),
                own.status == .valid, let end = own.validity?.notAfter
            {
                text += " (this party's certificate is valid until \(end.formatted(.iso8601)): the server's revocation list may be past its next update)"
            }
            return TransportError(.handshakeFailed, text)
        }
        return error
    }

    /// Accepts the peer only if its certificate names exactly one party and the policy admits it.
    private func checkPeer(context: ChannelHandlerContext) -> Bool {
        let identities = session.peerIdentities()
        let found = identities.isEmpty ? "no parley: identity" : identities.map { "parley:\($0)" }.joined(separator: ", ")
        guard identities.count == 1, policy.admits(identities[0]) else {
            let text = "certificate identity \(found) is not \(policy.expectation)"
            // The peer passed TLS verification, so it can read why it is being turned away.
            if let frame = try? FrameEncoder().encode(.abort(reason: "\(session.context.ownIdentity) refused the connection: \(text)")) {
                frame.withUnsafeBytes { bytes in try? session.writePlaintext(bytes) }
            }
            fail(context: context, TransportError(.wrongIdentity, text))
            return false
        }
        return true
    }

    private func releaseHeldWrites(context: ChannelHandlerContext) {
        let writes = heldWrites
        heldWrites = []
        for (buffer, promise) in writes { encrypt(context: context, buffer, promise: promise) }
        context.flush()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .handshaking: heldWrites.append((buffer, promise))
        case .active: encrypt(context: context, buffer, promise: promise)
        case .closing: promise?.fail(TransportError(.connectionFailed, "the secure connection is closed"))
        }
    }

    private func encrypt(context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        do {
            try buffer.withUnsafeReadableBytes { bytes throws(TransportError) in try session.writePlaintext(bytes) }
            if let output = session.takeNetworkOutput() {
                context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: output)), promise: promise)
            } else {
                promise?.succeed(())
            }
        } catch {
            promise?.fail(error)
            fail(context: context, error)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if state == .active { context.flush() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if state == .active, mode != .input {
            state = .closing
            session.shutdown()
            flushNetworkOutput(context: context)
        }
        failHeldWrites()
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state == .handshaking {
            let error = TransportError(.closedByPeer, "the peer closed the connection during the TLS handshake")
            handshakePromise.fail(error)
            context.fireErrorCaught(error)
        }
        state = .closing
        failHeldWrites()
        handshakePromise.fail(TransportError(.connectionFailed, "the connection closed"))  // no-op if already completed
        context.fireChannelInactive()
    }

    private func failHeldWrites() {
        let writes = heldWrites
        heldWrites = []
        for (_, promise) in writes { promise?.fail(TransportError(.connectionFailed, "the secure connection closed")) }
    }

    private func flushNetworkOutput(context: ChannelHandlerContext) {
        guard let output = session.takeNetworkOutput() else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: output)), promise: nil)
    }

    /// Sends any alert OpenSSL queued, reports the error up the pipeline, and closes. A server
    /// half-closes and lingers briefly so the client reads the alert rather than a reset.
    private func fail(context: ChannelHandlerContext, _ error: TransportError) {
        guard state != .closing else { return }
        let wasHandshaking = state == .handshaking
        state = .closing
        flushNetworkOutput(context: context)
        failHeldWrites()
        handshakePromise.fail(error)
        context.fireErrorCaught(error)
        if session.context.role == .server && wasHandshaking || error.kind == .wrongIdentity {
            let channel = context.channel
            context.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.lingerAfterFailure) { channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}
