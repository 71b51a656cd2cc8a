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

        // The check made the state directory, the node user's alone; one anybody may write to is
        // refused.
        let state = "\(federation.directory)/\(party)/state"
        for directory in [state, "\(state)/plans", "\(state)/rounds"] {
            let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
            #expect(mode == 0o700, "\(directory): mode \(String(mode ?? 0, radix: 8))")
        }
        chmod(state, 0o777)
        let open = try await ParleyBinary.run(["node", "--config", config, "--check"])
        #expect(open.status == 1)
        #expect(open.output.contains(
            "error: \(state): the state directory is writable by every user (mode 777), and it holds this partner's private plans: "
                + "make it the node user's alone (chmod 700)"), "\(open.output)")
        chmod(state, 0o700)

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
