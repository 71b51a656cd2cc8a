import ArgumentParser
import Foundation
import ParleyCoordinator
import ParleyDecomposition
import ParleyModel

/// `parley round …`: coordinated rounds.
struct Round: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "round",
        abstract: "Run and manage coordinated rounds.",
        subcommands: [Start.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Start a round over the partners of a chain contract.",
            discussion: """
                With --local every partner's private model is loaded into this process from \
                <chain dir>/partners/<name>/ (as written by `parley split`). Writes RUN/convergence.jsonl, \
                RUN/summary.json and RUN/plans/<partner>.csv. Exit status: 0 optimal (DW) or converged \
                (ADMM); 2 infeasible or unbounded; 3 stopped at a limit or a partner failed; 1 bad input.
                """
        )

        @Option(help: "The chain contract (chain.yaml).")
        var chain: String

        @Flag(help: "Run every partner in this process (the networked round is not built yet).")
        var local = false

        @Option(help: "dw (Dantzig–Wolfe: exact optimum with bound and gap) or admm (convex QP costs).")
        var method: String = "dw"

        @Option(help: "Run directory for the logs, the summary and the plans.")
        var out: String

        @Option(help: "Stop after this many iterations.")
        var maxIterations: Int?

        @Option(help: "Stop after this many seconds.")
        var maxSeconds: Double?

        @Option(help: "DW: stop at this relative gap.")
        var gap: Double = 1e-6

        @Flag(help: "DW: turn dual-price smoothing off.")
        var noStabilization = false

        @Option(help: "DW: price vectors per partner per round (1 = one column per partner).")
        var pricesPerRound: Int = 3

        @Option(help: "ADMM: initial penalty ρ (default: chosen from the partners' costs and usages).")
        var rho: Double?

        @Flag(help: "Do not print the iteration table.")
        var quiet = false

        func validate() throws {
            guard RoundMethod(rawValue: method) != nil else { throw ValidationError("--method must be dw or admm, not '\(method)'") }
            guard local else {
                throw ValidationError("networked rounds are not built yet: add --local to run the partners in this process")
            }
            if let maxIterations, maxIterations < 1 { throw ValidationError("--max-iterations must be at least 1") }
            if !(gap >= 0) { throw ValidationError("--gap must be at least 0") }
            if pricesPerRound < 1 { throw ValidationError("--prices-per-round must be at least 1") }
            if let rho, !(rho > 0) { throw ValidationError("--rho must be positive") }
        }

        func run() async throws {
            var round = LocalRound(chainPath: chain, method: RoundMethod(rawValue: method)!, outputDirectory: out)
            round.dantzigWolfe.gapTolerance = gap
            round.dantzigWolfe.stabilization = !noStabilization
            round.dantzigWolfe.pricesPerRound = pricesPerRound
            round.admm.rho = rho
            if let maxIterations {
                round.dantzigWolfe.maximumIterations = maxIterations
                round.admm.maximumIterations = maxIterations
            }
            if let maxSeconds {
                round.dantzigWolfe.maximumSeconds = maxSeconds
                round.admm.maximumSeconds = maxSeconds
            }
            if !quiet {
                round.printer = { line in
                    print(line)
                    fflush(nil)
                }
            }
            let result: RoundResult
            do {
                result = try await round.run()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            print("")
            print("status      \(result.status.rawValue): \(result.message)")
            if let objective = result.objective { print("objective   \(objective)") }
            if let bound = result.bound { print("bound       \(bound)") }
            if let gap = result.gap { print("gap         \(gap)") }
            if let v = result.linkingViolation { print("linking     max violation \(v)") }
            print("iterations  \(result.iterations) in \(String(format: "%.3f", result.seconds)) s")
            print("written     \(out)/convergence.jsonl, \(out)/summary.json" + (result.status == .optimal || result.status == .converged ? ", \(out)/plans/" : ""))
            switch result.status {
            case .optimal, .converged: return
            case .infeasible, .unbounded: throw ExitCode(2)
            case .iterationLimit, .timeLimit, .partnerFailed: throw ExitCode(3)
            }
        }
    }
}
