import Foundation
import NIOCore
import NIOPosix
import ParleyWire
import Testing

@testable import ParleyTransport

/// The channel against the real `openssl` command-line peers: what any TLS 1.3 implementation
/// with a consortium certificate sees, Parley must see too.
@Suite struct OpenSSLInteropTests {
    @Test func opensslClientWithAGoodCertificateExchangesFrames() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(pki: pki)
        let coordinator = try pki.issue("coordinator")
        // s_client relays stdin to the server; the server's pong comes back as raw frame bytes.
        // The second frame (not a ping) makes the echo server hang up, which ends s_client.
        let ping = try FrameEncoder().encode(.ping(nonce: 0x0102_0304_0506_0708)) + FrameEncoder().encode(.pong(nonce: 0))
        let result = try await runProcess(
            ["openssl", "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.caCertificate,
             "-cert", coordinator.certificatePath, "-key", coordinator.privateKeyPath, "-verify_return_error", "-quiet"],
            bytes: ping)
        #expect(result.status == 0)
        let pong = try FrameEncoder().encode(.pong(nonce: 0x0102_0304_0506_0708))
        #expect(result.outputBytes.firstRange(of: pong) != nil)
        #expect(await server.accepted.peers == ["coordinator"])
        await server.stop()
    }

    @Test func parleyClientTalksToOpensslServer() async throws {
        let pki = try TestPKI()
        let node = try pki.issue("node")
        let port = try await freePort()
        // stdbuf: s_server's stdout is a pipe here, and its progress lines must arrive as printed.
        let opensslServer = try LiveProcess(
            ["stdbuf", "-o0", "openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", node.certificatePath, "-key", node.privateKeyPath,
             "-CAfile", pki.caCertificate, "-Verify", "1", "-verify_return_error", "-tls1_3"])
        #expect(await opensslServer.waitFor("ACCEPT"))
        let client = try TLSContext(configuration: pki.issue("coordinator"), role: .client)
        let connection = try await SecureClient.connect(host: "127.0.0.1", port: port, context: client, policy: .party("node"))
        #expect(connection.peer == "node")
        let reply = try await connection.withSession { session in
            try await session.send(.ping(nonce: 5))
            // s_server prints what it received and relays its stdin to us: answer by hand.
            #expect(await opensslServer.waitFor("Client certificate"))
            opensslServer.write(try FrameEncoder().encode(.pong(nonce: 5)))
            return try await session.receive(timeout: .seconds(10))
        }
        #expect(reply == .pong(nonce: 5))
        #expect(opensslServer.output.contains("depth=0 CN = coordinator\nverify return:1"))
        await opensslServer.stop()
    }
}

/// A port nobody listens on right now (bound, read, released).
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

