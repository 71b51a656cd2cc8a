import Foundation
import ParleyDecomposition
import Synchronization

/// `--max-seconds` as a real deadline for a networked round: when it passes, the partner calls
/// in flight are cut (their tasks cancelled, so a `RemotePartner` stops waiting at once) and the
/// round ends `time_limit`, naming the partners that had not answered.
///
/// The methods check their own time limit only between iterations; a partner that hangs (a
/// stopped process, a link that went quiet) would otherwise hold the round until the request
/// timeout and the partner deadline. Plan instructions are never cut: once a method has
/// finished, its plans are handed out whole, so no partner is left holding part of a plan.
public final class RoundDeadline: Sendable {
    public let limit: Duration
    private struct State {
        var start: ContinuousClock.Instant? = nil
        var timer: Task<Void, Never>? = nil
        var inFlight: [Int: (partner: String, cut: @Sendable () -> Void)] = [:]
        var issued = 0
        /// Set when the deadline passed: the partners whose calls were cut, in call order.
        var cut: [String]? = nil
    }

    private let state = Mutex(State())

    public init(limit: Duration) {
        self.limit = limit
    }

    /// Starts the clock (now).
    func start() {
        let start = ContinuousClock.now
        let limit = limit
        let timer = Task { [weak self] in
            do {
                try await Task.sleep(until: start + limit, clock: .continuous)
            } catch {
                return  // stopped: the round ended first
            }
            self?.expire()
        }
        state.withLock {
            $0.start = start
            $0.timer = timer
        }
    }

    /// The partners, each call guarded by the deadline (plan instructions excepted).
    func guarding(_ partners: [any Partner]) -> [any Partner] {
        partners.map { DeadlinePartner(partner: $0, deadline: self) }
    }

    /// Whether the deadline passed, and whose calls it cut.
    public var cutPartners: [String]? { state.withLock { $0.cut } }

    /// The partners with a call in flight, by name (tests wait on it to know the others settled).
    var partnersInFlight: [String] { state.withLock { $0.inFlight.values.map(\.partner).sorted() } }

    func expire() {
        let cuts: [@Sendable () -> Void] = state.withLock { state in
            guard state.cut == nil else { return [] }
            let calls = state.inFlight.sorted { $0.key < $1.key }.map(\.value)
            var names: [String] = []
            for call in calls where !names.contains(call.partner) { names.append(call.partner) }
            state.cut = names
            state.inFlight = [:]
            return calls.map(\.cut)
        }
        for cut in cuts { cut() }
    }

    /// Stops the clock (the round ended); the result becomes `time_limit` if the deadline cut it.
    func settle(_ result: RoundResult) -> RoundResult {
        let cut = state.withLock { state in
            state.timer?.cancel()
            return state.cut
        }
        guard let cut, result.status != .optimal, result.status != .converged else { return result }
        var result = result
        result.status = .timeLimit
        result.partner = nil
        let seconds = String(format: "%g", limit.secondsValue)
        result.message =
            "time limit of \(seconds) s reached in iteration \(result.iterations + 1)"
            + (cut.isEmpty ? "" : "; no answer from \(cut.joined(separator: ", "))")
        return result
    }

    /// Runs `call` for `partner` unless the deadline has passed; cut (cancelled, and the error
    /// says so) if it passes meanwhile.
    func guarded<T: Sendable>(_ partner: String, _ call: @escaping @Sendable () async throws -> T) async throws -> T {
        let cutError = PartnerError(partner: partner, kind: .solverFailure, message: "no answer before the round's time limit")
        let task = Task { try await call() }
        let cancel: @Sendable () -> Void = { task.cancel() }
        let token: Int? = state.withLock { state in
            guard state.cut == nil else { return nil }
            state.issued += 1
            state.inFlight[state.issued] = (partner, cancel)
            return state.issued
        }
        guard let token else {
            task.cancel()
            throw cutError
        }
        defer { _ = state.withLock { $0.inFlight.removeValue(forKey: token) } }
        do {
            return try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch {
            if cutPartners != nil { throw cutError }
            throw error
        }
    }
}

/// A partner whose calls the round deadline may cut.
struct DeadlinePartner: Partner {
    let partner: any Partner
    let deadline: RoundDeadline
    var name: String { partner.name }
    var linkingRows: [Int] { partner.linkingRows }

    func price(_ request: PricingRequest) async throws -> PricingResponse {
        let partner = partner
        return try await deadline.guarded(name) { try await partner.price(request) }
    }

    func admmStep(_ request: ADMMRequest) async throws -> ADMMResponse {
        let partner = partner
        return try await deadline.guarded(name) { try await partner.admmStep(request) }
    }

    func finish(_ instruction: PlanInstruction) async throws -> PlanReceipt {
        try await partner.finish(instruction)
    }
}
