import Foundation
import ParleyWire
import Synchronization
import Testing

@testable import ParleyTransport

/// A server whose TLS files change while it runs: a new CRL and a renewed certificate take effect
/// at the next connection, and files that make no usable context leave the previous one in use.
@Suite struct ReloadingTLSContextTests {
    final class Events: Sendable {
        let list = Mutex<[String]>([])
    }

    /// An echo server over a reloading context, recording what each look at the files found.
    final class Server: Sendable {
        let server: SecureServer
        let log = Events()
        var events: [String] { log.list.withLock { $0 } }
        let rejections = Events()
        /// The server's reasons for refusing handshakes (waits briefly for the first).
        var reasons: [String] {
            get async {
                for _ in 0..<200 where rejections.list.withLock({ $0.isEmpty }) { try? await Task.sleep(for: .milliseconds(10)) }
                return rejections.list.withLock { $0 }
            }
        }
        let configuration: TLSConfiguration
        private let task: Task<Void, any Error>

        init(pki: TestPKI) async throws {
            var configuration = try pki.issue("node")
            configuration.revocationListPath = pki.revocationList
            self.configuration = configuration
            let log = self.log
            let tls = ReloadingTLSContext(
                try TLSContext(configuration: configuration, role: .server),
                check: { context throws(TransportError) in
                    guard context.ownIdentity == "node" else {
                        throw TransportError(.badFile, "the certificate is for parley:\(context.ownIdentity), not parley:node")
                    }
                },
                report: { event in
                    switch event {
                    case .reloaded: log.list.withLock { $0.append("reloaded") }
                    case .refused(let error): log.list.withLock { $0.append("refused: \(error.message)") }
                    }
                })
            let server = try await SecureServer.bind(host: "127.0.0.1", port: 0, contexts: tls.current, policy: .anyOf(["coordinator"]))
            let rejections = self.rejections
            self.server = server
            task = Task {
                try await server.run(
                    handle: { connection in
                        try? await connection.withSession { session in
                            while case .ping(let nonce) = try await session.receive() { try await session.send(.pong(nonce: nonce)) }
                        }
                    },
                    rejected: { reason, _ in rejections.list.withLock { $0.append(reason.message) } })
            }
        }

        func stop() async {
            task.cancel()
            await server.close()
        }
    }

    /// A ping round trip as `client`: nil, or the error the client saw.
    func ping(_ client: TLSConfiguration, port: Int) async -> String? {
        do {
            let context = try TLSContext(configuration: client, role: .client)
            let connection = try await SecureClient.connect(host: "127.0.0.1", port: port, context: context, policy: .party("node"))
            let answer = try await connection.withSession { session in
                try await session.send(.ping(nonce: 7))
                return try await session.receive()
            }
            return answer == .pong(nonce: 7) ? nil : "answered \(answer)"
        } catch {
            return (error as? TransportError)?.message ?? "\(error)"
        }
    }

    /// The serial of the certificate the server presents, as `openssl s_client` sees it.
    func presentedSerial(port: Int, client: TLSConfiguration, pki: TestPKI) async throws -> String? {
        let session = try await runProcess([
            "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", pki.caCertificate,
            "-cert", client.certificatePath, "-key", client.privateKeyPath, "-verify_return_error",
        ])
        guard let begin = session.output.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = session.output.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<session.output.endIndex)
        else { return nil }
        let serial = try await runProcess(["openssl", "x509", "-noout", "-serial"], input: String(session.output[begin.lowerBound..<end.upperBound]) + "\n")
        return serial.output.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Replaces `path`'s content the way an operator's `mv` does: a new file renamed over it.
    func replace(_ path: String, with content: Data) throws {
        let temporary = path + ".new"
        try content.write(to: URL(fileURLWithPath: temporary))
        #expect(rename(temporary, path) == 0)
    }

    @Test func aRevocationTakesEffectAtTheNextConnectionWithoutARestart() async throws {
        let pki = try TestPKI()
        let server = try await Server(pki: pki)
        let coordinator = try pki.issue("coordinator")
        #expect(await ping(coordinator, port: server.server.port) == nil)
        #expect(server.events.isEmpty)

        // `parley certs revoke` rewrites the CRL the server was started with.
        _ = try pki.revoke(coordinator)
        #expect(await ping(coordinator, port: server.server.port) == "the server refused this party's certificate: sslv3 alert certificate revoked")
        #expect(server.events == ["reloaded"])
        // A coordinator with a new certificate is served.
        #expect(await ping(try pki.issue("coordinator"), port: server.server.port) == nil)
        #expect(server.events == ["reloaded"])
        await server.stop()
    }

