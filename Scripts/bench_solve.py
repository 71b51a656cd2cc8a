#!/usr/bin/env python3
"""Benchmark `parley solve` against the `clp` command-line solver on the same MPS files.

Instances: every file under Tests/Fixtures/instances/blocks/ plus the N largest (by
nonzeros) files under Tests/Fixtures/instances/netlib/, as listed in optima.csv.

For each instance both solvers run as whole processes, R times each (interleaved, after
untimed warm-up runs):

    parley solve --json FILE        (objective, read_seconds, solve_seconds)
    clp FILE -dualsimplex           (objective from its "Optimal objective ..." line)

Wall time is time.perf_counter() around subprocess.run, so it includes process start-up,
reading the file and printing. The table reports medians. "read share" is
median(read_seconds) / (median(read_seconds) + median(solve_seconds)), i.e. Parley's
own read time as a share of its own internal total.

Reading + solving without start-up is measured the same way for both programs: one process
that reads and solves the file N times against one that does it once, R times each
(interleaved), and (wall(N) - wall(1)) / (N - 1):

    parley benchmark solve FILE --repeat N
    clp -import FILE -dualsimplex -import FILE -dualsimplex ...   (N times)

Every one of clp's N solves must report the iteration count of its single run (each import
starts from scratch), and Parley's objective must match the reference.

The table is printed to stdout and written into --out between the markers
<!-- bench_solve:begin --> and <!-- bench_solve:end -->; the rest of that file is left
alone (it is created with a short heading if missing).

Environment variables starting with PARLEY_ are removed for the Parley runs, so that
debugging hooks do not leak into the measurement.

Exit status: 0 on success; 1 if any Parley run fails or its objective is off the reference
by more than --tolerance (relative), if any clp run fails or its objective does not match,
or if the Parley binary changes while the benchmark runs.

Standard library only. Usage (as in `make bench`):

    python3 Scripts/bench_solve.py --parley .build/release/parley --out BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BEGIN_MARKER = "<!-- bench_solve:begin -->"
END_MARKER = "<!-- bench_solve:end -->"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCES = REPO_ROOT / "Tests" / "Fixtures" / "instances"

# "Optimal objective -464.7531429 - 5 iterations time 0.002, Presolve 0.00"
CLP_OPTIMAL = re.compile(
    r"^Optimal objective\s+(?P<obj>\S+)\s+-\s+(?P<iters>\d+)\s+iterations", re.MULTILINE)
CLP_VERSION = re.compile(r"^Coin LP version\s+(\S+?),?\s", re.MULTILINE)

READ_SHARE_FLAG = 20.0   # percent: note instances where reading is a large share
RATIO_FLAG = 1.2         # note instances where Parley's time exceeds clp's by this
# Issue 2's targets: reading at most READ_SHARE_FLAG percent of Parley's own time on this
# instance, and Parley's reading + solving within RATIO_FLAG of clp's on every instance.
READ_TARGET_INSTANCE = "pds-02"
# The start-up-free measure repeats each file N times per process: about this much clp work
# per run, N between the bounds.
WORK_SECONDS = 0.5
MIN_REPEATS, MAX_REPEATS = 5, 41


class BenchError(Exception):
    """A solver run failed or produced an unusable answer."""


@dataclass
class Instance:
    name: str
    set: str
    rows: int
    cols: int
    nonzeros: int
    reference: float
    path: Path


@dataclass
class Result:
    instance: Instance
    parley_objective: float | None = None
    parley_iterations: int | None = None
    parley_size: tuple[int, int, int] | None = None
    parley_read: list[float] = field(default_factory=list)
    parley_solve: list[float] = field(default_factory=list)
    parley_wall: list[float] = field(default_factory=list)
    clp_objective: float | None = None
    clp_iterations: int | None = None
    clp_wall: list[float] = field(default_factory=list)
    # Reading + solving without start-up: N per process, seconds per read-and-solve.
    work_repeats: int = 0
    parley_work: list[float] = field(default_factory=list)
    clp_work: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rel_error(self) -> float | None:
        if self.parley_objective is None:
            return None
        return relative_error(self.parley_objective, self.instance.reference)


def relative_error(value: float, reference: float) -> float:
    """|value - reference| / |reference| (absolute error when the reference is 0)."""
    scale = abs(reference) if reference != 0 else 1.0
    return abs(value - reference) / scale


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------- instances

def load_instances(instances_dir: Path, largest_netlib: int) -> list[Instance]:
    """All blocks/ instances, then the `largest_netlib` netlib/ instances by nonzeros."""
    with open(instances_dir / "optima.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))

    def make(row: dict[str, str]) -> Instance:
        return Instance(
            name=row["name"], set=row["set"], rows=int(row["rows"]), cols=int(row["cols"]),
            nonzeros=int(row["nonzeros"]), reference=float(row["reference_optimum"]),
            path=instances_dir / row["file"])

    blocks = [make(r) for r in rows if r["file"].startswith("blocks/")]
    netlib = [make(r) for r in rows if r["file"].startswith("netlib/")]
    blocks.sort(key=lambda i: i.nonzeros)
    netlib.sort(key=lambda i: i.nonzeros, reverse=True)
    chosen = blocks + sorted(netlib[:largest_netlib], key=lambda i: i.nonzeros)
    missing = [str(i.path) for i in chosen if not i.path.is_file()]
    if missing:
        raise SystemExit(f"bench_solve: instance files not found: {', '.join(missing)}")
    return chosen


# --------------------------------------------------------------------------- solver runs

def timed_run(command: list[str], env: dict[str, str], timeout: float) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command to completion; return (wall seconds, completed process)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"timed out after {timeout:g} s: {' '.join(command)}") from exc
    return time.perf_counter() - start, done


def run_parley_json(command: list[str], env: dict[str, str], timeout: float) -> tuple[float, dict]:
    """One Parley run that prints a JSON object: (wall seconds, parsed JSON)."""
    wall, done = timed_run(command, env, timeout)
    what = " ".join(["parley"] + command[1:3])
    if done.returncode != 0:
        raise BenchError(f"{what} exited {done.returncode}: {done.stderr.strip()[:300]}")
    try:
        return wall, json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise BenchError(f"{what} printed no JSON object: {done.stdout.strip()[:300]}") from exc


def run_parley(parley: str, path: Path, env: dict[str, str], timeout: float) -> tuple[float, dict]:
    """One `parley solve --json` run: (wall seconds, parsed JSON)."""
    wall, report = run_parley_json([parley, "solve", "--json", str(path)], env, timeout)
    if report.get("status") != "optimal" or report.get("objective") is None:
        raise BenchError(f"parley status {report.get('status')!r}")
    return wall, report


def run_clp(clp: str, path: Path, env: dict[str, str], timeout: float) -> tuple[float, float, int]:
    """One `clp FILE -dualsimplex` run: (wall seconds, objective, iterations)."""
    wall, done = timed_run([clp, str(path), "-dualsimplex"], env, timeout)
    output = done.stdout + done.stderr
    match = CLP_OPTIMAL.search(output)
    if done.returncode != 0 or match is None:
        tail = " | ".join(output.strip().splitlines()[-3:])
        raise BenchError(f"clp exited {done.returncode} without an optimal objective: {tail[:300]}")
    return wall, float(match["obj"]), int(match["iters"])


def run_parley_repeated(parley: str, path: Path, n: int, env: dict[str, str],
                        timeout: float) -> tuple[float, float]:
    """One `parley benchmark solve FILE --repeat n` run: (wall seconds, objective)."""
    wall, report = run_parley_json([parley, "benchmark", "solve", str(path), "--repeat", str(n)], env, timeout)
    if report.get("repeat") != n:
        raise BenchError(f"parley benchmark solve did {report.get('repeat')!r} repeats, not {n}")
    return wall, float(report["objective"])


def run_clp_repeated(clp: str, path: Path, n: int, env: dict[str, str],
                     timeout: float) -> tuple[float, list[int]]:
    """One clp run importing and solving the file n times: (wall seconds, each solve's iterations)."""
    wall, done = timed_run([clp] + ["-import", str(path), "-dualsimplex"] * n, env, timeout)
    solves = CLP_OPTIMAL.findall(done.stdout + done.stderr)
    if done.returncode != 0 or len(solves) != n:
        raise BenchError(f"clp exited {done.returncode} with {len(solves)} optimal solves of {n}")
    return wall, [int(iterations) for _, iterations in solves]


def measure_work(result: Result, args: argparse.Namespace,
                 parley_env: dict[str, str], clp_env: dict[str, str]) -> None:
    """Reading + solving without start-up, for both programs the same way (see the module doc)."""
    n = max(MIN_REPEATS, min(MAX_REPEATS, int(WORK_SECONDS / max(median(result.clp_wall), 1e-3))))
    result.work_repeats = n
    for _ in range(args.repeat):
        p_many, objective = run_parley_repeated(args.parley, result.instance.path, n, parley_env, args.timeout)
        p_one, _ = run_parley_repeated(args.parley, result.instance.path, 1, parley_env, args.timeout)
        c_many, iterations = run_clp_repeated(args.clp, result.instance.path, n, clp_env, args.timeout)
        c_one, _ = run_clp_repeated(args.clp, result.instance.path, 1, clp_env, args.timeout)
        if relative_error(objective, result.instance.reference) > args.tolerance:
            raise BenchError(f"parley benchmark solve objective {objective!r} is off the reference")
        if set(iterations) != {result.clp_iterations}:
            raise BenchError(f"clp's repeated solves took {sorted(set(iterations))} iterations, "
                             f"its single run {result.clp_iterations}: not every import started from scratch")
        result.parley_work.append((p_many - p_one) / (n - 1))
        result.clp_work.append((c_many - c_one) / (n - 1))


def bench_instance(instance: Instance, args: argparse.Namespace,
                   parley_env: dict[str, str], clp_env: dict[str, str]) -> Result:
    """Warm up, then alternate Parley and clp runs `args.repeat` times."""
    result = Result(instance)
    for rep in range(args.warmup + args.repeat):
        timed = rep >= args.warmup
        try:
            wall, report = run_parley(args.parley, instance.path, parley_env, args.timeout)
            if timed:
                result.parley_wall.append(wall)
                result.parley_read.append(float(report["read_seconds"]))
                result.parley_solve.append(float(report["solve_seconds"]))
            result.parley_objective = float(report["objective"])
            result.parley_iterations = int(report["iterations"])
            result.parley_size = (int(report["rows"]), int(report["columns"]), int(report["nonzeros"]))
        except BenchError as exc:
            result.errors.append(f"parley: {exc}")
            break
        try:
            wall, objective, iterations = run_clp(args.clp, instance.path, clp_env, args.timeout)
            if timed:
                result.clp_wall.append(wall)
            result.clp_objective = objective
            result.clp_iterations = iterations
        except BenchError as exc:
            result.errors.append(f"clp: {exc}")
            break
    if not result.errors:
        try:
            measure_work(result, args, parley_env, clp_env)
        except BenchError as exc:
            result.errors.append(f"read + solve: {exc}")
    check(result, args.tolerance)
    return result


def startup_floor(args: argparse.Namespace, parley_env: dict[str, str],
                  clp_env: dict[str, str]) -> tuple[float, float]:
    """Median wall seconds of processes that start and exit at once: (parley, clp)."""
    parley, clp = [], []
    for rep in range(args.warmup + args.repeat):
        p_wall, p_done = timed_run([args.parley, "--version"], parley_env, args.timeout)
        c_wall, c_done = timed_run([args.clp, "-quit"], clp_env, args.timeout)
        if p_done.returncode != 0 or c_done.returncode != 0:
            raise BenchError("`parley --version` or `clp -quit` failed")
        if rep >= args.warmup:
            parley.append(p_wall)
            clp.append(c_wall)
    return statistics.median(parley), statistics.median(clp)


def check(result: Result, tolerance: float) -> None:
    """Record objective mismatches as errors."""
    reference = result.instance.reference
    if result.parley_objective is not None and result.rel_error > tolerance:
        result.errors.append(
            f"parley objective {result.parley_objective!r} is off the reference "
            f"{reference!r} by {result.rel_error:.2e} (relative)")
    # clp prints ~10 significant digits, well inside the tolerance.
    if result.clp_objective is not None:
        clp_error = relative_error(result.clp_objective, reference)
        if clp_error > tolerance:
            result.errors.append(
                f"clp objective {result.clp_objective!r} is off the reference "
                f"{reference!r} by {clp_error:.2e} (relative)")


# --------------------------------------------------------------------------- reporting

def ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f}"


