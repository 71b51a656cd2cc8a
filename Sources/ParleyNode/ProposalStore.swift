import Foundation
import ParleyDecomposition
import ParleyModel

#if canImport(Glibc)
import Glibc
#endif

/// The node's own proposals of one round on disk (`STATE/rounds/<round>.proposals`, mode 0600),
/// appended before the proposals are sent (so a killed node keeps them) and fsync'd after (`sync`,
/// with the audit log, before the next answer goes out), so the final plan can be formed from
/// them after a restart.
/// Private: `x` never leaves the node.
///
/// Binary records, because a proposal is a whole plan (thousands of doubles) and formatting them
/// as text cost more than the pricing solve: `u64` id, `u8` kind (0 a plan, 1 a ray, 2 an ADMM
/// step whose id is its iteration and whose values are its usage then its plan, 3 the same with
/// its residual between usage and plan), `u32` n, then n
/// little-endian IEEE-754 doubles. A torn last record (a crash mid-append) is recognisable by
/// its short length.
final class ProposalStore: @unchecked Sendable {
    // Touched only from the node's request loop, one request at a time; the lock makes that safe
    // even if two requests ever overlapped.
    private let lock = NSLock()
    private let descriptor: Int32
    private var kept: Set<Int> = []
    private var unsynced = false
    let path: String

    init(path: String, known: [Int] = []) throws {
        self.path = path
        self.kept = Set(known)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NodeError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Removes the stored proposals of rounds idle (the file unchanged) for more than `days`
    /// days, except the round `keep`; returns the round ids removed, sorted. `days` 0 removes
    /// nothing. What the files hold are the partner's private plans, needed only to form a
    /// round's plan or to resume it; the plans themselves and the audit log stay.
    static func removeRounds(in directory: String, idleLongerThan days: Int, except keep: String?, now: Date = Date()) -> [String] {
        guard days > 0, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let limit = now.addingTimeInterval(-Double(days) * 86_400)
        var removed: [String] = []
        for name in names where name.hasSuffix(".proposals") {
            let round = String(name.dropLast(".proposals".count))
            let path = "\(directory)/\(name)"
            guard round != keep,
                let changed = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                changed < limit, unlink(path) == 0
            else { continue }
            unlink("\(directory)/\(round).model")
            removed.append(round)
        }
        return removed.sorted()
    }

    /// The proposals in the file at `path` (none if it does not exist); a torn last record, left
    /// by a crash in the middle of an append, is ignored.
    static func load(path: String) throws -> [(id: Int, isRay: Bool, x: [Double])] {
        try records(path: path).filter { $0.kind < admmStepKind }.map { ($0.id, $0.kind == 1, $0.values) }
    }

    /// The ADMM steps in the file at `path`, in the order taken: iteration, usage (the first
    /// `usageCount` values), residual (the next `usageCount`, in steps that have one) and plan
    /// (the rest).
    static func loadADMMSteps(path: String, usageCount: Int) throws -> [(iteration: Int, usage: [Double], residual: [Double]?, x: [Double])] {
        let m = usageCount
        return try records(path: path).compactMap { record in
            let values = record.values
            switch record.kind {
            case admmStepKind where values.count >= m:
                return (record.id, Array(values[..<m]), nil, Array(values[m...]))
            case admmStepWithResidualKind where values.count >= 2 * m:
                return (record.id, Array(values[..<m]), Array(values[m..<(2 * m)]), Array(values[(2 * m)...]))
            default:
                return nil
            }
        }
    }

    /// Record kinds: 0 a plan, 1 a ray, 2 an ADMM step (id = iteration, values = usage then
    /// plan), 3 an ADMM step with its residual (usage, residual, plan).
    static let admmStepKind: UInt8 = 2
    static let admmStepWithResidualKind: UInt8 = 3

    private static func records(path: String) throws -> [(id: Int, kind: UInt8, values: [Double])] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let bytes = [UInt8](data)
        var records: [(id: Int, kind: UInt8, values: [Double])] = []
        var offset = 0
        func integer<T: FixedWidthInteger>(_ type: T.Type) -> T? {
            guard offset + MemoryLayout<T>.size <= bytes.count else { return nil }
            defer { offset += MemoryLayout<T>.size }
            return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        while offset < bytes.count {
            guard let id = integer(UInt64.self), let ray = integer(UInt8.self), let count = integer(UInt32.self),
                offset + Int(count) * 8 <= bytes.count
            else { break }
            var x: [Double] = []
            x.reserveCapacity(Int(count))
            for _ in 0..<count { x.append(Double(bitPattern: integer(UInt64.self)!)) }
            records.append((Int(id), ray, x))
        }
        return records
    }

    /// Appends the proposals among `ids` not stored yet.
    func keep(_ ids: [Int], from partner: LocalPartner) async throws {
        var lines: [UInt8] = []
        var added: [Int] = []
        for id in ids where !lock.withLock({ kept.contains(id) }) {
            guard let stored = await partner.storedProposal(id: id) else { continue }
            withUnsafeBytes(of: UInt64(id).littleEndian) { lines.append(contentsOf: $0) }
            lines.append(stored.isRay ? 1 : 0)
            withUnsafeBytes(of: UInt32(stored.x.count).littleEndian) { lines.append(contentsOf: $0) }
            for value in stored.x {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { lines.append(contentsOf: $0) }
            }
            added.append(id)
        }
        guard !lines.isEmpty else { return }
        try lock.withLock {
            if let failure = AtomicFile.appendWhole(lines, to: descriptor) {
                throw NodeError("\(path): cannot store proposals (\(failure))")
            }
            kept.formUnion(added)
            unsynced = true
        }
    }

    /// Appends an ADMM step: the partner's usage after `iteration`, its residual (usage − starting
    /// usage) and its plan, so a restarted node can take the next step from there, answer an
    /// accelerated coordinator, and still form its plan.
    func keepADMMStep(iteration: Int, usage: [Double], residual: [Double]?, x: [Double]) throws {
        var record: [UInt8] = []
        withUnsafeBytes(of: UInt64(iteration).littleEndian) { record.append(contentsOf: $0) }
        record.append(residual == nil ? Self.admmStepKind : Self.admmStepWithResidualKind)
        let values = usage + (residual ?? []) + x
        withUnsafeBytes(of: UInt32(values.count).littleEndian) { record.append(contentsOf: $0) }
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { record.append(contentsOf: $0) }
        }
        try lock.withLock {
            if let failure = AtomicFile.appendWhole(record, to: descriptor) {
                throw NodeError("\(path): cannot store the ADMM step (\(failure))")
            }
            unsynced = true
        }
    }

    /// Waits until every stored proposal is on disk (nothing to do if none was added).
    func sync() throws {
        try lock.withLock {
            guard unsynced else { return }
            guard fsync(descriptor) == 0 else {
                throw NodeError("\(path): cannot sync proposals (\(String(cString: strerror(errno))))")
            }
            unsynced = false
        }
    }
}
