import ArgumentParser
import ParleyTransport

extension Certs {
    /// `parley certs update-crl --ca DIR`: reissues the revocation list before it goes out of date.
    struct UpdateCRL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update-crl",
            abstract: "Reissue DIR/ca.crl with the same revocations and a new next-update time (30 days).",
            discussion: """
                Parties refuse a CRL past its next update, so run this (or revoke) at least every \
                30 days, and send the new ca.crl to every party.
                """
        )

        @Option(help: "The CA directory (with ca.key, ca.crt, ca.crl, revoked.txt).")
        var ca: String

        func run() async throws {
            try Certs.report { () throws(TransportError) in
                let files = ConsortiumCertificates.AuthorityFiles(directory: ca)
                try ConsortiumCertificates.updateRevocationList(authorityDirectory: ca)
                print(try ConsortiumCertificates.describe(path: files.revocationListPath))
                print("Send the new ca.crl to every party.")
            }
        }
    }
}
