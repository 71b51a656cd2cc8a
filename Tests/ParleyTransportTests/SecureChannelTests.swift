import Foundation
import ParleyWire
import Testing

@testable import ParleyTransport

/// A server on 127.0.0.1 (port 0) that answers each ping with a pong, and records refusals.
final class EchoServer: Sendable {
    let server: SecureServer
    let rejections = Rejections()
    let accepted = Accepted()

    actor Accepted {
        var peers: [String] = []
        func add(_ peer: String) { peers.append(peer) }
    }
    private let task: Task<Void, any Error>

    actor Rejections {
        var reasons: [TransportError] = []
        func add(_ reason: TransportError) { reasons.append(reason) }
    }

    init(pki: TestPKI, name: String = "node", admits: Set<String> = ["coordinator"], revocationList: String? = nil) async throws {
        var configuration = try pki.issue(name)
        configuration.revocationListPath = revocationList
        let context = try TLSContext(configuration: configuration, role: .server)
        let server = try await SecureServer.bind(host: "127.0.0.1", port: 0, context: context, policy: .anyOf(admits))
        let rejections = self.rejections
        let accepted = self.accepted
        self.server = server
        task = Task {
            try await server.run(
                handle: { connection in
                    await accepted.add(connection.peer)
                    try? await connection.withSession { session in
                        while true {
                            guard case .ping(let nonce) = try await session.receive() else { return }
                            try await session.send(.pong(nonce: nonce))
                        }
                    }
                },
                rejected: { reason, _ in await rejections.add(reason) })
        }
    }

    var port: Int { server.port }

    func stop() async {
        task.cancel()
        await server.close()
    }
}

@Suite struct SecureChannelTests {
    @Test func mutuallyAuthenticatedPingPongOnLoopback() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(pki: pki)
        defer { Task { await server.stop() } }
        let client = try TLSContext(configuration: pki.issue("coordinator"), role: .client)
        let connection = try await SecureClient.connect(host: "127.0.0.1", port: server.port, context: client, policy: .party("node"))
        #expect(connection.peer == "node")
        let answers = try await connection.withSession { session in
            var answers: [WireMessage] = []
            for nonce in [UInt64(7), 1 << 63] {
                try await session.send(.ping(nonce: nonce))
                answers.append(try await session.receive())
            }
            return answers
        }
        #expect(answers == [.pong(nonce: 7), .pong(nonce: 1 << 63)])
    }
}
