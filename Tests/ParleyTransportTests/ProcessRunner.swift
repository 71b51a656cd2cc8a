import Foundation

/// Runs a command without blocking a Swift concurrency thread, feeding `input` on stdin and
/// returning its combined stdout and stderr and its exit status.
func runProcess(_ arguments: [String], input: String = "", directory: URL? = nil) async throws -> (output: String, status: Int32) {
    let result = try await runProcess(arguments, bytes: Array(input.utf8), directory: directory)
    return (String(decoding: result.outputBytes, as: UTF8.self), result.status)
}

/// As above with binary input.
func runProcess(_ arguments: [String], bytes: [UInt8], directory: URL? = nil) async throws -> (outputBytes: [UInt8], status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardError = output
    process.standardInput = stdin
    let collected = OutputCollector()
    output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { process in continuation.resume(returning: process.terminationStatus) }
        do {
            try process.run()
        } catch {
            continuation.resume(throwing: error)
            return
        }
        stdin.fileHandleForWriting.write(Data(bytes))
        try? stdin.fileHandleForWriting.close()
    }
    output.fileHandleForReading.readabilityHandler = nil
    collected.append(output.fileHandleForReading.readDataToEndOfFile())
    return (collected.bytes, status)
}

final class OutputCollector: @unchecked Sendable {
    // Appended to from the pipe's handler thread and read after the process ends.
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    var bytes: [UInt8] { lock.withLock { Array(data) } }
}

/// A command left running (an `openssl s_server`, say): its output so far, input on demand.
final class LiveProcess: @unchecked Sendable {
    // `process` and the pipes are set up in init and only read afterwards; the collected
    // output is guarded by its own lock.
    private let process = Process()
    private let input = Pipe()
    private let collected = OutputCollector()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        let collected = self.collected
        output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try process.run()
    }

    var output: String { collected.text }

    /// Waits until the output contains `text` (or the deadline passes); returns whether it did.
    func waitFor(_ text: String, seconds: Double = 10) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return output.contains(text)
    }

    func write(_ bytes: [UInt8]) {
        input.fileHandleForWriting.write(Data(bytes))
    }

    /// Ends the process (SIGKILL: a test peer has nothing to save) and waits up to five seconds for it to go. Polls rather than
    /// calling `waitUntilExit`, which blocks a concurrency thread on a run loop.
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for _ in 0..<250 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
