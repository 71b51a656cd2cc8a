import Foundation
import ParleyDecomposition
import ParleyModel

#if canImport(Glibc)
import Glibc
#endif

/// A round's checkpoint on disk, as one append-only log (`checkpoint.log`) so that saving it after
/// every iteration costs one write and one fsync of what that iteration added, not of what the
/// whole round holds (pds-02's 238 columns as JSON took ~50 ms to encode, more than a networked
/// iteration, and four fsyncs per iteration slowed the nodes' own).
///
/// Records: `u8` type, `u32` payload length, payload (little-endian):
/// - 1, a column (DW): `u8` 0 in the master or 1 in the pool, `u32` partner, `u64` id, `u8` 1 for a
///   ray, `f64` cost, `u32` n, n `f64` usages;
/// - 2, an iteration record (JSON);
/// - 3, the rest of the state (JSON), naming how many master columns, pool columns and iteration
///   records before it belong to it;
/// - 4, columns retired from the master (see `DantzigWolfeSettings.columnAgeLimit`): `u32` n,
///   then n times `u32` partner, `u64` id; each leaves the master and goes to the end of the
///   pool, in this order, as the round moved them.
/// A save appends what changed — columns retired, columns new to the master or the pool, new
/// iteration records — and then the state, in one write followed by an fsync. Reading takes the
/// last complete state; a torn tail (a crash in the middle of an append) is ignored, and cut off
/// when the round resumes (the log is rewritten then).
final class CheckpointStore: @unchecked Sendable {
    // Used from one serial queue at a time (CheckpointWriter), or once by `save`.
    let runDirectory: String
    /// The master's columns as the log holds them so far, the number of pool entries it holds
    /// (retired columns included) and the columns among them.
    private var masterWritten: [Ref] = []
    private var poolWritten = 0
    private var poolRefs = Set<Ref>()
    private var historyWritten = 0

    private struct Ref: Hashable {
        var partner: Int
        var id: Int

        init(partner: Int, id: Int) {
            self.partner = partner
            self.id = id
        }

        init(_ column: DantzigWolfeCheckpoint.Column) {
            self.init(partner: column.partner, id: column.id)
        }
    }

    struct StoredDW: Codable {
        var version = 2
        var method = "dw"
        var columns: Int
        var pool: Int
        var history: Int
        var state: DantzigWolfeCheckpoint
    }

    struct StoredADMM: Codable {
        var version = 2
        var method = "admm"
        var history: Int
        var state: ADMMCheckpoint
    }

    static func path(_ run: String) -> String { "\(run)/checkpoint.log" }

