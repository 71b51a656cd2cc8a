import Foundation
import ParleyCoordinator
import ParleyModel
import ParleyTestSupport

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

    /// Runs `parley arguments…` to the end; returns its exit status and combined output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("parley-run-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
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
    return text.split(separator: "\n").dropFirst().map { line in
        let parts = line.split(separator: ",", maxSplits: 1)
        return (String(parts[0]), Double(parts[1])!)
    }
}

/// The run's summary.json as a dictionary.
func readSummary(_ run: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(run)/summary.json"))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}
