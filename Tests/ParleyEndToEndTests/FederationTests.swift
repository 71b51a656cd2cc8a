import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import ParleyTransport
import ParleyWire
import Testing

/// Real processes, real TLS: one `parley node` per partner and `parley round start` as the
/// coordinator, all on loopback, run against the published instances.
@Suite(.serialized) struct FederationTests {
    @Test func pds02ByDantzigWolfeOverElevenNodes() async throws {
        let scratch = try Scratch("pds")
        let (federation, nodes) = try await startFederation("pds-02", scratch: scratch)
        defer { nodes.stop() }
        #expect(federation.contract.partners.count == 11)
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(round.status == 0, "\(round.output)")
        let summary = try readSummary(run)
        let reference = Fixtures.references.first { $0.name == "pds-02" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-6 * abs(reference), "objective \(objective) vs \(reference)")
        #expect((summary["bytes_sent"] as? Int ?? 0) > 0)

        // The nodes' own plans, put together, are a feasible plan of the original model with the
        // same objective.
        let program = try MPSReader().read(path: Fixtures.path("blocks/pds-02.mps"))
        let x = try jointPlan(of: federation, round: try #require(summary["round"] as? String), program: program)
        let scale = max(1, x.map(abs).max() ?? 1)
        #expect(program.maximumViolation(x) <= 1e-6 * scale, "violation \(program.maximumViolation(x))")
        #expect(abs(program.objectiveValue(x) - reference) <= 1e-6 * abs(reference))
        // The linking rows' activities (from the nodes' plan receipts) are those of the joint
        // plan, and the capacity rows with a price are full.
        let activities = program.matrix.multiply(x)
        let rowIndex = program.rowIndexByName()
        let table = try String(contentsOfFile: "\(run)/linking.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(table.count == federation.contract.linkingRows.count)
        var priced = 0
        for line in table {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let activity = activities[try #require(rowIndex[f[0]])]
            #expect(abs(Double(f[3])! - activity) <= 1e-6 * max(1, activity), "\(f[0])")
            if let price = Double(f[4]), price != 0 {
                priced += 1
                #expect(price < 0 && abs(activity - Double(f[2])!) <= 1e-6 * max(1, activity), "\(line)")
            }
        }
        #expect(priced > 0)

        // The coordinator's log has the networked columns.
        let log = try String(contentsOfFile: "\(run)/convergence.jsonl", encoding: .utf8)
        #expect(log.contains("\"bytes_sent\"") && log.contains("\"slowest_partner\""))
    }

    @Test func lands3ByADMMOverTheNetwork() async throws {
        let scratch = try Scratch("lands3")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "admm", out: run))
        #expect(round.status == 0, "\(round.output)")
        let summary = try readSummary(run)
        let reference = Fixtures.references.first { $0.name == "lands3" }!.optimum
        let objective = try #require(summary["objective"] as? Double)
        #expect(abs(objective - reference) <= 1e-4 * abs(reference), "objective \(objective) vs \(reference)")
        #expect(summary["status"] as? String == "converged")

        // A second round at once, against the same nodes (most likely in the same second): a new
        // round, not the first one's plan formed again (which every node refuses as final).
        let again = try await ParleyBinary.run(roundArguments(federation, method: "admm", out: "\(scratch.path)/run2"))
        #expect(again.status == 0, "\(again.output)")
        let second = try readSummary("\(scratch.path)/run2")
        #expect(second["status"] as? String == "converged")
        #expect(second["round"] as? String != summary["round"] as? String)
    }

    /// Nodes on IPv6 loopback: endpoints in brackets, certificates naming ::1, the node.yaml
    /// `listen` quoted. The round reaches the optimum and every node writes its plan. (Needs ::1,
    /// which a container may lack.)
    @Test(.enabled(if: ipv6LoopbackWorks(), "no IPv6 loopback (::1) on this machine"))
    func lands3ByDWOverIPv6Loopback() async throws {
        let scratch = try Scratch("lands3-v6")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch, host: "::1")
        defer { nodes.stop() }
        #expect(federation.contract.partners.allSatisfy { $0.endpoint.hasPrefix("[::1]:") })
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(round.status == 0, "\(round.output)")
        try expectReachedOptimum(run, of: "lands3", federation: federation)
    }

