#!/usr/bin/env python3
"""Fault runs (`make chaos`): many networked rounds over real `parley node` processes, each
disturbed at a random moment by one fault, and what each round came to.

For each chain: `parley demo` builds a throw-away federation (CA, certificates, one node per
partner on 127.0.0.1) and runs one undisturbed round, whose length sets the window in which
faults fall (from the coordinator's start, so the connecting phase is hit too). Then, trial by
trial, a round starts and one fault strikes at a uniformly random moment in the window:

  kill1      SIGKILL one node, start it again 0–1.5 s later
  kill2      the same for two nodes
  killall    the same for every node
  late       SIGKILL one node, start it again 3–6 s later
  term1      SIGTERM one node (graceful), start it again
  stop1      SIGSTOP one node for 0.5–5 s (the request timeout is 3 s), then SIGCONT
  killcoord  SIGKILL the coordinator, then `parley round resume`
  intcoord   SIGINT (Ctrl-C) the coordinator, then `parley round resume`

A trial passes when the round (resumed if the coordinator was stopped) exits 0 with status
optimal (DW) or converged (ADMM), its objective is the reference optimum (optima.csv) within
1e-6 (DW) or 1e-4 (ADMM), every node wrote its final plan for the round and no provisional one,
and no node died but by the script's hand. Two outcomes of a stopped coordinator also pass, as
what they are: the round had ended before the signal (resume says there is nothing to do), or
it had not begun (resume says there is no round to resume). Exit status 1 if a trial failed.

With --out, writes the table between <!-- chaos:begin --> and <!-- chaos:end -->.
Standard library only.
"""
import argparse, csv, datetime, glob, json, os, platform, random, shutil, signal, subprocess, sys, tempfile, time

from benchmarks_md import replace_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTANCES = os.path.join(ROOT, "Tests", "Fixtures", "instances")
FAULTS = ["kill1", "kill2", "killall", "late", "term1", "stop1", "killcoord", "intcoord"]


def reference(name):
    with open(os.path.join(INSTANCES, "optima.csv")) as f:
        for row in csv.DictReader(f):
            if row["name"] == name:
                return float(row["reference_optimum"])
    sys.exit(f"{name}: not in optima.csv")


