#!/usr/bin/env bash
# Makes the compose example's certificates in ./tls (ignored by git): a demonstration CA, and a
# key and certificate for firmA, firmB, firmC and the coordinator, each node's with its compose
# service name as DNS name (the coordinator dials firmA:7401, and checks the name it dialled).
#
# In a real chain these steps run on different machines (Deploy/README.md): the operator keeps
# the CA key, each party makes its own key and sends only its .csr. Here one person plays every
# role, which is fine for a demonstration and nothing else.
#
# Uses `parley` from PATH, or PARLEY=/path/to/parley, or else the parley image through docker
# (PARLEY_IMAGE, default parley:0.1.0; build it first: docker compose build).
#
# The keys are made with mode 0600. Without swarm, compose bind-mounts secret files as they are,
# so the containers' user (uid 10001) must own them: run this script as root (sudo), or chown
# them afterwards as it tells you.
set -euo pipefail
cd "$(dirname "$0")"

parties=(firmA firmB firmC)
container_uid=10001

if [[ -n "${PARLEY:-}" ]]; then
    parley=("$PARLEY")
elif command -v parley >/dev/null 2>&1; then
    parley=(parley)
else
    # The image's entrypoint is parley; run it as the caller so the files are the caller's.
    parley=(docker run --rm --user "$(id -u):$(id -g)" --network none
            -v "$PWD/tls:/var/lib/parley/tls" -w /var/lib/parley "${PARLEY_IMAGE:-parley:0.1.0}")
fi

if [[ -e tls/ca/ca.key ]]; then
    echo "tls/ca already holds a CA; remove ./tls to start over" >&2
    exit 1
fi
mkdir -p -m 0700 tls

"${parley[@]}" certs init-ca --out tls/ca --name "three-firm demonstration CA" --days 365

for party in "${parties[@]}" coordinator; do
    hosts=()
    if [[ "$party" != coordinator ]]; then
        hosts=(--host "$party")   # the coordinator only dials out: it needs no host name
    fi
    "${parley[@]}" certs request --name "$party" --out "tls/$party" ${hosts[@]+"${hosts[@]}"}
    "${parley[@]}" certs sign "tls/$party/$party.csr" --ca tls/ca --days 90
done

if [[ "$(id -u)" -eq 0 ]]; then
    for party in "${parties[@]}" coordinator; do
        chown "$container_uid:$container_uid" "tls/$party/$party.key"
    done
    echo "keys chowned to uid $container_uid (mode 0600)"
else
    echo
    echo "Now give the keys to the containers' user (uid $container_uid); they stay mode 0600:"
    echo "  sudo chown $container_uid:$container_uid $(for p in "${parties[@]}" coordinator; do printf 'tls/%s/%s.key ' "$p" "$p"; done)"
fi
