#!/usr/bin/env python3
"""Decomposition benchmark for `make bench`: per block instance, iterations and wall time of
Dantzig-Wolfe (default; without stabilization; with one price vector per partner), ADMM (default;
without Anderson acceleration), and the
centralized CLP solve, all measured in one run, written as ratios to BENCHMARKS.md between the
markers <!-- bench_rounds:begin --> and <!-- bench_rounds:end -->.

Every run is a real `parley round start --local` on a chain made by `parley split`; objectives
are checked against optima.csv.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks_md import replace_block

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTANCES = os.path.join(ROOT, "Tests", "Fixtures", "instances")
CONFIGS = [
    ("dw", ["--method", "dw"]),
    ("dw-nostab", ["--method", "dw", "--no-stabilization"]),
    ("dw-1col", ["--method", "dw", "--prices-per-round", "1"]),
    ("admm", ["--method", "admm"]),
    ("admm-noaccel", ["--method", "admm", "--no-acceleration"]),
]


def reference_optima():
    with open(os.path.join(INSTANCES, "optima.csv")) as f:
        return {row["name"]: float(row["reference_optimum"]) for row in csv.DictReader(f)}


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return proc, time.perf_counter() - start


# Runs of the central solve and of every round that takes under QUICK seconds, interleaved; the
# median is reported (one 40 ms solve varies by a quarter between runs on a shared machine).
REPEATS = 5
CORES = os.cpu_count() or 1
QUICK = 1.0


def median_run(runs):
    """The run with the median seconds (field 3)."""
    return sorted(runs, key=lambda r: r[3])[len(runs) // 2]


def bench_instance(parley, name, reference, max_seconds, work):
    model = os.path.join(INSTANCES, "blocks", name + ".mps")
    chain = os.path.join(work, name)
    proc, _ = run([parley, "split", model, "--dec", model[:-4] + ".dec", "--out", chain])
    if proc.returncode != 0:
        raise SystemExit(f"split {name} failed: {proc.stderr}")
    central_runs = []
    runs = {label: [] for label, _ in CONFIGS}
    for rep in range(REPEATS):
        proc, _ = run([parley, "solve", "--json", model])
        central = json.loads(proc.stdout)
        # CLP's solve only, like a round's seconds, which start once the partners have read their
        # models; reading the MPS file is reported beside it.
        central_runs.append((central["status"], central["objective"], central["iterations"], central["solve_seconds"],
                             central["seconds"]))
        for label, flags in CONFIGS:
            first = runs[label][0] if runs[label] else None
            if first is not None and (first[0] == "error" or first[3] >= QUICK):
                continue
            out = os.path.join(work, f"{name}-{label}")
            cmd = [parley, "round", "start", "--chain", os.path.join(chain, "chain.yaml"), "--local", "--quiet",
                   "--out", out, "--max-seconds", str(max_seconds)] + flags
            proc, wall = run(cmd)
            try:
                with open(os.path.join(out, "summary.json")) as f:
                    summary = json.load(f)
            except OSError:
                runs[label].append(("error", None, 0, wall, None, None))
                continue
            runs[label].append((summary["status"], summary["objective"], summary["iterations"], summary["seconds"],
                                summary.get("gap"), summary.get("cpu_seconds")))
    results = {"central": median_run(central_runs)}
    for label, _ in CONFIGS:
        results[label] = median_run(runs[label])
    return results


def rel(x, ref):
    return None if x is None else abs(x - ref) / max(1.0, abs(ref))


def table(rows):
    # ADMM's cells add the gap to its closing Lagrangian bound (DW's is within --gap when optimal).
    # The dw round's CPU seconds (coordinator and in-process partners) over the machine's cores is
    # the least wall time that work can take here: the floor any parallel schedule meets.
    head = ("| instance | central s (solve / read + solve) | "
            + " | ".join(f"{c} status / iters / s / rel.err{' / gap' if c.startswith('admm') else ''} / time ÷ central solve"
                         for c, _ in CONFIGS) + f" | dw CPU s / ÷ {CORES} cores ÷ central solve |")
    lines = [head, "|" + "---|" * (3 + len(CONFIGS))]
    for name, ref, res in rows:
        cs = res["central"][3]
        cells = [name, f"{cs:.3f} / {res['central'][4]:.3f}"]
        for label, _ in CONFIGS:
            status, obj, iters, secs, gap, _ = res[label]
            err = rel(obj, ref)
            gap_text = (" / " + ("-" if gap is None else f"{gap:.1e}")) if label.startswith("admm") else ""
            cells.append(f"{status} / {iters} / {secs:.2f} / {'-' if err is None else f'{err:.1e}'}{gap_text} / "
                         f"{secs / max(cs, 1e-9):.1f}x")
        cpu = res["dw"][5]
        cells.append("-" if cpu is None else f"{cpu:.3f} / {cpu / CORES / max(cs, 1e-9):.1f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_section(path, text):
    replace_block(path, "bench_rounds", "Decomposition rounds (in process)", text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parley", default=os.path.join(ROOT, ".build", "release", "parley"))
    parser.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    parser.add_argument("--max-seconds", type=float, default=120, help="cap per round")
    parser.add_argument("--instances", default="lands3,chem,ship04l,airl_first,ken-07,pds-02,fxm2_6,env_aggr")
    args = parser.parse_args()
    optima = reference_optima()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in args.instances.split(","):
            print(f"benchmarking {name} ...", file=sys.stderr)
            rows.append((name, optima[name], bench_instance(args.parley, name, optima[name], args.max_seconds, work)))
    machine = f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, cap {args.max_seconds:.0f} s per round"
    text = (f"Measured side by side in one run ({machine}). Each cell: status / iterations / seconds / "
            f"relative error vs optima.csv / round time ÷ centralized CLP solve time. The central time is "
            f"`parley solve`'s solve_seconds (CLP's solve, without reading the MPS file, which is shown "
            f"beside it as read + solve), as a round's seconds start after the partners have read their "
            f"models. Times are the median "
            f"of {REPEATS} interleaved runs of the central solve and of every round that takes under "
            f"{QUICK:g} s (one run of the longer ones). The last column is the default DW round's CPU "
            f"seconds (coordinator and partners, all in process) and that CPU over the machine's {CORES} cores "
            f"against the central solve: the least ratio any parallel schedule of the same work could reach "
            f"here.\n\n" + table(rows))
    print(text)
    write_section(args.out, text)


if __name__ == "__main__":
    main()
