import Foundation
import ParleyDecomposition
import ParleyModel
import ParleyTestSupport
import Testing

@testable import ParleyCoordinator

/// The round deadline without sockets: in-process partners, one of which stops answering (it
/// waits until its call is cancelled, as a `RemotePartner` does), under a short time limit.
@Suite struct RoundDeadlineUnitTests {
    /// Answers like `inner` until iteration `hangFrom`, then waits for cancellation.
    struct HangingPartner: Partner {
        let inner: LocalPartner
        let hangFrom: Int
        var name: String { inner.name }
        var linkingRows: [Int] { inner.linkingRows }

        func price(_ request: PricingRequest) async throws -> PricingResponse {
            if request.iteration >= hangFrom { try await Task.sleep(for: .seconds(3600)) }
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
        var guarded: [any Partner] = partners
        guarded[1] = HangingPartner(inner: partners[1], hangFrom: 2)
        let (runner, deadline) = runner(contract, directory, limit: .milliseconds(500))
        let start = ContinuousClock.now
        deadline.start()
        let result = try await runner.run(partners: deadline.guarding(guarded)) { _ in }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(result.status == .timeLimit)
        #expect(result.iterations == 1)
        #expect(result.message == "time limit of 0.5 s reached in iteration 2; no answer from \(partners[1].name)")
        #expect(result.partner == nil)
        #expect(deadline.cutPartners == [partners[1].name])
        // No plan instruction went out.
        #expect(await partners.asyncAllSatisfy { await $0.plan() == nil })
    }

    @Test func aRoundThatEndsInTimeIsLeftAlone() async throws {
        let (contract, partners) = try Self.lands3()
        let directory = NSTemporaryDirectory() + "parley-deadline-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (runner, deadline) = runner(contract, directory, limit: .seconds(600))
        deadline.start()
        let result = try await runner.run(partners: deadline.guarding(partners)) { _ in }
        #expect(result.status == .optimal)
        #expect(deadline.cutPartners == nil)
        let reference = Fixtures.references.first { $0.name == "lands3" }!.optimum
        #expect(abs(try #require(result.objective) - reference) <= 1e-6 * max(1, abs(reference)))
        #expect(await partners.asyncAllSatisfy { await $0.plan() != nil })
    }
}

extension Array where Element: Sendable {
    func asyncAllSatisfy(_ predicate: (Element) async -> Bool) async -> Bool {
        for element in self where !(await predicate(element)) { return false }
        return true
    }
}
