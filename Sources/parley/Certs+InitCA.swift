import ArgumentParser
import ParleyTransport

extension Certs {
    /// `parley certs init-ca --out DIR`: the consortium's certificate authority.
    struct InitCA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-ca",
            abstract: "Make the consortium CA: DIR/ca.key (mode 0600), DIR/ca.crt, DIR/ca.crl and DIR/revoked.txt.",
            discussion: """
                The key is ECDSA P-256. Refuses a directory that already holds a CA. Keep ca.key on \
                this machine only; give ca.crt (and its SHA-256, over another channel) to every party.
                """
        )

        @Option(help: "The CA directory to create (mode 0700 if new).")
        var out: String

        @Option(help: "The CA's common name.")
        var name: String = ConsortiumCertificates.defaultAuthorityName

        @Option(help: "Days the CA certificate is valid.")
        var days: Int = 3650

        func validate() throws {
            guard (1...Certs.maximumDays).contains(days) else {
                throw ValidationError("--days must be from 1 to \(Certs.maximumDays)")
            }
            guard !name.isEmpty, name.count <= 64 else { throw ValidationError("--name must be 1 to 64 characters") }
        }

        func run() async throws {
            try Certs.report { () throws(TransportError) in
                let files = try ConsortiumCertificates.makeAuthority(
                    name: name, directory: out, validity: .days(days))
                let authority = try ConsortiumCertificates.describe(path: files.certificatePath)
                print(
                    Certs.rows([
                        ("certificate", "\(files.certificatePath) (\(authority.subject ?? name))"),
                        ("key", "\(files.keyPath) (mode 0600: never copy it off this machine)"),
                        ("revocation", "\(files.revocationListPath) (empty; reissue within 30 days: parley certs update-crl)"),
                        ("not after", authority.validity.map { "\($0.notAfter.formatted(.iso8601))" } ?? "?"),
                        ("sha256", authority.sha256Fingerprint),
                    ]))
                print("Give ca.crt to every party, and this SHA-256 over another channel so they can check it.")
            }
        }
    }
}
