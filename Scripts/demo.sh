#!/usr/bin/env bash
# `make demo`: a whole federation on this machine. `parley demo` makes a throw-away consortium CA
# and certificates, splits pds-02 (11 commodity blocks, 181 linking rows) into one private model
# per partner, starts one `parley node` process per partner on loopback, runs a Dantzig–Wolfe
# round over TLS 1.3 with its live table, and prints the optimum beside the centralized one.
# The nodes stop when the demo ends, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
parley=.build/debug/parley
work=${PARLEY_DEMO_DIR:-demo-run}
"$parley" demo --out "$work" "$@"
