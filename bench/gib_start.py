#!/usr/bin/env python3
"""Issue 13's two GiB-scale start-up figures, before and after, side by side in one run.

1. `cannonball witness --input S` of a 1 GiB state (load + merkle root + witness).
2. `cannonball run --input S --stop-at =STEP+1 --output "" --meta ""`: a run from that snapshot
   that reaches its first step and stops there. The whole process is timed (load, one step,
   exit), so the figure is an upper bound of "reaches its first step".

S is a snapshot as a run writes it: the bigmem guest (1 GiB of random words, build/guests/bigmem.elf)
run with the JIT to step 1,919,000,000 (just before it exits, 2^18 pages) with --output S.bin.gz.
The other revision's cannonball is built under build/rev-<sha>/ (bench/challenger.py's layout),
and the two are run alternately, ROUNDS times. Each line gives wall and CPU seconds (user + system
of all threads) and the 1-minute load average when the command started; the summary gives medians.
On the shared 2-core machine compare CPU seconds and ratios: wall times follow the load.

usage: bench/gib_start.py --before REV [--rounds 5] [--state PATH] [--out bench/results/gib_start.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import challenger  # noqa: E402  (build_revision, the release binary's path)

STOP_STEP = 1_919_000_000


def make_snapshot(path):
    cb = challenger.CANNONBALL
    with tempfile.TemporaryDirectory() as tmp:
        start = os.path.join(tmp, "bigmem.bin.gz")
        subprocess.run([cb, "load-elf", "--type", "multithreaded64-5", "--path",
                        os.path.join(challenger.B, "guests", "bigmem.elf"), "--out", start, "--meta", ""],
                       check=True, capture_output=True)
        subprocess.run([cb, "run", "--engine", "jit", "--input", start, "--meta", "", "--stop-at", f"={STOP_STEP}",
                        "--output", path], check=True, capture_output=True)


def timed(cmd):
    load = os.getloadavg()[0]
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    wall = time.perf_counter() - start
    # communicate() reaped the child; its CPU time is in the children's rusage delta.
    return wall, load, p.returncode, out, err


def cpu_of(fn):
    before = os.times()
    result = fn()
    after = os.times()
    return result, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--state", default=os.path.join(tempfile.gettempdir(), "cannonball-gib-start.bin.gz"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    sha, before_bin = challenger.build_revision(args.before)
    sides = {"before": before_bin, "after": challenger.CANNONBALL}
    if not os.path.exists(args.state):
        make_snapshot(args.state)
    print(f"state {args.state}: {os.path.getsize(args.state) / 2**30:.2f} GiB file, step {STOP_STEP}")
    kinds = {
        "witness": lambda b: [b, "witness", "--input", args.state],
        "run to first step": lambda b: [b, "run", "--engine", "jit", "--input", args.state, "--output", "", "--meta",
                                        "", "--stop-at", f"={STOP_STEP + 1}"],
    }
    rows = {side: {kind: [] for kind in kinds} for side in sides}
    witnesses = {}
    for rnd in range(args.rounds):
        for kind, make in kinds.items():
            for side, binary in sides.items():
                (wall, load, rc, out, err), cpu = cpu_of(lambda: timed(make(binary)))
                if rc != 0:
                    raise RuntimeError(f"{side} {kind} failed ({rc}): {err.decode()[-2000:]}")
                if kind == "witness":
                    witnesses.setdefault(side, json.loads(out)["witnessHash"])
                rows[side][kind].append({"wall_s": wall, "cpu_s": cpu, "load1": load})
                print(f"round {rnd + 1} {side:6} {kind:17}: {wall:6.3f} s wall, {cpu:6.3f} s CPU, load {load:5.2f}",
                      flush=True)
    if len(set(witnesses.values())) != 1:
        raise RuntimeError(f"the witnesses differ: {witnesses}")
    print(f"\nmedians of {args.rounds} rounds (before = {sha}, after = this tree); witness {witnesses['after']}")
    print("| figure | before: wall, CPU | after: wall, CPU | wall ratio | CPU ratio |")
    print("|---|---|---|---|---|")
    summary = {}
    for kind in kinds:
        med = {side: {m: statistics.median(r[m] for r in rows[side][kind]) for m in ("wall_s", "cpu_s", "load1")}
               for side in sides}
        summary[kind] = med
        b, a = med["before"], med["after"]
        print(f"| {kind} | {b['wall_s']:.2f} s, {b['cpu_s']:.2f} s | {a['wall_s']:.2f} s, {a['cpu_s']:.2f} s | "
              f"{b['wall_s'] / a['wall_s']:.2f}x | {b['cpu_s'] / a['cpu_s']:.2f}x |")
    loads = [r["load1"] for side in sides for kind in kinds for r in rows[side][kind]]
    print(f"load average (1 min) at the starts: {min(loads):.2f} to {max(loads):.2f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"before": sha, "state": args.state, "stop_step": STOP_STEP, "median": summary, "rounds": rows},
                      f, indent=1)


if __name__ == "__main__":
    main()
