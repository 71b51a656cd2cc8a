#!/usr/bin/env python3
"""Block-angular LPs of the two kinds in Tests/Fixtures/instances/blocks, generated from a seed,
to check Parley on instances it was never run on: NAME.mps and NAME.dec (GCG format).

- multicommodity (as pds and ken): one block per commodity, a network of flow-conservation rows
  with one source and three sinks; joint arc-capacity rows link the commodities. Capacities sit
  below what the commodities' cheapest routes would put on the busiest arcs and never below a
  flow routed along random walks, so every instance is feasible and the linking rows bind.
  Size: commodities nodes arcs-per-node capacitated-arcs.
- stochastic (as lands3 ... fxm2_6): a two-stage program written as one block per scenario.
  First-stage capacities (budgeted, bounded) are copied into every scenario; second-stage
  activities use them to meet the scenario's demands, with a shortfall bought at a penalty
  (complete recourse); non-anticipativity rows x[s,i] - x[s+1,i] = 0 link the scenarios.
  Size: scenarios first-stage-variables second-stage-activities demands.

Standard library only.
"""
import argparse, heapq, os, random


def write(path, name, rows, cols, rhs, upper, blocks):
    """rows: [(name, sense)]; cols: [(name, {row: coefficient}, cost)]; upper: {column: bound}."""
    with open(path + ".mps", "w") as f:
        f.write(f"NAME {name}\nROWS\n N COST\n")
        for r, sense in rows:
            f.write(f" {sense} {r}\n")
        f.write("COLUMNS\n")
        for c, coefficients, cost in cols:
            if cost:
                f.write(f"    {c} COST {cost:.10g}\n")
            for r, v in coefficients.items():
                f.write(f"    {c} {r} {v:.10g}\n")
        f.write("RHS\n")
        for r, v in rhs.items():
            if v:
                f.write(f"    RHS {r} {v:.10g}\n")
        f.write("BOUNDS\n")
        for c, v in upper.items():
            f.write(f" UP BND {c} {v:.10g}\n")
        f.write("ENDATA\n")
    with open(path + ".dec", "w") as f:
        f.write(f"PRESOLVED\n0\nNBLOCKS\n{len(blocks)}\n")
        for b, block in enumerate(blocks):
            f.write(f"BLOCK {b + 1}\n" + "".join(r + "\n" for r in block))
        inside = {r for block in blocks for r in block}
        f.write("MASTERCONSS\n" + "".join(r + "\n" for r, _ in rows if r not in inside))


def multicommodity(rng, commodities, n, degree, capacitated):
    arcs = set()
    for i in range(n):  # a ring both ways keeps every node reachable
        arcs.add((i, (i + 1) % n))
        arcs.add(((i + 1) % n, i))
    while len(arcs) < n * degree:
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            arcs.add((a, b))
    arcs = sorted(arcs)
    out = {}
    for a, b in arcs:
        out.setdefault(a, []).append(b)
    base = {arc: rng.randint(1, 20) for arc in arcs}
    rows, cols, rhs, blocks = [], [], {}, []
    walked = {arc: 0.0 for arc in arcs}  # a feasible flow: every demand along a random walk
    cheapest = {arc: 0.0 for arc in arcs}  # every demand along its cheapest route
    column = {}
    for k in range(commodities):
        source = rng.randrange(n)
        sinks = rng.sample([v for v in range(n) if v != source], 3)
        demand = {s: rng.randint(10, 100) for s in sinks}
        block = [f"N{k}_{v}" for v in range(n)]
        rows += [(r, "E") for r in block]
        blocks.append(block)
        rhs[f"N{k}_{source}"] = -sum(demand.values())
        for s, d in demand.items():
            rhs[f"N{k}_{s}"] = d
        cost = {arc: base[arc] * rng.uniform(0.8, 1.2) for arc in arcs}
        for a, b in arcs:
            column[(k, a, b)] = len(cols)
            cols.append((f"X{k}_{a}_{b}", {f"N{k}_{a}": -1.0, f"N{k}_{b}": 1.0}, cost[(a, b)]))
        for s, d in demand.items():
            v, seen = source, {source}
            while v != s:
                fresh = [w for w in out[v] if w not in seen] or out[v]
                w = s if s in out[v] else rng.choice(fresh)
                walked[(v, w)] += d
                seen.add(w)
                v = w
        distance, previous, heap = {source: 0.0}, {}, [(0.0, source)]
        while heap:
            d, v = heapq.heappop(heap)
            if d > distance[v]:
                continue
            for w in out[v]:
                if d + cost[(v, w)] < distance.get(w, float("inf")):
                    distance[w] = d + cost[(v, w)]
                    previous[w] = v
                    heapq.heappush(heap, (distance[w], w))
        for s, d in demand.items():
            v = s
            while v != source:
                cheapest[(previous[v], v)] += d
                v = previous[v]
    busiest = sorted(arcs, key=lambda arc: (-cheapest[arc], arc))[:capacitated]
    for a, b in busiest:
        r = f"CAP_{a}_{b}"
        rows.append((r, "L"))
        rhs[r] = round(max(walked[(a, b)], cheapest[(a, b)] * rng.uniform(0.4, 0.8)), 3)
        for k in range(commodities):
            cols[column[(k, a, b)]][1][r] = 1.0
    return rows, cols, rhs, {}, blocks


