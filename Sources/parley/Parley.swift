import ArgumentParser
import Dispatch

/// The `parley` command tree. Subcommands parse and dispatch; the work lives in the libraries.
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Federated negotiation of a joint supply-chain plan without sharing private costs.",
        version: "0.1.0",
        subcommands: [Benchmark.self, Certs.self, Demo.self, Log.self, Node.self, Round.self, Solve.self, Split.self]
    )
}

/// The process entry point.
///
/// A synchronous `main`, so that commands with nothing to await (`solve`) never start Swift
/// concurrency's thread pool, and `parley solve` is parsed by its own command alone rather than
/// by the whole tree (whose completion-script check instantiates every command's arguments).
/// Measured on lands3, interleaved with the asynchronous entry point (60 runs each): `parley
/// solve --json` 19.7 → 17.9 ms median wall. Anything the fast path cannot parse (help, a bad
/// option) goes through the whole tree, which says what is wrong as usual. Async commands run on the concurrency pool while the main thread waits; nothing in
/// Parley runs on the main actor.
@main
enum ParleyMain {
    static func main() {
        Allocator.keepFreedMemory()
        _ = mainStartCPU  // read now: `solve` reports the CPU used since (see Solve.cpuSeconds)
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "solve", let solve = try? Solve.parse(Array(arguments.dropFirst())) {
            run(solve)
        }
        let command: any ParsableCommand
        do {
            command = try Parley.parseAsRoot(arguments)
        } catch {
            Parley.exit(withError: error)
        }
        guard let asynchronous = command as? any AsyncParsableCommand else { run(command) }
        let job = Job(asynchronous)
        let finished = DispatchSemaphore(value: 0)
        // Detached: `main` is on the main actor, whose thread waits below.
        Task.detached {
            await job.run()
            finished.signal()
        }
        finished.wait()
        if let error = job.error { Parley.exit(withError: error) }
        Parley.exit()
    }

    private static func run(_ command: any ParsableCommand) -> Never {
        var command = command
        do { try command.run() } catch { Parley.exit(withError: error) }
        Parley.exit()
    }

    /// An async command and its error, handed to one task and back to the main thread, which
    /// reads the error only after the semaphore says the task is done.
    private final class Job: @unchecked Sendable {
        private var command: any AsyncParsableCommand
        private(set) var error: (any Error)?

        init(_ command: any AsyncParsableCommand) { self.command = command }

        func run() async {
            do { try await command.run() } catch { self.error = error }
        }
    }
}
