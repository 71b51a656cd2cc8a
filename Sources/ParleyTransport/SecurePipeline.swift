import NIOCore
import ParleyWire

/// The pipeline both ends put on a new TCP channel: traffic counting, OpenSSL TLS 1.3, Parley
/// framing, wrapped for async/await. Must run on the channel's event loop (in an initializer).
struct SecurePipeline {
    let channel: NIOAsyncChannel<WireMessage, WireMessage>
    /// The peer's party name once the handshake and identity check pass.
    let handshake: EventLoopFuture<String>
    let traffic: TrafficCounter

    init(
        on channel: any Channel, context: TLSContext, policy: PeerPolicy, expectedHost: String?, settings: SecureChannelSettings
    ) throws {
        let session = try TLSSession(context: context, expectedHost: expectedHost)
        let tls = OpenSSLHandler(
            session: session, policy: policy, handshakeTimeout: TimeAmount(settings.handshakeTimeout), eventLoop: channel.eventLoop)
        let traffic = TrafficCounter()
        try channel.pipeline.syncOperations.addHandlers([
            TrafficCountingHandler(counter: traffic), tls, WireFrameHandler(maximumFrameSize: settings.maximumFrameSize),
        ])
        self.channel = try NIOAsyncChannel<WireMessage, WireMessage>(wrappingChannelSynchronously: channel)
        self.handshake = tls.handshakeResult
        self.traffic = traffic
    }
}
