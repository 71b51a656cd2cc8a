import NIOCore
import NIOPosix

/// Ports on `host` that nobody listens on right now: each is bound (port 0), read and released.
/// For setting up a federation on one machine; another process could take a port in between,
/// which the node would then report when it cannot listen.
public func freePorts(_ count: Int, host: String = "127.0.0.1") async throws -> [Int] {
    var channels: [any Channel] = []
    defer { for channel in channels { channel.close(promise: nil) } }
    // All bound at once, so the kernel cannot hand out the same port twice.
    for _ in 0..<count {
        channels.append(try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: host, port: 0).get())
    }
    return channels.map { $0.localAddress?.port ?? 0 }
}