class Federation:
    def __init__(self, parley, directory):
        self.parley = parley
        self.dir = directory
        self.names = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(f"{directory}/p*/node.yaml"))
        self.nodes = {}
        for name in self.names:
            shutil.rmtree(f"{directory}/{name}/state", ignore_errors=True)
            self.start(name)

    def start(self, name):
        log = open(f"{self.dir}/{name}/chaos.log", "a")
        self.nodes[name] = subprocess.Popen(
            [self.parley, "node", "--config", f"{self.dir}/{name}/node.yaml"], stdout=subprocess.DEVNULL, stderr=log)
        log.close()

    def round_command(self, method, out):
        c = f"{self.dir}/coordinator"
        return [self.parley, "round", "start", "--chain", f"{self.dir}/chain.yaml", "--method", method, "--out", out, "--quiet",
                "--request-timeout", "3", "--partner-deadline", "30", "--tls-certificate", f"{c}/coordinator.crt",
                "--tls-key", f"{c}/coordinator.key", "--tls-ca", f"{self.dir}/ca/ca.crt", "--tls-crl", f"{self.dir}/ca/ca.crl"]

    def stop(self):
        for p in self.nodes.values():
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
        for p in self.nodes.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def trial(fed, method, ref, tolerance, fault, at, rng, out):
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    coordinator = subprocess.Popen(fed.round_command(method, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(at)
    victims = []
    if fault in ("kill1", "kill2", "killall", "late", "term1"):
        count = {"kill2": 2, "killall": len(fed.names)}.get(fault, 1)
        victims = rng.sample(fed.names, count)
        for v in victims:
            fed.nodes[v].send_signal(signal.SIGTERM if fault == "term1" else signal.SIGKILL)
        for v in victims:
            fed.nodes[v].wait()
        time.sleep(rng.uniform(3, 6) if fault == "late" else rng.uniform(0, 1.5))
        for v in victims:
            fed.start(v)
    elif fault == "stop1":
        victims = [rng.choice(fed.names)]
        fed.nodes[victims[0]].send_signal(signal.SIGSTOP)
        time.sleep(rng.uniform(0.5, 5))
        fed.nodes[victims[0]].send_signal(signal.SIGCONT)
    outcome = None
    if fault in ("killcoord", "intcoord"):
        coordinator.send_signal(signal.SIGKILL if fault == "killcoord" else signal.SIGINT)
        coordinator.wait()
        time.sleep(rng.uniform(0, 1))
        coordinator = subprocess.Popen([fed.parley, "round", "resume", out, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, err = coordinator.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        coordinator.kill()
        _, err = coordinator.communicate()
        return "fail", "coordinator hung for 600 s", None, time.monotonic() - started
    err = err.decode(errors="replace")
    summary = {}
    try:
        summary = json.load(open(f"{out}/summary.json"))
    except (OSError, ValueError):
        pass
    want = "optimal" if method == "dw" else "converged"
    if fault in ("killcoord", "intcoord") and coordinator.returncode == 1:
        if "there is nothing to resume" in err and summary.get("status") == want:
            outcome = "ended before the signal"
        elif "no round to resume" in err or "holds no complete checkpoint" in err:
            return "pass", "stopped before the round began", None, time.monotonic() - started
    if coordinator.returncode != 0 and outcome is None:
        return "fail", f"exit {coordinator.returncode}, status {summary.get('status')}: {err.strip()[-300:]}", summary, time.monotonic() - started
    if summary.get("status") != want:
        return "fail", f"status {summary.get('status')}: {summary.get('message')}", summary, time.monotonic() - started
    if abs(summary["objective"] - ref) > tolerance * max(1, abs(ref)):
        return "fail", f"objective {summary['objective']} against {ref}", summary, time.monotonic() - started
    round_id = summary["round"]
    time.sleep(0.2)
    missing = [n for n in fed.names if not os.path.exists(f"{fed.dir}/{n}/state/plans/{round_id}.csv")]
    leftover = [n for n in fed.names if os.path.exists(f"{fed.dir}/{n}/state/plans/{round_id}.provisional.csv")]
    if missing or leftover:
        return "fail", f"no final plan from {missing}, provisional plan left at {leftover}", summary, time.monotonic() - started
    return "pass", outcome or "", summary, time.monotonic() - started


def run_chain(parley, model, method, trials, rng, work):
    name = os.path.splitext(os.path.basename(model))[0]
    demo = f"{work}/{name}-{method}"
    proc = subprocess.run([parley, "demo", "--model", model, "--method", method, "--out", demo], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"parley demo --model {model} failed:\n{proc.stdout}\n{proc.stderr}")
    undisturbed = json.load(open(f"{demo}/run/summary.json"))
    ref = reference(name)
    tolerance = 1e-6 if method == "dw" else 1e-4
    window = 0.3 + 1.2 * undisturbed["seconds"]
    fed = Federation(parley, f"{demo}/federation")
    time.sleep(1.5)
    rows = []
    try:
        for t in range(trials):
            fault = FAULTS[t % len(FAULTS)]
            at = rng.uniform(0, window)
            verdict, note, summary, seconds = trial(fed, method, ref, tolerance, fault, at, rng, f"{work}/trial")
            died = [n for n in fed.names if fed.nodes[n].poll() is not None]
            for n in died:
                fed.start(n)
            if died:
                verdict, note = "fail", f"{note}; node(s) {died} died unasked".lstrip("; ")
            rows.append((fault, verdict, note, summary, seconds))
            iterations = summary.get("iterations") if summary else None
            print(f"{name} {method} trial {t + 1:3d}  {fault:9s} at {at:5.2f} s  {verdict}  {iterations or '-':>5} it  {note}", flush=True)
    finally:
        fed.stop()
    partners = len(fed.names)
    return name, method, partners, undisturbed, window, rows


def table(results):
    lines = [
        "| chain | partners | method | fault | trials | passed | iterations (undisturbed) | note |",
        "|---|--:|---|---|--:|--:|---|---|",
    ]
    for name, method, partners, undisturbed, window, rows in results:
        for fault in FAULTS:
            mine = [r for r in rows if r[0] == fault]
            if not mine:
                continue
            passed = sum(r[1] == "pass" for r in mine)
            its = sorted(r[3]["iterations"] for r in mine if r[3] and "iterations" in r[3] and r[2] == "")
            spread = f"{its[0]}–{its[-1]}" if its else "-"
            notes = sorted({r[2] for r in mine if r[2]})
            lines.append(
                f"| {name} | {partners} | {method} | {fault} | {len(mine)} | {passed} | {spread} ({undisturbed['iterations']}) | "
                + "; ".join(n.replace("|", "/")[:160] for n in notes) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parley", default=os.path.join(ROOT, ".build", "release", "parley"))
    parser.add_argument("--chain", action="append", metavar="MODEL:METHOD:TRIALS",
                        help="a block instance (its .dec beside it), dw or admm, and how many trials; repeatable")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", help="BENCHMARKS.md to write the table into")
    args = parser.parse_args()
    blocks = os.path.join(INSTANCES, "blocks")
    chains = args.chain or [f"{blocks}/env_aggr.mps:dw:24", f"{blocks}/ken-07.mps:dw:16", f"{blocks}/pds-02.mps:admm:8"]
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="parley-chaos-")
    results = []
    try:
        for spec in chains:
            model, method, trials = spec.rsplit(":", 2)
            results.append(run_chain(args.parley, model, method, int(trials), rng, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = table(results)
    failed = sum(r[1] == "fail" for res in results for r in res[5])
    total = sum(len(res[5]) for res in results)
    print()
    print(text)
    print(f"\n{total - failed} of {total} trials passed")
    if args.out:
        head = (
            f"Measured {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {datetime.date.today()}, seed {args.seed}; "
            "`make chaos` (Scripts/chaos.py). Each trial: a networked round over one `parley node` process per partner on "
            "127.0.0.1 (TLS 1.3, request timeout 3 s, partner deadline 30 s), and one fault at a uniformly random moment from "
            "the coordinator's start to 1.2 × the undisturbed round's length + 0.3 s (so connecting is hit too). Passed: the "
            "round, resumed if the coordinator was stopped, ends optimal (DW, within 1e-6 of optima.csv) or converged (ADMM, "
            "1e-4), every node wrote its final plan and no provisional one, and no node died unasked; a coordinator stopped "
            "before the round began or after it ended counts as passed when `round resume` says so. Iterations: the spread "
            "over the passed rounds that ran, against the undisturbed round's.\n\n")
        replace_block(args.out, "chaos", "Faults (make chaos)", head + text + f"\n\n{total - failed} of {total} trials passed.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
