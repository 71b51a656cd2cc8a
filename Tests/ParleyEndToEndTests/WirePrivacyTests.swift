import Foundation
import ParleyCoordinator
import ParleyDecomposition
import ParleyModel
import ParleyTestSupport
import ParleyTransport
import Testing

/// Privacy on the wire, captured at the coordinator: a round over 11 real nodes where every
/// request a node received and every answer the coordinator received is recorded. A node gets
/// prices only for the linking rows it takes part in; the coordinator gets only linking-row
/// usages, costs, pricing values and ids — never a vector as long as a partner's plan; and each
/// node's audit log lists exactly the answers the coordinator received from it.
@Suite(.serialized) struct WirePrivacyTests {
    /// A partner whose every call is recorded: what it was sent and what it answered.
    final class Recording: Partner, @unchecked Sendable {
        // @unchecked: the logs are only touched under `lock`.
        let inner: any Partner
        private let lock = NSLock()
        private var pricing: [(PricingRequest, PricingResponse)] = []
        private var receipts: [(PlanInstruction, PlanReceipt)] = []
        init(_ inner: any Partner) { self.inner = inner }
        var name: String { inner.name }
        var linkingRows: [Int] { inner.linkingRows }
        func price(_ request: PricingRequest) async throws -> PricingResponse {
            let response = try await inner.price(request)
            lock.withLock { pricing.append((request, response)) }
            return response
        }
        func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse { try await inner.admmStep(request) }
        func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt {
            let receipt = try await inner.finish(instruction)
            lock.withLock { receipts.append((instruction, receipt)) }
            return receipt
        }
        var pricingLog: [(PricingRequest, PricingResponse)] { lock.withLock { pricing } }
        var receiptLog: [(PlanInstruction, PlanReceipt)] { lock.withLock { receipts } }
    }

    static func same(_ a: Double, _ b: Any?) -> Bool {
        guard let b = b as? Double else { return false }
        return abs(a - b) <= 1e-12 * max(1, abs(a))
    }

    @Test func nodesGetOnlyTheirRowsPricesAndTheCoordinatorOnlyUsagesAndCosts() async throws {
        let scratch = try Scratch("privacy")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        let contract = federation.contract
        let context = try TLSContext(configuration: federation.coordinatorTLS, role: .client)
        var partners: [Recording] = []
        for party in contract.partners {
            let remote = try await RemotePartner.connect(
                party: party, linkingRows: contract.linkingRows(of: party.name), contract: contract, context: context,
                requestTimeout: .seconds(120))
            partners.append(Recording(remote))
        }
        let round = "privacy-test-round"
        let (result, weights) = try await DantzigWolfe().run(round: round, contract: contract, partners: partners)
        #expect(result.status == .optimal, "\(result.message)")
        let prices = try #require(result.linkingPrices)
        for (k, partner) in partners.enumerated() {
            let own = partner.linkingRows.map { prices[$0] }
            _ = try await partner.finish(PlanInstruction(round: round, kind: .weights(weights[k]), prices: own))
        }
        for partner in partners { await (partner.inner as! RemotePartner).close() }

        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        var someNodeSeesFewerRows = false
        for partner in partners {
            // The rows whose terms name this partner, from the public contract, and no others.
            let own = contract.linkingRows.indices.filter { i in contract.linkingRows[i].terms.contains { $0.partner == partner.name } }
            #expect(partner.linkingRows == own)
            someNodeSeesFewerRows = someNodeSeesFewerRows || own.count < contract.linkingRows.count
            // The partner's private plan has more variables than it has linking rows, so no
            // answer below could carry it.
            let plan = try readPlan("\(federation.directory)/\(partner.name)/state/plans/\(round).csv")
            #expect(plan.count > own.count)
            #expect(plan.count < program.columnCount)

            let exchanges = partner.pricingLog
            #expect(!exchanges.isEmpty)
            for (request, response) in exchanges {
                // What the node received: prices over its own rows only.
                #expect(request.round == round)
                #expect(request.prices.allSatisfy { $0.count == own.count })
                // What the coordinator received: usages of those rows, costs, values and ids.
                #expect(response.values.count == request.prices.count && response.best.count == request.prices.count)
                #expect(response.proposals.allSatisfy { $0.usage.count == own.count && $0.cost.isFinite })
                #expect(Set(response.best).isSubset(of: Set(response.proposals.map(\.id))))
            }
            let receipts = partner.receiptLog
            #expect(receipts.count == 1 && receipts[0].1.usage.count == own.count)
            // The final prices it received are its own rows' too, and it keeps them beside its
            // plan with its usage of each row (the usage its receipt reported).
            #expect(receipts[0].0.prices == own.map { prices[$0] })
            let kept = try String(contentsOfFile: "\(federation.directory)/\(partner.name)/state/plans/\(round).linking.csv", encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            #expect(kept.first == ["row", "usage", "price"])
            #expect(kept.dropFirst().map { $0[0] } == own.map { contract.linkingRows[$0].name })
            #expect(kept.dropFirst().map { Double($0[1])! } == receipts[0].1.usage)
            #expect(kept.dropFirst().map { Double($0[2])! } == own.map { prices[$0] })

            // The node's audit log lists exactly what the coordinator received from it, in order.
            let audit = try String(contentsOfFile: "\(federation.directory)/\(partner.name)/state/audit.jsonl", encoding: .utf8)
                .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            let answers = audit.filter { ($0["round"] as? String) == round && $0["type"] as? String != "pong" }
            #expect(answers.map { $0["type"] as? String } == Array(repeating: "pricing_response", count: exchanges.count) + ["plan_receipt"])
            for (entry, (_, response)) in zip(answers, exchanges) {
                let proposals = entry["proposals"] as? [[String: Any]] ?? []
                #expect(proposals.count == response.proposals.count)
                for (logged, sent) in zip(proposals, response.proposals) {
                    #expect(logged["id"] as? Int == sent.id && logged["is_ray"] as? Bool == sent.isRay)
                    #expect(Self.same(sent.cost, logged["cost"]))
                    let usage = logged["usage"] as? [Any] ?? []
                    #expect(usage.count == sent.usage.count && zip(sent.usage, usage).allSatisfy { Self.same($0, $1) })
                }
                #expect(entry["best"] as? [Int] == response.best)
            }
            if let last = answers.last, let receipt = receipts.first?.1 {
                #expect(Self.same(receipt.cost, last["cost"]))
                #expect(zip(receipt.usage, last["usage"] as? [Any] ?? []).allSatisfy { Self.same($0, $1) })
            }
        }
        #expect(someNodeSeesFewerRows)
    }
}
