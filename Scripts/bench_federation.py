#!/usr/bin/env python3
"""Federation benchmark for `make bench` (issue 5): for pds-02 (11 partners) and ken-07 (packed
into 7 partners), the wall time of a distributed DW round (one `parley node` process per partner,
TLS on loopback, via `parley demo`), of the same round in process (`round start --local`) and of
the centralized CLP solve, measured side by side (median of --repeat rounds); bytes per iteration; node and coordinator peak
RSS. Writes BENCHMARKS.md between <!-- bench_federation:begin --> and <!-- bench_federation:end -->.

Targets: distributed <= 1.5x in-process; node RSS <= 64 MiB; coordinator <= 256 MiB.
Standard library only.
"""
import argparse, datetime, json, os, platform, subprocess, sys, tempfile

from benchmarks_md import replace_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCKS = os.path.join(ROOT, "Tests", "Fixtures", "instances", "blocks")
CASES = [("pds-02", None), ("ken-07", 7)]


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def bench(parley, name, partners, work, repeat):
    """`repeat` in-process and distributed rounds, interleaved; the run with the median time of each."""
    model = os.path.join(BLOCKS, f"{name}.mps")
    extra = ["--partners", str(partners)] if partners else []
    central = json.loads(run([parley, "solve", "--json", model]).stdout)
    chain = os.path.join(work, f"{name}-chain")
    run([parley, "split", model, "--dec", model[:-4] + ".dec", "--out", chain] + extra)
    locals_, remotes = [], []
    for r in range(repeat):
        local_run = os.path.join(work, f"{name}-local-{r}")
        run([parley, "round", "start", "--chain", os.path.join(chain, "chain.yaml"), "--local", "--method", "dw",
             "--out", local_run, "--quiet"])
        locals_.append(json.load(open(os.path.join(local_run, "summary.json"))))
        demo = os.path.join(work, f"{name}-demo-{r}")
        run([parley, "demo", "--model", model, "--out", demo] + extra)
        remote = json.load(open(os.path.join(demo, "run", "summary.json")))
        resources = json.load(open(os.path.join(demo, "resources.json")))
        remotes.append((remote, resources))
    local = sorted(locals_, key=lambda s: s["seconds"])[len(locals_) // 2]
    remote, resources = sorted(remotes, key=lambda r: r[0]["seconds"])[len(remotes) // 2]
    return central, local, remote, resources


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each kind; the median is reported")
    args = parser.parse_args()
    parley = os.path.abspath(args.parley)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    cores = os.cpu_count() or 1
    lines = [
        f"Measured {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {datetime.date.today().isoformat()}, "
        f"Parley {commit}; the median of {args.repeat} rounds of each kind, interleaved, with the central solve in the same run. Distributed: one `parley node` process per partner and the "
        "coordinator on 127.0.0.1, TLS 1.3 with mutual authentication (`parley demo`); round seconds exclude start-up "
        "and connecting. In process: `parley round start --local`. Central: `parley solve` (CLP dual simplex, solve only). "
        "CPU s: `cpu_seconds` of each round's summary (the coordinator process over the round; with --local, the partners "
        "too) plus, distributed, every node's CPU from connecting to its plan receipt (`parley demo`'s resources.json). "
        "CPU floor: distributed CPU s ÷ cores, the least wall time those seconds of work can take on this machine.",
        "",
        f"| instance | partners | iterations (dist / local) | distributed s | in-process s | central s | distributed ÷ in-process | distributed ÷ central | bytes per iteration (sent + received) | node peak RSS MiB (max) | coordinator peak RSS MiB | CPU s distributed (coordinator + nodes) | CPU s in process | CPU floor s ({cores} cores) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="parley-bench-fed-") as work:
        for name, k in CASES:
            central, local, remote, res = bench(parley, name, k, work, args.repeat)
            ratio_local = remote["seconds"] / local["seconds"]
            ratio_central = remote["seconds"] / central["solve_seconds"]
            per_iter = (remote.get("bytes_sent", 0) + remote.get("bytes_received", 0)) / max(1, remote["iterations"])
            node_peak = max(res["node_peak_kib"].values()) / 1024
            coord_peak = res["coordinator_peak_kib"] / 1024
            node_cpu = sum(res.get("node_cpu_seconds", {}).values())
            dist_cpu = remote.get("cpu_seconds", 0) + node_cpu
            local_cpu = local.get("cpu_seconds", 0)
            lines.append(
                f"| {name} | {len(remote['partners'])} | {remote['iterations']} / {local['iterations']} | "
                f"{remote['seconds']:.3f} | {local['seconds']:.3f} | {central['solve_seconds']:.3f} | "
                f"{ratio_local:.2f}x | {ratio_central:.1f}x | {per_iter:,.0f} | {node_peak:.1f} | {coord_peak:.1f} | "
                f"{dist_cpu:.3f} ({remote.get('cpu_seconds', 0):.3f} + {node_cpu:.3f}) | {local_cpu:.3f} | {dist_cpu / cores:.3f} |")
            verdicts.append((name, ratio_local, node_peak, coord_peak, dist_cpu / max(local_cpu, 1e-9), dist_cpu / cores / remote["seconds"]))
    lines.append("")
    for name, ratio, node, coord, cpu_ratio, busy in verdicts:
        lines.append(
            f"- {name}: distributed ≤ 1.5× in-process **{'met' if ratio <= 1.5 else 'NOT met'}** ({ratio:.2f}×); "
            f"node RSS ≤ 64 MiB **{'met' if node <= 64 else 'NOT met'}** ({node:.1f}); "
            f"coordinator ≤ 256 MiB **{'met' if coord <= 256 else 'NOT met'}** ({coord:.1f}). "
            f"The distributed round used {cpu_ratio:.1f}× the in-process round's CPU; that CPU ÷ {cores} cores is "
            f"{busy:.0%} of its wall time (node CPU counted from connecting to the plan receipt, a little more than "
            f"the round), so on this machine the distributed round is {'CPU-bound' if busy >= 0.8 else 'not CPU-bound'}.")
    text = "\n".join(lines)
    replace_block(args.out, "bench_federation", "Federation (node processes over TLS)", text)
    print(text)


if __name__ == "__main__":
    main()
