import ArgumentParser

/// The `parley` command tree. Subcommands parse and dispatch; the work lives in the libraries.
@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Federated negotiation of a joint supply-chain plan without sharing private costs.",
        version: "0.1.0",
        subcommands: [Benchmark.self, Certs.self, Demo.self, Log.self, Node.self, Round.self, Solve.self, Split.self]
    )
}
