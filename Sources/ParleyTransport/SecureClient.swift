import NIOCore
import NIOPosix
import ParleyWire

/// Opens TLS 1.3 connections to other parties with mutual authentication.
public enum SecureClient {
    /// What a failed connect (or listen) says, in the system's words ("Connection refused",
    /// "Address already in use"), rather than NIO's nested description of every address it tried.
    static func reason(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            let reasons = error.connectionErrors.map { reason($0.error) }
            if !reasons.isEmpty { return Array(Set(reasons)).sorted().joined(separator: "; ") }
            if let lookup = error.dnsAError ?? error.dnsAAAAError { return reason(lookup) }
            return "no address found for \(error.host)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? SocketAddressError.UnknownHost { return "cannot resolve \(error.host): \(error.errorDescription)" }
        if case ChannelError.connectTimeout(let limit) = error { return "no answer within \(Double(limit.nanoseconds) / 1e9) s" }
        return "\(error)"
    }

    /// Connects to `host:port` and completes the handshake. The server's certificate must come
    /// from the consortium CA, name `host` (DNS or IP SAN) and carry the identity `policy` wants.
    ///
    /// With TLS 1.3 the client's handshake ends before the server has judged the client's own
    /// certificate: a refusal shows up on the first `receive()`. Protocols on top should treat
    /// the server's first message as the signal that it accepted this party.
    public static func connect(
        host: String, port: Int, context: TLSContext, policy: PeerPolicy,
        settings: SecureChannelSettings = SecureChannelSettings(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SecureConnection {
        precondition(context.role == .client, "SecureClient needs a client TLS context")
        // As endpoints are written: an IPv6 address in brackets.
        let endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let (channel, handshake, traffic): (NIOAsyncChannel<WireMessage, WireMessage>, EventLoopFuture<String>, TrafficCounter)
        do {
            (channel, handshake, traffic) = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(settings.connectTimeout))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = try SecurePipeline(
                            on: channel, context: context, policy: policy, expectedHost: host, settings: settings)
                        return (pipeline.channel, pipeline.handshake, pipeline.traffic)
                    }
                }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.connectionFailed, "cannot connect to \(endpoint): \(reason(error))")
        }
        do {
            let peer = try await handshake.get()
            return SecureConnection(peer: peer, remoteAddress: endpoint, traffic: traffic, channel: channel)
        } catch {
            try? await channel.channel.close()
            if let error = error as? TransportError {
                throw TransportError(error.kind, "\(endpoint): \(error.message)")
            }
            throw TransportError(.handshakeFailed, "\(endpoint): \(error)")
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
