import ArgumentParser
import ParleyTransport

extension Certs {
    /// `parley certs revoke CERT --ca DIR`: puts a certificate on the CA's revocation list.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke a certificate: add its serial to DIR/revoked.txt and reissue DIR/ca.crl.",
            discussion: """
                Refuses a certificate the CA did not issue. Revoking twice is harmless (the CRL is \
                reissued). Send the new ca.crl to every party: a revocation counts only where the \
                new CRL is installed.
                """
        )

        @Argument(help: "The certificate to revoke (PEM).")
        var certificate: String

        @Option(help: "The CA directory (with ca.key, ca.crt, ca.crl, revoked.txt).")
        var ca: String

        func run() async throws {
            try Certs.report { () throws(TransportError) in
                let revocation = try ConsortiumCertificates.revoke(certificatePath: certificate, authorityDirectory: ca)
                print(
                    Certs.rows([
                        ("revoked", "serial \(revocation.serial)" + (revocation.wasAlreadyRevoked ? " (already revoked)" : "")),
                        ("crl", "\(revocation.revocationListPath), number \(revocation.revocationListNumber), "
                            + "\(revocation.revokedCount) revoked"),
                    ]))
                print("Send the new ca.crl to every party.")
            }
        }
    }
}
