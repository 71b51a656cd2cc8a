import Foundation
import ParleyDecomposition

#if canImport(Glibc)
import Glibc
#endif

/// The node's own proposals of one round on disk (`STATE/rounds/<round>.proposals.jsonl`, mode
/// 0600): each proposal's plan `x` as JSON Lines, appended and fsync'd before the proposal is
/// sent, so the final plan can be formed from them even after a restart. Private: `x` never
/// leaves the node.
final class ProposalStore: @unchecked Sendable {
    // Touched only from the node's request loop, one request at a time; the lock makes that safe
    // even if two requests ever overlapped.
    private let lock = NSLock()
    private let descriptor: Int32
    private var kept: Set<Int> = []
    let path: String

    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NodeError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Appends the proposals among `ids` not stored yet.
    func keep(_ ids: [Int], from partner: LocalPartner) async throws {
        var lines = Data()
        var added: [Int] = []
        for id in ids where !lock.withLock({ kept.contains(id) }) {
            guard let stored = await partner.storedProposal(id: id) else { continue }
            let object: [String: Any] = ["id": id, "is_ray": stored.isRay, "x": stored.x.map { $0.isFinite ? $0 : 0 }]
            lines.append(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            lines.append(UInt8(ascii: "\n"))
            added.append(id)
        }
        guard !lines.isEmpty else { return }
        try lock.withLock {
            let written = lines.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == lines.count, fsync(descriptor) == 0 else {
                throw NodeError("\(path): cannot store proposals (\(String(cString: strerror(errno))))")
            }
            kept.formUnion(added)
        }
    }
}
