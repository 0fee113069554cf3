#!/usr/bin/env python3
"""Latency of `cannonball serve` on a long trace, side by side with one `cannonball run` process
per query and one upstream `cannon run` per query (on a subset: they are slow on long traces).

Starts the server on the prestate, waits for its first pass, then times (one at a time)
HASHES random-position state-hash queries and PROOFS random-position proof queries, and reports
p50/p99/max, the first-pass time, the checkpoint memory against the budget and the server's peak
resident memory. A subset of the same positions is then answered by `cannonball run --engine jit`
(and `witness`) and by upstream `cannon run`, and every answer is compared with the server's.

usage: serve_bench.py --elf ELF | --input STATE [--budget 2GiB] [--hashes 100] [--proofs 20]
                      [--run-subset 5] [--upstream-subset 2] [--upstream-max-step N] [--out FILE.json]
"""
import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(fn):
    t0 = time.monotonic()
    result = fn()
    return time.monotonic() - t0, result


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def summary(name, seconds):
    return {"name": name, "n": len(seconds), "p50": percentile(seconds, 50), "p99": percentile(seconds, 99),
            "max": max(seconds), "mean": statistics.mean(seconds)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf")
    ap.add_argument("--input")
    ap.add_argument("--cannonball", default=os.path.join(ROOT, "build/tools/cannonball"))
    ap.add_argument("--upstream", default=os.path.join(ROOT, "build/refvm/cannon"))
    ap.add_argument("--budget", default="2GiB")
    ap.add_argument("--interval", default=str(1 << 22))
    ap.add_argument("--hashes", type=int, default=100)
    ap.add_argument("--proofs", type=int, default=20)
    ap.add_argument("--run-subset", type=int, default=5)
    ap.add_argument("--upstream-subset", type=int, default=2)
    ap.add_argument("--upstream-max-step", type=int, default=500_000_000,
                    help="upstream is asked only about positions up to this step")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory()
    state = args.input
    if args.elf:
        state = os.path.join(tmp.name, "state.bin.gz")
        subprocess.run([args.cannonball, "load-elf", "--type", "multithreaded64-5", "--path", args.elf, "--out", state,
                        "--meta", os.path.join(tmp.name, "meta.json")], check=True)

    t0 = time.monotonic()
    server = subprocess.Popen([args.cannonball, "serve", "--input", state, "--listen", "127.0.0.1:0", "--memory-budget",
                               args.budget, "--interval", args.interval], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    first_pass = time.monotonic() - t0
    url = re.match(r"listening on (\S+)", line).group(1)

    def get(path):
        with urllib.request.urlopen(url + path, timeout=3600) as r:
            return r.read().decode()

    try:
        trace = json.loads(get("/v1/trace"))
        start, end = trace["start"], trace["end"]
        print(f"trace: {end - start:,} steps, first pass {first_pass:.1f} s", flush=True)
        hash_steps = [rng.randrange(start, end + 1) for _ in range(args.hashes)]
        proof_steps = [rng.randrange(start, end) for _ in range(args.proofs)]
        hash_times, hashes = [], {}
        for step in hash_steps:
            seconds, body = timed(lambda: json.loads(get(f"/v1/state?step={step}")))
            hash_times.append(seconds)
            hashes[step] = body["witnessHash"]
        proof_times, proofs = [], {}
        for step in proof_steps:
            seconds, body = timed(lambda: get(f"/v1/proof?step={step}"))
            proof_times.append(seconds)
            proofs[step] = body
        status = json.loads(get("/v1/status"))
        rss = peak_rss(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)

    rows = [summary("serve: state hash", hash_times), summary("serve: proof", proof_times)]
    out_bin = os.path.join(tmp.name, "out.bin")
    run_hash, run_proof, up_hash = [], [], []
    for step in hash_steps[:args.run_subset]:
        seconds, _ = timed(lambda: subprocess.run(
            [args.cannonball, "run", "--input", state, "--output", out_bin, "--meta", "", "--info-at", "never",
             "--engine", "jit", "--stop-at", f"={step}"], check=True, capture_output=True))
        w_seconds, w = timed(lambda: json.loads(subprocess.run([args.cannonball, "witness", "--input", out_bin],
                                                               check=True, capture_output=True, text=True).stdout))
        run_hash.append(seconds + w_seconds)
        if w["witnessHash"] != hashes[step]:
            raise SystemExit(f"error: run and serve differ at step {step}")
    for step in proof_steps[:args.run_subset]:
        seconds, r = timed(lambda: subprocess.run(
            [args.cannonball, "run", "--input", state, "--output", "", "--meta", "", "--info-at", "never", "--engine",
             "jit", "--proof-at", f"={step}", "--proof-fmt", "-", "--stop-at", f"={step + 1}"], check=True,
            capture_output=True, text=True))
        run_proof.append(seconds)
        if r.stdout != proofs[step]:
            raise SystemExit(f"error: run and serve proofs differ at step {step}")
    if run_hash:
        rows.append(summary("cannonball run --engine jit: state hash", run_hash))
    if run_proof:
        rows.append(summary("cannonball run --engine jit: proof", run_proof))
    upstream_steps = [s for s in hash_steps if s <= args.upstream_max_step][:args.upstream_subset]
    if os.path.exists(args.upstream):
        for step in upstream_steps:
            up_out = os.path.join(tmp.name, "up.bin.gz")
            seconds, _ = timed(lambda: subprocess.run(
                [args.upstream, "run", "--input", state, "--output", up_out, "--meta", "", "--info-at", "never",
                 "--stop-at", f"={step}"], check=True, capture_output=True))
            w_seconds, w = timed(lambda: json.loads(subprocess.run([args.upstream, "witness", "--input", up_out],
                                                                   check=True, capture_output=True, text=True).stdout))
            up_hash.append(seconds + w_seconds)
            if w["witnessHash"] != hashes[step]:
                raise SystemExit(f"error: upstream and serve differ at step {step}")
    if up_hash:
        rows.append(summary(f"upstream cannon run: state hash (steps <= {args.upstream_max_step:,})", up_hash))

    print(f"\ncheckpoints: {status['checkpoints']['inMemory']} in memory, interval {status['checkpoints']['interval']:,} "
          f"steps, {status['checkpoints']['bytes'] / 2**20:.0f} MiB of a {status['checkpoints']['budget'] / 2**20:.0f} MiB "
          f"budget; server peak RSS {rss / 2**20:.0f} MiB\n")
    print("| queries | n | p50 | p99 | max | mean |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['n']} | {r['p50']:.3f} s | {r['p99']:.3f} s | {r['max']:.3f} s | {r['mean']:.3f} s |")
    print("\nevery answer of `cannonball run` and upstream above equals the server's")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"steps": end - start, "first_pass_seconds": first_pass, "status": status, "peak_rss": rss,
                       "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
