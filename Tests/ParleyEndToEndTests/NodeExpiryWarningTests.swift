import Foundation
import ParleyTransport
import Testing

@testable import ParleyNode

/// A node warns in its log, a week ahead, that its certificate or its CRL runs out.
@Suite struct NodeExpiryWarningTests {
    @Test func aCertificateAndACRLRunningOutWithinAWeekAreNamed() throws {
        let scratch = try Scratch("expiry")
        let ca = "\(scratch.path)/ca"
        try ConsortiumCertificates.makeAuthority(name: "Test consortium", directory: ca, validity: .days(60))
        let now = Date()
        // A CRL issued 25 days ago (current for 30): 5 days left.
        try ConsortiumCertificates.updateRevocationList(authorityDirectory: ca, date: now.addingTimeInterval(-25 * 86_400))
        let (key, request) = try ConsortiumCertificates.makeRequest(party: "firmA", hosts: ["127.0.0.1"], directory: "\(scratch.path)/firmA")
        let certificate = try ConsortiumCertificates.sign(requestPath: request, authorityDirectory: ca, validity: .days(3, from: now))
        let configuration = TLSConfiguration(
            certificatePath: certificate, privateKeyPath: key, trustRootsPath: "\(ca)/ca.crt", revocationListPath: "\(ca)/ca.crl")
        let crlEnd = try #require(try ConsortiumCertificates.describe(path: "\(ca)/ca.crl").validity?.notAfter)
        let certificateEnd = try #require(try ConsortiumCertificates.describe(path: certificate).validity?.notAfter)

        #expect(
            NodeService.expiryWarnings(of: configuration, at: now) == [
                "the certificate \(certificate) expires in 3 days (\(certificateEnd.formatted(.iso8601))): have a renewed one signed "
                    + "and move it and its key over the old files (the node takes new files without a restart)",
                "the revocation list \(ca)/ca.crl reaches its next update in 5 days (\(crlEnd.formatted(.iso8601))), after which every "
                    + "peer is refused: install the consortium operator's current one (the node takes new files without a restart)",
            ])
        // Ten days on, both have run out.
        let later = NodeService.expiryWarnings(of: configuration, at: now.addingTimeInterval(10 * 86_400))
        #expect(later.count == 2)
        #expect(later[0].hasPrefix("the certificate \(certificate) expired 7 days ago"))
        #expect(later[1].hasPrefix("the revocation list \(ca)/ca.crl is past its next update"))
        // A fresh CRL and a certificate with more than a week left: nothing to say.
        try ConsortiumCertificates.updateRevocationList(authorityDirectory: ca, date: now)
        let renewed = try ConsortiumCertificates.sign(requestPath: request, authorityDirectory: ca, validity: .days(30, from: now))
        var current = configuration
        current.certificatePath = renewed
        #expect(NodeService.expiryWarnings(of: current, at: now).isEmpty)
    }
}
