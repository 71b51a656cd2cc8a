import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Linux network namespaces for one test: the coordinator's (`parley-<pid>-<tag>c`) and one per
/// node (`parley-<pid>-<tag><k>`), each node's joined to the coordinator's by a veth pair made
/// inside the namespaces (nothing is added to the machine's own network). Pair k has
/// 10.213.k.1 on the coordinator's side and 10.213.k.2 on the node's, a private range that
/// exists only inside these namespaces. `tearDown` (also run on deinit) deletes the namespaces,
/// which removes their veths.
final class NetworkNamespaces: @unchecked Sendable {
    // Set up in init, then only read; tearDown runs once, from the test's own task.
    let prefix: String
    let partners: Int
    private var created: [String] = []

    /// The `ip` tool, where Debian puts it.
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether this process may make network namespaces (root, and not inside a sandbox that
    /// forbids it), found by trying.
    static let permitted: Bool = {
        guard ip != nil else { return false }
        let probe = "parley-\(getpid())-probe"
        guard (try? run(["netns", "add", probe]))?.status == 0 else { return false }
        _ = try? run(["netns", "del", probe])
        return true
    }()

    /// Runs `ip arguments…`; its exit status and combined output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runTool(ip ?? "/usr/sbin/ip", arguments)
    }

    init(tag: String, partners: Int) throws {
        prefix = "parley-\(getpid())-\(tag)"
        self.partners = partners
        do {
            try add(coordinatorNamespace)
            try must(["-n", coordinatorNamespace, "link", "set", "lo", "up"])
            for k in 0..<partners {
                try add(namespace(k))
                try must(["-n", namespace(k), "link", "set", "lo", "up"])
                try must([
                    "link", "add", "pc\(k)", "netns", coordinatorNamespace, "type", "veth", "peer", "name", "pn\(k)", "netns",
                    namespace(k),
                ])
                try must(["-n", coordinatorNamespace, "addr", "add", "10.213.\(k + 1).1/30", "dev", "pc\(k)"])
                try must(["-n", namespace(k), "addr", "add", "\(address(k))/30", "dev", "pn\(k)"])
                try must(["-n", coordinatorNamespace, "link", "set", "pc\(k)", "up"])
                try must(["-n", namespace(k), "link", "set", "pn\(k)", "up"])
            }
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    var coordinatorNamespace: String { "\(prefix)c" }
    func namespace(_ k: Int) -> String { "\(prefix)\(k)" }
    /// Node k's address (inside its namespace).
    func address(_ k: Int) -> String { "10.213.\(k + 1).2" }

    /// `ip netns exec` into the namespace: a prefix for a command line.
    func exec(_ namespace: String) -> [String] { [Self.ip ?? "/usr/sbin/ip", "netns", "exec", namespace] }

    /// Takes node k's end of its link down or up: its packets then go nowhere, silently, as
    /// on a cut cable.
    func setLink(_ k: Int, up: Bool) throws {
        try must(["-n", namespace(k), "link", "set", "pn\(k)", up ? "up" : "down"])
        guard up else { return }
        // While the link was down both sides' address resolution failed; start it afresh, so a
        // stale entry cannot answer the next connection with "No route to host".
        try must(["-n", coordinatorNamespace, "neigh", "flush", "dev", "pc\(k)"])
        try must(["-n", namespace(k), "neigh", "flush", "dev", "pn\(k)"])
    }

    /// Waits until a TCP connection from the coordinator's namespace to node k's `port`
    /// succeeds (after `setLink(k, up: true)`), up to `seconds`; whether it did.
    func waitUntilReachable(_ k: Int, port: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let probe = Process()
            let command = exec(coordinatorNamespace) + ["/bin/bash", "-c", "exec 3<>/dev/tcp/\(address(k))/\(port)"]
            probe.executableURL = URL(fileURLWithPath: command[0])
            probe.arguments = Array(command.dropFirst())
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            if (try? probe.run()) != nil {
                probe.waitUntilExit()
                if probe.terminationStatus == 0 { return true }
            }
            usleep(200_000)
        } while Date() < deadline
        return false
    }

    func tearDown() {
        for namespace in created.reversed() { _ = try? Self.run(["netns", "del", namespace]) }
        created = []
    }

    private func add(_ namespace: String) throws {
        try must(["netns", "add", namespace])
        created.append(namespace)
    }

    private func must(_ arguments: [String]) throws {
        let (status, output) = try Self.run(arguments)
        guard status == 0 else { throw NamespaceError(message: "ip \(arguments.joined(separator: " ")): \(output)") }
    }

    struct NamespaceError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
