import ArgumentParser
import Foundation
import ParleyTransport

extension Certs {
    /// `parley certs sign CSR --ca DIR --days N`: issues a party's certificate.
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Issue a party's certificate from its request, signed by the consortium CA.",
            discussion: """
                Verifies the request's signature, then copies its names: exactly one URI \
                parley:<party>, plus DNS names and IP addresses; any other name is refused. Check the \
                request's SHA-256 (parley certs show) with the party before signing. Writes \
                <party>.crt next to the request unless --out is given; send it back with ca.crt.
                """
        )

        @Argument(help: "The party's certificate request (PEM .csr).")
        var request: String

        @Option(help: "The CA directory (with ca.key, ca.crt, ca.crl).")
        var ca: String

        @Option(help: "Days the certificate is valid (it starts 5 minutes ago, for clock skew).")
        var days: Int

        @Option(help: "Where to write the certificate (default: <party>.crt next to the request).")
        var out: String?

        func validate() throws {
            guard (1...Certs.maximumDays).contains(days) else {
                throw ValidationError("--days must be from 1 to \(Certs.maximumDays)")
            }
        }

        func run() async throws {
            try Certs.report { () throws(TransportError) in
                let path = try ConsortiumCertificates.sign(
                    requestPath: request, authorityDirectory: ca, validity: .days(days), outputPath: out)
                print(try ConsortiumCertificates.describe(path: path))
            }
        }
    }
}
