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

A third workload, geth-xlarge-challenger, is the proof as op-challenger makes it: its first run
left a snapshot every 10^9 steps, and it starts the proving run from the snapshot with the largest
step below N (op-challenger's FindStartingSnapshot), so a proof at 10^10 runs 10^9 steps from the
snapshot at 9·10^9 (the farthest it ever runs with its default snapshot frequency). The run has
op-challenger's whole argument list (DoGenerateProof: --output final.bin.gz, --info-at %1e7,
--proof-at, --proof-fmt %d.json.gz, --snapshot-at %1e9, --snapshot-fmt %d.bin.gz, --stop-at,
--debug-info) and is timed beside a plain run from the same snapshot (--stop-at only). Its proof
must equal, byte for byte, the proof the geth-xlarge workload made from step 0 when both run.

usage: bench/proof_far.py [--rounds 2] [--proof-step 10000000000] [--before REV]
                          [--workloads geth-xlarge,clock-once,geth-xlarge-challenger]
"""
import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "cli"))
import challenger  # noqa: E402
from timing import timed  # noqa: E402
from test_cli import build_elf  # noqa: E402
from test_slot2_replay import clock_once_program  # noqa: E402

XLARGE = os.path.join(ROOT, "build", "geth-guest", "gethguest-xlarge.elf")
REPLAY = re.compile(r'msg="proof slot #2 replayed" .*\bfrom=(\d+) steps=(\d+) seconds=([\d.]+)')


def run(binary, state, proof_step, out, prove):
    args = [binary, "run", "--engine", "jit", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
            "--stop-at", f"={proof_step + 1}", "--guest-stdout", os.devnull, "--guest-stderr", os.devnull]
    if prove:
        args += ["--proof-at", f"={proof_step}", "--proof-fmt", os.path.join(out, "proof-%d.json")]
    row, err = timed(args)
    m = REPLAY.search(err)
    replay = {"from": int(m.group(1)), "steps": int(m.group(2)), "seconds": float(m.group(3))} if m else None
    proof = None
    if prove:
        with open(os.path.join(out, f"proof-{proof_step}.json"), "rb") as f:
            proof = f.read()
    return {**row, "replay": replay}, proof


SNAPSHOT_EVERY = 1_000_000_000  # op-challenger's default --snapshot-at (DefaultCannonSnapshotFreq)
INFO_EVERY = 10_000_000  # its default --info-at (DefaultCannonInfoFreq)


def make_snapshots(binary, state, proof_step, snaps):
    """op-challenger's first run, cut at the proof step: a .bin.gz snapshot every 10^9 steps."""
    os.makedirs(snaps, exist_ok=True)
    timed([binary, "run", "--engine", "jit", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
           "--snapshot-at", f"%{SNAPSHOT_EVERY}", "--snapshot-fmt", os.path.join(snaps, "%d.bin.gz"),
           "--stop-at", f"={proof_step}", "--guest-stdout", os.devnull, "--guest-stderr", os.devnull])
    steps = [int(f[:-len(".bin.gz")]) for f in os.listdir(snaps) if re.fullmatch(r"\d+\.bin\.gz", f)]
    below = [s for s in steps if 0 < s < proof_step]
    if not below:
        raise RuntimeError(f"no snapshot below step {proof_step} in {snaps}")
    return max(below)


def run_from_snapshot(binary, snapshot, proof_step, out, challenger_flags):
    """One proving run from the snapshot; with challenger_flags, op-challenger's DoGenerateProof arguments."""
    shutil.rmtree(out, ignore_errors=True)
    for d in ("proofs", "snapshots", "data"):
        os.makedirs(os.path.join(out, d))
    args = [binary, "run", "--engine", "jit", "--input", snapshot]
    if challenger_flags:
        args += ["--output", os.path.join(out, "final.bin.gz"), "--meta", "", "--info-at", f"%{INFO_EVERY}",
                 "--proof-at", f"={proof_step}", "--proof-fmt", os.path.join(out, "proofs", "%d.json.gz"),
                 "--snapshot-at", f"%{SNAPSHOT_EVERY}", "--snapshot-fmt", os.path.join(out, "snapshots", "%d.bin.gz"),
                 "--stop-at", f"={proof_step + 1}", "--debug-info", os.path.join(out, "data", "debug-info.json")]
    else:
        args += ["--output", "", "--meta", "", "--info-at", "never", "--stop-at", f"={proof_step + 1}"]
    args += ["--guest-stdout", os.devnull, "--guest-stderr", os.devnull]
    row, _ = timed(args)
    proof = None
    if challenger_flags:
        with gzip.open(os.path.join(out, "proofs", f"{proof_step}.json.gz"), "rb") as f:
            proof = f.read()
    return row, proof


