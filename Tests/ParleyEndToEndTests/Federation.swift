import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `parley` executable this package built (`swift build --build-tests` builds it too).
enum ParleyBinary {
    static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
        for configuration in ["debug", "release"] {
            let candidate = root.appendingPathComponent(".build/\(configuration)/parley").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return root.appendingPathComponent(".build/debug/parley").path
    }()

    /// Runs `parley arguments…` to the end; returns its exit status and combined output. Waits
    /// without holding a thread: tests run side by side on a small pool, and one that blocks it
    /// stalls the others' tasks (a heartbeat test measures their timing).
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("parley-run-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in done.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                done.resume(throwing: error)
            }
        }
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        return (process.terminationStatus, output)
    }
}

/// A scratch directory removed afterwards.
final class Scratch {
    let path: String
    init(_ name: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-e2e-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Reads a node's plan file (`variable,value` lines).
func readPlan(_ path: String) throws -> [(String, Double)] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").dropFirst().map { line in
        let (name, fields) = try #require(CSVText.split(line, trailing: 1), "\(path): \(line)")
        return (name, try #require(Double(fields[0]), "\(path): \(line)"))
    }
}

/// The joint plan of a round the federation's nodes finished: each node's plan file
/// (`STATE/plans/<round>.csv`, or `<round>.provisional.csv`) put into the original model's columns.
func jointPlan(of federation: LocalFederation, round: String, program: LinearProgram, provisional: Bool = false) throws -> [Double] {
    let columns = program.columnIndexByName()
    var x = Array(repeating: 0.0, count: program.columnCount)
    for party in federation.contract.partners {
        for (name, value) in try readPlan("\(federation.directory)/\(party.name)/state/plans/\(round)\(provisional ? ".provisional" : "").csv") {
            x[try #require(columns[name], "unknown column \(name)")] = value
        }
    }
    return x
}

extension LocalFederation {
    /// The node.yaml of `party`.
    func configuration(of party: String) -> String {
        nodeConfigurations.first { $0.party == party }!.path
    }
}

/// Sends `signal` to `pid` and waits (up to five seconds) until the process is gone.
func stopProcess(_ pid: pid_t, with signal: Int32 = SIGTERM) {
    kill(pid, signal)
    for _ in 0..<500 where kill(pid, 0) == 0 { usleep(10_000) }
}

/// Checks a finished networked run of `instance`: its summary's status, its objective within
/// `tolerance` (relative) of the reference optimum, and the plans the nodes wrote, put together,
/// feasible for the original model (to 1e-6 of the plan's scale) and costing the optimum. Returns
/// the summary.
@discardableResult
func expectReachedOptimum(
    _ run: String, of instance: String, federation: LocalFederation, status: String = "optimal", tolerance: Double = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [String: Any] {
    let summary = try readSummary(run)
    #expect(summary["status"] as? String == status, "\(summary["message"] ?? "")", sourceLocation: sourceLocation)
    let reference = Fixtures.references.first { $0.name == instance }!.optimum
    let objective = try #require(summary["objective"] as? Double, sourceLocation: sourceLocation)
    #expect(abs(objective - reference) <= tolerance * abs(reference), "objective \(objective) vs \(reference)", sourceLocation: sourceLocation)
    let program = try MPSReader().read(path: Fixtures.path("blocks/\(instance).mps"))
    let round = try #require(summary["round"] as? String, sourceLocation: sourceLocation)
    let x = try jointPlan(of: federation, round: round, program: program)
    let scale = max(1, x.map(abs).max() ?? 1)
    #expect(program.maximumViolation(x) <= 1e-6 * scale, "violation \(program.maximumViolation(x))", sourceLocation: sourceLocation)
    #expect(abs(program.objectiveValue(x) - reference) <= tolerance * abs(reference), sourceLocation: sourceLocation)
    return summary
}

/// The run's summary.json as a dictionary.
func readSummary(_ run: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(run)/summary.json"))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

/// Splits a block instance with `parley split` and sets up a local federation for it (CA,
/// certificates, node.yaml files), without starting any node.
func prepareFederation(_ instance: String, scratch: Scratch, host: String = "127.0.0.1") async throws -> LocalFederation {
    let chain = "\(scratch.path)/chain"
    let split = try await ParleyBinary.run([
        "split", Fixtures.path("blocks/\(instance).mps"), "--dec", Fixtures.path("blocks/\(instance).dec"), "--out", chain,
    ])
    guard split.status == 0 else { throw FederationSetupError(message: "parley split failed: \(split.output)") }
    return try await LocalFederation.prepare(chainDirectory: chain, directory: "\(scratch.path)/federation", host: host)
}

/// `prepareFederation`, then its nodes started (waiting until they listen).
func startFederation(_ instance: String, scratch: Scratch, host: String = "127.0.0.1") async throws -> (LocalFederation, RunningNodes) {
    let federation = try await prepareFederation(instance, scratch: scratch, host: host)
    let nodes = try federation.startNodes(executable: ParleyBinary.path)
    let late = await offThePool { nodes.waitUntilListening() }
    guard late.isEmpty else { throw FederationSetupError(message: "nodes not listening: \(late)") }
    return (federation, nodes)
}

/// Runs blocking work (polling with sleeps) on a thread of its own, so that it does not hold one
/// of the few threads every test's tasks share.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { done in
        Thread { done.resume(returning: work()) }.start()
    }
}

/// Sends `signal` to `pid` the moment `condition` holds, polling it every millisecond on a
/// thread of its own: a round of pds-02 takes ~0.3 s, less than other suites' CPU-bound tests
/// can keep the shared pool busy, so a poll there could see the condition only after the round
/// had ended. False if the condition did not hold within `timeout` or the signal failed.
func signal(_ signal: Int32, to pid: pid_t, when condition: @escaping @Sendable () -> Bool, timeout: Duration = .seconds(60)) async -> Bool {
    await offThePool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return kill(pid, signal) == 0 }
            usleep(1000)
        }
        return false
    }
}

/// Lines in a run's convergence log so far (one per finished iteration).
func loggedIterations(_ run: String) -> Int {
    ((try? String(contentsOfFile: "\(run)/convergence.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").count
}

/// Starts `parley arguments…` in the background, its output in `log` (created) or nowhere.
func launchParley(_ arguments: [String], log: String? = nil) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ParleyBinary.path)
    process.arguments = arguments
    if let log {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
    } else {
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
    }
    try process.run()
    return process
}

/// Runs a system tool (`ip`, `mount`) to the end; its exit status and combined output.
func runTool(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Waits until `process` has exited, or `seconds` have passed.
func waitForExit(_ process: Process, seconds: Double) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
}

/// `parley round start` over the network as the federation's coordinator.
func roundArguments(_ federation: LocalFederation, method: String, out: String) -> [String] {
    [
        "round", "start", "--chain", federation.chainPath, "--method", method, "--out", out, "--quiet",
        "--tls-certificate", federation.coordinatorTLS.certificatePath, "--tls-key", federation.coordinatorTLS.privateKeyPath,
        "--tls-ca", federation.coordinatorTLS.trustRootsPath,
    ]
}

/// Whether a TCP socket can listen on ::1 here.
func ipv6LoopbackWorks() -> Bool {
    let socket = Glibc.socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { return false }
    defer { close(socket) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
    }
}

struct FederationSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
