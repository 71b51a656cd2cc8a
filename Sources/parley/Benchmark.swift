import ArgumentParser
import Foundation
import ParleyModel
import ParleySolver
import ParleyTransport

/// `parley benchmark transport|solve`: figures for `make bench` (hidden; the benchmark scripts
/// call it).
struct Benchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Measurements for `make bench`.",
        shouldDisplay: false,
        subcommands: [Transport.self, SolveRepeat.self]
    )

    struct Transport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transport",
            abstract: "Handshake time and pricing round trips over TLS on loopback, as JSON."
        )

        @Option(help: "Comma-separated price vector lengths.")
        var sizes: String = "100,10000,1000000"

        @Option(help: "Handshakes to time.")
        var handshakes: Int = 50

        func run() async throws {
            let lengths = sizes.split(separator: ",").compactMap { Int($0) }
            guard !lengths.isEmpty, lengths.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--sizes must list positive integers, e.g. 100,10000")
            }
            guard handshakes > 0 else { throw ValidationError("--handshakes must be at least 1") }
            // Enough repetitions for a stable median, bounded to about 100 MB per size.
            let report = try await TransportBenchmark.run(
                sizes: lengths, repetitions: { max(10, min(500, 12_000_000 / ($0 * 8))) }, handshakes: handshakes)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}

extension Benchmark {
    /// `parley benchmark solve MODEL --repeat N`: reads and solves one model N times in one
    /// process. Timing whole runs with N and with 1 and dividing the difference by N − 1 gives
    /// reading + solving alone, start-up excluded; `make bench` does the same with the clp CLI
    /// (N import-and-solve commands in one run), so the two compare like with like.
    struct SolveRepeat: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "solve",
            abstract: "Read and solve one model N times in one process; prints one JSON object."
        )

        @Argument(help: "The model file (MPS, fixed or free format).")
        var model: String

        @Option(name: .customLong("repeat"), help: "How many times to read and solve it.")
        var repeats: Int = 1

        func validate() throws {
            guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
        }

        func run() throws {
            let clock = ContinuousClock()
            var reads: [Double] = []
            var solves: [Double] = []
            var last: SolveResult?
            for _ in 0..<repeats {
                let start = clock.now
                let program: LinearProgram
                do {
                    program = try MPSReader().read(path: model)
                } catch {
                    printError("error: \(error)")
                    throw ExitCode(1)
                }
                reads.append((clock.now - start).seconds)
                let result: SolveResult
                do {
                    result = try ClpSolver(program: program).solve()
                } catch {
                    printError("error: \(model): \(error)")
                    throw ExitCode(1)
                }
                guard result.status == .optimal else {
                    printError("error: \(model): the solve ended \(result.status.rawValue)")
                    throw ExitCode(result.status == .infeasible || result.status == .unbounded ? 2 : 3)
                }
                solves.append(result.seconds)
                last = result
            }
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            print(
                "{\"repeat\": \(repeats), \"objective\": \(last!.objective), \"iterations\": \(last!.iterations), "
                    + "\"median_read_seconds\": \(median(reads)), \"median_solve_seconds\": \(median(solves))}")
        }
    }
}
