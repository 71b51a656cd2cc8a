#!/usr/bin/env bash
# `make demo` for now: the federated round (nodes over TLS) is not built yet, so this solves the
# pds-02 chain centrally with `parley solve`, the reference every later round is checked against.
set -euo pipefail
cd "$(dirname "$0")/.."
model=Tests/Fixtures/instances/blocks/pds-02.mps
echo "Parley demo: the federated round is not built yet (it is the next milestone)."
echo "Solving the pds-02 chain (11 commodity blocks, 181 linking rows) centrally:"
echo
.build/debug/parley solve "$model"
