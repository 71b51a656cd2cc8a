import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension LocalFederation {
    /// Starts one `parley node --config <party>/node.yaml` process per partner, each logging to
    /// `<party>/node.log`. `launcher` may put a command in front of a party's node (such as
    /// `ip netns exec NAME`, which execs it in place, so the process is still the node's).
    public func startNodes(executable: String, launcher: (String) -> [String] = { _ in [] }) throws -> RunningNodes {
        var nodes: [RunningNodes.Node] = []
        for (party, config) in nodeConfigurations {
            let log = (config as NSString).deletingLastPathComponent + "/node.log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let command = launcher(party) + [executable, "node", "--config", config]
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            nodes.append(RunningNodes.Node(party: party, process: process, log: log))
        }
        return RunningNodes(nodes: nodes)
    }
}

/// The node processes of a `LocalFederation`; stopped with SIGTERM (graceful), then SIGKILL.
public final class RunningNodes: @unchecked Sendable {
    // `nodes` is set in init and never changed; Process is safe to signal from any thread.
    struct Node {
        let party: String
        let process: Process
        let log: String
    }

    let nodes: [Node]

    init(nodes: [Node]) { self.nodes = nodes }

    public var processIdentifiers: [String: Int32] {
        Dictionary(uniqueKeysWithValues: nodes.map { ($0.party, $0.process.processIdentifier) })
    }

    /// Waits until every node logged that it listens, or `seconds` pass; returns those that did
    /// not (with the last line of their log, which says why).
    public func waitUntilListening(seconds: Double = 60) -> [(party: String, lastLine: String)] {
        let deadline = Date().addingTimeInterval(seconds)
        var waiting = Set(nodes.map(\.party))
        while !waiting.isEmpty && Date() < deadline {
            for node in nodes where waiting.contains(node.party) {
                if log(of: node.party).contains("\"message\":\"listening\"") { waiting.remove(node.party) }
                // A node that exited will not listen; it is reported below with its last log line.
                if !node.process.isRunning { waiting.remove(node.party) }
            }
            if !waiting.isEmpty { usleep(50_000) }
        }
        return nodes.filter { waiting.contains($0.party) || !$0.process.isRunning }.map { node in
            (node.party, log(of: node.party).split(separator: "\n").last.map(String.init) ?? "(no output)")
        }
    }

    public func log(of party: String) -> String {
        guard let node = nodes.first(where: { $0.party == party }) else { return "" }
        return (try? String(contentsOfFile: node.log, encoding: .utf8)) ?? ""
    }

    /// SIGTERM to all, up to five seconds to finish, then SIGKILL.
    public func stop() {
        for node in nodes where node.process.isRunning { kill(node.process.processIdentifier, SIGTERM) }
        for node in nodes {
            for _ in 0..<200 where node.process.isRunning { usleep(25_000) }
            if node.process.isRunning { kill(node.process.processIdentifier, SIGKILL) }
        }
    }

    deinit { stop() }
}
