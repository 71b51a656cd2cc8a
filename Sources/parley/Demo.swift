import ArgumentParser
import Foundation
import ParleyCoordinator
import ParleyDecomposition
import ParleyModel
import ParleySolver

#if canImport(Glibc)
import Glibc
#endif

/// `parley demo`: a whole federation on this machine — CA, certificates, one node process per
/// partner, a coordinated round over TLS with its live table, the plot, and the centralized
/// optimum beside the negotiated one.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a local federation: one node process per partner, a round over TLS on loopback.",
        discussion: """
            Makes a throw-away CA and certificates, splits the chain (default: the pds-02 instance, \
            11 partners), starts `parley node` per partner on 127.0.0.1, runs the round, writes \
            the plot, and prints the optimum beside the centralized one. The nodes are stopped on \
            exit, also on Ctrl-C or SIGTERM. Everything is written under --out: a new directory, or \
            one an earlier demo wrote (it is replaced); any other existing directory is refused.
            """
    )

    @Option(help: "A block instance to split (its .dec beside it). Default: the repository's Tests/Fixtures/instances/blocks/pds-02.mps.")
    var model: String?

    @Option(help: "Use a ready chain from Deploy/examples instead of --model (e.g. two-firm).")
    var example: String?

    @Option(help: "dw or admm.")
    var method: String = "dw"

    @Option(help: "Pack the blocks into this many partners (with --model).")
    var partners: Int?

    @Option(help: "Directory for everything the demo writes. A new directory, or an earlier demo's (replaced).")
    var out: String = "demo-run"

    /// Written into --out, so a later demo may replace what an earlier one wrote and nothing else.
    static let marker = ".parley-demo"

    func validate() throws {
        guard RoundMethod(rawValue: method) != nil else { throw ValidationError("--method must be dw or admm") }
        if let partners, partners < 1 { throw ValidationError("--partners must be at least 1") }
    }

    func run() async throws {
        // Everything is checked before --out is touched.
        let exampleDirectory = try example.map { name in
            let relative = "Deploy/examples/\(name)"
            guard let found = Self.repositoryFile(relative + "/chain.yaml") else {
                throw DemoError("no chain at \(relative)/chain.yaml (here or in the repository this parley was built in)")
            }
            return (found as NSString).deletingLastPathComponent
        }
        let chainDirectory: String
        if let exampleDirectory {
            try Self.prepareOutput(out)
            chainDirectory = exampleDirectory
        } else {
            let model = try model ?? Self.defaultModel()
            try Self.prepareOutput(out)
            chainDirectory = "\(out)/chain"
            let program = try MPSReader().read(path: model)
            let decPath = (model as NSString).deletingPathExtension + ".dec"
            let decomposition = try BlockDecomposition.read(path: decPath, for: program)
            let name = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
            let split = try ChainSplitter(chainName: name, partnerCount: partners).split(program, decomposition)
            try split.write(to: chainDirectory)
        }
        print("== Setting up a consortium: CA, a certificate per party, one node per partner")
        let federation = try await LocalFederation.prepare(chainDirectory: chainDirectory, directory: "\(out)/federation")
        let nodes = try federation.startNodes(executable: Self.executablePath)
        let stoppers = Self.stopNodesOnSignals(nodes)
        defer {
            nodes.stop()
            for stopper in stoppers { stopper.cancel() }
        }
        let late = nodes.waitUntilListening()
        guard late.isEmpty else {
            for (party, line) in late { printError("node \(party) did not start: \(line)") }
            throw ExitCode(1)
        }
        print("   \(federation.contract.partners.count) nodes listening on 127.0.0.1 (pids \(nodes.processIdentifiers.values.sorted().map(String.init).joined(separator: " ")))")
        print("")
        print("== \(method == "dw" ? "Dantzig–Wolfe" : "ADMM") round over TLS 1.3 (prices out, proposals back)")
        let run = "\(out)/run"
        var round = NetworkRound(chainPath: federation.chainPath, method: RoundMethod(rawValue: method)!, outputDirectory: run, tls: federation.coordinatorTLS)
        round.printer = { line in
            print(line)
            fflush(nil)
        }
        let nodeCPUBefore = Self.cpuSeconds(of: nodes)
        let result = try await round.run()
        print("")
        let nodeCPU = Self.cpuSeconds(of: nodes).merging(nodeCPUBefore) { after, before in after - before }
        try Self.writeResources(nodes: nodes, nodeCPU: nodeCPU, to: "\(out)/resources.json")
        try ConvergencePlot(report: try ConvergenceReport.load(runDirectory: run)).write(to: "\(run)/convergence.svg")

        // The same chain solved as one model: what a central planner who saw everything would find.
        let problems = try federation.contract.partners.map { party in
            try PartnerProblem.load(contract: federation.contract, partnerDirectory: "\(chainDirectory)/partners/\(party.name)", expected: party.name)
        }
        let central = try ClpSolver(program: try federation.contract.centralProgram(problems)).solve()
        print("status        \(result.status.rawValue): \(result.message)")
        // An unbounded, infeasible or failed round's last objective is not a plan's value; nor is CLP's
        // objective when it finds the central model unbounded or infeasible: neither is printed
        // as if it were one.
        let planned = ![RoundStatus.unbounded, .infeasible, .partnerFailed].contains(result.status)
        print("negotiated    \(planned ? result.objective.map { "\($0)" } ?? "-" : "- (\(result.status.rawValue))")")
        if let bound = result.bound, let gap = result.gap {
            print("bound         \(bound) (gap \(String(format: "%.2e", gap)))")
        }
        print("centralized   \(central.status == .optimal ? "\(central.objective) (optimal)" : "- (\(central.status))")")
        if planned, central.status == .optimal, let negotiated = result.objective {
            let centralized = central.objective
            print("difference    \(String(format: "%.2e", abs(negotiated - centralized) / max(1, abs(centralized)))) (relative)")
        }
        print("iterations    \(result.iterations) in \(String(format: "%.2f", result.seconds)) s")
        print("")
        print("Convergence log   \(run)/convergence.jsonl  (parley log show \(run))")
        print("Summary           \(run)/summary.json")
        print("Plot              \(run)/convergence.svg  (parley log plot \(run) --out FILE.svg)")
        print("Plans             \(out)/federation/<partner>/state/plans/<round>.csv (each node wrote its own)")
        if result.plansDelivered {
            print("Linking rows      \(run)/linking.csv (each shared row's activity and price)")
        }
        print("Audit logs        \(out)/federation/<partner>/state/audit.jsonl (every message a node sent)")
        print("Node logs         \(out)/federation/<partner>/node.log")
        switch result.status {
        case .optimal, .converged: return
        case .infeasible, .unbounded: throw ExitCode(2)
        default: throw ExitCode(3)
        }
    }

    /// CPU time each node's threads have used so far (the first field of each thread's
    /// /proc/PID/task/TID/schedstat: nanoseconds on a CPU; a thread that ended meanwhile is
    /// not counted, so this errs low).
    static func cpuSeconds(of nodes: RunningNodes) -> [String: Double] {
        nodes.processIdentifiers.compactMapValues { pid in
            guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
            let nanoseconds = threads.reduce(0.0) { total, thread in
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/schedstat", encoding: .utf8)) ?? ""
                return total + (text.split(separator: " ").first.flatMap { Double($0) } ?? 0)
            }
            return nanoseconds / 1e9
        }
    }

    /// For the benchmark, taken before the nodes stop: peak resident memory (VmHWM) of the
    /// coordinator (this process) and of each node, in KiB, and each node's CPU seconds over the
    /// round (from connecting to its plan receipt).
    static func writeResources(nodes: RunningNodes, nodeCPU: [String: Double], to path: String) throws {
        func peak(_ pid: String) -> Int {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
            else { return 0 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        let entries = nodes.processIdentifiers.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(peak("\($0.value)"))" }
        let cpu = nodeCPU.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(JSONText.number($0.value))" }
        let text = "{\"coordinator_peak_kib\": \(peak("self")), \"node_peak_kib\": {\(entries.joined(separator: ", "))}, "
            + "\"node_cpu_seconds\": {\(cpu.joined(separator: ", "))}}\n"
        try AtomicFile.write(text, to: path)
    }

    /// This very executable, so the nodes run the same build.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// pds-02 from the repository's fixtures: 11 commodity blocks.
    static func defaultModel() throws -> String {
        let relative = "Tests/Fixtures/instances/blocks/pds-02.mps"
        guard let found = repositoryFile(relative) else {
            throw DemoError("no \(relative) here or in the repository this parley was built in: pass --model")
        }
        return found
    }

    /// A file given relative to the repository: from the working directory if it is there, else
    /// from the checkout this executable was built in (`.build/<configuration>/parley`), so the
    /// demo's defaults work from any directory.
    static func repositoryFile(_ relative: String) -> String? {
        let manager = FileManager.default
        if manager.fileExists(atPath: relative) { return relative }
        var directory = (executablePath as NSString).deletingLastPathComponent
        while directory != "/" && !directory.isEmpty {
            let candidate = "\(directory)/\(relative)"
            if manager.fileExists(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Makes `path` an empty directory for this demo. An existing directory is replaced only if it
    /// is empty or an earlier demo wrote it (it holds the marker): `--out .` or a mistyped path
    /// must never delete someone's files.
    static func prepareOutput(_ path: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            let contents = isDirectory.boolValue ? ((try? manager.contentsOfDirectory(atPath: path)) ?? []) : ["?"]
            guard contents.isEmpty || contents.contains(marker) else {
                throw DemoError(
                    "--out \(path) exists and was not written by parley demo (no \(marker) in it): choose a new directory")
            }
            try manager.removeItem(atPath: path)
        }
        try AtomicFile.createDirectory(path)
        try AtomicFile.write("parley demo output; a later demo with the same --out replaces this directory\n", to: "\(path)/\(marker)")
    }

    /// Ctrl-C, SIGTERM or SIGHUP: stop the nodes before going (exit status 128 + the signal).
    static func stopNodesOnSignals(_ nodes: RunningNodes) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                printError("\n\(number == SIGINT ? "interrupted" : "terminated"): stopping the nodes")
                nodes.stop()
                Foundation.exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}

/// A demo that cannot start (a missing file, an --out it must not replace): one line, no usage.
struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
