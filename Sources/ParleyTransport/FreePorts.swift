import Foundation
import NIOCore
import NIOPosix

/// Ports on `host` that nobody listens on right now: each is bound, read and released. For
/// setting up a federation on one machine.
///
/// They are taken below the kernel's ephemeral range (`ip_local_port_range`) where it leaves
/// room: a port from the range itself (what binding port 0 gives) can be handed out meanwhile as
/// the source port of any outgoing connection on the machine, and the node then cannot listen on
/// it ("Address already in use", seen when tests connect while others set up). Below the range
/// only another explicit bind can take a port in between, which the node would then report.
public func freePorts(_ count: Int, host: String = "127.0.0.1") async throws -> [Int] {
    var channels: [any Channel] = []
    func bind(_ port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: host, port: port).get()
    }
    // All held at once, so no port is handed out twice.
    let lowest = 10_000
    if let ephemeral = ephemeralPortRange(), ephemeral.lowerBound - lowest >= 100 * count {
        for port in (lowest..<ephemeral.lowerBound).shuffled() where channels.count < count {
            if let channel = try? await bind(port) { channels.append(channel) }
        }
    }
    do {
        while channels.count < count { channels.append(try await bind(0)) }
    } catch {
        for channel in channels { try? await channel.close() }
        throw error
    }
    let ports = channels.map { $0.localAddress?.port ?? 0 }
    // Released before returning, so whoever listens on them next finds them free.
    for channel in channels { try? await channel.close() }
    return ports
}

/// The kernel's range of ports for the local end of outgoing connections (Linux), if readable.
func ephemeralPortRange() -> ClosedRange<Int>? {
    guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
    let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
    return bounds[0]...bounds[1]
}
