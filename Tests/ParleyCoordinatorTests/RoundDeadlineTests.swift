import Foundation
import ParleyDecomposition
import ParleyModel
import ParleyTestSupport
import Synchronization
import Testing

@testable import ParleyCoordinator

/// The round deadline without sockets: in-process partners, one of which stops answering (it
/// waits until its call is cancelled, as a `RemotePartner` does). The limit is made to pass
/// (`expire`) once the others have answered, so the outcome does not depend on how fast a
/// loaded machine solves; the timer itself is exercised by the SIGSTOP end-to-end test.
@Suite struct RoundDeadlineUnitTests {
    final class Counter: Sendable {
        let count = Mutex(0)
    }

    /// Answers like `inner`; from iteration `hangFrom` on, counts its answers in `answered`.
    struct CountingPartner: Partner {
        let inner: LocalPartner
        let hangFrom: Int
        let answered: Counter
        var name: String { inner.name }
        var linkingRows: [Int] { inner.linkingRows }

        func price(_ request: PricingRequest) async throws -> PricingResponse {
            let response = try await inner.price(request)
            if request.iteration >= hangFrom { answered.count.withLock { $0 += 1 } }
            return response
        }
        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse { try await inner.admmStep(request) }
        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { try await inner.finish(instruction) }
    }

    /// Answers like `inner` until iteration `hangFrom`; then, once `others` answers were
    /// counted and are no longer in flight at the deadline, lets the deadline pass and waits
    /// for cancellation.
    struct HangingPartner: Partner {
        let inner: LocalPartner
        let hangFrom: Int
        let answered: Counter
        let others: Int
        let deadline: RoundDeadline
        var name: String { inner.name }
        var linkingRows: [Int] { inner.linkingRows }

        func price(_ request: PricingRequest) async throws -> PricingResponse {
            if request.iteration >= hangFrom {
                // The others have answered, and the deadline has seen their answers come back.
                while answered.count.withLock({ $0 }) < others || deadline.partnersInFlight != [name] {
                    try await Task.sleep(for: .milliseconds(5))
                }
                deadline.expire()
                try await Task.sleep(for: .seconds(3600))
            }
            return try await inner.price(request)
        }
        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse { try await inner.admmStep(request) }
        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { try await inner.finish(instruction) }
    }

    static func lands3() throws -> (ChainContract, [LocalPartner]) {
        let program = try MPSReader().read(path: Fixtures.path("blocks/lands3.mps"))
        let decomposition = try BlockDecomposition.read(path: Fixtures.path("blocks/lands3.dec"), for: program)
        let split = try ChainSplitter(chainName: "lands3").split(program, decomposition)
        let partners = try zip(split.contract.partners, split.programs).map { party, model in
            try LocalPartner(
                problem: PartnerProblem(contract: split.contract, partner: party.name, program: model), chainSense: split.contract.sense)
        }
        return (split.contract, partners)
    }

    func runner(_ contract: ChainContract, _ directory: String, limit: Duration) -> (RoundRunner, RoundDeadline) {
        var runner = RoundRunner(
            contract: contract, method: .dw, outputDirectory: directory, dantzigWolfe: DantzigWolfeSettings(), admm: ADMMSettings(),
            printer: nil)
        let deadline = RoundDeadline(limit: limit)
        runner.deadline = deadline
        return (runner, deadline)
    }

    @Test func aHungPartnerIsCutAtTheLimitAndNamed() async throws {
        let (contract, partners) = try Self.lands3()
        let directory = NSTemporaryDirectory() + "parley-deadline-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (runner, deadline) = runner(contract, directory, limit: .seconds(30))
        let answered = Counter()
        var guarded: [any Partner] = partners.map { CountingPartner(inner: $0, hangFrom: 2, answered: answered) }
        guarded[1] = HangingPartner(inner: partners[1], hangFrom: 2, answered: answered, others: partners.count - 1, deadline: deadline)
        deadline.start()
        let result = try await runner.run(partners: deadline.guarding(guarded)) { _ in }
        #expect(result.status == .timeLimit)
        #expect(result.iterations == 1)
        #expect(result.message == "time limit of 30 s reached in iteration 2; no answer from \(partners[1].name)")
        #expect(result.partner == nil)
        #expect(deadline.cutPartners == [partners[1].name])
        // No plan instruction went out.
        #expect(await partners.asyncAllSatisfy { await $0.plan() == nil })
    }

    @Test func aRoundThatEndsInTimeIsLeftAlone() async throws {
        let (contract, partners) = try Self.lands3()
        let directory = NSTemporaryDirectory() + "parley-deadline-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (runner, deadline) = runner(contract, directory, limit: .seconds(3600))
        deadline.start()
        let result = try await runner.run(partners: deadline.guarding(partners)) { _ in }
        #expect(result.status == .optimal)
        #expect(deadline.cutPartners == nil)
        let reference = Fixtures.references.first { $0.name == "lands3" }!.optimum
        #expect(abs(try #require(result.objective) - reference) <= 1e-6 * max(1, abs(reference)))
        #expect(await partners.asyncAllSatisfy { await $0.plan() != nil })
    }
}

/// A partner's plan receipt is checked before it counts: a broken one fails the round naming the
/// partner, rather than a NaN passing the check of the linking rows.
@Suite struct PlanReceiptCheckTests {
    /// Answers like `inner`, but its plan receipt is `damage`d.
    struct DamagedReceiptPartner: Partner {
        let inner: LocalPartner
        let damage: @Sendable (PlanReceipt) -> PlanReceipt
        var name: String { inner.name }
        var linkingRows: [Int] { inner.linkingRows }
        func price(_ request: PricingRequest) async throws -> PricingResponse { try await inner.price(request) }
        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse { try await inner.admmStep(request) }
        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { damage(try await inner.finish(instruction)) }
    }

    @Test(arguments: [
        ("nan", "answered the plan instruction with a cost or usage that is not a finite number"),
        ("short", "answered the plan instruction with 0 usages for its 8 linking rows"),
    ])
    func aBrokenReceiptFailsTheRoundNamingThePartner(_ damage: String, _ message: String) async throws {
        let (contract, partners) = try RoundDeadlineUnitTests.lands3()
        let directory = NSTemporaryDirectory() + "parley-receipt-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runner = RoundRunner(
            contract: contract, method: .dw, outputDirectory: directory, dantzigWolfe: DantzigWolfeSettings(), admm: ADMMSettings(),
            printer: nil)
        #expect(partners[1].linkingRows.count == 8)
        var guarded: [any Partner] = partners
        guarded[1] = DamagedReceiptPartner(inner: partners[1]) { receipt in
            var broken = receipt
            if damage == "nan" { broken.usage[0] = .nan } else { broken.usage = [] }
            return broken
        }
        let result = try await runner.run(partners: guarded) { _ in }
        #expect(result.status == .partnerFailed)
        #expect(result.partner == partners[1].name)
        #expect(result.message == "plan instruction failed: partner '\(partners[1].name)': \(message)")
    }
}

extension Array where Element: Sendable {
    func asyncAllSatisfy(_ predicate: (Element) async -> Bool) async -> Bool {
        for element in self where !(await predicate(element)) { return false }
        return true
    }
}
