#!/usr/bin/env bash
# `make demo`: split the pds-02 chain (11 commodity blocks, 181 linking rows) into one private
# model per partner, run a Dantzig–Wolfe round with every partner in this process, and print the
# optimum beside the centralized one. (Separate node processes over TLS come with the network
# milestone; this shows the negotiation itself.)
set -euo pipefail
cd "$(dirname "$0")/.."
parley=.build/debug/parley
model=Tests/Fixtures/instances/blocks/pds-02.mps
work=${PARLEY_DEMO_DIR:-demo-run}
rm -rf "$work"
mkdir -p "$work"

echo "== Splitting pds-02 into a chain of 11 partners"
"$parley" split "$model" --dec "${model%.mps}.dec" --out "$work/chain" | tail -4
echo
echo "== Dantzig–Wolfe round, partners in process (prices out, proposals back)"
"$parley" round start --chain "$work/chain/chain.yaml" --local --method dw --out "$work/run"
echo
echo "== The same model solved centrally"
"$parley" solve "$model" | grep -E "status|objective"
echo
echo "Convergence log: $work/run/convergence.jsonl   summary: $work/run/summary.json"
echo "Each partner's share of the plan: $work/run/plans/<partner>.csv"
