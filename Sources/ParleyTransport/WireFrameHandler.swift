import NIOCore
import ParleyWire

/// Turns the plaintext byte stream into `WireMessage`s and back, with `ParleyWire`'s codec.
///
/// A decoding error (oversized or malformed frame, unknown version or type) is passed up as a
/// `WireError` and the connection is closed: a byte stream that lost its framing cannot be
/// resynchronised.
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
            context.close(promise: nil)
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
