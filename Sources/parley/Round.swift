import ArgumentParser
import Foundation
import ParleyCoordinator
import ParleyDecomposition
import ParleyModel
import ParleyTransport

/// `parley round …`: coordinated rounds.
struct Round: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "round",
        abstract: "Run and manage coordinated rounds.",
        subcommands: [Start.self, Resume.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Start a round over the partners of a chain contract.",
            discussion: """
                With --local every partner's private model is loaded into this process from \
                <chain dir>/partners/<name>/ (as written by `parley split`). Writes RUN/convergence.jsonl, \
                RUN/summary.json, RUN/linking.csv (each linking row's activity and price) and \
                RUN/plans/<partner>.csv. Exit status: 0 optimal (DW) or converged \
                (ADMM); 2 infeasible or unbounded; 3 stopped at a limit or a partner failed; 1 bad input.
                """
        )

        @Option(help: "The chain contract (chain.yaml).")
        var chain: String

        @Flag(help: "Run every partner in this process from <chain dir>/partners/ instead of dialling their nodes.")
        var local = false

        @Option(help: "Networked: this coordinator's certificate (PEM; env PARLEY_TLS_CERTIFICATE).")
        var tlsCertificate: String?

        @Option(help: "Networked: its private key (mode 0600; env PARLEY_TLS_KEY).")
        var tlsKey: String?

        @Option(help: "Networked: the consortium CA certificate, the only trust root (env PARLEY_TLS_CA).")
        var tlsCa: String?

        @Option(help: "Networked: the CA's revocation list (optional; env PARLEY_TLS_CRL).")
        var tlsCrl: String?

        @Option(help: "Networked: seconds one request may take before its connection counts as lost (re-made until --partner-deadline).")
        var requestTimeout: Double = 300

        @Option(help: "Networked: seconds a partner whose connection was lost may stay unreachable (reconnecting with backoff).")
        var partnerDeadline: Double = 60

        @Option(help: "Networked: seconds a partner's connection may stay idle before a ping checks it (0 = off); no pong within --request-timeout re-makes the connection.")
        var heartbeat: Double = 5

        @Option(help: "dw (Dantzig–Wolfe: exact optimum with bound and gap) or admm (convex QP costs).")
        var method: String = "dw"

        @Option(help: "Run directory for the logs, the summary and the plans.")
        var out: String

        @Option(help: "Stop after this many iterations.")
        var maxIterations: Int?

        @Option(help: "Stop after this many seconds (networked: requests still unanswered then are cut).")
        var maxSeconds: Double?

        @Option(help: "DW: stop at this relative gap.")
        var gap: Double = 1e-6

        @Flag(help: "DW: turn dual-price smoothing off.")
        var noStabilization = false

        @Option(help: "DW: price vectors per partner per round (1 = one column per partner; default 3, with smoothing).")
        var pricesPerRound: Int?

        @Option(
            help: ArgumentHelp(
                "DW: retire a column from the master after this many master solves in a row unused and priced out; it stays in the pool and comes back when it prices out again (0 keeps every column; with smoothing only).",
                valueName: "solves"))
        var columnAge: Int = DantzigWolfeSettings().columnAgeLimit

        @Option(help: "ADMM: initial penalty ρ (default: chosen from the partners' costs and usages).")
        var rho: Double?

        @Flag(help: "ADMM: turn Anderson acceleration off.")
        var noAcceleration = false

        @Option(help: "ADMM: absolute tolerance on the primal and dual residuals (as OSQP's eps_abs).")
        var epsAbs: Double = ADMMSettings().absoluteTolerance

        @Option(help: "ADMM: relative tolerance on the primal and dual residuals (as OSQP's eps_rel).")
        var epsRel: Double = ADMMSettings().relativeTolerance

        @Flag(help: "Do not print the iteration table.")
        var quiet = false

        func validate() throws {
            guard RoundMethod(rawValue: method) != nil else { throw ValidationError("--method must be dw or admm, not '\(method)'") }
            if !local {
                let environment = ProcessInfo.processInfo.environment
                for (value, flag, variable) in [
                    (tlsCertificate, "--tls-certificate", "PARLEY_TLS_CERTIFICATE"), (tlsKey, "--tls-key", "PARLEY_TLS_KEY"),
                    (tlsCa, "--tls-ca", "PARLEY_TLS_CA"),
                ] where value == nil && (environment[variable] ?? "").isEmpty {
                    throw ValidationError("a networked round needs \(flag) (or \(variable)); use --local to run the partners in this process")
                }
            }
            if !(requestTimeout > 0) { throw ValidationError("--request-timeout must be positive") }
            if !(partnerDeadline >= 0) { throw ValidationError("--partner-deadline must be at least 0") }
            if !(heartbeat >= 0) { throw ValidationError("--heartbeat must be at least 0") }
            if let maxIterations, maxIterations < 1 { throw ValidationError("--max-iterations must be at least 1") }
            if let maxSeconds, !(maxSeconds > 0 && maxSeconds.isFinite) {
                throw ValidationError("--max-seconds must be a positive number of seconds, got \(maxSeconds)")
            }
            if !(gap >= 0 && gap.isFinite) { throw ValidationError("--gap must be a finite number at least 0, got \(gap)") }
            if let pricesPerRound, pricesPerRound < 1 { throw ValidationError("--prices-per-round must be at least 1") }
            if columnAge < 0 { throw ValidationError("--column-age must be at least 0 (0 keeps every column)") }
            if let pricesPerRound, pricesPerRound > 1, noStabilization {
                // The points between the smoothed point and the master's duals all coincide
                // without a stability centre: the round would price one vector and say nothing.
                throw ValidationError(
                    "--prices-per-round \(pricesPerRound) needs dual-price smoothing: without it every price vector is the "
                        + "master's duals (drop --no-stabilization, or give --prices-per-round 1)")
            }
            if let rho, !(rho > 0 && rho.isFinite) { throw ValidationError("--rho must be a positive number, got \(rho)") }
            for (value, flag) in [(epsAbs, "--eps-abs"), (epsRel, "--eps-rel")] where !(value >= 0 && value.isFinite) {
                throw ValidationError("\(flag) must be a finite number at least 0, got \(value)")
            }
            if epsAbs == 0 && epsRel == 0 { throw ValidationError("--eps-abs and --eps-rel cannot both be 0: ADMM would never stop") }
        }

        func run() async throws {
            let method = RoundMethod(rawValue: method)!
            var dantzigWolfe = DantzigWolfeSettings()
            var admm = ADMMSettings()
            dantzigWolfe.gapTolerance = gap
            dantzigWolfe.stabilization = !noStabilization
            dantzigWolfe.pricesPerRound = pricesPerRound ?? (noStabilization ? 1 : 3)
            dantzigWolfe.columnAgeLimit = columnAge
            admm.rho = rho
            admm.absoluteTolerance = epsAbs
            admm.relativeTolerance = epsRel
            if noAcceleration { admm.accelerationMemory = 0 }
            if let maxIterations {
                dantzigWolfe.maximumIterations = maxIterations
                admm.maximumIterations = maxIterations
            }
            if let maxSeconds {
                dantzigWolfe.maximumSeconds = maxSeconds
                admm.maximumSeconds = maxSeconds
            }
            var printer: (@Sendable (String) -> Void)? = nil
            if !quiet {
                printer = { line in
                    print(line)
                    fflush(nil)
                }
            }
            let result: RoundResult
            do {
                if local {
                    var round = LocalRound(chainPath: chain, method: method, outputDirectory: out)
                    round.dantzigWolfe = dantzigWolfe
                    round.admm = admm
                    round.printer = printer
                    result = try await round.run()
                } else {
                    let environment = ProcessInfo.processInfo.environment
                    let tls = TLSConfiguration(
                        certificatePath: tlsCertificate ?? environment["PARLEY_TLS_CERTIFICATE"]!,
                        privateKeyPath: tlsKey ?? environment["PARLEY_TLS_KEY"]!,
                        trustRootsPath: tlsCa ?? environment["PARLEY_TLS_CA"]!,
                        revocationListPath: tlsCrl ?? environment["PARLEY_TLS_CRL"].flatMap { $0.isEmpty ? nil : $0 })
                    for warning in tls.expiryWarnings() { printError("warning: \(warning)") }
                    var round = NetworkRound(chainPath: chain, method: method, outputDirectory: out, tls: tls)
                    round.dantzigWolfe = dantzigWolfe
                    round.admm = admm
                    round.printer = printer
                    round.requestTimeout = .milliseconds(Int64(requestTimeout * 1000))
                    round.reconnect.deadline = .milliseconds(Int64(partnerDeadline * 1000))
                    round.heartbeat = heartbeat > 0 ? .milliseconds(Int64(heartbeat * 1000)) : nil
                    round.notice = { printError("waiting: \($0)") }
                    round.timeLimit = maxSeconds.map { .milliseconds(Int64($0 * 1000)) }
                    let interrupts = InterruptNotice(run: out)
                    defer { interrupts.stop() }
                    result = try await round.run()
                }
            } catch let error as PartnerError {
                printError("error: \(error)")
                throw ExitCode(3)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            try Round.report(result, local: local, out: out)
        }
    }

    /// Ctrl-C or SIGTERM in a networked round: the checkpoint is on disk, so say how to go on,
    /// then stop (status 130). The nodes keep the round.
    final class InterruptNotice {
        private let sources: [any DispatchSourceSignal]

        init(run: String) {
            sources = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    fflush(nil)
                    printError("\ninterrupted: the nodes keep the round; `parley round resume \(run)` goes on from its last checkpoint")
                    Glibc.exit(130)
                }
                source.resume()
                return source
            }
        }

        /// Back to the default: the round is over.
        func stop() {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
    }

    /// The end-of-round lines, and the exit status for the result.
    static func report(_ result: RoundResult, local: Bool, out: String) throws {
        print("")
        print("status      \(result.status.rawValue): \(result.message)")
        if let objective = result.objective { print("objective   \(objective)") }
        if let bound = result.bound { print("bound       \(bound)") }
        if let gap = result.gap { print("gap         \(gap)") }
        if let v = result.linkingViolation { print("linking     max violation \(v)") }
        print("iterations  \(result.iterations) in \(String(format: "%.3f", result.seconds)) s")
        if result.plansDelivered, let line = try? ConvergenceReport.pricesLine(runDirectory: out) { print(line) }
        let planned = result.plansDelivered
        if local {
            print("written     \(out)/convergence.jsonl, \(out)/summary.json" + (planned ? ", \(out)/linking.csv, \(out)/plans/" : ""))
        } else {
            print(
                "written     \(out)/convergence.jsonl, \(out)/summary.json"
                    + (planned ? ", \(out)/linking.csv; each partner wrote its own plan" : ""))
        }
        if planned && (result.status == .iterationLimit || result.status == .timeLimit) {
            print(
                local
                    ? "plans       provisional: the round stopped at a limit with a feasible plan, not a proven optimum"
                    : "plans       provisional (STATE/plans/<round>.provisional.csv): `parley round resume \(out)` goes on, and its final plans replace them")
        }
        switch result.status {
        case .optimal, .converged: return
        case .infeasible, .unbounded: throw ExitCode(2)
        case .inaccurate, .iterationLimit, .timeLimit, .partnerFailed, .partnerUnreachable: throw ExitCode(3)
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume",
            abstract: "Continue a networked round from its last checkpoint.",
            discussion: """
                A networked round writes RUN/round.json when it starts and appends to RUN/checkpoint.log \
                (fsync'd) after every iteration (DW: columns, phase, stabilization centre, bound; \
                ADMM: rho, scaled duals, mean usages). If the coordinator stops — a crash, a kill, a partner \
                unreachable past its deadline, a limit — `parley round resume RUN` reconnects to the same \
                nodes with the same certificate and settings and goes on from the last checkpoint under \
                the same round id; the nodes still hold their proposals and recent usages, so the plans come out as if the \
                round had never stopped. A round that ended optimal, infeasible or unbounded is not resumed. \
                Plans a DW round handed over when it stopped at a limit are provisional \
                (STATE/plans/<round>.provisional.csv): the resumed round's final plans replace them. \
                A round that ended but could not hand every partner its plan (RUN/handover.json) \
                sends the same plan instructions again instead of iterating, checkpoint or not (one \
                that never fit on a full disk is not needed). \
                Exit status as for `round start`.
                """
        )

        @Argument(help: "The run directory of the round (its --out).")
        var run: String

        @Option(help: "Stop after this many iterations in all (default: the round's own limit).")
        var maxIterations: Int?

        @Option(help: "Stop after this many seconds in all, counting those before the stop (default: the round's own limit).")
        var maxSeconds: Double?

        @Flag(help: "Do not print the iteration table.")
        var quiet = false

        func validate() throws {
            if let maxIterations, maxIterations < 1 { throw ValidationError("--max-iterations must be at least 1") }
            if let maxSeconds, !(maxSeconds > 0) { throw ValidationError("--max-seconds must be positive") }
        }

        func run() async throws {
            let result: RoundResult
            do {
                let summaryPath = ConvergenceReport.summaryPath(runDirectory: run)
                if let data = FileManager.default.contents(atPath: summaryPath),
                    let summary = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let status = summary["status"] as? String,
                    ["optimal", "converged", "infeasible", "unbounded"].contains(status)
                {
                    printError("error: \(run): the round already ended with status \(status); there is nothing to resume")
                    throw ExitCode(1)
                }
                guard FileManager.default.fileExists(atPath: RoundManifest.path(runDirectory: run)) else {
                    printError(
                        "error: \(run): no round to resume (no round.json: the coordinator stopped before the round began, "
                            + "or this is not a run directory); start the round again")
                    throw ExitCode(1)
                }
                let manifest = try RunState.readManifest(runDirectory: run)
                guard let method = RoundMethod(rawValue: manifest.method) else {
                    printError("error: \(RoundManifest.path(runDirectory: run)): unknown method '\(manifest.method)'")
                    throw ExitCode(1)
                }
                // A round that ended and wrote down its plan handover needs no checkpoint to hand
                // the plans over again (its first checkpoint may never have fit on a full disk).
                let handover = try RunState.readFinalHandover(runDirectory: run).flatMap { $0.round == manifest.round ? $0 : nil }
                var checkpoint: RoundCheckpoint? = nil
                do {
                    guard FileManager.default.fileExists(atPath: RunState.checkpointPath(runDirectory: run)) else {
                        throw ModelFileError(
                            file: run, line: nil, message: "no checkpoint.log — the coordinator stopped before its first iteration ended; start the round again")
                    }
                    checkpoint = try RunState.readCheckpoint(runDirectory: run, method: method)
                } catch let error as ModelFileError where handover == nil {
                    printError("error: \(error)")
                    throw ExitCode(1)
                } catch is ModelFileError {
                    checkpoint = nil
                }
                if let checkpoint, checkpoint.round != manifest.round {
                    printError("error: \(RunState.checkpointPath(runDirectory: run)): checkpoint of round \(checkpoint.round), but round.json says \(manifest.round)")
                    throw ExitCode(1)
                }
                var dantzigWolfe = DantzigWolfeSettings()
                dantzigWolfe.gapTolerance = manifest.gapTolerance
                dantzigWolfe.stabilization = manifest.stabilization
                dantzigWolfe.pricesPerRound = manifest.pricesPerRound
                if let limit = manifest.columnAgeLimit { dantzigWolfe.columnAgeLimit = limit }
                dantzigWolfe.maximumIterations = maxIterations ?? manifest.maximumIterations
                dantzigWolfe.maximumSeconds = maxSeconds ?? manifest.maximumSeconds ?? .infinity
                let tls = TLSConfiguration(
                    certificatePath: manifest.certificate, privateKeyPath: manifest.privateKey,
                    trustRootsPath: manifest.trustRoots, revocationListPath: manifest.revocationList)
                for warning in tls.expiryWarnings() { printError("warning: \(warning)") }
                var admm = ADMMSettings()
                admm.maximumIterations = maxIterations ?? manifest.maximumIterations
                admm.maximumSeconds = maxSeconds ?? manifest.maximumSeconds ?? .infinity
                if !manifest.acceleration { admm.accelerationMemory = 0 }
                if let tolerance = manifest.admmAbsoluteTolerance { admm.absoluteTolerance = tolerance }
                if let tolerance = manifest.admmRelativeTolerance { admm.relativeTolerance = tolerance }
                var round = NetworkRound(chainPath: manifest.chain, method: method, outputDirectory: run, tls: tls)
                round.dantzigWolfe = dantzigWolfe
                round.admm = admm
                round.resume = checkpoint
                if checkpoint == nil { round.handOverAgain = handover?.round }
                round.requestTimeout = .milliseconds(Int64(manifest.requestTimeoutSeconds * 1000))
                round.reconnect.deadline = .milliseconds(Int64(manifest.partnerDeadlineSeconds * 1000))
                round.heartbeat = manifest.heartbeatSeconds.map { .milliseconds(Int64($0 * 1000)) }
                round.notice = { printError("waiting: \($0)") }
                if !quiet {
                    round.printer = { line in
                        print(line)
                        fflush(nil)
                    }
                }
                let interrupts = Round.InterruptNotice(run: run)
                defer { interrupts.stop() }
                result = try await round.run()
            } catch let exit as ExitCode {
                throw exit
            } catch let error as PartnerError {
                printError("error: \(error)")
                throw ExitCode(3)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            try Round.report(result, local: false, out: run)
        }
    }
}
