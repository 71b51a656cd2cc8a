#!/usr/bin/env python3
"""Recovery benchmark for `make bench` (resilience issue): a distributed pds-02 Dantzig–Wolfe round
(11 `parley node` processes, TLS on loopback) run twice in one run on the same federation —
undisturbed, and with one node SIGKILLed after iteration 3 and restarted at once with the same
configuration. Reports (a) the time to recover: from the restart to the next completed iteration,
(b) the wall time the crash adds to the round, (c) both objectives against the centralized optimum.
Writes BENCHMARKS.md between <!-- bench_recovery:begin --> and <!-- bench_recovery:end -->.

Iteration times: each convergence.jsonl line's `seconds` (from the round's start), put on the
wall clock by the earliest moment this script saw a line appear, less its `seconds`.
Standard library only.
"""
import argparse, datetime, json, os, platform, signal, subprocess, sys, tempfile, time

from benchmarks_md import replace_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCKS = os.path.join(ROOT, "Tests", "Fixtures", "instances", "blocks")
INSTANCE = "pds-02"
KILL_AFTER = 3


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def start_node(parley, config, log):
    return subprocess.Popen([parley, "node", "--config", config], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(log, "a"))


def wait_listening(log, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"node exited ({proc.returncode}); see {log}")
        if open(log).read().count('"message":"listening"') > 0:
            return
        time.sleep(0.01)
    sys.exit(f"node did not listen; see {log}")


def read_log(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f.read().splitlines() if line.strip()]
    except (FileNotFoundError, json.JSONDecodeError):
        return []


def round_once(parley, fed, nodes, out, crash=None):
    """One round; with crash=(party, config, log), SIGKILL that node after iteration KILL_AFTER and
    start it again at once. Returns the summary, the iteration records with wall times, and the
    restart's wall time."""
    coordinator = subprocess.Popen(
        [parley, "round", "start", "--chain", os.path.join(fed, "chain.yaml"), "--method", "dw", "--out", out, "--quiet",
         "--tls-certificate", os.path.join(fed, "coordinator", "coordinator.crt"),
         "--tls-key", os.path.join(fed, "coordinator", "coordinator.key"),
         "--tls-ca", os.path.join(fed, "ca", "ca.crt"), "--partner-deadline", "60"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = os.path.join(out, "convergence.jsonl")
    seen = {}  # iteration -> the first wall time its line was seen
    restarted = None
    while coordinator.poll() is None:
        records = read_log(log)
        now = time.time()
        for r in records:
            seen.setdefault(r["iteration"], now)
        if crash and restarted is None and len(records) >= KILL_AFTER:
            party, config, node_log = crash
            nodes[party].send_signal(signal.SIGKILL)
            nodes[party].wait()
            restarted = time.time()
            nodes[party] = start_node(parley, config, node_log)
        time.sleep(0.002)
    output = coordinator.stdout.read()
    if coordinator.returncode != 0:
        sys.exit(f"round failed ({coordinator.returncode}):\n{output}")
    records = read_log(log)
    anchor = min(seen[r["iteration"]] - r["seconds"] for r in records if r["iteration"] in seen)
    for r in records:
        r["wall"] = anchor + r["seconds"]
    return json.load(open(os.path.join(out, "summary.json"))), records, restarted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    parley = os.path.abspath(args.parley)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    model = os.path.join(BLOCKS, f"{INSTANCE}.mps")
    central = json.loads(run([parley, "solve", "--json", model]).stdout)
    with tempfile.TemporaryDirectory(prefix="parley-bench-recovery-") as work:
        # `parley demo` makes the federation (CA, certificates, node.yaml per partner) and stops
        # its nodes; this script starts them again under its own control.
        demo = os.path.join(work, "demo")
        run([parley, "demo", "--model", model, "--out", demo])
        fed = os.path.join(demo, "federation")
        parties = sorted(d for d in os.listdir(fed) if os.path.exists(os.path.join(fed, d, "node.yaml")))
        nodes, logs = {}, {}
        try:
            for p in parties:
                logs[p] = os.path.join(fed, p, "bench-node.log")
                open(logs[p], "w").close()
                nodes[p] = start_node(parley, os.path.join(fed, p, "node.yaml"), logs[p])
            for p in parties:
                wait_listening(logs[p], nodes[p])
            calm, calm_records, _ = round_once(parley, fed, nodes, os.path.join(work, "calm"))
            victim = parties[3]
            crash = (victim, os.path.join(fed, victim, "node.yaml"), logs[victim])
            hit, hit_records, restarted = round_once(parley, fed, nodes, os.path.join(work, "crash"), crash)
        finally:
            for proc in nodes.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in nodes.values():
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
    after = [r for r in hit_records if r["wall"] > restarted]
    if restarted is None or not after:
        sys.exit("the crash came after the round's last iteration; nothing to measure")
    recover = after[0]["wall"] - restarted
    extra = hit["seconds"] - calm["seconds"]
    ref = central["objective"]
    rel = lambda v: abs(v - ref) / max(1, abs(ref))
    lines = [
        f"Measured {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {datetime.date.today().isoformat()}, "
        f"Parley {commit}; one run. {INSTANCE}, {len(parties)} `parley node` processes and the coordinator on 127.0.0.1, "
        f"TLS 1.3, Dantzig–Wolfe; the same federation rounds twice: undisturbed, then with node {victim} SIGKILLed once "
        f"iteration {KILL_AFTER} was logged and started again at once (same configuration; the coordinator reconnects "
        "with backoff and sends the request in hand again). Round seconds exclude start-up and connecting.",
        "",
        "| round | iterations | round s | objective | relative difference to central |",
        "|---|--:|--:|--:|--:|",
        f"| undisturbed | {calm['iterations']} | {calm['seconds']:.3f} | {calm['objective']:.1f} | {rel(calm['objective']):.1e} |",
        f"| node killed after iteration {KILL_AFTER} | {hit['iterations']} | {hit['seconds']:.3f} | {hit['objective']:.1f} | "
        f"{rel(hit['objective']):.1e} |",
        f"| central (`parley solve`) | | {central['solve_seconds']:.3f} | {ref:.1f} | |",
        "",
        f"- Time to recover, from the restart to the next completed iteration ({after[0]['iteration']}): "
        f"**{recover:.3f} s**.",
        f"- Wall time the crash adds to the round: **{extra:+.3f} s** "
        f"({hit['seconds']:.3f} s against {calm['seconds']:.3f} s).",
        f"- Both rounds end `{calm['status']}` / `{hit['status']}` at the central optimum within 1e-6: "
        f"**{'met' if rel(calm['objective']) <= 1e-6 and rel(hit['objective']) <= 1e-6 else 'NOT met'}**.",
    ]
    text = "\n".join(lines)
    replace_block(args.out, "bench_recovery", "Recovery (a node killed mid-round)", text)
    print(text)


if __name__ == "__main__":
    main()
