#!/usr/bin/env python3
"""Where a far proof's checkpoints spend their CPU: `perf record` of `run --proof-at =N --stop-at =N+1`
from step 0 on the go-ethereum guest's xlarge build (as bench/proof_far.py runs it), with this
revision's cannonball and, alternating, with another revision's (--before REV, built once under
build/rev-<sha>/ by bench/challenger.py). Samples (at --freq Hz, all threads) are summed per cost
of the checkpoints: the keccak of the merkle roots, copy-on-write clones, the state copies, dropping
copies, malloc and page faults. Wall and CPU time are too noisy on a shared machine to show a few
tenths of a second; sample counts per function are not. The proofs of both revisions must be
identical. Writes bench/results/checkpoint-settled/profile.{md,json}.

usage: bench/profile_checkpoints.py --before REV [--rounds 2] [--proof-step 10000000000] [--freq 2000]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import challenger  # noqa: E402
import proof_far  # noqa: E402

CATEGORIES = {
    "keccak (merkle roots)": r"hash_pairs|flush_dirty_pages|_Function_handler<bool \(cannonball::Page|hash_settled",
    "copy-on-write clones": r"clone_shared",
    "state copies (Memory::operator=)": r"Memory::operator=",
    "dropping copies (~State, free)": r"State::~State|_int_free|cfree|malloc_consolidate|unlink_chunk",
    "malloc": r"^malloc\b|_int_malloc|sysmalloc",
    "page faults": r"exc_page_fault|clear_page",
}


def profile(binary, state, step, out, freq):
    data = os.path.join(out, "perf.data")
    proof = os.path.join(out, "proof-%d.json")
    subprocess.run(["perf", "record", "-q", "-F", str(freq), "-o", data, binary, "run", "--engine", "jit", "--input",
                    state, "--output", "", "--meta", "", "--info-at", "never", "--stop-at", f"={step + 1}",
                    "--proof-at", f"={step}", "--proof-fmt", proof, "--guest-stdout", os.devnull,
                    "--guest-stderr", os.devnull], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = subprocess.run(["perf", "report", "-i", data, "--stdio", "-n", "--no-children", "--sort", "symbol"],
                            capture_output=True, text=True, check=True).stdout
    counts = {k: 0 for k in CATEGORIES}
    total = 0
    for line in report.splitlines():
        m = re.match(r"\s+[\d.]+%\s+(\d+)\s+\[.\]\s+(.*)", line)
        if not m:
            continue
        n, symbol = int(m.group(1)), m.group(2).strip()
        total += n
        for name, pattern in CATEGORIES.items():
            if re.search(pattern, symbol):
                counts[name] += n
                break
    with open(proof % step, "rb") as f:
        return {"total": total, "categories": counts}, f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--proof-step", type=int, default=10_000_000_000)
    ap.add_argument("--freq", type=int, default=2000)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "checkpoint-settled"))
    args = ap.parse_args()
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    sha, old = challenger.build_revision(args.before)
    sides = {f"before ({sha})": old, f"after ({head})": challenger.CANNONBALL}
    runs = {side: [] for side in sides}
    proofs = set()
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "xlarge.bin.gz")
        challenger.cb("load-elf", "--type", "multithreaded64-5", "--path", proof_far.XLARGE, "--out", state, "--meta", "")
        for _ in range(args.rounds):
            for side, binary in sides.items():
                row, proof = profile(binary, state, args.proof_step, tmp, args.freq)
                runs[side].append(row)
                proofs.add(proof)
                print(side, json.dumps(row), flush=True)
    if len(proofs) != 1:
        raise SystemExit("error: the revisions' proofs differ")
    med = {side: {name: statistics.median(r["categories"][name] for r in rows) for name in CATEGORIES}
           for side, rows in runs.items()}
    tot = {side: statistics.median(r["total"] for r in rows) for side, rows in runs.items()}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "profile.json"), "w") as f:
        json.dump({"proof_step": args.proof_step, "freq": args.freq, "runs": runs, "median": med, "median_total": tot},
                  f, indent=2)
    ms = 1000 / args.freq
    names = list(sides)
    lines = [f"`perf record -F {args.freq}` of `run --engine jit --proof-at ={args.proof_step} --stop-at "
             f"={args.proof_step + 1}` from step 0 on geth-xlarge, {args.rounds} runs per revision alternating, "
             f"medians; one sample = {ms:g} ms of CPU on any thread. Proofs identical.", "",
             "| samples in | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for name in CATEGORIES:
        lines.append(f"| {name} | " + " | ".join(f"{med[s][name]:.0f} ({med[s][name] * ms / 1000:.2f} s)" for s in names)
                     + " |")
    sums = {s: sum(med[s].values()) for s in names}
    lines.append("| **all of the above** | " + " | ".join(f"**{sums[s]:.0f} ({sums[s] * ms / 1000:.2f} s)**"
                                                         for s in names) + " |")
    lines.append("| whole run | " + " | ".join(f"{tot[s]:.0f} ({tot[s] * ms / 1000:.2f} s)" for s in names) + " |")
    with open(os.path.join(args.out, "profile.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
