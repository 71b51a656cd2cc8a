import ArgumentParser
import ParleyTransport

extension Certs {
    /// `parley certs request --name PARTY --out DIR`: a party's key and certificate request.
    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Make this party's key DIR/PARTY.key (mode 0600) and request DIR/PARTY.csr.",
            discussion: """
                Run it on the party's own machine. The request asks for the identity URI \
                parley:PARTY and one DNS or IP address name per --host (the names a client checks \
                when it connects to this party). Send only the .csr to the consortium operator; the \
                key never leaves this machine. Refuses to replace an existing key.
                """
        )

        @Option(help: "The party's name, as in the chain contract: letters, digits, '-' and '_'.")
        var name: String

        @Option(help: "The directory for the key and the request (mode 0700 if new).")
        var out: String

        @Option(name: .customLong("host"), help: "A DNS name or IP address this party is reached at (repeatable).")
        var hosts: [String] = []

        func validate() throws {
            guard ConsortiumCertificates.isValidPartyName(name) else {
                throw ValidationError("--name must be 1 to 64 letters, digits, '-' or '_', starting with a letter or digit")
            }
            for host in hosts where !ConsortiumCertificates.isValidHost(host) {
                throw ValidationError("--host '\(host)' is neither an IPv4/IPv6 address nor a DNS name")
            }
        }

        func run() async throws {
            try Certs.report { () throws(TransportError) in
                let made = try ConsortiumCertificates.makeRequest(party: name, hosts: hosts, directory: out)
                let request = try ConsortiumCertificates.describe(path: made.requestPath)
                print(
                    Certs.rows([
                        ("key", "\(made.keyPath) (mode 0600: keep it here, never send it)"),
                        ("request", made.requestPath),
                        ("names", request.subjectAlternativeNames.joined(separator: ", ")),
                        ("sha256", request.sha256Fingerprint),
                    ]))
                print("Send the .csr to the consortium operator, and read them this SHA-256 over another channel.")
            }
        }
    }
}
