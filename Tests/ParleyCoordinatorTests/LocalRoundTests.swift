import ParleyTestSupport
import Foundation
import ParleyCoordinator
import ParleyDecomposition
import ParleyModel
import Testing

/// A local round writes a run directory people and tools can read: the convergence log, the
/// summary and each partner's plan, which together are the optimal plan of the original model.
@Suite struct LocalRoundTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "parley-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func dantzigWolfeRunDirectoryOnShip04l() async throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let model = Fixtures.path("blocks/ship04l.mps")
        let program = try MPSReader().read(path: model)
        let decomposition = try BlockDecomposition.read(path: Fixtures.path("blocks/ship04l.dec"), for: program)
        let split = try ChainSplitter(chainName: "ship04l").split(program, decomposition)
        _ = try split.write(to: "\(work)/chain")

        let round = LocalRound(chainPath: "\(work)/chain/chain.yaml", method: .dw, outputDirectory: "\(work)/run")
        let result = try await round.run()
        #expect(result.status == .optimal)

        // summary.json: the documented keys, and the objective of optima.csv.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/run/summary.json"))) as! [String: Any]
        for key in ["method", "status", "objective", "bound", "gap", "iterations", "seconds", "partners", "contract_hash"] {
            #expect(summary[key] != nil, "summary.json lacks \(key)")
        }
        #expect(summary["status"] as? String == "optimal")
        #expect(summary["partners"] as? [String] == ["p01", "p02", "p03", "p04"])
        let reference = Fixtures.references.first { $0.name == "ship04l" }!.optimum
        #expect(abs((summary["objective"] as! Double) - reference) <= 1e-6 * reference)
        // The round's CPU time: some, and no more than every core busy for the whole round.
        let cpu = try #require(summary["cpu_seconds"] as? Double)
        let seconds = try #require(summary["seconds"] as? Double)
        #expect(cpu > 0 && cpu <= seconds * Double(ProcessInfo.processInfo.activeProcessorCount) + 0.05, "cpu \(cpu) s in \(seconds) s")

        // convergence.jsonl: one object per iteration, numbered 1...n.
        let lines = try String(contentsOfFile: "\(work)/run/convergence.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == result.iterations)
        for (k, line) in lines.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(object["iteration"] as? Int == k + 1)
            for key in ["seconds", "objective", "bound", "gap", "columns", "slowest_partner"] {
                #expect(object.keys.contains(key), "line \(k + 1) lacks \(key)")
            }
        }

        // plans/<partner>.csv: put together, feasible for the original model, optimal objective.
        var x = Array(repeating: 0.0, count: program.columnCount)
        let index = program.columnIndexByName()
        for party in split.contract.partners {
            let text = try String(contentsOfFile: "\(work)/run/plans/\(party.name).csv", encoding: .utf8)
            let rows = text.split(separator: "\n")
            #expect(rows.first == "variable,value")
            for row in rows.dropFirst() {
                let fields = row.split(separator: ",")
                x[index[String(fields[0])]!] = Double(fields[1])!
            }
        }
        #expect(program.maximumViolation(x) <= 1e-6 * 1e4)
        #expect(abs(program.objectiveValue(x) - reference) <= 1e-6 * reference)

        // linking.csv: every linking row, its activity under those plans and the round's price.
        let table = try String(contentsOfFile: "\(work)/run/linking.csv", encoding: .utf8).split(separator: "\n")
        #expect(table.first == "row,lower,upper,activity,price")
        let prices = try #require(result.linkingPrices)
        let rowIndex = program.rowIndexByName()
        let activities = program.matrix.multiply(x)
        #expect(table.count == split.contract.linkingRows.count + 1)
        for (i, (line, row)) in zip(table.dropFirst(), split.contract.linkingRows).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(fields.count == 5 && fields[0] == row.name)
            let r = try #require(rowIndex[row.name])
            let activity = activities[r]
            #expect(abs(Double(fields[3])! - activity) <= 1e-6 * max(1, abs(activity)), "\(row.name)")
            #expect(Double(fields[4]) == prices[i])
            // A price only where the row binds (complementary slackness).
            if prices[i] != 0 {
                #expect(abs(activity - (prices[i] < 0 ? row.upper : row.lower)) <= 1e-6 * max(1, abs(activity)), "\(row.name)")
            }
        }
        // Each partner's own rows, usage and price beside its plan: the same prices.
        let priceOf = Dictionary(uniqueKeysWithValues: zip(split.contract.linkingRows.map(\.name), prices))
        for party in split.contract.partners {
            let own = try String(contentsOfFile: "\(work)/run/plans/\(party.name).linking.csv", encoding: .utf8).split(separator: "\n")
            #expect(own.first == "row,usage,price")
            #expect(own.count - 1 == split.contract.linkingRows(of: party.name).count)
            for line in own.dropFirst() {
                let f = line.split(separator: ",").map(String.init)
                #expect(Double(f[2]) == priceOf[f[0]], "\(party.name) \(f[0])")
            }
        }
        // No temporary files left behind by the atomic writes.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(work)/run/plans").filter { !$0.hasSuffix(".csv") }
        #expect(leftovers.isEmpty)
    }

    /// A DW round stopped at its iteration limit in phase 2 still hands over its best plan, as a
    /// solver stopped at a limit does: each partner's share, together feasible for the original
    /// model, costing the round's objective, within its gap of the optimum; the summary says so
    /// (`plans`). Stopped in phase 1 there is no such plan, and none is written.
    @Test func aRoundStoppedAtItsLimitInPhaseTwoHandsOverItsBestPlan() async throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let program = try MPSReader().read(path: Fixtures.path("blocks/ship04l.mps"))
        let decomposition = try BlockDecomposition.read(path: Fixtures.path("blocks/ship04l.dec"), for: program)
        let split = try ChainSplitter(chainName: "ship04l").split(program, decomposition)
        _ = try split.write(to: "\(work)/chain")
        let reference = Fixtures.references.first { $0.name == "ship04l" }!.optimum
        func summary(_ run: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(run)/summary.json"))) as! [String: Any]
        }

        var round = LocalRound(chainPath: "\(work)/chain/chain.yaml", method: .dw, outputDirectory: "\(work)/run")
        round.dantzigWolfe.maximumIterations = 3
        let result = try await round.run()
        #expect(result.status == .iterationLimit && result.plansDelivered, "\(result.status): \(result.message)")
        let objective = try #require(result.objective), bound = try #require(result.bound), gap = try #require(result.gap)
        #expect(gap > 1e-6 && bound <= reference + 1e-9 * reference && objective >= reference - 1e-9 * reference)
        #expect(try summary("\(work)/run")["plans"] as? Bool == true)
        var x = Array(repeating: 0.0, count: program.columnCount)
        let index = program.columnIndexByName()
        for party in split.contract.partners {
            let text = try String(contentsOfFile: "\(work)/run/plans/\(party.name).csv", encoding: .utf8)
            for row in text.split(separator: "\n").dropFirst() {
                let fields = row.split(separator: ",")
                x[index[String(fields[0])]!] = Double(fields[1])!
            }
        }
        #expect(program.maximumViolation(x) <= 1e-6 * 1e4, "violation \(program.maximumViolation(x))")
        #expect(abs(program.objectiveValue(x) - objective) <= 1e-6 * objective, "plan cost \(program.objectiveValue(x)) vs \(objective)")

        round = LocalRound(chainPath: "\(work)/chain/chain.yaml", method: .dw, outputDirectory: "\(work)/early")
        round.dantzigWolfe.maximumIterations = 1
        let early = try await round.run()
        #expect(early.status == .iterationLimit && !early.plansDelivered && early.history.last?.phase == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(work)/early/linking.csv"))
        // Stopped in phase 2 with a plan: activities, but no prices (not proven).
        let stopped = try String(contentsOfFile: "\(work)/run/linking.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(!stopped.isEmpty && stopped.allSatisfy { $0.hasSuffix(",") })
        #expect(try summary("\(work)/early")["plans"] as? Bool == false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(work)/early/plans").isEmpty)
    }

    /// Names with commas and double quotes (MPS allows both) are quoted in the plans and the
    /// linking tables as RFC 4180 has them, and read back whole: by `log show`'s prices line, and
    /// into a plan of the original model that is feasible and optimal.
    @Test func namesWithCommasAndQuotesAreQuotedInEveryTable() async throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        // lands3 with every first-stage column and every non-anticipativity (linking) row renamed.
        for file in ["lands3.mps", "lands3.dec"] {
            let text = try String(contentsOfFile: Fixtures.path("blocks/\(file)"), encoding: .utf8)
            try text.replacingOccurrences(of: "_X", with: ",\"X").write(toFile: "\(work)/\(file)", atomically: true, encoding: .utf8)
        }
        let program = try MPSReader().read(path: "\(work)/lands3.mps")
        #expect(program.columnNames.contains("S0,\"X1") && program.rowNames.contains("NA0,\"X1_0_1"))
        let decomposition = try BlockDecomposition.read(path: "\(work)/lands3.dec", for: program)
        let split = try ChainSplitter(chainName: "lands3").split(program, decomposition)
        _ = try split.write(to: "\(work)/chain")
        let result = try await LocalRound(chainPath: "\(work)/chain/chain.yaml", method: .dw, outputDirectory: "\(work)/run").run()
        #expect(result.status == .optimal)

        var x = Array(repeating: 0.0, count: program.columnCount)
        let index = program.columnIndexByName()
        for party in split.contract.partners {
            let lines = try String(contentsOfFile: "\(work)/run/plans/\(party.name).csv", encoding: .utf8).split(separator: "\n")
            for line in lines.dropFirst() {
                let (name, fields) = try #require(CSVText.split(line, trailing: 1), "\(line)")
                #expect(name.contains(",") == line.hasPrefix("\""), "\(line)")
                x[try #require(index[name], "\(name)")] = try #require(Double(fields[0]))
            }
        }
        let plan = try String(contentsOfFile: "\(work)/run/plans/\(split.contract.partners[0].name).csv", encoding: .utf8)
        #expect(plan.contains("\n\"S0,\"\"X1\","), "\(plan)")
        let reference = Fixtures.references.first { $0.name == "lands3" }!.optimum
        #expect(program.maximumViolation(x) <= 1e-6)
        #expect(abs(program.objectiveValue(x) - reference) <= 1e-6 * abs(reference))

        let table = try String(contentsOfFile: "\(work)/run/linking.csv", encoding: .utf8)
        #expect(table.contains("\n\"NA0,\"\"X1_0_1\",0.0,0.0,"), "\(table)")
        let own = try String(contentsOfFile: "\(work)/run/plans/\(split.contract.partners[0].name).linking.csv", encoding: .utf8)
        #expect(own.contains("\n\"NA0,\"\"X1_0_1\","), "\(own)")
        let prices = try #require(try ConvergenceReport.pricesLine(runDirectory: "\(work)/run"))
        #expect(prices.contains("; largest NA0,\"X"), "\(prices)")
    }

    /// Round ids made in the same second differ (a node would take a repeated id for the same
    /// round resumed), and they are safe file names of the form chain-seconds-8 hex digits.
    @Test func roundIDsMadeTogetherDiffer() throws {
        let ids = (0..<100).map { _ in newRoundID(chain: "pds-02") }
        #expect(Set(ids).count == 100)
        let pattern = try Regex("^pds-02-[0-9]{10}-[0-9a-f]{8}$")
        #expect(ids.allSatisfy { $0.wholeMatch(of: pattern) != nil }, "\(ids.prefix(3))")
        // A chain's name is free text; the id keeps what a node accepts in a file name.
        let spaced = newRoundID(chain: "Acme chain 2027/EU ü")
        #expect(spaced.wholeMatch(of: try Regex("^Acme-chain-2027-EU---[0-9]{10}-[0-9a-f]{8}$")) != nil, "\(spaced)")
        #expect(newRoundID(chain: "../x").hasPrefix("chain..-x-"))
        #expect(newRoundID(chain: String(repeating: "a", count: 300)).count == 64 + 20)
    }

    @Test func missingChainNamesTheFile() async throws {
        let round = LocalRound(chainPath: "/nonexistent/chain.yaml", method: .dw, outputDirectory: "/tmp/unused")
        await #expect {
            _ = try await round.run()
        } throws: { error in
            "\(error)".hasPrefix("/nonexistent/chain.yaml: ")
        }
    }

    @Test func jsonNumbersAreShortestAndNullWhenNotFinite() {
        #expect(JSONText.number(28857862010) == "28857862010")
        #expect(JSONText.number(0.1) == "0.1")
        #expect(JSONText.number(.nan) == "null")
        #expect(JSONText.number(nil) == "null")
        #expect(JSONText.string("a\"b\n") == "\"a\\\"b\\n\"")
    }
}
