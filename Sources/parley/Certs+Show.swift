import ArgumentParser
import ParleyTransport

extension Certs {
    /// `parley certs show FILE`: what a certificate, request or revocation list says.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Describe a certificate, certificate request or CRL (PEM).",
            discussion: """
                Prints subject, names (SANs) and the parley: identity, issuer, validity (and whether \
                it has expired or is not yet valid), serial, key type and SHA-256 fingerprint (as \
                openssl x509 -fingerprint -sha256 prints it). Refuses private key files.
                """
        )

        @Argument(help: "The file to describe.")
        var file: String

        func run() async throws {
            try Certs.report { () throws(TransportError) in
                print(try ConsortiumCertificates.describe(path: file))
            }
        }
    }
}