def challenger_workload(sides, elf_state, n, tmp, rounds, results, step0_proofs):
    snaps = os.path.join(tmp, "challenger-snapshots")
    first = next(iter(sides.values()))
    start = make_snapshots(first, elf_state, n, snaps)
    snapshot = os.path.join(snaps, f"{start}.bin.gz")
    rows = {side: {"plain": [], "proof": []} for side in sides}
    proofs = set()
    for _ in range(rounds):
        for side, binary in sides.items():
            for kind in ("plain", "proof"):
                row, proof = run_from_snapshot(binary, snapshot, n, os.path.join(tmp, "out"), kind == "proof")
                rows[side][kind].append(row)
                if proof is not None:
                    proofs.add(proof)
    if len(proofs) != 1:
        raise RuntimeError("geth-xlarge-challenger: the proving runs wrote different proofs")
    for proof in step0_proofs.get("geth-xlarge", []):
        if proof not in proofs:
            raise RuntimeError(f"geth-xlarge-challenger: the proof from snapshot {start} differs from the proof "
                               f"made from step 0")
    for side in sides:
        med = {k: {m: statistics.median(r[m] for r in rows[side][k]) for m in ("wall_s", "cpu_s", "rss_kib")}
               for k in rows[side]}
        results.append({"workload": "geth-xlarge-challenger", "side": side, "proof_step": n, "from_step": start,
                        "median": med, "replay": None, "rounds": rows[side],
                        "same_proof_as_step_0": bool(step0_proofs.get("geth-xlarge"))})
        print("geth-xlarge-challenger", side, f"from {start}", json.dumps(med), flush=True)


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
    step0_proofs = {}
    with tempfile.TemporaryDirectory() as tmp:
        names = args.workloads.split(",")
        # The step-0 proof is made first so the challenger's proof can be checked against it.
        names.sort(key=lambda w: w == "geth-xlarge-challenger")
        for name in names:
            if name == "geth-xlarge-challenger":
                state = os.path.join(tmp, "geth-xlarge.bin.gz")
                if not os.path.exists(state):
                    challenger.cb("load-elf", "--type", "multithreaded64-5", "--path", XLARGE, "--out", state,
                                  "--meta", "")
                challenger_workload(sides, state, n, tmp, args.rounds, results, step0_proofs)
                continue
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
            step0_proofs[name] = list(proofs.values())
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
        if r["workload"] == "geth-xlarge-challenger":
            continue
        p, q = r["median"]["plain"], r["median"]["proof"]
        rp = r["replay"]
        replay = f"{rp['steps']:,} steps from step {rp['from']:,}, {rp['seconds']:.2f} s" if rp else "no line"
        lines.append(f"| {r['workload']} | {r['side']} | {p['cpu_s']:.2f} s, {p['wall_s']:.2f} s | "
                     f"{q['cpu_s']:.2f} s, {q['wall_s']:.2f} s | {q['cpu_s'] - p['cpu_s']:+.2f} s | {replay} | "
                     f"{q['rss_kib'] / 1024:.0f} MiB |")
    far = [r for r in results if r["workload"] == "geth-xlarge-challenger"]
    if far:
        lines += ["", f"op-challenger's proving run for step {n}: from its snapshot with the largest step below {n},",
                  "with its whole argument list (final state, progress lines, proof, snapshots, debug info), beside",
                  "a plain run from the same snapshot to the same step. Times are whole processes, so they include",
                  "loading the snapshot.", "",
                  "| revision | from snapshot | steps run | plain: cpu, wall | op-challenger's run: cpu, wall | "
                  "cost of its flags (cpu) | proof equals the one from step 0 | peak RSS |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in far:
            p, q = r["median"]["plain"], r["median"]["proof"]
            same = "yes" if r["same_proof_as_step_0"] else "not compared (geth-xlarge not run)"
            lines.append(f"| {r['side']} | {r['from_step']:,} | {n + 1 - r['from_step']:,} | "
                         f"{p['cpu_s']:.2f} s, {p['wall_s']:.2f} s | {q['cpu_s']:.2f} s, {q['wall_s']:.2f} s | "
                         f"{q['cpu_s'] - p['cpu_s']:+.2f} s | {same} | {q['rss_kib'] / 1024:.0f} MiB |")
    with open(os.path.join(args.out, "proof_far.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
