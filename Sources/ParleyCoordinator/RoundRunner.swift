import Foundation
import ParleyDecomposition
import ParleyModel

/// What local and networked rounds share: running the method over the partners, the live table
/// and `convergence.jsonl`, the plan instructions, and `summary.json`.
struct RoundRunner: Sendable {
    /// How far (relative to a row's size: its bounds, at least 1, and the partners' usages on it)
    /// the partners' final plans may leave a linking row before an "optimal" round is reported
    /// as inaccurate: the accuracy issue 3 asks of a plan (1e-6).
    static let planTolerance = 1e-6

    var contract: ChainContract
    var method: RoundMethod
    var outputDirectory: String
    var dantzigWolfe: DantzigWolfeSettings
    var admm: ADMMSettings
    var printer: (@Sendable (String) -> Void)?
    /// Bytes the coordinator has sent and received so far (networked rounds), for the log.
    var traffic: (@Sendable () -> (sent: Int, received: Int))? = nil
    /// The round's id (nil: a new one from the chain's name and the time).
    var round: String? = nil
    /// Append to `RUN/checkpoint.log` after every iteration (networked rounds, whose partners keep
    /// their proposals and recent usages and so can go on after a resume).
    var checkpoints = false
    /// Continue from this checkpoint (`parley round resume`).
    var resume: RoundCheckpoint? = nil
    /// A resume of a round that ended and wrote down its plan handover but has no checkpoint (its
    /// disk was full): it hands the same plans over again and does nothing else.
    var handOverOnly = false
    /// The round deadline guarding the partners' calls (networked rounds with a time limit).
    var deadline: RoundDeadline? = nil

    /// A plan receipt the round's check can use: one finite usage per linking row of the partner
    /// and a finite cost. Anything else would slip through the check of the linking rows (a NaN
    /// compares false with every bound) and is the partner's error.
    static func check(_ receipt: PlanReceipt, of partner: any Partner) throws {
        let rows = partner.linkingRows.count
        guard receipt.usage.count == rows else {
            throw PartnerError(
                partner: partner.name, kind: .badRequest,
                message: "answered the plan instruction with \(receipt.usage.count) usages for its \(rows) linking rows")
        }
        guard receipt.cost.isFinite, receipt.usage.allSatisfy(\.isFinite) else {
            throw PartnerError(
                partner: partner.name, kind: .badRequest, message: "answered the plan instruction with a cost or usage that is not a finite number")
        }
    }

    /// Creates the run directory if needed and takes its lock for this process: two coordinators
    /// writing one run directory (a `round resume` while the round still runs, the same `--out`
    /// twice) would interleave their logs and checkpoints.
    static func lockRunDirectory(_ outputDirectory: String) throws -> DirectoryLock {
        try AtomicFile.createDirectory(outputDirectory)
        return try DirectoryLock(
            directory: outputDirectory, name: "coordinator.lock", owner: "coordinator", rule: "one round at a time per run directory")
    }

