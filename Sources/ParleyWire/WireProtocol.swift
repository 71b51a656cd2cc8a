/// Constants every Parley frame agrees on (see `Docs/PROTOCOL.md`).
public enum WireProtocol {
    /// The protocol version this module speaks; byte 4 of every frame.
    /// 2: ADMM requests carry a starting combination and the iterations to pair residuals with,
    /// and ADMM answers the residual products (Anderson acceleration from sums only).
    /// 3: the plan instruction carries the partner's final prices.
    /// 4: the plan instruction says whether the plan is final or the round stopped at a limit.
    public static let version: UInt8 = 4
    /// Bytes before the body: the 4-byte length prefix, the version and the message type.
    public static let headerSize = 6
    /// The default limit on a frame's length prefix: 64 MiB holds a pricing request of about
    /// eight million prices, far above any realistic chain, and bounds what a peer can make us buffer.
    public static let defaultMaximumFrameSize = 64 << 20
}
