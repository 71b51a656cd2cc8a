import ArgumentParser
import Foundation
import ParleyCoordinator
import ParleyModel

extension Log {
    /// `parley log show RUN [--follow]`: the convergence table and the summary.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print a run's convergence table and summary.",
            discussion: """
                One row per iteration, the same table the round prints while it runs (DW: phase, \
                objective, bound, gap, columns, α; ADMM: objective, primal and dual residual, ρ; the \
                slowest partner and elapsed seconds; bytes sent and received for networked rounds), \
                then the summary once summary.json exists. With --follow, prints new rows as the \
                round appends them and stops when the summary appears (or on Ctrl-C); started \
                before the round, it waits for the run directory and its log to appear.
                """
        )

        @Argument(help: "The run directory (holding convergence.jsonl).")
        var run: String

        @Flag(help: "Keep printing new rows until the round writes its summary.")
        var follow = false

        func run() async throws {
            try await Log.report {
                if follow {
                    try await ConvergenceReport.follow(
                        runDirectory: run, waitForStart: true,
                        waiting: { path in
                            StandardError.write("waiting for \(path) (the round has not started yet; Ctrl-C to stop)\n")
                        }
                    ) { line in
                        print(line)
                        fflush(nil)
                    }
                } else {
                    print(try ConvergenceReport.load(runDirectory: run).lines.joined(separator: "\n"))
                }
            }
        }
    }
}
