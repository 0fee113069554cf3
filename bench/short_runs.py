#!/usr/bin/env python3
"""Short programs under the JIT and the interpreter, whole process, side by side.

The JIT pays for translation before generated code pays back; tiering (jit/README.md) leaves
code to the interpreter until it is entered often. This measures where the JIT starts to win:
for each guest (built by the README's setup) `cannonball run --engine interp` and `--engine jit`
from the loaded ELF to the guest's exit, no outputs, alternating, ROUNDS times. Figures are the
whole process's CPU seconds (user + system; start-up, loading, translation and the run) and
the ratio of the medians, interpreter over JIT: above 1 the JIT is faster. Both engines must end
with the same final state (sha256 of the raw state file). Writes bench/results/short_runs.{md,json}.

usage: bench/short_runs.py [--rounds 5] [--guests hello,atomics,...] [--out bench/results]
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
CANNONBALL = os.path.join(B, "tools", "cannonball")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from timing import timed  # noqa: E402
GUESTS = {
    "hello": "guests/hello.elf",
    "atomics": "guests/atomics.elf",
    "keccak": "guests/keccak.elf",
    "sync": "guests/sync.elf",
    "compute-small": "guests/compute-small.elf",
    "goroutines": "guests/goroutines.elf",
    "geth-small": "geth-guest/gethguest-small.elf",
    "alloc": "guests/alloc.elf",
}


def run(engine, state, final):
    args = [CANNONBALL, "run", "--engine", engine, "--input", state, "--output", final, "--meta", "",
            "--info-at", "never", "--guest-stdout", os.devnull, "--guest-stderr", os.devnull]
    row, _ = timed(args)
    return row


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--guests", default=",".join(GUESTS))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.guests.split(","):
            elf = os.path.join(B, GUESTS[name])
            if not os.path.exists(elf):
                print(f"{name}: {elf} is not built; skipped", file=sys.stderr)
                continue
            state = os.path.join(tmp, name + ".bin")
            subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                            "--meta", ""], check=True, capture_output=True)
            times = {"interp": [], "jit": []}
            finals = {}
            for _ in range(args.rounds):
                for engine in ("interp", "jit"):
                    final = os.path.join(tmp, f"{name}-{engine}.bin")
                    times[engine].append(run(engine, state, final))
                    finals.setdefault(engine, digest(final))
                    if digest(final) != finals[engine]:
                        raise RuntimeError(f"{name}: two {engine} runs ended in different states")
            if finals["interp"] != finals["jit"]:
                raise RuntimeError(f"{name}: the interpreter and the JIT ended in different states")
            witness = json.loads(subprocess.run([CANNONBALL, "witness", "--input", final], check=True,
                                                capture_output=True, text=True).stdout)
            med = {e: statistics.median(r["cpu_s"] for r in times[e]) for e in times}
            row = {"guest": name, "steps": int(witness["step"]), "median_cpu_s": med,
                   "interp_over_jit": med["interp"] / med["jit"], "rounds": times}
            rows.append(row)
            print(name, row["steps"], json.dumps(med), f"{row['interp_over_jit']:.2f}x", flush=True)
    rows.sort(key=lambda r: r["steps"])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "short_runs.json"), "w") as f:
        json.dump({"revision": head, "rounds": args.rounds, "rows": rows}, f, indent=2)
    lines = [f"Short programs, revision {head}: `cannonball run` from the loaded ELF to the guest's exit, whole",
             f"process, CPU seconds (user + system), medians of {args.rounds} alternating rounds; both engines end",
             "in the same final state.", "",
             "| guest | steps | interpreter | JIT | interpreter / JIT |", "|---|---|---|---|---|"]
    for r in rows:
        m = r["median_cpu_s"]
        lines.append(f"| {r['guest']} | {r['steps']:,} | {m['interp']:.3f} s | {m['jit']:.3f} s | "
                     f"{r['interp_over_jit']:.2f}× |")
    with open(os.path.join(args.out, "short_runs.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
