import Foundation
import ParleyCoordinator
import ParleyTestSupport
import ParleyTransport
import Testing

/// `parley node --check`: the start-up checks without serving, for an operator before a restart.
@Suite struct NodeCheckTests {
    @Test func aGoodNodeSaysWhatItWouldServeAndABadOneWhyNot() async throws {
        let scratch = try Scratch("check")
        let federation = try await prepareFederation("lands3", scratch: scratch)
        let (party, config) = try #require(federation.nodeConfigurations.first)
        let contract = federation.contract

        let good = try await ParleyBinary.run(["node", "--config", config, "--check"])
        #expect(good.status == 0, "\(good.output)")
        let lines = good.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "ok            \(party): configuration, contract, model and TLS files")
        #expect(lines.contains("contract      \(federation.chainPath): chain '\(contract.chain)', hash \(contract.contentHash)"))
        #expect(lines.contains { $0.hasPrefix("certificate   ") && $0.contains(": parley:\(party), valid until ") })
        #expect(lines.contains { $0.hasPrefix("crl           \(federation.directory)/ca/ca.crl: next update ") })
        #expect(!lines.contains { $0.hasPrefix("warning:") })

        // A CRL that runs out in three days: still good, with the warning the node would log.
        let authority = "\(federation.directory)/ca"
        try ConsortiumCertificates.updateRevocationList(
            authorityDirectory: authority, date: Date().addingTimeInterval(3 * 86_400 - ConsortiumCertificates.revocationListLifetime))
        let soon = try await ParleyBinary.run(["node", "--config", config, "--check"])
        #expect(soon.status == 0, "\(soon.output)")
        #expect(soon.output.contains("warning: the revocation list \(authority)/ca.crl reaches its next update in 3 days ("), "\(soon.output)")

        // Run out: the check fails as the node would at start-up, naming the file.
        try ConsortiumCertificates.updateRevocationList(
            authorityDirectory: authority, date: Date().addingTimeInterval(-1 - ConsortiumCertificates.revocationListLifetime))
        let stale = try await ParleyBinary.run(["node", "--config", config, "--check"])
        #expect(stale.status == 1)
        #expect(stale.output.contains("error: \(authority)/ca.crl: the revocation list is past its next update ("), "\(stale.output)")
    }
}
