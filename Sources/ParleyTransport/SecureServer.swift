#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import ParleyWire

/// Accepts TLS 1.3 connections from certified parties.
///
/// Each connection is handled in its own task; a refused handshake or a failing handler is
/// reported and never stops the server.
public struct SecureServer: Sendable {
    /// A connection accepted at the TCP level whose handshake is still running.
    struct Pending: Sendable {
        let channel: NIOAsyncChannel<WireMessage, WireMessage>
        let handshake: EventLoopFuture<String>
        let remoteAddress: String
        let traffic: TrafficCounter
    }

    private let listener: NIOAsyncChannel<Pending, Never>
    /// The bound port (useful after binding port 0).
    public let port: Int
    public let host: String

    /// Binds `host:port` (port 0 picks a free one) and admits only peers `policy` names.
    public static func bind(
        host: String, port: Int, context: TLSContext, policy: PeerPolicy,
        settings: SecureChannelSettings = SecureChannelSettings(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SecureServer {
        try await bind(host: host, port: port, contexts: { context }, policy: policy, settings: settings, group: group)
    }

    /// Binds `host:port` with the TLS context `contexts` gives at each new connection (a
    /// `ReloadingTLSContext`'s `current`, so new files take effect without a restart).
    public static func bind(
        host: String, port: Int, contexts: @escaping @Sendable () -> TLSContext, policy: PeerPolicy,
        settings: SecureChannelSettings = SecureChannelSettings(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SecureServer {
        precondition(contexts().role == .server, "SecureServer needs a server TLS context")
        let listener: NIOAsyncChannel<Pending, Never>
        do {
            let keepalive = settings.keepaliveIdleSeconds
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.socketOption(.so_keepalive), value: keepalive > 0 ? 1 : 0)
                .childChannelOption(.tcpOption(NIOBSDSocket.Option(rawValue: CInt(TCP_KEEPIDLE))), value: max(keepalive, 1))
                .childChannelOption(.tcpOption(NIOBSDSocket.Option(rawValue: CInt(TCP_KEEPINTVL))), value: 1)
                .childChannelOption(.tcpOption(NIOBSDSocket.Option(rawValue: CInt(TCP_KEEPCNT))), value: 3)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = try SecurePipeline(
                            on: channel, context: contexts(), policy: policy, expectedHost: nil, settings: settings)
                        let remote = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
                        return Pending(
                            channel: pipeline.channel, handshake: pipeline.handshake, remoteAddress: remote, traffic: pipeline.traffic)
                    }
                }
        } catch {
            let endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            throw TransportError(.connectionFailed, "cannot listen on \(endpoint): \(SecureClient.reason(error))")
        }
        return SecureServer(listener: listener, port: listener.channel.localAddress?.port ?? port, host: host)
    }

    /// Accepts connections until the task is cancelled or the listener closes. `handle` runs
    /// for each authenticated peer; `rejected` hears about each connection refused during the
    /// handshake or identity check (with the remote address).
    public func run(
        handle: @escaping @Sendable (SecureConnection) async -> Void,
        rejected: @escaping @Sendable (TransportError, String) async -> Void
    ) async throws {
        try await listener.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await pending in inbound {
                    group.addTask {
                        let peer: String
                        do {
                            peer = try await pending.handshake.get()
                        } catch {
                            let reason = error as? TransportError ?? TransportError(.handshakeFailed, "\(error)")
                            await rejected(reason, pending.remoteAddress)
                            try? await pending.channel.channel.closeFuture.get()
                            return
                        }
                        await handle(
                            SecureConnection(
                                peer: peer, remoteAddress: pending.remoteAddress, traffic: pending.traffic, channel: pending.channel))
                    }
                }
            }
        }
    }

    /// Stops accepting; connections in progress carry on.
    public func close() async {
        try? await listener.channel.close()
    }
}
