import Foundation
import ParleyCoordinator
import Testing

/// What a consortium operator does to running nodes' certificates, without restarting them: a
/// revocation reaches a node when its CRL file is replaced, and a new coordinator certificate
/// is served at once.
@Suite struct CertificateRotationTests {
    @Test func aRevokedCoordinatorIsRefusedAndItsNewCertificateServedWithoutRestartingTheNodes() async throws {
        let scratch = try Scratch("rotation")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let processes = nodes.processIdentifiers
        let first = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run-1"))
        #expect(first.status == 0, "\(first.output)")

        // The operator revokes the coordinator's certificate; `parley certs revoke` rewrites the
        // ca.crl every node of this federation reads.
        let authority = "\(federation.directory)/ca"
        let revoke = try await ParleyBinary.run(["certs", "revoke", federation.coordinatorTLS.certificatePath, "--ca", authority])
        #expect(revoke.status == 0, "\(revoke.output)")
        let refused = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run-2"))
        #expect(refused.status != 0)
        #expect(refused.output.contains("certificate revoked"), "\(refused.output)")
        let reloaded = federation.contract.partners.filter { nodes.log(of: $0.name).contains("TLS files changed: new connections use them") }
        #expect(!reloaded.isEmpty)

        // A new key and certificate for the coordinator, signed by the same CA.
        let renewed = "\(scratch.path)/coordinator-renewed"
        let request = try await ParleyBinary.run(["certs", "request", "--name", "coordinator", "--out", renewed])
        #expect(request.status == 0, "\(request.output)")
        let sign = try await ParleyBinary.run(["certs", "sign", "\(renewed)/coordinator.csr", "--ca", authority, "--days", "1"])
        #expect(sign.status == 0, "\(sign.output)")
        var arguments = roundArguments(federation, method: "dw", out: "\(scratch.path)/run-3")
        arguments[arguments.firstIndex(of: "--tls-certificate")! + 1] = "\(renewed)/coordinator.crt"
        arguments[arguments.firstIndex(of: "--tls-key")! + 1] = "\(renewed)/coordinator.key"
        let third = try await ParleyBinary.run(arguments)
        #expect(third.status == 0, "\(third.output)")
        // Signed for a day: the coordinator says so before the round.
        #expect(third.output.contains("warning: the certificate \(renewed)/coordinator.crt expires in 24 hours ("), "\(third.output)")
        #expect(try readSummary("\(scratch.path)/run-3")["status"] as? String == "optimal")
        // The same node processes all along, each of which took the new list.
        #expect(nodes.processIdentifiers == processes)
        for (party, pid) in processes {
            #expect(kill(pid, 0) == 0, "\(party) is not running")
            #expect(nodes.log(of: party).contains("TLS files changed: new connections use them"), "\(party)")
        }
    }
}
