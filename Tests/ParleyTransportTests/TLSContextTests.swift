import Foundation
import Testing

@testable import ParleyTransport

/// Bad TLS files fail when the context is made, naming the file and saying what OpenSSL found.
@Suite struct TLSContextFileErrorTests {
    @Test func garbageCertificateNamesTheFileAndTheReason() throws {
        let pki = try TestPKI()
        var configuration = try pki.issue("node")
        configuration.certificatePath = pki.path("garbage.crt")
        try "not a certificate\n".write(toFile: configuration.certificatePath, atomically: true, encoding: .utf8)
        #expect(throws: TransportError(.badFile, "\(configuration.certificatePath): not a PEM certificate chain (no start line; PEM lib)")) {
            _ = try TLSContext(configuration: configuration, role: .server)
        }
    }

    @Test func keyOfAnotherPartyIsRefused() throws {
        let pki = try TestPKI()
        var configuration = try pki.issue("node")
        configuration.privateKeyPath = try pki.issue("other").privateKeyPath
        #expect(throws: TransportError(
            .badFile, "\(configuration.privateKeyPath) is not the key of the certificate \(configuration.certificatePath)")
        ) {
            _ = try TLSContext(configuration: configuration, role: .client)
        }
    }

    @Test func missingRevocationListNamesTheFile() throws {
        let pki = try TestPKI()
        var configuration = try pki.issue("node")
        configuration.revocationListPath = pki.path("missing.crl")
        #expect(throws: TransportError(.badFile, "\(pki.path("missing.crl")): cannot open (No such file or directory)")) {
            _ = try TLSContext(configuration: configuration, role: .server)
        }
    }

    @Test func revocationListPastItsNextUpdateIsRefusedAtOnce() throws {
        let pki = try TestPKI()
        let issued = Date().addingTimeInterval(-ConsortiumCertificates.revocationListLifetime - 3_600)
        try ConsortiumCertificates.updateRevocationList(authorityDirectory: pki.directory.path, date: issued)
        var configuration = try pki.issue("node")
        configuration.revocationListPath = pki.revocationList
        let end = try #require(try ConsortiumCertificates.describe(path: pki.revocationList).validity?.notAfter)
        #expect(throws: TransportError(
            .badFile,
            "\(pki.revocationList): the revocation list is past its next update (\(end.formatted(.iso8601))); install the consortium "
                + "operator's current one (`parley certs update-crl` makes it)")
        ) {
            _ = try TLSContext(configuration: configuration, role: .server)
        }
    }

    @Test func certificateWithoutAParleyIdentityIsRefused() throws {
        // The CA certificate itself is a valid certificate with no parley: URI.
        let pki = try TestPKI()
        let configuration = TLSConfiguration(
            certificatePath: pki.caCertificate, privateKeyPath: pki.path("ca.key"), trustRootsPath: pki.caCertificate)
        #expect(throws: TransportError(
            .badFile, "\(pki.caCertificate): expected exactly one subject alternative name URI:parley:<name>, found 0")
        ) {
            _ = try TLSContext(configuration: configuration, role: .client)
        }
    }
}
