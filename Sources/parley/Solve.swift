import ArgumentParser
import Foundation
import ParleyModel
import ParleySolver

/// `parley solve MODEL.mps`: the centralized reference solve of one model.
struct Solve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve one LP/QP model (MPS) centrally with CLP.",
        discussion: """
            Exit status: 0 optimal; 2 infeasible or unbounded; 3 stopped at an iteration or time \
            limit, or the engine failed; 1 bad input (the message names file and line).
            Integer markers are read but Parley solves the LP relaxation, and says so.
            """
    )

    @Argument(help: "The model file (MPS, fixed or free format; QUADOBJ/QMATRIX allowed).")
    var model: String

    @Flag(help: "Print one JSON object (status, objective, iterations, seconds, rows, columns, ...).")
    var json = false

    @Option(help: "MPS field layout: auto, free or fixed.")
    var format: String = "auto"

    @Option(help: "Stop after this many seconds.")
    var maxSeconds: Double?

    @Option(help: "Stop after this many simplex iterations.")
    var maxIterations: Int?

    @Option(help: "CLP log level (-1 silent, 1 normal, up to 4).")
    var logLevel: Int = -1

    func validate() throws {
        guard MPSReader.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be auto, free or fixed, not '\(format)'")
        }
        if let maxSeconds, !(maxSeconds > 0) { throw ValidationError("--max-seconds must be positive") }
        if let maxIterations, maxIterations < 1 { throw ValidationError("--max-iterations must be at least 1") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let readStart = clock.now
        let program: LinearProgram
        do {
            program = try MPSReader(format: MPSReader.Format(rawValue: format)!).read(path: model)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let readSeconds = (clock.now - readStart).seconds
        var settings = SolverSettings()
        settings.logLevel = logLevel
        if let maxSeconds { settings.maximumSeconds = maxSeconds }
        if let maxIterations { settings.maximumIterations = maxIterations }
        let result: SolveResult
        do {
            result = try ClpSolver(program: program, settings: settings).solve()
        } catch {
            printError("error: \(model): \(error)")
            throw ExitCode(1)
        }
        let report = SolveReport(
            model: model, program: program, result: result, readSeconds: readSeconds,
            cpuSeconds: userCPUSeconds() - mainStartCPU)
        if json {
            print(report.json())
        } else {
            print(report.text())
        }
        switch result.status {
        case .optimal: return
        case .infeasible, .unbounded:
            if json { printError("error: \(model): the model is \(result.status.rawValue)") }
            throw ExitCode(2)
        case .iterationLimit, .timeLimit, .error:
            throw ExitCode(3)
        }
    }
}

/// What `parley solve` prints, in text or JSON.
struct SolveReport {
    var model: String
    var program: LinearProgram
    var result: SolveResult
    var readSeconds: Double
    /// User CPU seconds from the start of `main` to the end of the solve: what the clp CLI's
    /// own `time` measures (CoinCpuTime from its start, the import included), so the two
    /// programs' own timers compare like with like.
    var cpuSeconds: Double

    func text() -> String {
        var lines: [String] = []
        func row(_ key: String, _ value: String) { lines.append(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        row("model", "\(model) (\(program.name.isEmpty ? "unnamed" : program.name))")
        row("size", "\(program.rowCount) rows, \(program.columnCount) columns, \(program.matrix.nonzeroCount) nonzeros"
            + (program.isQuadratic ? ", \(program.quadratic.count) quadratic terms" : ""))
        if program.hasIntegers {
            row("note", "\(program.isInteger.filter { $0 }.count) integer columns: solving the LP relaxation")
        }
        row("sense", program.sense.rawValue)
        row("status", result.status.rawValue)
        switch result.status {
        case .optimal: row("objective", "\(result.objective)")
        case .infeasible: row("message", "no point satisfies all rows and bounds")
        case .unbounded: row("message", "the objective improves without limit")
        case .iterationLimit, .timeLimit, .error: row("objective", "\(result.objective) (not proven optimal)")
        }
        row("iterations", "\(result.iterations)")
        row("seconds", String(format: "%.6f (read %.6f, solve %.6f)", readSeconds + result.seconds, readSeconds, result.seconds))
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        let objective = result.status == .optimal || result.status == .iterationLimit || result.status == .timeLimit
            ? number(result.objective) : "null"
        let fields: [(String, String)] = [
            ("status", "\"\(result.status.rawValue)\""),
            ("objective", objective),
            ("iterations", "\(result.iterations)"),
            ("seconds", number(readSeconds + result.seconds)),
            ("read_seconds", number(readSeconds)),
            ("solve_seconds", number(result.seconds)),
            ("cpu_seconds", number(cpuSeconds)),
            ("rows", "\(program.rowCount)"),
            ("columns", "\(program.columnCount)"),
            ("nonzeros", "\(program.matrix.nonzeroCount)"),
            ("relaxed_integers", "\(program.isInteger.filter { $0 }.count)"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}

func printError(_ message: String) {
    StandardError.write(message + "\n")
}

/// This process's user CPU time so far, in seconds (the clock of CLP's CoinCpuTime).
func userCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + 1e-6 * Double(usage.ru_utime.tv_usec)
}

/// User CPU time at the start of `main` (read there first; a global is initialised on first use).
let mainStartCPU = userCPUSeconds()
