#!/usr/bin/env python3
"""Random sweep over small generated chains (Scripts/generate_chain.py): for each, the central CLP
optimum, then DW (and ADMM on the stochastic ones) on the chain split by its .dec, by
`split --detect`, and packed into 2 and 3 partners (`--partners`). A run is bad unless it ends
optimal (DW, within 1e-6 of the central optimum) or converged (ADMM, within 1e-4). Not part of
`make bench` (three to five minutes for 30 instances here); prints one line per instance and
the count of bad runs, and exits 1 if there is any.

Standard library only.
"""
import argparse, json, os, random, shutil, subprocess, sys, tempfile

from generate_chain import generate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def round_summary(parley, chain, method, out):
    run([parley, "round", "start", "--chain", os.path.join(chain, "chain.yaml"), "--local", "--quiet",
         "--method", method, "--out", out, "--max-seconds", "60"])
    try:
        return json.load(open(os.path.join(out, "summary.json")))
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parley", default=os.path.join(ROOT, ".build", "release", "parley"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    parley = os.path.abspath(args.parley)
    rng = random.Random(args.seed)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="parley-sweep-") as work:
        for t in range(args.count):
            kind = rng.choice(["multicommodity", "stochastic"])
            if kind == "multicommodity":
                size = (rng.randint(2, 12), rng.randint(15, 80), rng.randint(2, 4), rng.randint(3, 40))
            else:
                size = (rng.randint(2, 12), rng.randint(2, 8), rng.randint(3, 20), rng.randint(2, 6))
            seed = rng.randint(1, 10**6)
            base = os.path.join(work, f"g{t}")
            generate(kind, size, seed, base)
            reference = json.loads(run([parley, "solve", "--json", base + ".mps"]).stdout)["objective"]
            variants = [("dec", ["--dec", base + ".dec"]), ("detect", ["--detect"])]
            if size[0] >= 4:
                variants.append(("packed-2", ["--dec", base + ".dec", "--partners", "2"]))
            if size[0] >= 6:
                variants.append(("packed-3", ["--dec", base + ".dec", "--partners", "3"]))
            cells = []
            for label, split_args in variants:
                chain = f"{base}-{label}"
                split = run([parley, "split", base + ".mps", "--out", chain] + split_args)
                if split.returncode != 0:
                    bad += 1
                    cells.append(f"{label}: split failed: {split.stderr.strip()[:200]}")
                    continue
                for method in ["dw"] + (["admm"] if kind == "stochastic" else []):
                    summary = round_summary(parley, chain, method, f"{chain}-{method}")
                    tolerance = 1e-6 if method == "dw" else 1e-4
                    objective = summary.get("objective") if summary else None
                    good = (summary is not None and summary["status"] in ("optimal", "converged") and objective is not None
                            and abs(objective - reference) <= tolerance * max(1, abs(reference)))
                    bad += 0 if good else 1
                    if summary is None:
                        cells.append(f"{label}/{method}: BAD, no summary")
                    else:
                        error = "-" if objective is None else f"{abs(objective - reference) / max(1, abs(reference)):.1e}"
                        cells.append(f"{label}/{method}: {'ok' if good else 'BAD'} {summary['status']} "
                                     f"{summary['iterations']} it, error {error}"
                                     + ("" if good else f" ({summary.get('message', '')[:150]})"))
                shutil.rmtree(chain, ignore_errors=True)
            print(f"{kind} {size} seed {seed}: " + " | ".join(cells), flush=True)
    print(f"bad runs: {bad}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
