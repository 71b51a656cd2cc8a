import Foundation
import ParleyCoordinator
import ParleyNode
import ParleyTestSupport
import ParleyWire
import Testing

/// The node's audit log never claims more left the company than did: a message whose send failed
/// is followed by a line saying so.
@Suite struct AuditLogTests {
    @Test func aFailedSendIsMarkedNotDelivered() throws {
        let scratch = try Scratch("audit")
        let path = "\(scratch.path)/audit.jsonl"
        let audit = try AuditLog(path: path)
        try audit.record(.pong(nonce: 7), peer: "coordinator", round: "r1", frameBytes: 20)
        try audit.recordNotDelivered(.pong, peer: "coordinator", round: "r1", reason: "I/O on closed channel")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects[0]["type"] as? String == "pong")
        #expect(objects[1]["type"] as? String == "not_delivered")
        #expect(objects[1]["message_type"] as? String == "pong")
        #expect(objects[1]["round"] as? String == "r1")
        #expect(objects[1]["peer"] as? String == "coordinator")
        #expect(objects[1]["reason"] as? String == "I/O on closed channel")
        #expect((objects[1]["time"] as? String)?.hasSuffix("Z") == true)
    }

    /// Rotation by moving the file away (logrotate without copytruncate): the next connection
    /// starts a new audit log, the moved one keeps every line written before, whole.
    @Test func aMovedAuditLogIsFollowedByANewOne() async throws {
        let scratch = try Scratch("audit-rotate")
        let (federation, nodes) = try await startFederation("lands3", scratch: scratch)
        defer { nodes.stop() }
        let party = try #require(federation.contract.partners.first?.name)
        let state = "\(federation.directory)/\(party)/state"

        func rounds(in path: String) throws -> Set<String> {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasSuffix("\n"))
            return Set(try text.split(separator: "\n").compactMap { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["round"] as? String
            })
        }
        let first = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run1"))
        #expect(first.status == 0, "\(first.output)")
        try FileManager.default.moveItem(atPath: "\(state)/audit.jsonl", toPath: "\(state)/audit-1.jsonl")
        let second = try await ParleyBinary.run(roundArguments(federation, method: "dw", out: "\(scratch.path)/run2"))
        #expect(second.status == 0, "\(second.output)")

        let round1 = try #require(try readSummary("\(scratch.path)/run1")["round"] as? String)
        let round2 = try #require(try readSummary("\(scratch.path)/run2")["round"] as? String)
        #expect(try rounds(in: "\(state)/audit-1.jsonl") == [round1])
        #expect(try rounds(in: "\(state)/audit.jsonl") == [round2])
        #expect(nodes.log(of: party).contains("\"message\":\"audit log moved away: a new one started\""))
    }
}