    /// The case a restart-free node is for: its CRL runs out while it runs. Every handshake then
    /// fails, each side saying why; the operator's next list is taken at the next connection.
    @Test func aRevocationListThatRunsOutIsReplacedWithoutARestart() async throws {
        let pki = try TestPKI()
        // Issued as if 30 days ago, less 4 s: current for another 4 s (long enough to start the
        // server under a full test run's load; nothing is asked of the server before it runs out).
        let lifetime = ConsortiumCertificates.revocationListLifetime
        try ConsortiumCertificates.updateRevocationList(authorityDirectory: pki.directory.path, date: Date().addingTimeInterval(4 - lifetime))
        let server = try await Server(pki: pki)
        let coordinator = try pki.issue("coordinator")
        let end = try #require(try ConsortiumCertificates.describe(path: pki.revocationList).validity?.notAfter)
        try await Task.sleep(for: .milliseconds(Int(max(0, end.timeIntervalSinceNow) * 1000) + 1_100))

        let refused = try #require(await ping(coordinator, port: server.server.port))
        #expect(refused.hasPrefix("the server refused this party's certificate: sslv3 alert certificate expired (this party's certificate is valid until "))
        #expect(refused.hasSuffix(": the server's revocation list may be past its next update)"))
        let reason = try #require(await server.reasons.first)
        #expect(
            reason == "peer certificate rejected: CRL has expired; this party's revocation list \(pki.revocationList) is past its next "
                + "update; install the consortium operator's current one; certificate verify failed")

        try ConsortiumCertificates.updateRevocationList(authorityDirectory: pki.directory.path)
        #expect(await ping(coordinator, port: server.server.port) == nil)
        #expect(server.events == ["reloaded"])
        await server.stop()
    }

    @Test func filesThatMakeNoUsableContextLeaveThePreviousOneInUse() async throws {
        let pki = try TestPKI()
        let server = try await Server(pki: pki)
        let revoked = try pki.issue("coordinator")
        _ = try pki.revoke(revoked)
        let coordinator = try pki.issue("coordinator")
        #expect(await ping(coordinator, port: server.server.port) == nil)
        #expect(server.events == ["reloaded"])

        // A CRL that does not parse: refused once, and the revocation already in force holds.
        let crl = try #require(server.configuration.revocationListPath)
        let goodList = try Data(contentsOf: URL(fileURLWithPath: crl))
        try replace(crl, with: Data("not a CRL\n".utf8))
        #expect(await ping(revoked, port: server.server.port) == "the server refused this party's certificate: sslv3 alert certificate revoked")
        #expect(await ping(coordinator, port: server.server.port) == nil)
        #expect(server.events.count == 2)
        let refusal = try #require(server.events.last)
        #expect(refusal.hasPrefix("refused: \(crl): not a PEM certificate revocation list"))

        // The good list back: taken.
        try replace(crl, with: goodList)
        #expect(await ping(revoked, port: server.server.port) == "the server refused this party's certificate: sslv3 alert certificate revoked")
        #expect(server.events.last == "reloaded")

        // A certificate for another party put in place of the node's (with its key): refused by
        // the check, and the server still presents parley:node.
        let other = try pki.issue("intruder")
        try replace(server.configuration.certificatePath, with: try Data(contentsOf: URL(fileURLWithPath: other.certificatePath)))
        try replace(server.configuration.privateKeyPath, with: try Data(contentsOf: URL(fileURLWithPath: other.privateKeyPath)))
        #expect(chmod(server.configuration.privateKeyPath, 0o600) == 0)
        #expect(await ping(coordinator, port: server.server.port) == nil)
        #expect(server.events.last == "refused: the certificate is for parley:intruder, not parley:node")
        await server.stop()
    }

    @Test func aRenewedCertificateIsPresentedFromTheNextConnection() async throws {
        let pki = try TestPKI()
        let server = try await Server(pki: pki)
        let coordinator = try pki.issue("coordinator")
        #expect(await ping(coordinator, port: server.server.port) == nil)
        let old = try #require(try ConsortiumCertificates.describe(path: server.configuration.certificatePath).serial)
        #expect(try await presentedSerial(port: server.server.port, client: coordinator, pki: pki) == old)

        // The same party's renewal, written certificate first: between the two renames the key is
        // not the certificate's, and a connection then is served with the old pair.
        let renewal = try pki.issue("node", validity: .days(2))
        try replace(server.configuration.certificatePath, with: try Data(contentsOf: URL(fileURLWithPath: renewal.certificatePath)))
        #expect(try await presentedSerial(port: server.server.port, client: coordinator, pki: pki) == old)
        #expect(server.events.last?.hasPrefix("refused: \(server.configuration.privateKeyPath) is not the key of the certificate") == true)
        try replace(server.configuration.privateKeyPath, with: try Data(contentsOf: URL(fileURLWithPath: renewal.privateKeyPath)))
        #expect(chmod(server.configuration.privateKeyPath, 0o600) == 0)
        #expect(await ping(coordinator, port: server.server.port) == nil)
        #expect(server.events.last == "reloaded")
        let new = try #require(try ConsortiumCertificates.describe(path: renewal.certificatePath).serial)
        #expect(new != old)
        #expect(try await presentedSerial(port: server.server.port, client: coordinator, pki: pki) == new)
        await server.stop()
    }
}