    /// Runs the round; after an optimal (DW) or converged (ADMM) end, sends every partner its plan
    /// instruction and calls `filePlan` for each once it answered. So too after a DW round that
    /// stopped at its iteration or time limit in phase 2: its master's combination meets the
    /// linking rows, and its cost is within the round's gap of the optimum, which is what a
    /// solver stopped at a limit hands over (its best plan so far, with its bound).
    func run(partners: [any Partner], filePlan: @escaping @Sendable (any Partner) async throws -> Void) async throws
        -> RoundResult
    {
        try AtomicFile.createDirectory(outputDirectory)
        try AtomicFile.createDirectory("\(outputDirectory)/plans")
        // A summary marks a finished round (`parley log show --follow` stops at it): one left by
        // an earlier round in this directory must not outlive the start of this one.
        try? FileManager.default.removeItem(atPath: ConvergenceReport.summaryPath(runDirectory: outputDirectory))
        // A resumed round whose end was decided (every plan instruction written down before the
        // first went out) only hands its plans over again; any other start or resume decides anew.
        let handoverPath = PlanHandover.path(runDirectory: outputDirectory)
        var handedOver: PlanHandover? = nil
        let resuming = resume != nil || handOverOnly
        if resuming { handedOver = try RunState.readFinalHandover(runDirectory: outputDirectory) }
        if let handover = handedOver, handover.round != round {
            throw ModelFileError(file: handoverPath, line: nil, message: "a plan handover of round \(handover.round), not \(round ?? "")")
        }
        if handOverOnly && handedOver == nil {
            throw ModelFileError(file: handoverPath, line: nil, message: "no final plan handover to hand over again")
        }
        if handedOver == nil { try? FileManager.default.removeItem(atPath: handoverPath) }
        let logPath = "\(outputDirectory)/convergence.jsonl"
        if let resume { try RunState.trimLog(path: logPath, to: resume, method: method.rawValue) }
        let log = try ConvergenceLog(path: logPath, method: method.rawValue, append: resuming)
        let round = self.round ?? newRoundID(chain: contract.chain)
        let method = method.rawValue
        let printer = printer
        let traffic = traffic
        if let handedOver {
            printer?(
                "resuming round \(round): it ended after iteration \(handedOver.iterations) (\(handedOver.status.rawValue)) "
                    + "before every partner had its plan; handing the same plans over again")
        } else if let resume {
            switch resume {
            case .dw(let c): printer?("resuming round \(round) after iteration \(c.iteration) (\(c.columns.count) columns)")
            case .admm(let c): printer?("resuming round \(round) after iteration \(c.iteration) (rho \(c.rho))")
            }
        }
        if handedOver == nil { printer?(ConvergenceLog.header(method: method)) }
        let previous = TrafficMark()
        let observer: IterationObserver = { record in
            var extra: [(String, String)] = []
            if let traffic {
                let now = traffic()
                let (sent, received) = previous.advance(to: now)
                extra = [("bytes_sent", "\(sent)"), ("bytes_received", "\(received)")]
            }
            log.append(record, extra: extra)
            printer?(ConvergenceLog.row(record, method: method))
        }
        var result: RoundResult
        let instruction: [PlanInstruction.Kind]?
        let cpuSeconds: Double
        if let handedOver {
            result = handedOver.result
            instruction = try handedOver.kinds(partners: partners.count, path: handoverPath)
            cpuSeconds = handedOver.cpuSeconds
        } else {
            (result, instruction, cpuSeconds) = try await runMethod(round: round, partners: partners, observer: observer)
        }
        log.sync()
        var linkingActivity: [Double]? = nil
        if let instruction {
            // Each partner hears the final prices of its own linking rows only, as in every request.
            let prices = result.linkingPrices
            // A plan from a round stopped at a limit is provisional: `round resume` may go on and
            // replace it, so the nodes keep it apart from final plans.
            let isFinal = result.status == .optimal || result.status == .converged
            if checkpoints && handedOver == nil {
                try writingOut {
                    try RunState.write(
                        PlanHandover(round: round, result: result, cpuSeconds: cpuSeconds, kinds: instruction, isFinal: isFinal), to: handoverPath)
                }
            }
            do {
                // Every partner gets its instruction even when another's fails (as many plans
                // written as can be; a resume then hands the same ones over again); the first
                // failure, in partner order, is the one reported.
                let answers = await withTaskGroup(of: (Int, Result<PlanReceipt, any Error>).self) { group in
                    for (k, partner) in partners.enumerated() {
                        let own = prices.map { p in partner.linkingRows.map { p[$0] } }
                        group.addTask {
                            do {
                                let receipt = try await partner.finish(
                                    PlanInstruction(round: round, kind: instruction[k], prices: own, isFinal: isFinal))
                                try Self.check(receipt, of: partner)
                                try await filePlan(partner)
                                return (k, .success(receipt))
                            } catch {
                                return (k, .failure(error))
                            }
                        }
                    }
                    var answers = [Result<PlanReceipt, any Error>?](repeating: nil, count: partners.count)
                    for await (k, answer) in group { answers[k] = answer }
                    return answers.map { $0! }
                }
                let receipts = try answers.map { try $0.get() }
                var activity = Array(repeating: 0.0, count: contract.linkingRows.count)
                var magnitude = Array(repeating: 0.0, count: activity.count)
                for (partner, receipt) in zip(partners, receipts) {
                    for (r, u) in zip(partner.linkingRows, receipt.usage) {
                        activity[r] += u
                        magnitude[r] += abs(u)
                    }
                }
                let check = contract.linkingViolation(activity, tolerance: Self.planTolerance, magnitude: magnitude)
                result.linkingViolation = check.worst
                result.plansDelivered = true
                linkingActivity = activity
                if result.status == .optimal && !check.rows.isEmpty {
                    // The master's combination met the rows; the plans the partners formed from
                    // it do not: never report that as optimal.
                    result.status = .inaccurate
                    result.message = "the partners' final plans leave linking rows by up to \(check.worst) "
                        + "(\(check.rows.prefix(5).joined(separator: ", "))\(check.rows.count > 5 ? ", …" : "")): "
                        + "numerical trouble, the result is not proven"
                    result.violatedRows = check.rows
                    result.linkingPrices = nil
                }
            } catch let error as PartnerError {
                result.partner = error.partner
                if result.status == .optimal || result.status == .converged {
                    result.status = .partnerFailed
                    result.message = "plan instruction failed: \(error.description)"
                    if checkpoints {
                        result.message += "; once that is put right, `parley round resume \(outputDirectory)` hands the same plans over again"
                    }
                } else {
                    // Stopped at a limit: that stays the round's status.
                    result.message += "; plan instruction failed: \(error.description)"
                }
            }
        }
        var fields: [(String, String)] = [
            ("method", JSONText.string(result.method)),
            ("status", JSONText.string(result.status.rawValue)),
            ("objective", JSONText.number(result.objective)),
            ("bound", JSONText.number(result.bound)),
            ("gap", JSONText.number(result.gap)),
            ("iterations", "\(result.iterations)"),
            ("seconds", JSONText.number(result.seconds)),
            ("cpu_seconds", JSONText.number(cpuSeconds)),
            ("partners", "[" + partners.map { JSONText.string($0.name) }.joined(separator: ", ") + "]"),
            ("message", JSONText.string(result.message)),
            ("partner", JSONText.string(result.partner)),
            ("violated_rows", "[" + result.violatedRows.map { JSONText.string($0) }.joined(separator: ", ") + "]"),
            ("linking_violation", JSONText.number(result.linkingViolation)),
            ("plans", result.plansDelivered ? "true" : "false"),
            ("contract_hash", JSONText.string(contract.contentHash)),
            ("round", JSONText.string(round)),
        ]
        if let traffic {
            let now = traffic()
            fields += [("bytes_sent", "\(now.sent)"), ("bytes_received", "\(now.received)")]
        }
        try writingOut {
            if let linkingActivity {
                try AtomicFile.write(
                    Self.linkingTable(contract, activity: linkingActivity, prices: result.linkingPrices), to: "\(outputDirectory)/linking.csv")
            }
            try AtomicFile.write(JSONText.object(fields) + "\n", to: "\(outputDirectory)/summary.json")
        }
        return result
    }

