import ParleyTestSupport
import ParleyDecomposition
import ParleyModel
import ParleySolver
import Synchronization
import Testing

/// Records everything that crosses the partner boundary, both ways.
final class RecordingPartner: Partner, Sendable {
    let inner: LocalPartner
    let requests = Mutex<[PricingRequest]>([])
    let responses = Mutex<[PricingResponse]>([])
    let admmRequests = Mutex<[ADMMRequest]>([])
    let admmResponses = Mutex<[ADMMResponse]>([])
    var name: String { inner.name }
    var linkingRows: [Int] { inner.linkingRows }

    init(_ inner: LocalPartner) { self.inner = inner }

    func price(_ request: PricingRequest) async throws -> PricingResponse {
        requests.withLock { $0.append(request) }
        let response = try await inner.price(request)
        responses.withLock { $0.append(response) }
        return response
    }

    func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse {
        admmRequests.withLock { $0.append(request) }
        let response = try await inner.admmStep(request)
        admmResponses.withLock { $0.append(response) }
        return response
    }

    func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt { try await inner.finish(instruction) }
}

/// What crosses the partner boundary in a real round holds only linking-row usages, costs, ids
/// and prices of the partner's own linking rows — never a plan or a private cost vector.
@Suite struct TranscriptTests {
    @Test func dantzigWolfeTranscriptHoldsOnlyUsagesCostsAndIds() async throws {
        let chain = try SplitChain("pds-02")
        let recorders = chain.partners.map(RecordingPartner.init)
        let (result, _) = try await DantzigWolfe().run(round: "t", contract: chain.split.contract, partners: recorders)
        #expect(result.status == .optimal)
        let m = chain.split.contract.linkingRows.count
        for (k, recorder) in recorders.enumerated() {
            let rows = recorder.linkingRows.count
            let columns = chain.split.programs[k].columnCount
            #expect(rows < m, "a partner takes part in only some linking rows")
            #expect(rows < columns)
            // Requests: prices only for the partner's own rows.
            for request in recorder.requests.withLock({ $0 }) {
                #expect(request.prices.allSatisfy { $0.count == rows })
            }
            // Responses: each proposal is (id, usage over its rows, cost, ray flag); values are
            // one number per price vector. Nothing has the length of the private model.
            var seen = Set<Int>()
            let responses = recorder.responses.withLock { $0 }
            #expect(!responses.isEmpty)
            for response in responses {
                #expect(response.proposals.allSatisfy { $0.usage.count == rows && $0.cost.isFinite })
                #expect(response.values.count == response.best.count)
                seen.formUnion(response.proposals.map(\.id))
                // Every "best" id refers to a proposal the coordinator was actually sent.
                #expect(Set(response.best).isSubset(of: seen))
            }
        }
    }

    /// lands3's partners, recorded through 20 ADMM iterations (default settings: accelerated).
    func recordedADMMRound() async throws -> [RecordingPartner] {
        let chain = try SplitChain("lands3")
        let recorders = chain.partners.map(RecordingPartner.init)
        var settings = ADMMSettings()
        settings.maximumIterations = 20
        _ = try await ADMM(settings: settings).run(round: "t", contract: chain.split.contract, partners: recorders)
        return recorders
    }

    @Test func admmTranscriptHoldsOnlyUsagesAndCosts() async throws {
        for recorder in try await recordedADMMRound() {
            let rows = recorder.linkingRows.count
            #expect(recorder.admmRequests.withLock { $0 }.allSatisfy { $0.shift.count == rows })
            #expect(recorder.admmResponses.withLock { $0 }.allSatisfy { $0.usage.count == rows })
            #expect(recorder.admmResponses.withLock { $0 }.count == 20)
        }
    }

    /// With acceleration, a partner also answers inner products of its residuals (usage minus
    /// starting usage): they are functions of the usages it sent anyway, nothing more. Rebuilt
    /// here from the transcript alone: each starting usage from the request's weights on the
    /// partner's own earlier answers (its last answer when there are none, zero at first).
    @Test func admmResidualProductsComeFromTheUsagesAlone() async throws {
        let recorders = try await recordedADMMRound()
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }
        var accelerated = 0
        for recorder in recorders {
            let requests = recorder.admmRequests.withLock { $0 }
            let responses = recorder.admmResponses.withLock { $0 }
            let rows = recorder.linkingRows.count
            var usage: [Int: [Double]] = [0: Array(repeating: 0, count: rows)]
            var residual: [Int: [Double]] = [:]
            for (request, response) in zip(requests, responses) {
                let k = request.iteration
                var start = usage[k - 1]!
                if !request.start.isEmpty {
                    accelerated += 1
                    #expect(abs(request.start.map(\.weight).reduce(0, +) - 1) < 1e-9)
                    #expect(request.start.allSatisfy { $0.iteration < k })
                    start = Array(repeating: 0, count: rows)
                    for term in request.start { for r in 0..<rows { start[r] += term.weight * usage[term.iteration]![r] } }
                }
                usage[k] = response.usage
                residual[k] = zip(response.usage, start).map { $0 - $1 }
                #expect(response.residualProducts.count == request.products.count)
                for (t, product) in zip(request.products, response.residualProducts) {
                    let expected = dot(residual[k]!, residual[t]!)
                    #expect(abs(product - expected) <= 1e-9 * max(1, abs(expected)), "iteration \(k), pair \(t)")
                }
            }
        }
        #expect(accelerated > 0, "no accelerated step in 20 iterations")
    }
}