    /// DW stopped at its iteration limit in phase 2, over the network: exit status 3, and every
    /// node still writes its share of the best plan so far, as provisional, which together meet
    /// lands3's rows and cost the reported objective.
    @Test func lands3ByDWStoppedAtItsLimitOverTheNetwork() async throws {
        let scratch = try Scratch("lands3-limit")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let reference = Fixtures.references.first { $0.name == "lands3" }!.optimum
        let limited = "\(scratch.path)/run"
        let stopped = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: limited) + ["--max-iterations", "8"])
        #expect(stopped.status == 3, "\(stopped.output)")
        let third = try readSummary(limited)
        #expect(third["status"] as? String == "iteration_limit" && third["plans"] as? Bool == true, "\(third)")
        let program = try MPSReader().read(path: Fixtures.path("blocks/lands3.mps"))
        let x = try jointPlan(of: federation, round: try #require(third["round"] as? String), program: program, provisional: true)
        let cost = try #require(third["objective"] as? Double)
        #expect(program.maximumViolation(x) <= 1e-6 * max(1, x.map(abs).max() ?? 1), "violation \(program.maximumViolation(x))")
        #expect(abs(program.objectiveValue(x) - cost) <= 1e-6 * abs(cost), "plan cost \(program.objectiveValue(x)) vs \(cost)")
        #expect(cost >= reference - 1e-6 * abs(reference))
    }

    /// What left each node is in its audit log, and it is only what the protocol allows: no
    /// variable values, only usages of the node's own linking rows and costs.
    @Test func auditLogsHoldOnlyUsagesAndCostsOfTheNodesOwnRows() async throws {
        let scratch = try Scratch("audit")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let run = "\(scratch.path)/run"
        let round = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: run))
        #expect(round.status == 0, "\(round.output)")
        let summary = try readSummary(run)
        var receivedByNodes = 0
        for party in federation.contract.partners {
            let rows = federation.contract.linkingRows(of: party.name).count
            let lines = try String(contentsOfFile: "\(federation.directory)/\(party.name)/state/audit.jsonl", encoding: .utf8)
                .split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let type = entry["type"] as! String
                #expect(["welcome", "pricing_response", "plan_receipt", "pong"].contains(type), "\(party.name) sent \(type)")
                let allowed: Set<String> = ["time", "peer", "round", "type", "frame_bytes", "party", "contract_hash", "proposals", "values", "best", "usage", "cost", "nonce"]
                #expect(Set(entry.keys).isSubset(of: allowed), "\(party.name): \(entry.keys.sorted())")
                for proposal in entry["proposals"] as? [[String: Any]] ?? [] {
                    #expect(Set(proposal.keys) == ["id", "usage", "cost", "is_ray"])
                    #expect((proposal["usage"] as! [Any]).count == rows)
                }
                if let usage = entry["usage"] as? [Any] { #expect(usage.count == rows) }
                receivedByNodes += entry["frame_bytes"] as? Int ?? 0
            }
        }
        // Everything the nodes sent, framed, is what the coordinator received (less TLS overhead).
        let received = try #require(summary["bytes_received"] as? Int)
        #expect(received >= receivedByNodes)
    }

    @Test func nodeRefusesAnotherCoordinatorAndAnotherContract() async throws {
        let scratch = try Scratch("refuse")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        // A consortium member that is not the contract's coordinator: a partner's own certificate.
        let node = federation.contract.partners[0]
        let partnerTLS = "\(federation.directory)/\(node.name)"
        var arguments = roundArguments(federation, method: "dw", out: "\(scratch.path)/run-impostor")
        arguments[arguments.firstIndex(of: "--tls-certificate")! + 1] = "\(partnerTLS)/\(node.name).crt"
        arguments[arguments.firstIndex(of: "--tls-key")! + 1] = "\(partnerTLS)/\(node.name).key"
        let impostor = try await ParleyBinary.run(arguments)
        #expect(impostor.status == 1)
        #expect(impostor.output.contains("is the certificate of parley:\(node.name), but the contract's coordinator is parley:coordinator"))
        // Past that local check, the node itself turns such a peer away, saying why.
        let (host, port) = try #require(NodeConfiguration.splitEndpoint(federation.contract.partners[1].endpoint))
        let stranger = try TLSContext(
            configuration: TLSConfiguration(
                certificatePath: "\(partnerTLS)/\(node.name).crt", privateKeyPath: "\(partnerTLS)/\(node.name).key",
                trustRootsPath: federation.coordinatorTLS.trustRootsPath),
            role: .client)
        let connection = try await SecureClient.connect(
            host: host, port: port, context: stranger, policy: .party(federation.contract.partners[1].certificateName))
        await #expect {
            try await connection.withSession { session in
                try await session.send(.hello(WireHello(partyName: node.name, contractHash: federation.contract.contentHash)))
                _ = try await session.receive(timeout: .seconds(10))
            }
        } throws: { error in
            (error as? TransportError)?.message
                == "\(federation.contract.partners[1].name) refused the connection: certificate identity parley:\(node.name) is not parley:coordinator"
        }

        // The right coordinator with a contract that differs in one number.
        var altered = federation.contract
        altered.linkingRows[0].upper += 1
        let alteredPath = "\(scratch.path)/altered.yaml"
        try altered.write(to: alteredPath)
        var second = roundArguments(federation, method: "dw", out: "\(scratch.path)/run-altered")
        second[second.firstIndex(of: "--chain")! + 1] = alteredPath
        let mismatch = try await ParleyBinary.run(second)
        #expect(mismatch.status == 3)
        #expect(mismatch.output.contains("refused the coordinator: contract hash \(altered.contentHash) differs from"))
        #expect(nodes.log(of: node.name).contains("refused a coordinator with another contract"))
        // The node's log is JSON Lines: this line too, with a UTC timestamp to the millisecond.
        let refusal = try #require(nodes.log(of: node.name).split(separator: "\n").last { $0.contains("refused a coordinator with another contract") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(refusal.utf8)) as? [String: Any])
        #expect(fields["level"] as? String == "warning")
        let time = try #require(fields["time"] as? String)
        #expect(time.hasSuffix("Z") && time.count == "2026-11-29T20:48:34.302Z".count)
        let logged = try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(time)
        #expect(abs(logged.timeIntervalSinceNow) < 600)

        // And the nodes still serve the real round afterwards.
        let good = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run"))
        #expect(good.status == 0, "\(good.output)")
    }
}
