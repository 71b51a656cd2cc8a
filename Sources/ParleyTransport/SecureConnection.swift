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
    let channel: NIOAsyncChannel<WireMessage, WireMessage>

    /// Runs `body` with a session on this connection, then closes it.
    public func withSession<Result>(
        isolation actor: isolated (any Actor)? = #isolation,
        _ body: (SecureSession) async throws -> sending Result
    ) async throws -> sending Result {
        let peer = self.peer
        return try await channel.executeThenClose { inbound, outbound in
            try await body(SecureSession(peer: peer, inbound: inbound, outbound: outbound))
        }
    }
}

/// Sending and receiving whole messages on a `SecureConnection`.
public final class SecureSession {
    public let peer: String
    private var iterator: NIOAsyncChannelInboundStream<WireMessage>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<WireMessage>

    init(peer: String, inbound: NIOAsyncChannelInboundStream<WireMessage>, outbound: NIOAsyncChannelOutboundWriter<WireMessage>) {
        self.peer = peer
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Sends one message (flushed at once).
    public func send(_ message: WireMessage) async throws {
        do {
            try await outbound.write(message)
        } catch {
            throw transportError(error, while: "sending to")
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
            throw TransportError(.connectionFailed, "\(peer) closed the connection")
        case .abort(let reason)?:
            throw TransportError(.aborted, reason)
        case let message?:
            return message
        }
    }

    private func transportError(_ error: any Error, while doing: String) -> any Error {
        if error is TransportError || error is WireError { return error }
        return TransportError(.connectionFailed, "\(doing) \(peer): \(error)")
    }
}
