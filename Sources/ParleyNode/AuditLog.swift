import Foundation
import ParleyModel
import ParleyWire

#if canImport(Glibc)
import Glibc
#endif

/// The node's record of every message it sent, one JSON object per line: a partner can check
/// exactly what left the company (proposals' linking-row usages and costs, receipts, errors) and
/// nothing else.
///
/// A line is written (to the kernel) before its message is sent, so a node killed at any moment
/// has logged all it sent; `sync()` (fsync) starts after the send, runs while the node reads and
/// solves its next request, and finishes before the next answer is sent: only a machine crash in
/// those milliseconds could lose a line, and at most the last one. The fsync is off the request's
/// path because on a shared disk it was most of a round's time.
///
/// A `pong` (the answer to a coordinator's heartbeat, carrying back only its nonce) is recorded
/// too, but not fsync'd on its own: its line reaches the disk with the next answer's sync.
///
/// Each line: `time`, `peer`, `round` (when known), `type`, `frame_bytes`, and the message's
/// fields in full. If sending then fails (the connection closed under it), a `not_delivered`
/// line follows, naming the `message_type` that did not leave and why.
public final class AuditLog: @unchecked Sendable {
    // The descriptor is read and replaced under `lock` only.
    private let lock = NSLock()
    private var descriptor: Int32
    public let path: String

    public init(path: String) throws {
        self.path = path
        descriptor = try Self.open(path)
    }

    private static func open(_ path: String) throws -> Int32 {
        // O_APPEND: lines from a restarted node go after the old ones; nothing is ever rewritten.
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw NodeError("\(path): cannot open the audit log (\(String(cString: strerror(errno))))")
        }
        return descriptor
    }

    /// Rotation: if the file at `path` is no longer the one being written (moved away, as
    /// logrotate does without `copytruncate`), syncs the old one and starts a new one at `path`.
    /// Lines written before are in the moved file, whole; none is lost or split. Returns whether
    /// it started a new file; on an error the old file stays in use.
    public func reopenIfMoved() throws -> Bool {
        try lock.withLock {
            var open = stat()
            var named = stat()
            guard fstat(descriptor, &open) == 0 else { return false }
            if stat(path, &named) == 0 && named.st_dev == open.st_dev && named.st_ino == open.st_ino { return false }
            let fresh = try Self.open(path)
            fsync(descriptor)
            close(descriptor)
            descriptor = fresh
            return true
        }
    }

    deinit {
        close(descriptor)
    }

    /// Appends the record of `message` (written, not yet fsync'd: see `sync`).
    public func record(_ message: WireMessage, peer: String, round: String?, frameBytes: Int) throws {
        // Written by hand: a pricing answer carries hundreds of numbers, and boxing each for
        // JSONSerialization cost more than the pricing solve behind it.
        var fields = Self.head(peer: peer, round: round, type: Self.typeName(message.kind))
        fields.append(("frame_bytes", "\(frameBytes)"))
        fields += Self.content(message)
        try append(JSONText.object(fields))
    }

    /// Appends a line saying that the message recorded just before, of type `kind`, did not
    /// leave: the connection failed while it was being sent (a node stopping, a coordinator gone).
    /// The log then never claims more left the company than did.
    public func recordNotDelivered(_ kind: WireMessage.Kind, peer: String, round: String?, reason: String) throws {
        var fields = Self.head(peer: peer, round: round, type: "not_delivered")
        fields += [("message_type", JSONText.string(Self.typeName(kind))), ("reason", JSONText.string(reason))]
        try append(JSONText.object(fields))
    }

    /// The fields every line starts with: `time`, `peer`, `round` (when known), `type`.
    private static func head(peer: String, round: String?, type: String) -> [(String, String)] {
        var fields = [("time", JSONText.string(timestamp())), ("peer", JSONText.string(peer))]
        if let round { fields.append(("round", JSONText.string(round))) }
        fields.append(("type", JSONText.string(type)))
        return fields
    }

    private func append(_ object: String) throws {
        var line = Array(object.utf8)
        line.append(UInt8(ascii: "\n"))
        try lock.withLock {
            if let failure = AtomicFile.appendWhole(line, to: descriptor) {
                throw NodeError("\(path): cannot append to the audit log (\(failure))")
            }
        }
    }

    /// Now, as RFC 3339 UTC with milliseconds (2026-11-29T12:00:00.123Z).
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let millis = Int(now.tv_nsec / 1_000_000)
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }

    /// Waits until every appended line is on disk.
    public func sync() throws {
        try lock.withLock {
            guard fsync(descriptor) == 0 else {
                throw NodeError("\(path): cannot sync the audit log (\(String(cString: strerror(errno))))")
            }
        }
    }

    static func typeName(_ kind: WireMessage.Kind) -> String {
        switch kind {
        case .hello: "hello"
        case .welcome: "welcome"
        case .pricingRequest: "pricing_request"
        case .pricingResponse: "pricing_response"
        case .admmRequest: "admm_request"
        case .admmResponse: "admm_response"
        case .planInstruction: "plan_instruction"
        case .planReceipt: "plan_receipt"
        case .error: "error"
        case .abort: "abort"
        case .ping: "ping"
        case .pong: "pong"
        }
    }

    /// The fields of the messages a node sends, as JSON values. Non-finite numbers, which JSON
    /// lacks, are written as strings ("nan", "inf").
    static func content(_ message: WireMessage) -> [(String, String)] {
        func number(_ value: Double) -> String { value.isFinite ? JSONText.number(value) : JSONText.string("\(value)") }
        func numbers(_ values: [Double]) -> String { "[" + values.map(number).joined(separator: ", ") + "]" }
        switch message {
        case .welcome(let welcome):
            return [("party", JSONText.string(welcome.partyName)), ("contract_hash", JSONText.string(welcome.contractHash))]
        case .pricingResponse(let response):
            let proposals = response.proposals.map {
                JSONText.object([("id", "\($0.id)"), ("usage", numbers($0.usage)), ("cost", number($0.cost)), ("is_ray", $0.isRay ? "true" : "false")])
            }
            return [
                ("proposals", "[" + proposals.joined(separator: ", ") + "]"),
                ("values", "[" + response.values.map { $0.map(number) ?? "null" }.joined(separator: ", ") + "]"),
                ("best", "[" + response.best.map(String.init).joined(separator: ", ") + "]"),
            ]
        case .admmResponse(let response):
            return [
                ("usage", numbers(response.usage)), ("cost", number(response.cost)), ("usage_change", number(response.usageChange)),
                ("residual_products", numbers(response.residualProducts)),
            ]
        case .planReceipt(let receipt):
            return [("usage", numbers(receipt.usage)), ("cost", number(receipt.cost))]
        case .error(let error):
            return [("code", "\(error.code)"), ("text", JSONText.string(error.text))]
        case .abort(let reason):
            return [("reason", JSONText.string(reason))]
        case .ping(let nonce), .pong(let nonce):
            return [("nonce", JSONText.string("\(nonce)"))]
        case .hello(let hello):
            return [("party", JSONText.string(hello.partyName)), ("contract_hash", JSONText.string(hello.contractHash))]
        case .pricingRequest, .admmRequest, .planInstruction:
            return []  // a node never sends these
        }
    }
}

/// A node failure with a message for the operator (file, partner, reason).
public struct NodeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
