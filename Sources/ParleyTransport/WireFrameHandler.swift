import NIOCore
import ParleyWire

/// Turns the plaintext byte stream into `WireMessage`s and back, with `ParleyWire`'s codec.
///
/// A decoding error (oversized or malformed frame, unknown version or type) is passed up as a
/// `WireError` and every later byte is dropped: a stream that lost its framing cannot be
/// resynchronised. The connection stays open for writing so the owner can say why (error 100)
/// before it closes.
final class WireFrameHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = WireMessage
    typealias OutboundIn = WireMessage
    typealias OutboundOut = ByteBuffer

    private var decoder: FrameDecoder
    private let encoder: FrameEncoder
    private var failed = false

    init(maximumFrameSize: Int) {
        self.decoder = FrameDecoder(maximumFrameSize: maximumFrameSize)
        self.encoder = FrameEncoder(maximumFrameSize: maximumFrameSize)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        decoder.append(buffer.readableBytesView)
        do {
            while let message = try decoder.next() {
                context.fireChannelRead(wrapInboundOut(message))
            }
        } catch {
            failed = true
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        do {
            let bytes = try encoder.encode(message)
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }
}
