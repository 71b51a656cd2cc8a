import Foundation
import ParleyNode
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
}
