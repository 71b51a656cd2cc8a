import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The coordinator killed with SIGKILL in the middle of a round: `parley round resume RUN`
/// reconnects to the same nodes and ends the round at the same optimum, with the nodes' plans
/// together feasible for the original model and the convergence log continuous.
@Suite(.serialized) struct CoordinatorResumeTests {
    @Test func roundResumedAfterTheCoordinatorWasKilledReachesTheOptimum() async throws {
        let scratch = try Scratch("resume")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }

        let run = "\(scratch.path)/run"
        let coordinator = try launchParley(roundArguments(federation, method: "dw", out: run))

        // Kill the coordinator outright once it has checkpointed iteration 3 or later.
        let killed = await signal(SIGKILL, to: coordinator.processIdentifier) {
            ((try? RunState.readCheckpoint(runDirectory: run, method: .dw))?.iteration ?? 0) >= 3
        }
        #expect(killed)
        try await waitForExit(coordinator, seconds: 4)
        #expect(!FileManager.default.fileExists(atPath: "\(run)/summary.json"))
        let manifest = try RunState.readManifest(runDirectory: run)
        // No node has a plan for an unfinished round.
        for party in federation.contract.partners {
            #expect(!FileManager.default.fileExists(atPath: "\(federation.directory)/\(party.name)/state/plans/\(manifest.round).csv"))
        }

