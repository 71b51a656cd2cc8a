import ArgumentParser

/// `parley log …`: reading a round's run directory back.
struct Log: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Inspect a round's convergence log: print it as a table or draw it as an SVG plot.",
        discussion: """
            RUN is a run directory written by `parley round start`: RUN/convergence.jsonl (one JSON \
            object per iteration, appended as the round goes) and RUN/summary.json (written when the \
            round ends). Exit status: 0 done; 1 a missing or malformed file (the message names the \
            file and line).
            """,
        subcommands: [Show.self, Plot.self]
    )

    /// Runs library work, turning its error into one "error: …" line and exit status 1.
    static func report(_ work: () async throws -> Void) async throws {
        do {
            try await work()
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
