import NIOCore
import ParleyWire

/// Limits of a secure channel, with named defaults.
public struct SecureChannelSettings: Sendable, Hashable {
    /// The largest frame accepted or sent (the length prefix is checked before any allocation).
    public var maximumFrameSize: Int = WireProtocol.defaultMaximumFrameSize
    /// How long a TCP connect may take.
    public var connectTimeout: Duration = .seconds(10)
    /// How long the TLS handshake may take, on either side.
    public var handshakeTimeout: Duration = .seconds(10)
    /// TCP keepalive on a server's connections: the first probe after this many idle seconds,
    /// then one a second, three in all. A peer that vanished without its close reaching us (its
    /// host gone, or the link down when its process ended) otherwise holds the connection open
    /// for good; a node, which serves one coordinator at a time, then refused every later one
    /// as "busy". With these, a gone peer's connection ends within about 6 s of quiet (at once
    /// when its host answers a probe with a reset). 0 turns keepalive off.
    public var keepaliveIdleSeconds: Int = 3

    public init() {}
}

/// A TLS 1.3 connection whose peer proved, with a consortium certificate, to be `peer`.
///
/// Use it through `withSession`, which closes the connection when the body returns or throws.
public struct SecureConnection: Sendable {
    /// The peer's party name (from its certificate's `parley:` URI).
    public let peer: String
    /// The peer's address, for logs.
    public let remoteAddress: String
    /// Bytes on the socket so far, handshake included.
    public let traffic: TrafficCounter
    let channel: NIOAsyncChannel<WireMessage, WireMessage>

    /// Closes the connection now; a session blocked in `receive()` sees it closed.
    public func close() async {
        try? await channel.channel.close()
    }

    /// Runs `body` with a session on this connection, then closes it.
    public func withSession<Result>(
        isolation actor: isolated (any Actor)? = #isolation,
        _ body: (SecureSession) async throws -> sending Result
    ) async throws -> sending Result {
        let peer = self.peer
        let channel = self.channel
        return try await channel.executeThenClose { inbound, outbound in
            try await body(SecureSession(peer: peer, channel: channel.channel, inbound: inbound, outbound: outbound))
        }
    }
}

/// Sending and receiving whole messages on a `SecureConnection`.
public final class SecureSession {
    public let peer: String
    private let channel: any Channel
    private var iterator: NIOAsyncChannelInboundStream<WireMessage>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<WireMessage>

    init(
        peer: String, channel: any Channel, inbound: NIOAsyncChannelInboundStream<WireMessage>,
        outbound: NIOAsyncChannelOutboundWriter<WireMessage>
    ) {
        self.peer = peer
        self.channel = channel
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Sends one message (flushed at once).
    public func send(_ message: WireMessage) async throws {
        do {
            try await outbound.write(message)
        } catch {
            // A peer that turned us away said why before closing (a TLS alert, an abort frame);
            // that reason is waiting in the inbound stream and beats "channel closed".
            if let reason = await reasonForClosing() { throw reason }
            throw transportError(error, while: "sending to")
        }
    }

    private func reasonForClosing() async -> (any Error)? {
        do {
            while let message = try await iterator.next() {
                if case .abort(let reason) = message { return TransportError(.aborted, reason) }
            }
            return nil
        } catch {
            return error is TransportError || error is WireError ? error : nil
        }
    }

    /// The next message from the peer. An `abort` from the peer, a closed connection, a TLS
    /// failure or an undecodable frame throws a `TransportError` (or `WireError`) saying which.
    public func receive() async throws -> WireMessage {
        let message: WireMessage?
        do {
            message = try await iterator.next()
        } catch {
            throw transportError(error, while: "receiving from")
        }
        switch message {
        case nil:
            throw TransportError(.closedByPeer, "\(peer) closed the connection without an answer (its own log may say why)")
        case .abort(let reason)?:
            throw TransportError(.aborted, reason)
        case let message?:
            return message
        }
    }

    /// The next message, or nil when the peer closed the connection cleanly between messages
    /// (how a served peer says goodbye). Everything else is as `receive()`.
    public func receiveUnlessClosed() async throws -> WireMessage? {
        do {
            guard let message = try await iterator.next() else { return nil }
            if case .abort(let reason) = message { throw TransportError(.aborted, reason) }
            return message
        } catch let error as TransportError {
            throw error
        } catch let error as WireError {
            throw error
        } catch {
            throw transportError(error, while: "receiving from")
        }
    }

    /// `receive()` with a deadline. When it passes, the connection is closed (a late answer could
    /// no longer be matched to its request) and `TransportError.timedOut` is thrown.
    public func receive(timeout: Duration) async throws -> WireMessage {
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.close(promise: nil) }
        do {
            let message = try await receive()
            timer.cancel()
            return message
        } catch {
            timer.cancel()
            if (try? await timer.futureResult.get()) != nil {
                throw TransportError(.timedOut, "no answer from \(peer) within \(timeout)")
            }
            throw error
        }
    }

    private func transportError(_ error: any Error, while doing: String) -> any Error {
        if error is TransportError || error is WireError { return error }
        return TransportError(.connectionFailed, "\(doing) \(peer): \(error)")
    }
}
