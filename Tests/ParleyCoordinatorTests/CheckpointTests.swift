import Foundation
@testable import ParleyCoordinator
import ParleyDecomposition
import ParleyModel
import ParleyTestSupport
import Testing

/// Coordinator checkpoints: a Dantzig–Wolfe round continued from the state it saved after an
/// iteration reaches the same optimum, and a checkpoint that does not belong to the round is
/// refused with the reason.
@Suite struct CheckpointTests {
    /// Every checkpoint a round hands out, in order.
    final class Checkpoints: @unchecked Sendable {
        // @unchecked: `saved` is only touched under `lock`.
        private let lock = NSLock()
        private var saved: [DantzigWolfeCheckpoint] = []
        func add(_ c: DantzigWolfeCheckpoint) { lock.withLock { saved.append(c) } }
        var all: [DantzigWolfeCheckpoint] { lock.withLock { saved } }
    }

    static func split(_ instance: String, partners: Int? = nil) throws -> (work: String, chain: String) {
        let work = NSTemporaryDirectory() + "parley-checkpoint-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let program = try MPSReader().read(path: Fixtures.path("blocks/\(instance).mps"))
        let decomposition = try BlockDecomposition.read(path: Fixtures.path("blocks/\(instance).dec"), for: program)
        _ = try ChainSplitter(chainName: instance, partnerCount: partners).split(program, decomposition).write(to: "\(work)/chain")
        return (work, "\(work)/chain/chain.yaml")
    }

