import ArgumentParser
import Foundation
import Logging
import ParleyModel
import ParleyNode
import ServiceLifecycle

/// `parley node --config node.yaml`: the daemon each partner runs.
struct Node: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run this partner's node: answer the contract's coordinator over TLS.",
        discussion: """
            Reads node.yaml (every key documented in Deploy/examples/node.yaml; PARLEY_* environment \
            variables override it), checks the contract, the private model and the certificates, then \
            listens. Logs JSON lines to standard error; records every message it sends in \
            STATE/audit.jsonl; writes each round's plan to STATE/plans/<round>.csv (<round>.provisional.csv \
            for a round stopped at a limit, until it is resumed and ends). SIGHUP is logged and changes \
            nothing: new TLS files and a moved audit log are taken up at the next connection. SIGTERM or SIGINT: \
            finish the request in hand, then stop. Exit status 1 when a file is bad at start-up. \
            With --check it stops after those checks (creating the state directory if missing) and \
            prints what it would serve, e.g. before a restart or in systemd's ExecStartPre.
            """
    )

    @Option(help: "The node's configuration file (node.yaml).")
    var config: String

    @Flag(help: "Check the configuration, contract, model and TLS files as at start-up, say what the node would serve, and exit (0: all good).")
    var check = false

    func run() async throws {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        let logger = Logger(label: "parley.node")
        let service: NodeService
        do {
            service = try NodeService(configuration: try NodeConfiguration.load(path: config), logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["reason": "\(error)"])
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if check {
            for line in service.checkReport() { print(line) }
            return
        }
        // SIGHUP (`kill -HUP`, a logrotate postrotate habit) would end the process by default;
        // there is nothing to reload by hand.
        signal(SIGHUP, SIG_IGN)
        // A log reader that goes away (a pipe closed) must not end the daemon with SIGPIPE; the
        // write fails and the line is lost instead.
        signal(SIGPIPE, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            logger.notice("SIGHUP: nothing to reload by hand; new TLS files and a moved audit log are taken up at the next connection")
        }
        hangup.resume()
        defer { hangup.cancel() }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("stopped", metadata: ["reason": "\(error)"])
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
