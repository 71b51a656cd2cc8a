import NIOCore
import NIOPosix
import Testing

@testable import ParleyTransport

/// Ports for a local federation: distinct, free to listen on, and outside the kernel's range
/// for outgoing connections' source ports, where any connection on the machine could take one
/// before the node listens.
@Suite struct FreePortsTests {
    @Test func distinctListenablePortsBelowTheEphemeralRange() async throws {
        let ports = try await freePorts(11)
        #expect(Set(ports).count == 11)
        let range = try #require(ephemeralPortRange())
        #expect(ports.allSatisfy { $0 >= 10_000 && $0 < range.lowerBound }, "\(ports) vs ephemeral \(range)")
        for port in ports {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: port).get()
            #expect(channel.localAddress?.port == port)
            try await channel.close()
        }
    }
}