def ms2(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.2f}"


def notes(result: Result) -> str:
    """Short remarks: failures, large read share or ratio, size or iteration differences."""
    out: list[str] = []
    inst = result.instance
    if result.errors:
        out.append("**FAILED**: " + "; ".join(result.errors))
    if inst.set == "netlib" and inst.path.parent.name == "blocks":
        out.append("Netlib model in blocks/")
    if result.parley_size and result.parley_size != (inst.rows, inst.cols, inst.nonzeros):
        r, c, n = result.parley_size
        out.append(f"parley reads {r}×{c}, {n} nnz (optima.csv: {inst.rows}×{inst.cols}, {inst.nonzeros})")
    share = read_share(result)
    if share is not None and share > READ_SHARE_FLAG:
        out.append(f"read > {READ_SHARE_FLAG:g}%")
    ratio = work_ratio(result)
    if ratio is not None and ratio > RATIO_FLAG:
        out.append(f"read + solve ratio > {RATIO_FLAG:g}")
    if (result.parley_iterations is not None and result.clp_iterations is not None
            and result.parley_iterations != result.clp_iterations):
        out.append(f"iterations {result.parley_iterations} vs clp {result.clp_iterations}")
    return "; ".join(out)


def read_share(result: Result) -> float | None:
    read, solve = median(result.parley_read), median(result.parley_solve)
    if read is None or solve is None or read + solve <= 0:
        return None
    return 100.0 * read / (read + solve)


