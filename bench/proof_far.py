#!/usr/bin/env python3
"""A proof far from the input state: `run --proof-at =N --stop-at =N+1` from step 0, beside the plain
run to the same step (--stop-at =N+1 only), so the proof's own cost (the merkle root of the whole
memory, the checkpoints, any slot-2 replay) is the difference. Two workloads:

  geth-xlarge  the go-ethereum guest's xlarge build (about 1.16e10 steps; build/geth-guest, built
               with CANNONBALL_HEAVY=1), proof at step 10^10 (its scheduler reads the clock far
               more often than the 2^20-step eager window, so no replay is expected);
  clock-once   a guest that reads the clock once, 2,000,000 steps before the proof step (just
               before the eager window), and then only computes: the slot-2 worst case, where the
               replay ran from the input state before the checkpoints.

With --before REV the same runs are made, alternating, with the cannonball of another revision
(built once under build/rev-<sha>/, as bench/challenger.py does). Figures are CPU seconds (user +
system) and wall seconds, medians of the rounds; the replay's steps and seconds come from run's
`msg="proof slot #2 replayed"` line. Writes bench/results/proof_far.{md,json}.

usage: bench/proof_far.py [--rounds 2] [--proof-step 10000000000] [--before REV] [--workloads geth-xlarge,clock-once]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
import challenger  # noqa: E402
from test_cli import build_elf  # noqa: E402
from test_slot2_replay import clock_once_program  # noqa: E402

XLARGE = os.path.join(ROOT, "build", "geth-guest", "gethguest-xlarge.elf")
REPLAY = re.compile(r'msg="proof slot #2 replayed" .*\bfrom=(\d+) steps=(\d+) seconds=([\d.]+)')


def run(binary, state, proof_step, out, prove):
    args = [binary, "run", "--engine", "jit", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
            "--stop-at", f"={proof_step + 1}", "--guest-stdout", os.devnull, "--guest-stderr", os.devnull]
    if prove:
        args += ["--proof-at", f"={proof_step}", "--proof-fmt", os.path.join(out, "proof-%d.json")]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    start = time.perf_counter()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {err[-2000:]}")
    m = REPLAY.search(err)
    replay = {"from": int(m.group(1)), "steps": int(m.group(2)), "seconds": float(m.group(3))} if m else None
    proof = None
    if prove:
        with open(os.path.join(out, f"proof-{proof_step}.json"), "rb") as f:
            proof = f.read()
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "rss_kib": ru.ru_maxrss, "replay": replay}, proof


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--proof-step", type=int, default=10_000_000_000)
    ap.add_argument("--before")
    ap.add_argument("--workloads", default="geth-xlarge,clock-once")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    n = args.proof_step
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    sides = {}
    if args.before:
        sha, sides[f"before ({sha})"] = challenger.build_revision(args.before)
    sides[f"after ({head})"] = challenger.CANNONBALL
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.workloads.split(","):
            if name == "geth-xlarge":
                elf = XLARGE
            else:
                turn = (n - 2_000_000) // 6
                elf = os.path.join(tmp, "clock-once.elf")
                with open(elf, "wb") as f:
                    f.write(build_elf(clock_once_program(turn)))
            state = os.path.join(tmp, name + ".bin.gz")
            challenger.cb("load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state, "--meta", "")
            rows = {side: {"plain": [], "proof": []} for side in sides}
            proofs = {}
            for _ in range(args.rounds):
                for side, binary in sides.items():
                    for kind in ("plain", "proof"):
                        out = os.path.join(tmp, "out")
                        os.makedirs(out, exist_ok=True)
                        row, proof = run(binary, state, n, out, kind == "proof")
                        rows[side][kind].append(row)
                        if proof is not None:
                            proofs.setdefault(side, proof)
                            if proof != proofs[side]:
                                raise RuntimeError(f"{name}: {side} wrote two different proofs")
            if len(set(proofs.values())) != 1:
                raise RuntimeError(f"{name}: the revisions' proofs at step {n} differ")
            for side in sides:
                med = {k: {m: statistics.median(r[m] for r in rows[side][k]) for m in ("wall_s", "cpu_s", "rss_kib")}
                       for k in rows[side]}
                replays = [r["replay"] for r in rows[side]["proof"]]
                results.append({"workload": name, "side": side, "proof_step": n, "median": med,
                                "replay": replays[0], "rounds": rows[side]})
                print(name, side, json.dumps(med), replays[0], flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "proof_far.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = [f"`run --proof-at ={n} --stop-at ={n + 1}` from step 0 (`--engine jit`), beside the plain run to the same",
             "step; medians of the rounds. CPU seconds are user + system; the proof's cost is the difference.",
             "The slot-2 replay comes from run's log line, which revisions before the checkpoints do not write.", "",
             "| workload | revision | plain: cpu, wall | proof: cpu, wall | proof − plain (cpu) | slot-2 replay | peak RSS (proof) |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        p, q = r["median"]["plain"], r["median"]["proof"]
        rp = r["replay"]
        replay = f"{rp['steps']:,} steps from step {rp['from']:,}, {rp['seconds']:.2f} s" if rp else "no line"
        lines.append(f"| {r['workload']} | {r['side']} | {p['cpu_s']:.2f} s, {p['wall_s']:.2f} s | "
                     f"{q['cpu_s']:.2f} s, {q['wall_s']:.2f} s | {q['cpu_s'] - p['cpu_s']:+.2f} s | {replay} | "
                     f"{q['rss_kib'] / 1024:.0f} MiB |")
    with open(os.path.join(args.out, "proof_far.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
