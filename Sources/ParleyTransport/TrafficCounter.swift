import NIOCore
import Synchronization

/// Bytes a connection sent and received on the socket: TLS records, so framing, encryption and
/// handshake overhead included. Read it from any thread while the connection runs.
public final class TrafficCounter: Sendable {
    private let sentBytes = Atomic<Int>(0)
    private let receivedBytes = Atomic<Int>(0)

    public init() {}

    public var sent: Int { sentBytes.load(ordering: .relaxed) }
    public var received: Int { receivedBytes.load(ordering: .relaxed) }

    func add(sent count: Int) { sentBytes.add(count, ordering: .relaxed) }
    func add(received count: Int) { receivedBytes.add(count, ordering: .relaxed) }
}

/// Counts the ciphertext passing the bottom of the pipeline.
final class TrafficCountingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let counter: TrafficCounter

    init(counter: TrafficCounter) { self.counter = counter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        counter.add(received: unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        counter.add(sent: unwrapOutboundIn(data).readableBytes)
        context.write(data, promise: promise)
    }
}
