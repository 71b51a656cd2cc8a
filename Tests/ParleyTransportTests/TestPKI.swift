import Foundation
import ParleyTransport

/// A throw-away consortium for tests, made with `parley certs`' own library: a CA and leaf
/// certificates on demand in a temporary directory (removed on deinit).
final class TestPKI: @unchecked Sendable {
    // Only the immutable directory path is shared; the files are written by one test each.
    let directory: URL
    var caCertificate: String { path("ca.crt") }
    var revocationList: String { path("ca.crl") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try ConsortiumCertificates.makeAuthority(name: "Test consortium", directory: directory.path, validity: .days(10))
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A leaf for `name` (URI parley:name plus the hosts as SANs), key mode 0600, valid for
    /// `validity` (default: from five minutes ago for a day).
    func issue(_ name: String, hosts: [String] = ["127.0.0.1", "localhost"], validity: CertificateValidity = .days(1)) throws
        -> TLSConfiguration
    {
        let party = directory.appendingPathComponent("party-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: party, withIntermediateDirectories: true)
        let (key, request) = try ConsortiumCertificates.makeRequest(party: name, hosts: hosts, directory: party)
        let certificate = try ConsortiumCertificates.sign(requestPath: request, authorityDirectory: directory.path, validity: validity)
        return TLSConfiguration(certificatePath: certificate, privateKeyPath: key, trustRootsPath: caCertificate)
    }

    /// Revokes the certificate of `configuration` and returns the updated CRL's path.
    func revoke(_ configuration: TLSConfiguration) throws -> String {
        try ConsortiumCertificates.revoke(certificatePath: configuration.certificatePath, authorityDirectory: directory.path)
        return revocationList
    }

    func path(_ file: String) -> String { directory.appendingPathComponent(file).path }
}
