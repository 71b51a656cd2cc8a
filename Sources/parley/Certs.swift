import ArgumentParser
import ParleyTransport

/// `parley certs …`: the consortium's certificate authority and each party's key and request.
struct Certs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make the consortium CA, parties' keys and requests; sign, revoke and inspect certificates.",
        discussion: """
            The operator runs init-ca once, then sign for each party's request and revoke when a \
            party leaves or loses its key. Each party runs request on its own machine and sends only \
            the .csr; its key never leaves that machine. A party's identity is the URI SAN \
            parley:<name>. See Certs/README.md for the whole workflow and the openssl equivalents.
            Exit status: 0 done; 1 bad input or refused (the message names the file).
            """,
        subcommands: [InitCA.self, Request.self, Sign.self, Revoke.self, UpdateCRL.self, Show.self]
    )

    /// Runs library work, turning its error into one "error: …" line and exit status 1.
    static func report(_ work: () throws(TransportError) -> Void) throws {
        do {
            try work()
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// The longest validity `--days` accepts: a hundred years is already past any sane renewal.
    static let maximumDays = 36_500

    /// Aligned "field  value" lines, like `show`.
    static func rows(_ rows: [(String, String)]) -> String {
        rows.map { $0.0.padding(toLength: 13, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }
}
