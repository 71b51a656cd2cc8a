import ArgumentParser
import ParleyCoordinator

extension Log {
    /// `parley log plot RUN --out FILE.svg`: the convergence of a run as a picture.
    struct Plot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plot",
            abstract: "Draw a run's convergence as an SVG file.",
            discussion: """
                DW: objective and bound against iteration (linear axis; symmetric-log when their \
                signs differ and their sizes span decades), and the relative gap (log axis). ADMM: objective, primal and dual residuals (log axis), and ρ (log axis). \
                Values that are null, or not positive on a log axis (a final gap of 0), are left \
                out of the line. The file is written atomically.
                """
        )

        @Argument(help: "The run directory (holding convergence.jsonl).")
        var run: String

        @Option(help: "The SVG file to write.")
        var out: String

        func run() async throws {
            try await Log.report {
                let report = try ConvergenceReport.load(runDirectory: run)
                try ConvergencePlot(report: report).write(to: out)
            }
        }
    }
}