    /// Starts the log afresh, or (resuming) rewrites it to hold exactly `resumed`.
    init(runDirectory: String, resumed: RoundCheckpoint?) throws {
        self.runDirectory = runDirectory
        let path = Self.path(runDirectory)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ModelFileError(file: path, line: nil, message: "cannot create (\(String(cString: strerror(errno))))") }
        close(descriptor)
        if let resumed { try save(resumed) }
    }

    /// Appends what is new in `checkpoint`, then its state, and fsyncs. All or nothing: a save
    /// that fails (a full disk) cuts the log back to where it was and leaves what it would have
    /// added for the next save, so the log never holds a torn record before a whole one.
    func save(_ checkpoint: RoundCheckpoint) throws {
        var bytes: [UInt8] = []
        // What the log will hold once this save is on disk.
        var masterWritten = self.masterWritten
        var poolWritten = self.poolWritten
        var poolRefs = self.poolRefs
        var historyWritten = self.historyWritten
        let encoder = RunState.encoder()
        func record(_ type: UInt8, _ payload: [UInt8]) {
            bytes.append(type)
            Self.append(UInt32(payload.count), to: &bytes)
            bytes += payload
        }
        func history(_ records: [IterationRecord]) throws {
            for r in records.dropFirst(historyWritten) { record(2, Array(try encoder.encode(r))) }
            historyWritten = max(historyWritten, records.count)
        }
        switch checkpoint {
        case .dw(let c):
            // The round's master is the logged one without the columns it retired, in order,
            // then the columns that entered since (a retired column that came back among them).
            let master = c.columns.map(Ref.init)
            var kept = 0
            var retired: [Ref] = []
            for ref in masterWritten {
                if kept < master.count && master[kept] == ref { kept += 1 } else { retired.append(ref) }
            }
            if !retired.isEmpty {
                var refs: [UInt8] = []
                Self.append(UInt32(retired.count), to: &refs)
                for ref in retired {
                    Self.append(UInt32(ref.partner), to: &refs)
                    Self.append(UInt64(ref.id), to: &refs)
                    poolRefs.insert(ref)
                }
                record(4, refs)
                poolWritten += retired.count
            }
            for column in c.columns[kept...] { record(1, Self.encode(column, kind: 0)) }
            for column in c.pool where poolRefs.insert(Ref(column)).inserted {
                record(1, Self.encode(column, kind: 1))
                poolWritten += 1
            }
            masterWritten = master
            try history(c.history)
            var state = c
            state.columns = []
            state.pool = []
            state.history = []
            record(3, Array(try encoder.encode(StoredDW(columns: c.columns.count, pool: poolWritten, history: c.history.count, state: state))))
        case .admm(let c):
            try history(c.history)
            var state = c
            state.history = []
            record(3, Array(try encoder.encode(StoredADMM(history: c.history.count, state: state))))
        }
        let path = Self.path(runDirectory)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw ModelFileError(file: path, line: nil, message: "cannot open (\(String(cString: strerror(errno))))") }
        defer { close(descriptor) }
        let end = lseek(descriptor, 0, SEEK_END)
        if let failure = AtomicFile.appendWhole(bytes, to: descriptor) {
            throw ModelFileError(file: path, line: nil, message: "cannot append the checkpoint (\(failure))")
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            if end >= 0 { _ = ftruncate(descriptor, end) }
            throw ModelFileError(file: path, line: nil, message: "cannot append the checkpoint (fsync: \(reason))")
        }
        self.masterWritten = masterWritten
        self.poolWritten = poolWritten
        self.poolRefs = poolRefs
        self.historyWritten = historyWritten
    }

    private static func encode(_ column: DantzigWolfeCheckpoint.Column, kind: UInt8) -> [UInt8] {
        var bytes: [UInt8] = [kind]
        append(UInt32(column.partner), to: &bytes)
        append(UInt64(column.id), to: &bytes)
        bytes.append(column.isRay ? 1 : 0)
        append(column.cost.bitPattern, to: &bytes)
        append(UInt32(column.usage.count), to: &bytes)
        for u in column.usage { append(u.bitPattern, to: &bytes) }
        return bytes
    }

    // MARK: Reading

    /// The last complete checkpoint in the run directory's log, of a round run by `method`.
    static func read(runDirectory: String, method: RoundMethod) throws(ModelFileError) -> RoundCheckpoint {
        let path = Self.path(runDirectory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(file: path, line: nil, message: "cannot read the checkpoint")
        }
        let bytes = [UInt8](data)
        var offset = 0
        var master: [DantzigWolfeCheckpoint.Column] = []
        /// Pool entries in the order they were logged; an entry is nil once its column was
        /// retired to the pool again (it then has a later entry).
        var pool: [DantzigWolfeCheckpoint.Column?] = []
        var poolEntry: [Ref: Int] = [:]
        func addToPool(_ column: DantzigWolfeCheckpoint.Column) {
            if let earlier = poolEntry[Ref(column)] { pool[earlier] = nil }
            poolEntry[Ref(column)] = pool.count
            pool.append(column)
        }
        var history: [IterationRecord] = []
        var last: RoundCheckpoint?
        let decoder = RunState.decoder()
        while offset + 5 <= bytes.count {
            let type = bytes[offset]
            let length = Int(load(bytes, offset + 1, UInt32.self))
            guard offset + 5 + length <= bytes.count else { break }  // torn tail
            let payload = Array(bytes[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
            switch type {
            case 1:
                guard let (kind, column) = decodeColumn(payload) else {
                    throw ModelFileError(file: path, line: nil, message: "a malformed column record at byte \(offset - 5 - length)")
                }
                if kind == 0 { master.append(column) } else { addToPool(column) }
            case 4:
                guard let refs = decodeRefs(payload) else {
                    throw ModelFileError(file: path, line: nil, message: "a malformed list of retired columns at byte \(offset - 5 - length)")
                }
                for ref in refs {
                    guard let k = master.firstIndex(where: { Ref($0) == ref }) else {
                        throw ModelFileError(
                            file: path, line: nil,
                            message: "retires a column that is not in the master (partner \(ref.partner), id \(ref.id)) at byte \(offset - 5 - length)")
                    }
                    addToPool(master.remove(at: k))
                }
            case 2:
                guard let record = try? decoder.decode(IterationRecord.self, from: Data(payload)) else {
                    throw ModelFileError(file: path, line: nil, message: "a malformed iteration record at byte \(offset - 5 - length)")
                }
                history.append(record)
            case 3:
                switch method {
                case .dw:
                    guard let stored = try? decoder.decode(StoredDW.self, from: Data(payload)), stored.version == 2,
                        stored.columns <= master.count, stored.pool <= pool.count, stored.history <= history.count
                    else { throw ModelFileError(file: path, line: nil, message: "not the checkpoint of a DW round (or damaged)") }
                    var state = stored.state
                    state.columns = Array(master.prefix(stored.columns))
                    let inMaster = Set(state.columns.map(Ref.init))
                    state.pool = pool.prefix(stored.pool).compactMap { $0 }.filter { !inMaster.contains(Ref($0)) }
                    state.history = Array(history.prefix(stored.history))
                    last = .dw(state)
                case .admm:
                    guard let stored = try? decoder.decode(StoredADMM.self, from: Data(payload)), stored.version == 2,
                        stored.history <= history.count
                    else { throw ModelFileError(file: path, line: nil, message: "not the checkpoint of an ADMM round (or damaged)") }
                    var state = stored.state
                    state.history = Array(history.prefix(stored.history))
                    last = .admm(state)
                }
            default:
                throw ModelFileError(file: path, line: nil, message: "an unknown record type \(type) at byte \(offset - 5 - length)")
            }
        }
        guard let last else {
            throw ModelFileError(file: path, line: nil, message: "holds no complete checkpoint (the round stopped before its first one was written): start the round again")
        }
        return last
    }

    /// `value` in little-endian byte order at the end of `bytes`.
    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The little-endian `T` at byte `at` of `p`.
    private static func load<T: FixedWidthInteger>(_ p: [UInt8], _ at: Int, _ type: T.Type) -> T {
        p.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
    }

    /// The column references of a record 4.
    private static func decodeRefs(_ p: [UInt8]) -> [Ref]? {
        guard p.count >= 4 else { return nil }
        let count = Int(load(p, 0, UInt32.self))
        guard p.count == 4 + 12 * count else { return nil }
        return (0..<count).map { Ref(partner: Int(load(p, 4 + 12 * $0, UInt32.self)), id: Int(load(p, 8 + 12 * $0, UInt64.self))) }
    }

    private static func decodeColumn(_ p: [UInt8]) -> (UInt8, DantzigWolfeCheckpoint.Column)? {
        guard p.count >= 26 else { return nil }
        let count = Int(load(p, 22, UInt32.self))
        guard p.count == 26 + 8 * count else { return nil }
        let usage = (0..<count).map { Double(bitPattern: load(p, 26 + 8 * $0, UInt64.self)) }
        return (
            p[0],
            DantzigWolfeCheckpoint.Column(
                partner: Int(load(p, 1, UInt32.self)), id: Int(load(p, 5, UInt64.self)), usage: usage,
                cost: Double(bitPattern: load(p, 14, UInt64.self)), isRay: p[13] == 1)
        )
    }
}