        let resumed = try await ParleyBinary.run(["round", "resume", run])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming round \(manifest.round) after iteration"))

        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "optimal")
        #expect(summary["round"] as? String == manifest.round)
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")

        // One log line per iteration, 1, 2, ..., n: none lost, none repeated across the stop.
        let iterations = try String(contentsOfFile: "\(run)/convergence.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["iteration"] as? Int
        }
        #expect(iterations == (1...iterations.count).map { $0 })
        #expect(summary["iterations"] as? Int == iterations.count)

        // Every node formed its plan from the proposals it kept; together they are feasible.
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let columns = program.columnIndexByName()
        var x = Array(repeating: 0.0, count: program.columnCount)
        for party in federation.contract.partners {
            for (name, value) in try readPlan("\(federation.directory)/\(party.name)/state/plans/\(manifest.round).csv") {
                x[try #require(columns[name])] = value
            }
        }
        #expect(program.maximumViolation(x) <= 1e-6 * max(1, x.map(abs).max() ?? 1))
        #expect(abs(program.objectiveValue(x) - reference) <= 1e-6 * abs(reference))

        // A finished round is not resumed again.
        let again = try await ParleyBinary.run(["round", "resume", run])
        #expect(again.status == 1)
        #expect(again.output.contains("the round already ended with status optimal; there is nothing to resume"))
    }

    /// A DW round stopped at its iteration limit in phase 2 hands the nodes provisional plans,
    /// kept apart from final ones (`STATE/plans/<round>.provisional.csv`); `round resume` goes on
    /// to the optimum, and the final plans replace them. Before, each node took the stopped
    /// round's plan as final and refused the resumed round's.
    @Test func provisionalPlansOfARoundStoppedAtALimitGiveWayToTheFinalOnes() async throws {
        let scratch = try Scratch("provisional")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum

        let run = "\(scratch.path)/run"
        let stopped = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run) + ["--max-iterations", "12"])
        #expect(stopped.status == 3, "\(stopped.output)")
        #expect(stopped.output.contains(
            "plans       provisional (STATE/plans/<round>.provisional.csv): `parley round resume \(run)` goes on, and its final plans replace them"))
        let first = try readSummary(run)
        #expect(first["status"] as? String == "iteration_limit")
        #expect(first["plans"] as? Bool == true, "pds-02 is in phase 2 by iteration 12, with a plan to hand over")
        let round = try #require(first["round"] as? String)
        let planPath = { (party: String, suffix: String) in "\(federation.directory)/\(party)/state/plans/\(round)\(suffix)" }
        for party in federation.contract.partners {
            #expect(FileManager.default.fileExists(atPath: planPath(party.name, ".provisional.csv")))
            #expect(FileManager.default.fileExists(atPath: planPath(party.name, ".provisional.linking.csv")))
            #expect(!FileManager.default.fileExists(atPath: planPath(party.name, ".csv")))
        }
        // (What the provisional plans are worth is checked on lands3 in FederationTests.)

        let resumed = try await ParleyBinary.run(["round", "resume", run, "--max-iterations", "100"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "optimal")
        #expect(summary["round"] as? String == round)
        let x = try jointPlan(of: federation, round: round, program: program)
        #expect(program.maximumViolation(x) <= 1e-6 * max(1, x.map(abs).max() ?? 1))
        #expect(abs(program.objectiveValue(x) - reference) <= 1e-6 * abs(reference))
        for party in federation.contract.partners {
            #expect(!FileManager.default.fileExists(atPath: planPath(party.name, ".provisional.csv")))
            #expect(!FileManager.default.fileExists(atPath: planPath(party.name, ".provisional.linking.csv")))
            #expect(FileManager.default.fileExists(atPath: planPath(party.name, ".linking.csv")))
        }
    }

    /// A partner that cannot take its plan (its plans directory is not a directory) ends an
    /// optimal round partner_failed, naming it, after the others wrote theirs. Once it is put
    /// right, `round resume` hands the same plans over again without iterating: the partners that
    /// hold theirs get the instruction they answered (one of them restarted in between, so it
    /// forms the plan again in a new process, to the last bit) and the round ends optimal with
    /// every plan written. Before, the resumed round iterated again, reached another combination,
    /// and every partner that held a plan refused it.
    @Test func aPlanHandoverCutShortIsRepeatedByResume() async throws {
        let scratch = try Scratch("handover")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        let parties = federation.contract.partners.map(\.name)
        let broken = parties[0]
        let restarted = parties[1]
        let plans = "\(federation.directory)/\(broken)/state/plans"
        try FileManager.default.moveItem(atPath: plans, toPath: plans + ".away")
        #expect(FileManager.default.createFile(atPath: plans, contents: Data()))

        let run = "\(scratch.path)/run"
        let first = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(first.status == 3, "\(first.output)")
        let failed = try readSummary(run)
        let round = try #require(failed["round"] as? String)
        #expect(failed["status"] as? String == "partner_failed")
        #expect(failed["partner"] as? String == broken)
        #expect(failed["message"] as? String == "plan instruction failed: partner '\(broken)': \(plans)/\(round).linking.csv: cannot write file: "
            + "Not a directory; once that is put right, `parley round resume \(run)` hands the same plans over again")
        #expect(FileManager.default.fileExists(atPath: PlanHandover.path(runDirectory: run)))
        for party in parties.dropFirst() {
            #expect(FileManager.default.fileExists(atPath: "\(federation.directory)/\(party)/state/plans/\(round).csv"))
        }

        try FileManager.default.removeItem(atPath: plans)
        try FileManager.default.moveItem(atPath: plans + ".away", toPath: plans)
        let pid = try #require(nodes.processIdentifiers[restarted])
        stopProcess(pid, with: SIGTERM)
        let config = federation.configuration(of: restarted)
        let again = try launchParley(["node", "--config", config])
        defer { if again.isRunning { kill(again.processIdentifier, SIGTERM) } }

        let resumed = try await ParleyBinary.run(["round", "resume", run])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains(
            "resuming round \(round): it ended after iteration \(failed["iterations"] as? Int ?? -1) (optimal) before every partner had its plan; "
                + "handing the same plans over again"))
        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "optimal", "\(summary)")
        #expect(summary["iterations"] as? Int == failed["iterations"] as? Int)
        #expect(summary["objective"] as? Double == failed["objective"] as? Double)
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let x = try jointPlan(of: federation, round: round, program: program)
        #expect(program.maximumViolation(x) <= 1e-6 * max(1, x.map(abs).max() ?? 1))
        #expect(abs(program.objectiveValue(x) - reference) <= 1e-6 * abs(reference))
    }

    /// The same for ADMM on env_aggr: the coordinator killed after iteration 20, resumed from its
    /// checkpoint (ρ, scaled duals, mean usages); the nodes answer from their own usages by
    /// iteration and the round converges to the reference optimum.
    @Test func admmRoundResumedAfterTheCoordinatorWasKilledConverges() async throws {
        let scratch = try Scratch("resume-admm")
        let (federation, nodes) = try await startFederation("env_aggr", scratch: scratch)
        defer { nodes.stop() }
        let run = "\(scratch.path)/run"
        let coordinator = try launchParley(roundArguments(federation, method: "admm", out: run))
        let killed = await signal(SIGKILL, to: coordinator.processIdentifier) {
            ((try? RunState.readCheckpoint(runDirectory: run, method: .admm))?.iteration ?? 0) >= 20
        }
        #expect(killed)
        try await waitForExit(coordinator, seconds: 4)
        #expect(!FileManager.default.fileExists(atPath: "\(run)/summary.json"))

        let resumed = try await ParleyBinary.run(["round", "resume", run, "--quiet"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "converged")
        let reference = Fixtures.references.first { $0.name == "env_aggr" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-4 * abs(reference), "objective \(objective) vs \(reference)")
        let iterations = try String(contentsOfFile: "\(run)/convergence.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["iteration"] as? Int
        }
        #expect(iterations == (1...iterations.count).map { $0 })
        // Every node kept its last iterate as its plan.
        let round = try #require(summary["round"] as? String)
        for party in federation.contract.partners {
            #expect(FileManager.default.fileExists(atPath: "\(federation.directory)/\(party.name)/state/plans/\(round).csv"))
        }
    }

    /// A node killed in the middle of an ADMM round and started again: it reloads the steps it
    /// took (usage and plan, by iteration) and the round converges to the reference optimum.
    @Test func admmRoundSurvivesANodeKilledAndRestarted() async throws {
        let scratch = try Scratch("restart-admm")
        let (federation, nodes) = try await startFederation("env_aggr", scratch: scratch)
        defer { nodes.stop() }
        let victim = federation.contract.partners[1].name
        let victimConfig = federation.configuration(of: victim)
        let run = "\(scratch.path)/run"
        let coordinator = try launchParley(roundArguments(federation, method: "admm", out: run) + ["--partner-deadline", "60"])
        let pid = try #require(nodes.processIdentifiers[victim])
        #expect(await signal(SIGKILL, to: pid) { loggedIterations(run) >= 20 })
        try await Task.sleep(for: .microseconds(300_000))
        let restarted = try launchParley(["node", "--config", victimConfig])
        defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGTERM) } }

        try await waitForExit(coordinator, seconds: 120)
        if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) }
        #expect(coordinator.terminationStatus == 0)
        let summary = try readSummary(run)
        #expect(summary["status"] as? String == "converged", "\(summary)")
        let reference = Fixtures.references.first { $0.name == "env_aggr" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-4 * abs(reference), "objective \(objective) vs \(reference)")
        let round = try #require(summary["round"] as? String)
        #expect(FileManager.default.fileExists(atPath: "\(federation.directory)/\(victim)/state/plans/\(round).csv"))
    }

    @Test func resumeWithoutARoundSaysSoAndATornManifestIsNamed() async throws {
        let scratch = try Scratch("resume-empty")
        let result = try await ParleyBinary.run(["round", "resume", scratch.path])
        #expect(result.status == 1)
        #expect(result.output.contains(
            "error: \(scratch.path): no round to resume (no round.json: the coordinator stopped before the round began, "
                + "or this is not a run directory); start the round again"), "\(result.output)")
        // A manifest that does not parse is named as such.
        try "{\"round\": ".write(toFile: "\(scratch.path)/round.json", atomically: true, encoding: .utf8)
        let torn = try await ParleyBinary.run(["round", "resume", scratch.path])
        #expect(torn.status == 1)
        #expect(torn.output.contains("\(scratch.path)/round.json: the round manifest is not valid JSON (a write cut short?)"), "\(torn.output)")
    }
}