    /// Runs `write`, a write of the round's results to the run directory. If it fails (a full
    /// disk), a networked round's error says how to go on: its checkpoint, and the nodes' state,
    /// are still there.
    private func writingOut(_ write: () throws -> Void) throws {
        do {
            try write()
        } catch let error as ModelFileError where checkpoints {
            throw ModelFileError(
                file: error.file, line: error.line,
                message: error.message + "; once it can be written, `parley round resume \(outputDirectory)` takes the round up again")
        }
    }

    /// Runs the round's method (from `resume`'s checkpoint, if set): its result, the plan
    /// instruction for each partner if it hands over a plan, and this process's CPU seconds.
    private func runMethod(round: String, partners: [any Partner], observer: @escaping IterationObserver) async throws
        -> (RoundResult, [PlanInstruction.Kind]?, Double)
    {
        var result: RoundResult
        var instruction: [PlanInstruction.Kind]? = nil
        let cpuAtStart = ProcessCPU.seconds()
        let writer = checkpoints ? try CheckpointWriter(runDirectory: outputDirectory, resumed: resume) : nil
        switch self.method {
        case .dw:
            var sink: (@Sendable (DantzigWolfeCheckpoint) -> Void)? = nil
            if let writer { sink = { checkpoint in writer.submit(.dw(checkpoint)) } }
            var saved: DantzigWolfeCheckpoint? = nil
            switch resume {
            case .dw(let c)?: saved = c
            case .admm?: throw CheckpointError("an ADMM checkpoint cannot resume a DW round")
            case nil: break
            }
            let (r, weights) = try await DantzigWolfe(settings: dantzigWolfe).run(
                round: round, contract: contract, partners: partners, observer: observer, resume: saved, checkpoint: sink)
            result = r
            // DW returns weights only when it hands over a plan (optimal, or stopped at a limit
            // in phase 2); every other end returns none.
            if weights.count == partners.count { instruction = weights.map { .weights($0) } }
        case .admm:
            var sink: (@Sendable (ADMMCheckpoint) -> Void)? = nil
            if let writer { sink = { checkpoint in writer.submit(.admm(checkpoint)) } }
            var saved: ADMMCheckpoint? = nil
            switch resume {
            case .admm(let c)?: saved = c
            case .dw?: throw CheckpointError("a DW checkpoint cannot resume an ADMM round")
            case nil: break
            }
            result = try await ADMM(settings: admm).run(
                round: round, contract: contract, partners: partners, observer: observer, resume: saved, checkpoint: sink)
            if result.status == .converged { instruction = Array(repeating: .lastIterate, count: partners.count) }
        }
        await writer?.flush()
        // This process's CPU time over the round (the plan instructions excepted, as `seconds`):
        // the coordinator's own, plus the partners' with --local.
        let cpuSeconds = ProcessCPU.seconds() - cpuAtStart
        if let deadline { result = deadline.settle(result) }
        return (result, instruction, cpuSeconds)
    }