    @Test func pds02ResumedFromIterationFiveReachesTheReferenceOptimum() async throws {
        let (work, chain) = try Self.split("pds-02")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (contract, partners) = try LocalRound.loadPartners(chainPath: chain)
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let saved = Checkpoints()
        let (whole, _) = try await DantzigWolfe().run(
            round: "r1", contract: contract, partners: partners, checkpoint: { saved.add($0) })
        #expect(whole.status == .optimal)
        // One checkpoint per iteration that did not end the round, numbered 1, 2, ...
        #expect(saved.all.map(\.iteration) == Array(1..<whole.iterations))
        let five = try #require(saved.all.first { $0.iteration == 5 })
        #expect(five.history.count == 5 && five.round == "r1" && five.partners == partners.map(\.name))

        // Written and read back as the coordinator does (columns and history appended in binary
        // and JSON lines, the rest replaced atomically; −∞ kept). A torn record after what the
        // state counts — a crash in the middle of an append — is ignored.
        try RunState.save(.dw(five), runDirectory: work)
        let handle = try #require(FileHandle(forWritingAtPath: "\(work)/checkpoint.log"))
        _ = try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 1, 0, 0]))
        try handle.close()
        guard case .dw(let read) = try RunState.readCheckpoint(runDirectory: work, method: .dw) else {
            Issue.record("not a DW checkpoint")
            return
        }
        #expect(read == five)

        // The same partners (a node keeps its proposals under their ids) continue the round.
        let (resumed, weights) = try await DantzigWolfe().run(round: "r1", contract: contract, partners: partners, resume: read)
        #expect(resumed.status == .optimal, "\(resumed.message)")
        let objective = try #require(resumed.objective)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        #expect(resumed.history.prefix(5) == five.history[...])
        #expect(resumed.history.map(\.iteration) == Array(1...resumed.iterations))
        #expect(resumed.seconds >= five.seconds)
        // The weights name proposals the partners hold: each partner forms a plan, and together
        // they meet the linking rows.
        var activity = Array(repeating: 0.0, count: contract.linkingRows.count)
        for (k, partner) in partners.enumerated() {
            let receipt = try await partner.finish(PlanInstruction(round: "r1", kind: .weights(weights[k])))
            for (r, u) in zip(partner.linkingRows, receipt.usage) { activity[r] += u }
        }
        #expect(contract.linkingViolation(activity, tolerance: 1e-6).rows.isEmpty)
    }

    /// Every ADMM checkpoint a round hands out, in order.
    final class ADMMCheckpoints: @unchecked Sendable {
        // @unchecked: `saved` is only touched under `lock`.
        private let lock = NSLock()
        private var saved: [ADMMCheckpoint] = []
        func add(_ c: ADMMCheckpoint) { lock.withLock { saved.append(c) } }
        var all: [ADMMCheckpoint] { lock.withLock { saved } }
    }

    /// ADMM resumed from the checkpoint three iterations before its end (a coordinator that died
    /// while its partners went on a little): the partners answer from their own usages of that
    /// iteration, and the round converges to the reference optimum again. From a checkpoint older
    /// than the partners remember, the partner says which iteration it lacks.
    @Test func admmResumedOnEnvAggrConvergesAndATooOldCheckpointIsNamed() async throws {
        let (work, chain) = try Self.split("env_aggr")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (contract, partners) = try LocalRound.loadPartners(chainPath: chain)
        let reference = Fixtures.references.first { $0.name == "env_aggr" }!.optimum
        let saved = ADMMCheckpoints()
        let whole = try await ADMM().run(round: "a1", contract: contract, partners: partners, checkpoint: { saved.add($0) })
        #expect(whole.status == .converged)
        #expect(saved.all.map(\.iteration) == Array(1..<whole.iterations))
        let late = try #require(saved.all.first { $0.iteration == whole.iterations - 3 })
        try RunState.save(.admm(late), runDirectory: work)
        guard case .admm(let read) = try RunState.readCheckpoint(runDirectory: work, method: .admm) else {
            Issue.record("not an ADMM checkpoint")
            return
        }
        #expect(read == late)
        let resumed = try await ADMM().run(round: "a1", contract: contract, partners: partners, resume: read)
        #expect(resumed.status == .converged, "\(resumed.message)")
        let objective = try #require(resumed.objective)
        #expect(abs(objective - reference) <= 1e-4 * abs(reference), "objective \(objective) vs \(reference)")
        #expect(resumed.history.map(\.iteration) == Array(1...resumed.iterations))

        let old = try #require(saved.all.first { $0.iteration == 5 })
        let refused = try await ADMM().run(round: "a1", contract: contract, partners: partners, resume: old)
        #expect(refused.status == .partnerFailed)
        #expect(refused.message.contains("ADMM iteration 6 of round a1 follows iteration 5, which this partner did not take part in"))
    }

    /// lands3's first partner, from a split in a scratch directory the caller removes.
    static func lands3Partner() throws -> (work: String, partner: LocalPartner) {
        let (work, chain) = try split("lands3")
        let (_, partners) = try LocalRound.loadPartners(chainPath: chain)
        return (work, partners[0])
    }

    @Test func aRepeatedADMMRequestGetsTheSameAnswer() async throws {
        let (work, partner) = try Self.lands3Partner()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let m = partner.linkingRows.count
        let first = try await partner.admmStep(ADMMRequest(round: "r", iteration: 1, shift: Array(repeating: 0.5, count: m), rho: 2))
        let second = try await partner.admmStep(ADMMRequest(round: "r", iteration: 2, shift: Array(repeating: -1, count: m), rho: 2))
        let again = try await partner.admmStep(ADMMRequest(round: "r", iteration: 2, shift: Array(repeating: -1, count: m), rho: 2))
        #expect(zip(second.usage, again.usage).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($0)) })
        #expect(abs(second.cost - again.cost) <= 1e-9 * max(1, abs(second.cost)))
        #expect(abs(second.usageChange - again.usageChange) <= 1e-9 * max(1, second.usageChange))
        _ = first
    }

    /// A step that starts from weights on the partner's own earlier usages: weight 1 on its last
    /// one is the plain step; the residual products pair this step's residual with earlier ones;
    /// a start from an iteration it never took is refused by name.
    @Test func anADMMStepStartsFromACombinationOfThePartnersOwnUsages() async throws {
        let (work, partner) = try Self.lands3Partner()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let m = partner.linkingRows.count
        let shift = Array(repeating: 0.25, count: m)
        let first = try await partner.admmStep(ADMMRequest(round: "r", iteration: 1, shift: Array(repeating: 0.5, count: m), rho: 2))
        let plain = try await partner.admmStep(ADMMRequest(round: "r", iteration: 2, shift: shift, rho: 2, products: [1, 2]))
        let same = try await partner.admmStep(
            ADMMRequest(round: "r", iteration: 2, shift: shift, rho: 2, start: [.init(iteration: 1, weight: 1)], products: [1, 2]))
        #expect(zip(plain.usage, same.usage).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($0)) })
        // Residuals: iteration 1 started from zero, iteration 2 from iteration 1's usage.
        let r1 = first.usage
        let r2 = zip(plain.usage, first.usage).map { $0 - $1 }
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(plain.residualProducts.count == 2)
        #expect(abs(plain.residualProducts[0] - dot(r2, r1)) <= 1e-9 * max(1, abs(dot(r2, r1))))
        #expect(abs(plain.residualProducts[1] - dot(r2, r2)) <= 1e-9 * max(1, dot(r2, r2)))

        let mixed = try await partner.admmStep(
            ADMMRequest(round: "r", iteration: 3, shift: shift, rho: 2, start: [.init(iteration: 1, weight: -0.5), .init(iteration: 2, weight: 1.5)],
                products: [3]))
        let start = zip(first.usage, plain.usage).map { -0.5 * $0 + 1.5 * $1 }
        let r3 = zip(mixed.usage, start).map { $0 - $1 }
        #expect(abs(mixed.residualProducts[0] - dot(r3, r3)) <= 1e-9 * max(1, dot(r3, r3)))

        do {
            _ = try await partner.admmStep(ADMMRequest(round: "r", iteration: 4, shift: shift, rho: 2, start: [.init(iteration: 99, weight: 1)]))
            Issue.record("a start from an iteration the partner never took was accepted")
        } catch let error as PartnerError {
            #expect(error.message.hasPrefix("ADMM iteration 4 of round r starts from iteration 99, which this partner did not take part in"))
        }
    }

    /// lands3 split into a scratch directory and run to the end by DW as round "r1", with every
    /// checkpoint kept; the caller removes `work`.
    static func lands3Round() async throws -> (work: String, contract: ChainContract, partners: [any Partner], saved: [DantzigWolfeCheckpoint]) {
        let (work, chain) = try Self.split("lands3")
        let (contract, partners) = try LocalRound.loadPartners(chainPath: chain)
        let saved = Checkpoints()
        _ = try await DantzigWolfe().run(round: "r1", contract: contract, partners: partners, checkpoint: { saved.add($0) })
        return (work, contract, partners, saved.all)
    }

    @Test func aCheckpointOfAnotherRoundOrContractOrAMalformedOneIsRefused() async throws {
        let (work, contract, partners, saved) = try await Self.lands3Round()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let first = try #require(saved.first)

        func refusal(_ checkpoint: DantzigWolfeCheckpoint, round: String = "r1") async -> String? {
            do {
                _ = try await DantzigWolfe().run(round: round, contract: contract, partners: partners, resume: checkpoint)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(await refusal(first, round: "r2") == "the checkpoint is of round r1, not r2")
        var other = first
        other.contractHash = String(repeating: "0", count: 64)
        #expect(await refusal(other)?.hasPrefix("the checkpoint was taken under contract 000000000000…") == true)
        var malformed = first
        malformed.columns[0].usage.append(1)
        #expect(await refusal(malformed) == "the checkpoint holds a malformed column (partner \(malformed.columns[0].partner), id \(malformed.columns[0].id))")
        var renamed = first
        renamed.partners[0] = "someone-else"
        #expect(await refusal(renamed)?.hasSuffix("are not the contract's") == true)
        var finer = first
        finer.finerMasters = 4
        #expect(await refusal(finer) == "the checkpoint's state is out of range")
    }

    /// How often the master's dual tolerance was made finer goes into the checkpoint and comes
    /// back (a resumed round keeps the finer master); a checkpoint written before it was kept
    /// reads as none, and the round resumes from it to the optimum.
    @Test func theMastersFinerToleranceIsKept() async throws {
        let (work, contract, partners, saved) = try await Self.lands3Round()
        defer { try? FileManager.default.removeItem(atPath: work) }
        var checkpoint = try #require(saved.last)
        #expect(checkpoint.finerMasters == 0)
        checkpoint.finerMasters = 2
        let text = try JSONEncoder().encode(checkpoint)
        #expect(try JSONDecoder().decode(DantzigWolfeCheckpoint.self, from: text).finerMasters == 2)

        var object = try #require(try JSONSerialization.jsonObject(with: text) as? [String: Any])
        object.removeValue(forKey: "finerMasters")
        let older = try JSONDecoder().decode(DantzigWolfeCheckpoint.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.finerMasters == nil)
        let (resumed, _) = try await DantzigWolfe().run(round: "r1", contract: contract, partners: partners, resume: older)
        #expect(resumed.status == .optimal, "\(resumed.message)")
        let (finer, _) = try await DantzigWolfe().run(round: "r1", contract: contract, partners: partners, resume: checkpoint)
        #expect(finer.status == .optimal, "\(finer.message)")
    }

    /// A round whose master retires columns (env_aggr in two partners, after two idle solves:
    /// many retire, and some come back) is saved to one log iteration by iteration, as the
    /// coordinator saves it: every state reads back as it was saved, master and pool in order,
    /// and the round resumed from one taken just after columns left the master reaches the same
    /// optimum.
    @Test func aMasterThatRetiresColumnsIsSavedAndResumed() async throws {
        let (work, chain) = try Self.split("env_aggr", partners: 2)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (contract, partners) = try LocalRound.loadPartners(chainPath: chain)
        var settings = DantzigWolfeSettings()
        settings.columnAgeLimit = 2
        let saved = Checkpoints()
        let (whole, _) = try await DantzigWolfe(settings: settings).run(
            round: "r1", contract: contract, partners: partners, checkpoint: { saved.add($0) })
        #expect(whole.status == .optimal, "\(whole.message)")
        let store = try CheckpointStore(runDirectory: work, resumed: nil)
        var afterRetiring: DantzigWolfeCheckpoint?
        for checkpoint in saved.all {
            try store.save(.dw(checkpoint))
            guard case .dw(let read) = try RunState.readCheckpoint(runDirectory: work, method: .dw) else {
                Issue.record("not a DW checkpoint")
                return
            }
            let same = read == checkpoint  // a Bool: the two full states would flood a failure's message
            let counts = "\(read.columns.count) + \(read.pool.count) read, \(checkpoint.columns.count) + \(checkpoint.pool.count) saved"
            #expect(same, "iteration \(checkpoint.iteration): master + pool columns \(counts)")
            if afterRetiring == nil, (checkpoint.history.last?.retired ?? 0) > 0 { afterRetiring = checkpoint }
        }
        let checkpoint = try #require(afterRetiring)
        #expect(checkpoint.columnIdle?.count == checkpoint.columns.count)
        // Some retired column came back to the master later (the log then has it twice).
        struct Ref: Hashable { var partner: Int, id: Int }
        var retiredBefore = Set<Ref>()
        var cameBack = false
        for (earlier, later) in zip(saved.all, saved.all.dropFirst()) {
            let was = Set(earlier.columns.map { Ref(partner: $0.partner, id: $0.id) })
            let now = Set(later.columns.map { Ref(partner: $0.partner, id: $0.id) })
            if !now.isDisjoint(with: retiredBefore) { cameBack = true }
            retiredBefore.formUnion(was.subtracting(now))
        }
        #expect(cameBack)
        let (resumed, _) = try await DantzigWolfe(settings: settings).run(
            round: "r1", contract: contract, partners: partners, resume: checkpoint)
        #expect(resumed.status == .optimal, "\(resumed.message)")
        let objective = try #require(resumed.objective), reference = try #require(whole.objective)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        #expect(resumed.history.prefix(checkpoint.iteration) == checkpoint.history[...])
    }

    @Test func aCheckpointLogWithoutACompleteStateIsNamedAsSuch() throws {
        let work = NSTemporaryDirectory() + "parley-checkpoint-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // A state record whose payload was cut short by a crash: nothing complete to resume from.
        try Data([3, 200, 0, 0, 0] + Array(#"{"version": 2, "meth"#.utf8)).write(to: URL(fileURLWithPath: "\(work)/checkpoint.log"))
        do {
            _ = try RunState.readCheckpoint(runDirectory: work, method: .dw)
            Issue.record("read a checkpoint that is not there")
        } catch {
            #expect("\(error)" == "\(work)/checkpoint.log: holds no complete checkpoint (the round stopped before its first one was written): start the round again")
        }
    }

    @Test func theLogIsCutBackToTheCheckpointAndFilledFromIt() throws {
        var records: [IterationRecord] = []
        for i in 1...4 {
            var r = IterationRecord(iteration: i, seconds: Double(i), phase: 2)
            r.objective = 10 - Double(i)
            records.append(r)
        }
        // The log holds iterations 1, 2 and 5 (3 and 4 were lost, 5 came after the checkpoint).
        let log = [records[0], records[1]].map { ConvergenceLog.jsonLine($0, method: "dw") }.joined(separator: "\n")
            + "\n" + #"{"iteration": 5, "seconds": 5}"# + "\n"
        let directory = try SampleRun.directory(log: log)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let checkpoint = DantzigWolfeCheckpoint(
            round: "r", contractHash: "h", partners: ["a"], iteration: 4, seconds: 4, phase: 2, alpha: 0.5, center: nil,
            bestBound: -.infinity, bigM: 1, costUnit: 1, switchThreshold: 0, penaltyRaises: 0, columns: [], pool: [],
            history: records)
        try RunState.trimLog(path: "\(directory)/convergence.jsonl", to: checkpoint, method: "dw")
        let lines = try String(contentsOfFile: "\(directory)/convergence.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.map(String.init) == records.map { ConvergenceLog.jsonLine($0, method: "dw") })
    }
}