def stochastic(rng, scenarios, first, second, demands):
    rows, cols, rhs, upper, blocks = [], [], {}, {}, []
    build_cost = [rng.uniform(1, 10) for _ in range(first)]
    capacity = [rng.uniform(50, 200) for _ in range(first)]
    budget = sum(capacity) * 0.6
    run_cost = [rng.uniform(5, 30) for _ in range(second)]
    # each activity uses a third of the capacities on average, and at least one, so every
    # scenario is one connected block
    recipe = [[rng.choice([0, 0, rng.uniform(0.5, 2)]) for _ in range(first)] for _ in range(second)]
    for uses in recipe:
        if not any(uses):
            uses[rng.randrange(first)] = rng.uniform(0.5, 2)
    for s in range(scenarios):
        p = 1.0 / scenarios
        block = [f"S{s}_BUDGET"] + [f"S{s}_CAP{i}" for i in range(first)] + [f"S{s}_DEM{j}" for j in range(demands)]
        rows += [(block[0], "L")] + [(r, "L") for r in block[1:first + 1]] + [(r, "G") for r in block[first + 1:]]
        blocks.append(block)
        rhs[f"S{s}_BUDGET"] = budget
        for j in range(demands):
            rhs[f"S{s}_DEM{j}"] = rng.uniform(20, 120)
        for i in range(first):
            name = f"S{s}_X{i}"
            cols.append((name, {f"S{s}_BUDGET": 1.0, f"S{s}_CAP{i}": -1.0}, p * build_cost[i]))
            upper[name] = capacity[i]
        for j in range(second):
            coefficients = {f"S{s}_CAP{i}": recipe[j][i] for i in range(first) if recipe[j][i]}
            coefficients[f"S{s}_DEM{j % demands}"] = rng.uniform(0.8, 1.2)
            cols.append((f"S{s}_Y{j}", coefficients, p * run_cost[j] * rng.uniform(0.9, 1.1)))
        for j in range(demands):
            cols.append((f"S{s}_BUY{j}", {f"S{s}_DEM{j}": 1.0}, p * 100.0))
    by_name = {name: coefficients for name, coefficients, _ in cols}
    for s in range(scenarios - 1):
        for i in range(first):
            r = f"NA{s}_{i}"
            rows.append((r, "E"))
            by_name[f"S{s}_X{i}"][r] = 1.0
            by_name[f"S{s + 1}_X{i}"][r] = -1.0
    return rows, cols, rhs, upper, blocks


def generate(kind, size, seed, out):
    rng = random.Random(seed)
    data = multicommodity(rng, *size) if kind == "multicommodity" else stochastic(rng, *size)
    write(out, os.path.basename(out), *data)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["multicommodity", "stochastic"])
    parser.add_argument("--size", type=int, nargs=4, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="path without extension: writes OUT.mps and OUT.dec")
    args = parser.parse_args()
    generate(args.kind, args.size, args.seed, args.out)
