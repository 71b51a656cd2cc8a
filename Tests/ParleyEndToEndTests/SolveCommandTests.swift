import Foundation
import ParleyTestSupport
import Testing

/// `parley solve` as a user runs it: the documented JSON keys and exit statuses, and the
/// messages of the full command tree when the command line is wrong (the entry point parses
/// `solve` on its own first and falls back to the tree for anything it cannot parse).
@Suite struct SolveCommandTests {
    @Test func jsonHasTheDocumentedKeysAndTheReferenceOptimum() async throws {
        let run = try await ParleyBinary.run(["solve", Fixtures.path("blocks/lands3.mps"), "--json"])
        #expect(run.status == 0, "\(run.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        for key in ["status", "objective", "iterations", "seconds", "rows", "columns", "read_seconds", "solve_seconds", "cpu_seconds"] {
            #expect(object[key] != nil, "no \(key) in \(run.output)")
        }
        #expect(object["status"] as? String == "optimal")
        #expect(object["rows"] as? Int == 35)
        #expect(object["columns"] as? Int == 48)
        let reference = Fixtures.references.first { $0.name == "lands3" }!.optimum
        let objective = try #require(object["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        // User CPU as getrusage gives it: Linux splits a process's run time between user and
        // system by the clock ticks that fell in each, so a run shorter than a tick whose one
        // tick fell in the kernel reports 0 (seen for lands3 on a fast machine).
        let cpu = try #require(object["cpu_seconds"] as? Double)
        #expect(cpu >= 0 && cpu < 10, "\(cpu)")
    }

    @Test func exitStatusesSayWhatHappened() async throws {
        let scratch = try Scratch("solve")
        // x ≥ 1 by its row, x ≤ 0 by its bound.
        let infeasible = "\(scratch.path)/infeasible.mps"
        try """
            NAME INFEAS
            ROWS
             N COST
             G R1
            COLUMNS
             X COST 1.0 R1 1.0
            RHS
             RHS R1 1.0
            BOUNDS
             UP BND X 0.0
            ENDATA

            """.write(toFile: infeasible, atomically: true, encoding: .utf8)
        let unsolvable = try await ParleyBinary.run(["solve", infeasible])
        #expect(unsolvable.status == 2, "\(unsolvable.output)")
        #expect(unsolvable.output.contains("status      infeasible"), "\(unsolvable.output)")

        let missing = try await ParleyBinary.run(["solve", "\(scratch.path)/absent.mps"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("error: \(scratch.path)/absent.mps: cannot read file"), "\(missing.output)")

        let limited = try await ParleyBinary.run(["solve", Fixtures.path("blocks/lands3.mps"), "--max-iterations", "1"])
        #expect(limited.status == 3, "\(limited.output)")
        #expect(limited.output.contains("status      iteration_limit"), "\(limited.output)")
    }

    /// `make bench`'s start-up-free measure: N reads and solves in one process, each from
    /// scratch, so every one reaches the reference in the same number of iterations.
    @Test func benchmarkSolveRepeatsTheReadAndSolve() async throws {
        let run = try await ParleyBinary.run(["benchmark", "solve", Fixtures.path("blocks/chem.mps"), "--repeat", "3"])
        #expect(run.status == 0, "\(run.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        #expect(object["repeat"] as? Int == 3)
        let reference = Fixtures.references.first { $0.name == "chem" }!.optimum
        let objective = try #require(object["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        let single = try await ParleyBinary.run(["solve", Fixtures.path("blocks/chem.mps"), "--json"])
        let once = try #require(try JSONSerialization.jsonObject(with: Data(single.output.utf8)) as? [String: Any])
        #expect(object["iterations"] as? Int == once["iterations"] as? Int, "a repeat started warm: \(run.output)")
        for key in ["median_read_seconds", "median_solve_seconds"] {
            let seconds = try #require(object[key] as? Double, "no \(key) in \(run.output)")
            #expect(seconds > 0 && seconds < 10)
        }

        let zero = try await ParleyBinary.run(["benchmark", "solve", Fixtures.path("blocks/chem.mps"), "--repeat", "0"])
        #expect(zero.status == 64)
        #expect(zero.output.contains("--repeat must be at least 1, got 0"), "\(zero.output)")
    }

    /// --eps-abs and --eps-rel set ADMM's stop: looser tolerances stop sooner (lands3).
    @Test func admmToleranceFlagsSetTheStop() async throws {
        let scratch = try Scratch("eps")
        let split = try await ParleyBinary.run([
            "split", Fixtures.path("blocks/lands3.mps"), "--dec", Fixtures.path("blocks/lands3.dec"), "--out", "\(scratch.path)/chain",
        ])
        #expect(split.status == 0, "\(split.output)")
        var iterations: [Int] = []
        for (name, extra) in [("default", [String]()), ("loose", ["--eps-abs", "1e-3", "--eps-rel", "1e-2"])] {
            let run = try await ParleyBinary.run(
                ["round", "start", "--chain", "\(scratch.path)/chain/chain.yaml", "--local", "--method", "admm", "--quiet",
                 "--out", "\(scratch.path)/\(name)"] + extra)
            #expect(run.status == 0, "\(run.output)")
            let summary = try readSummary("\(scratch.path)/\(name)")
            #expect(summary["status"] as? String == "converged")
            iterations.append(try #require(summary["iterations"] as? Int))
        }
        #expect(iterations[1] < iterations[0], "\(iterations)")
    }

    /// `split --partners` says which linking rows became private, and the partners' models hold
    /// them; an ADMM round on that chain writes its closing bound and gap to summary.json.
    @Test func packedSplitAndADMMBoundAsAUserSeesThem() async throws {
        let scratch = try Scratch("packed")
        let split = try await ParleyBinary.run([
            "split", Fixtures.path("blocks/fxm2_6.mps"), "--dec", Fixtures.path("blocks/fxm2_6.dec"), "--out", "\(scratch.path)/chain",
            "--partners", "2",
        ])
        #expect(split.status == 0, "\(split.output)")
        // Six scenarios in a chain, three to a partner: four of the five links are inside one.
        #expect(split.output.contains("linking     114 rows, 228 terms, inline in chain.yaml"), "\(split.output)")
        #expect(split.output.contains("private     456 linking rows between blocks packed into one partner: kept in its model"), "\(split.output)")
        #expect(split.output.contains("  p01       1218 rows, 1371 columns, 114 interface variables, in 114 linking rows"), "\(split.output)")

        let run = try await ParleyBinary.run(
            ["round", "start", "--chain", "\(scratch.path)/chain/chain.yaml", "--local", "--method", "admm", "--quiet", "--out", "\(scratch.path)/run"])
        #expect(run.status == 0, "\(run.output)")
        let summary = try readSummary("\(scratch.path)/run")
        #expect(summary["status"] as? String == "converged")
        let reference = Fixtures.references.first { $0.name == "fxm2_6" }!.optimum
        let bound = try #require(summary["bound"] as? Double, "\(summary)")
        let gap = try #require(summary["gap"] as? Double)
        #expect(bound <= reference + 1e-9 * abs(reference) && reference - bound <= 1e-4 * abs(reference), "bound \(bound) vs \(reference)")
        #expect(gap <= 1e-4)
    }

    @Test func aBadCommandLineGetsTheWholeTreesMessages() async throws {
        let bogus = try await ParleyBinary.run(["solve", Fixtures.path("blocks/lands3.mps"), "--bogus"])
        #expect(bogus.status == 64)
        #expect(bogus.output.contains("Error: Unknown option '--bogus'"), "\(bogus.output)")
        #expect(bogus.output.contains("Usage: parley solve <model>"), "\(bogus.output)")

        let invalid = try await ParleyBinary.run(["solve", Fixtures.path("blocks/lands3.mps"), "--max-seconds", "0"])
        #expect(invalid.status == 64)
        #expect(invalid.output.contains("--max-seconds must be positive"), "\(invalid.output)")

        // round start checks its settings before it reads anything.
        let round = ["round", "start", "--chain", "unread.yaml", "--local", "--out", "unwritten"]
        for (extra, message) in [
            (["--gap", "inf"], "--gap must be a finite number at least 0, got inf"),
            (["--max-seconds", "inf"], "--max-seconds must be a positive number of seconds, got inf"),
            (["--rho", "nan"], "--rho must be a positive number, got nan"),
            (["--no-stabilization", "--prices-per-round", "3"], "--prices-per-round 3 needs dual-price smoothing"),
            (["--eps-rel", "inf"], "--eps-rel must be a finite number at least 0, got inf"),
            (["--eps-abs", "0", "--eps-rel", "0"], "--eps-abs and --eps-rel cannot both be 0"),
        ] {
            let refused = try await ParleyBinary.run(round + extra)
            #expect(refused.status == 64, "\(extra): \(refused.output)")
            #expect(refused.output.contains(message), "\(extra): \(refused.output)")
        }

        let help = try await ParleyBinary.run(["solve", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("USAGE: parley solve <model>"), "\(help.output)")
    }
}