def wall_ratio(result: Result) -> float | None:
    parley, clp = median(result.parley_wall), median(result.clp_wall)
    if parley is None or not clp:
        return None
    return parley / clp


def work_ratio(result: Result) -> float | None:
    """Parley's reading + solving over clp's, start-up excluded (see measure_work)."""
    parley, clp = median(result.parley_work), median(result.clp_work)
    if parley is None or not clp or clp <= 0:
        return None
    return parley / clp


def markdown_table(results: list[Result]) -> str:
    header = ["instance", "rows", "cols", "nnz", "parley objective", "rel. error",
              "parley read ms", "parley solve ms", "read share %", "parley wall ms",
              "clp wall ms", "parley/clp (wall)", "N", "parley read + solve ms",
              "clp read + solve ms", "parley/clp (read + solve)", "note"]
    align = ["---"] + ["--:"] * (len(header) - 2) + ["---"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for r in results:
        inst = r.instance
        share, ratio = read_share(r), wall_ratio(r)
        cells = [
            inst.name, str(inst.rows), str(inst.cols), str(inst.nonzeros),
            "–" if r.parley_objective is None else f"{r.parley_objective:.10g}",
            "–" if r.rel_error is None else f"{r.rel_error:.1e}",
            ms(median(r.parley_read)), ms(median(r.parley_solve)),
            "–" if share is None else f"{share:.0f}",
            ms(median(r.parley_wall)), ms(median(r.clp_wall)),
            "–" if ratio is None else f"{ratio:.2f}",
            str(r.work_repeats) if r.work_repeats else "–",
            ms2(median(r.parley_work)), ms2(median(r.clp_work)),
            "–" if work_ratio(r) is None else f"{work_ratio(r):.2f}",
            notes(r).replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_lines(results: list[Result]) -> list[str]:
    """Totals over the instances that ran completely."""
    complete = [r for r in results if r.parley_wall and r.clp_wall]
    if not complete:
        return []
    parley = sum(median(r.parley_wall) for r in complete)
    clp = sum(median(r.clp_wall) for r in complete)
    read = sum(median(r.parley_read) for r in complete)
    solve = sum(median(r.parley_solve) for r in complete)
    return [f"Sum over {len(complete)} instances: parley wall {parley * 1000:.1f} ms "
            f"(read {read * 1000:.1f} ms, solve {solve * 1000:.1f} ms, internal read share "
            f"{100 * read / (read + solve):.0f}%), clp wall {clp * 1000:.1f} ms, "
            f"ratio {parley / clp:.2f}."] + work_sum_lines(complete) + [""]


def work_sum_lines(complete: list[Result]) -> list[str]:
    timed = [r for r in complete if work_ratio(r) is not None]
    if not timed:
        return []
    parley = sum(median(r.parley_work) for r in timed)
    clp = sum(median(r.clp_work) for r in timed)
    return ["", f"Reading + solving, start-up excluded, over {len(timed)} instances: parley "
            f"{parley * 1000:.1f} ms, clp {clp * 1000:.1f} ms, ratio {parley / clp:.2f}."]


def target_lines(results: list[Result], floor: tuple[float, float]) -> list[str]:
    """Issue 2's two targets, met or not, with the numbers from this run's table."""
    lines = ["Issue 2 targets, from the table above (one run, Parley and clp interleaved):", ""]
    pds = next((r for r in results if r.instance.name == READ_TARGET_INSTANCE), None)
    share = read_share(pds) if pds else None
    if share is None:
        lines.append(f"- Reading ≤ {READ_SHARE_FLAG:g}% on {READ_TARGET_INSTANCE}: not measured.")
    else:
        verdict = "**met**" if share <= READ_SHARE_FLAG else "**not met**"
        lines.append(
            f"- Reading ≤ {READ_SHARE_FLAG:g}% of Parley's own time on {READ_TARGET_INSTANCE}: {verdict} — "
            f"read {ms(median(pds.parley_read))} ms, solve {ms(median(pds.parley_solve))} ms, "
            f"share {share:.0f}%.")
    works = [(r.instance.name, work_ratio(r)) for r in results if work_ratio(r) is not None]
    if len(works) < len(results):
        lines.append(f"- Reading + solving within {RATIO_FLAG:g}× of the clp CLI: not measured on "
                     f"{len(results) - len(works)} instance(s) (see the notes).")
    if works:
        over = [(name, ratio) for name, ratio in works if ratio > RATIO_FLAG]
        verdict = "**met**" if not over else f"**not met** on {len(over)} of {len(works)} instances"
        detail = ("largest " + ", ".join(f"{name} {ratio:.2f}" for name, ratio in
                                         sorted(works, key=lambda x: -x[1])[:3]))
        if over:
            detail = "over on " + ", ".join(f"{name} {ratio:.2f}" for name, ratio in over)
        lines.append(f"- Parley's reading + solving within {RATIO_FLAG:g}× of the clp CLI's (both "
                     f"measured the same way, process start-up excluded): {verdict} ({detail}).")
    ratios = [(r.instance.name, wall_ratio(r)) for r in results if wall_ratio(r) is not None]
    if ratios:
        within = [name for name, ratio in ratios if ratio <= RATIO_FLAG]
        parley_floor, clp_floor = floor
        line = (f"- Whole processes, start-up included (not the target's measure, shown because it is "
                f"what a user waits for): within {RATIO_FLAG:g}× on {len(within)} of {len(ratios)} "
                f"instances ({', '.join(within) if within else 'none'}). Start-up alone is "
                f"`parley --version` {parley_floor * 1000:.1f} ms against `clp -quit` "
                f"{clp_floor * 1000:.1f} ms")
        if parley_floor > RATIO_FLAG * clp_floor:
            # P + w <= RATIO (C + w) needs w >= (P - RATIO C) / (RATIO - 1) of work past start-up.
            needed = (parley_floor - RATIO_FLAG * clp_floor) / (RATIO_FLAG - 1)
            line += (f": with equal work after start-up, a whole run is within {RATIO_FLAG:g}× only "
                     f"where that work takes more than about {needed * 1000:.0f} ms")
        lines.append(line + ".")
    return lines + [""]


# --------------------------------------------------------------------------- environment

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_count() -> int:
    """What `nproc` prints: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_sentence() -> str:
    today = datetime.date.today().isoformat()
    return (f"{platform.system()} {platform.machine()}, {cpu_count()} CPUs (nproc), "
            f"{cpu_model()}, {today}")


def git_revision(binary: str) -> str:
    """Short HEAD commit of the checkout holding `binary`, noting local changes to Sources/.

    This describes the checkout when the benchmark runs, which is what the binary was
    built from as long as nobody edits the sources in between."""
    where = str(Path(binary).resolve().parent)

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", where, *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        top = git("rev-parse", "--show-toplevel")
        dirty = git("-C", top, "status", "--porcelain", "--", "Sources", "Package.swift")
    except (OSError, subprocess.CalledProcessError):
        return "(unknown commit)"
    return f"{head} with uncommitted changes in Sources/" if dirty else head


def clp_version(clp: str, sample: Path, env: dict[str, str]) -> str:
    done = subprocess.run([clp, str(sample), "-dualsimplex"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=env, timeout=60)
    match = CLP_VERSION.search(done.stdout + done.stderr)
    return match[1] if match else "unknown version"


def file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- output file

def section_text(results: list[Result], args: argparse.Namespace, context: dict) -> str:
    lines = [
        "## Solve: Parley vs the clp CLI on the same MPS files",
        "",
        f"Measured {context['machine']}; Parley {context['revision']}, clp {context['clp_version']}. "
        f"Each cell is the median of {args.repeat} runs (after {args.warmup} warm-up run(s)). "
        "Wall times are whole processes (`parley solve --json FILE` vs `clp FILE -dualsimplex`), "
        "including start-up, reading and printing; read/solve ms are Parley's own wall-clock timers, and "
        "read share = read / (read + solve). Read + solve ms leave start-up out, the same way for both "
        "programs: one process reads and solves the file N times (`parley benchmark solve FILE --repeat N`; "
        "`clp -import FILE -dualsimplex` N times, each solve from scratch, checked by its iteration count), "
        "another once, and the difference in wall time is divided by N − 1 (median of the same repeats). "
        "Rel. error is against `reference_optimum` in "
        "`Tests/Fixtures/instances/optima.csv`. Notes flag read share above "
        f"{READ_SHARE_FLAG:g}%, a read + solve ratio above {RATIO_FLAG:g}, simplex iteration counts that "
        "differ from clp's, and sizes that differ from optima.csv. Generated by `Scripts/bench_solve.py` (`make bench`).",
        "",
        markdown_table(results),
        "",
    ]
    lines += summary_lines(results)
    parley_floor, clp_floor = context["floor"]
    lines.append(f"Process start-up floor (median, same repeats): `parley --version` "
                 f"{parley_floor * 1000:.1f} ms, `clp -quit` {clp_floor * 1000:.1f} ms.")
    lines.append("")
    lines += target_lines(results, context["floor"])
    return "\n".join(lines).rstrip() + "\n"


def write_section(out: Path, section: str, machine: str) -> None:
    """Replace the marked section of `out`, appending it (or creating the file) if missing."""
    block = f"{BEGIN_MARKER}\n{section}{END_MARKER}"
    if out.exists():
        text = out.read_text()
        begin, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
        if begin != -1 and end > begin:
            text = text[:begin] + block + text[end + len(END_MARKER):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    else:
        text = (f"# Benchmarks\n\nResults of `make bench` on the machine they were last run on: "
                f"{machine}.\n\n{block}\n")
    out.write_text(text)


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parley", default=".build/release/parley", help="parley executable")
    parser.add_argument("--clp", default="clp", help="clp executable (Debian package coinor-clp)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"), help="markdown file to update")
    parser.add_argument("--instances", type=Path, default=DEFAULT_INSTANCES,
                        help="directory with optima.csv, blocks/ and netlib/")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per solver and instance")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (file cache, loader)")
    parser.add_argument("--largest-netlib", type=int, default=5,
                        help="how many of the largest netlib/ instances to add to blocks/")
    parser.add_argument("--tolerance", type=float, default=1e-6, help="relative objective tolerance")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be at least 1 and --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (os.path.isfile(args.parley) and os.access(args.parley, os.X_OK)):
        print(f"bench_solve: no parley executable at {args.parley} (run `make release`)",
              file=sys.stderr)
        return 1
    clp = shutil.which(args.clp)
    if clp is None:
        print(f"bench_solve: {args.clp} not found (apt-get install coinor-clp)", file=sys.stderr)
        return 1
    args.clp = clp

    clp_env = dict(os.environ)
    dropped = sorted(k for k in os.environ if k.startswith("PARLEY_"))
    parley_env = {k: v for k, v in os.environ.items() if k not in dropped}
    if dropped:
        print(f"bench_solve: ignoring {', '.join(dropped)} for the Parley runs", file=sys.stderr)

    instances = load_instances(args.instances, args.largest_netlib)
    digest = file_digest(args.parley)
    context = {
        "machine": machine_sentence(),
        "revision": git_revision(args.parley),
        "clp_version": clp_version(args.clp, instances[0].path, clp_env),
    }

    try:
        context["floor"] = startup_floor(args, parley_env, clp_env)
    except BenchError as exc:
        print(f"bench_solve: {exc}", file=sys.stderr)
        return 1

    results = []
    for instance in instances:
        print(f"bench_solve: {instance.name} ...", file=sys.stderr, flush=True)
        results.append(bench_instance(instance, args, parley_env, clp_env))

    if file_digest(args.parley) != digest:
        print(f"bench_solve: {args.parley} changed during the benchmark (rebuilt?); "
              f"results mix two builds, not writing {args.out}", file=sys.stderr)
        return 1

    section = section_text(results, args, context)
    print(section)
    write_section(args.out, section, context["machine"])

    failures = [r for r in results if r.errors]
    for r in failures:
        for error in r.errors:
            print(f"bench_solve: {r.instance.name}: {error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
