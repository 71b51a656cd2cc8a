#!/usr/bin/env python3
"""Secure-channel benchmark for `make bench`: runs `parley benchmark transport` (TLS 1.3 with
mutual authentication on loopback, in one process, throw-away certificates) and writes its
figures into BENCHMARKS.md between <!-- bench_transport:begin --> and <!-- bench_transport:end -->.

Issue 4's targets: a 10,000-price pricing round trip under 2 ms median on loopback; per-price
overhead at most 9 bytes plus framing. Standard library only.

    python3 Scripts/bench_transport.py --parley .build/release/parley --out BENCHMARKS.md
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

from benchmarks_md import replace_block


def replace_section(path, text):
    replace_block(path, "bench_transport", "Secure channel (TLS 1.3, loopback)", text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parley", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    run = subprocess.run([args.parley, "benchmark", "transport"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"parley benchmark transport failed: {run.stderr.strip()}")
    report = json.loads(run.stdout)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"Measured {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{datetime.date.today().isoformat()}, Parley {commit}. `parley benchmark transport`: a node and a "
        "coordinator in one process on 127.0.0.1, ECDSA P-256 certificates from a throw-away CA, TLS 1.3 "
        "(TLS_AES_256_GCM_SHA384). A round trip is one pricing request with n prices answered by one proposal "
        "with n linking-row usages (what a DW iteration exchanges); wire bytes are ciphertext on the socket.",
        "",
        f"Handshake (connect, TLS 1.3 with both certificates verified, first answer): median "
        f"{report['handshakeMedianMilliseconds']:.2f} ms, p90 {report['handshakeP90Milliseconds']:.2f} ms over "
        f"{report['handshakes']} connections; {report['handshakeBytes']} bytes on the wire.",
        "",
        "| prices | round trips | median ms | p10 ms | p90 ms | request frame bytes | request wire bytes | wire bytes / price |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    by_size = {}
    for s in report["samples"]:
        by_size[s["prices"]] = s
        lines.append(
            f"| {s['prices']:,} | {s['repetitions']} | {s['medianMilliseconds']:.3f} | {s['p10Milliseconds']:.3f} | "
            f"{s['p90Milliseconds']:.3f} | {s['requestFrameBytes']:,} | {s['requestWireBytes']:,.0f} | "
            f"{s['wireBytesPerPrice']:.3f} |")
    lines.append("")
    ten = by_size.get(10000)
    if ten:
        met = "met" if ten["medianMilliseconds"] < 2 else "NOT met"
        lines.append(f"- 10,000-price round trip under 2 ms median: **{met}** ({ten['medianMilliseconds']:.3f} ms).")
    big = by_size.get(max(by_size))
    frame_overhead = big["requestFrameBytes"] - 8 * big["prices"]
    per_price = (big["requestWireBytes"] - frame_overhead) / big["prices"]
    met = "met" if per_price <= 9 else "NOT met"
    lines.append(
        f"- Per-price overhead at most 9 bytes plus framing: **{met}** — {per_price:.3f} bytes per price on the wire at "
        f"{big['prices']:,} prices (8 for the IEEE double, the rest TLS record headers and tags), plus "
        f"{frame_overhead} bytes of frame and request header.")
    replace_section(args.out, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