    /// `RUN/linking.csv`: each linking row's bounds, its activity under the partners' final plans
    /// (the sum of their usages, from their plan receipts) and its price (see
    /// `RoundResult.linkingPrices`; empty when the round has none). Empty cells for infinite
    /// bounds.
    static func linkingTable(_ contract: ChainContract, activity: [Double], prices: [Double]?) -> String {
        func cell(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "" }
            return "\(value)"
        }
        var text = "row,lower,upper,activity,price\n"
        for (i, row) in contract.linkingRows.enumerated() {
            text += "\(CSVText.field(row.name)),\(cell(row.lower)),\(cell(row.upper)),\(cell(activity[i])),\(cell(prices?[i]))\n"
        }
        return text
    }
}

/// The traffic counters at the previous iteration, to log each iteration's own bytes.
private final class TrafficMark: @unchecked Sendable {
    // The observer is called once per iteration, from the round's task; the lock covers the rest.
    private let lock = NSLock()
    private var last = (sent: 0, received: 0)

    func advance(to now: (sent: Int, received: Int)) -> (Int, Int) {
        lock.withLock {
            defer { last = now }
            return (now.sent - last.sent, now.received - last.received)
        }
    }
}

/// Writes checkpoints off the round's path: a serial writer that always writes the newest one
/// submitted (what is new in the log, then the state: see `CheckpointStore`) and skips any it was
/// too slow for. A crash before the newest is on disk leaves the one before it, which a resume
/// continues from just as well (the nodes keep every proposal and their recent ADMM usages).
private final class CheckpointWriter: @unchecked Sendable {
    // `pending` and `writing` are only touched under `lock`; `store` only on `queue`.
    private let lock = NSLock()
    private var pending: RoundCheckpoint?
    private var writing = false
    private let queue = DispatchQueue(label: "parley.checkpoint")
    private let group = DispatchGroup()
    private let warned = WarnOnce()
    private let store: CheckpointStore

    init(runDirectory: String, resumed: RoundCheckpoint?) throws {
        store = try CheckpointStore(runDirectory: runDirectory, resumed: resumed)
    }

    func submit(_ checkpoint: RoundCheckpoint) {
        let start = lock.withLock {
            pending = checkpoint
            defer { writing = true }
            return !writing
        }
        guard start else { return }
        group.enter()
        queue.async {
            self.drain()
            self.group.leave()
        }
    }

    private func drain() {
        while true {
            let next: RoundCheckpoint? = lock.withLock {
                let next = pending
                pending = nil
                if next == nil { writing = false }
                return next
            }
            guard let next else { return }
            do {
                try store.save(next)
            } catch {
                warned.say("warning: cannot write the checkpoint in \(store.runDirectory) (a coordinator crash now loses the round): \(error)")
            }
        }
    }

    /// Waits until the newest checkpoint submitted is on disk.
    func flush() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            group.notify(queue: queue) { done.resume() }
        }
    }
}

/// CPU time (user + system, all threads) this process has used.
enum ProcessCPU {
    static func seconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func value(_ t: timeval) -> Double { Double(t.tv_sec) + 1e-6 * Double(t.tv_usec) }
        return value(usage.ru_utime) + value(usage.ru_stime)
    }
}

/// A new round's id: the chain's name, the start time in seconds (so ids sort by start) and 32
/// random bits. A node takes a known id for the same round resumed, so two rounds started in the
/// same second (a script running them back to back) must not share one. Nodes name files after
/// it, and accept only letters, digits, '.', '_' and '-': the chain's name ("Acme chain 2027/EU")
/// goes in with any other character as '-', at most 64 of them, not starting with '.'.
public func newRoundID(chain: String) -> String {
    let seconds = Int(Date().timeIntervalSince1970)
    let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
    var name = String(chain.prefix(64).map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
    if name.isEmpty || name.hasPrefix(".") { name = "chain" + name }
    return "\(name)-\(seconds)-\(String(repeating: "0", count: 8 - suffix.count))\(suffix)"
}
