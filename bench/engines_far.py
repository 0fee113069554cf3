#!/usr/bin/env python3
"""The JIT against the interpreter over a whole long run of a real guest, compared at many points.

Each engine runs the same state from step 0 to the guest's exit, on its own (no state is handed
from one engine to the other), writing
  a proof every --proof-every steps (`--proof-at %N`): the proof's JSON holds the encoded state
      before the step (registers, thread stacks, the merkle root of the whole memory), the hash of
      the state after it and the memory proofs, so equal proof files mean equal full states at
      step N and N+1;
  a raw snapshot every --snapshot-every steps (`--snapshot-at %N`, `.bin`): every byte of the
      state, memory pages included;
  the final state (`--output ….bin`) and the guest's stdout and stderr.
Every file is compared byte for byte (by SHA-256) between the engines; a file only one engine
wrote, or one whose bytes differ, is a divergence. The run of each engine is timed (CPU seconds
= user + system, wall seconds, peak RSS). Optionally (--cross-check-every N) a third run: the
JIT with `--cross-check %N`, where a second thread re-executes every segment in the interpreter
from the JIT's checkpoint and compares state hashes.

Default workload: the go-ethereum guest's xlarge build (build/geth-guest/gethguest-xlarge.elf,
made by tools/setup.sh with CANNONBALL_HEAVY=1), about 1.16e10 steps. The interpreter takes
minutes of CPU on it: run the script with `nice`.
Writes bench/results/engines_far.{md,json}.

usage: bench/engines_far.py [--elf PATH] [--proof-every 100000000] [--snapshot-every 1000000000]
                            [--cross-check-every 0] [--out DIR]
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CANNONBALL = os.path.join(ROOT, "build", "tools", "cannonball")
XLARGE = os.path.join(ROOT, "build", "geth-guest", "gethguest-xlarge.elf")
CROSS = re.compile(r'msg="cross-check passed" segments=(\d+) steps=(\d+)')


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def timed(args, log):
    with open(log, "wb") as out:
        start = time.perf_counter()
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        with open(log, "rb") as f:
            tail = f.read()[-2000:].decode(errors="replace")
        raise RuntimeError(f"{' '.join(args)} exited {code}: {tail}")
    return {"cpu_s": round(ru.ru_utime + ru.ru_stime, 2), "wall_s": round(wall, 2), "rss_mib": round(ru.ru_maxrss / 1024)}


def run_engine(engine, state, work, proof_every, snapshot_every):
    """Runs one engine with the checkpoint files; returns its timing and {file name: sha256}."""
    d = os.path.join(work, engine)
    os.makedirs(d)
    args = [CANNONBALL, "run", "--engine", engine, "--input", state, "--output", os.path.join(d, "final.bin"),
            "--meta", "", "--info-at", "never",
            "--proof-at", f"%{proof_every}", "--proof-fmt", os.path.join(d, "proof-%d.json"),
            "--snapshot-at", f"%{snapshot_every}", "--snapshot-fmt", os.path.join(d, "snapshot-%d.bin"),
            "--guest-stdout", os.path.join(d, "guest-stdout"), "--guest-stderr", os.path.join(d, "guest-stderr")]
    row = timed(args, os.path.join(work, engine + ".log"))
    row["command"] = shlex.join(["cannonball"] + args[1:]).replace(d + "/", "OUT/").replace(state, "STATE")
    files = {name: sha256(os.path.join(d, name)) for name in sorted(os.listdir(d))}
    w = json.loads(subprocess.run([CANNONBALL, "witness", "--input", os.path.join(d, "final.bin")],
                                  capture_output=True, text=True, check=True).stdout)
    row.update({"steps": w["step"], "exited": w["exited"], "exit_code": w["exitCode"], "state_hash": w["witnessHash"]})
    shutil.rmtree(d)  # the snapshots are GBs; their hashes are kept
    return row, files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elf", default=XLARGE)
    ap.add_argument("--proof-every", type=int, default=100_000_000)
    ap.add_argument("--snapshot-every", type=int, default=1_000_000_000)
    ap.add_argument("--cross-check-every", type=int, default=0, help="0 = no cross-checked JIT run")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    if not os.path.exists(args.elf):
        print(f"error: {args.elf} is missing (CANNONBALL_HEAVY=1 tools/setup.sh builds the xlarge guest)")
        return 1
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    report = {"revision": head, "elf": os.path.relpath(args.elf, ROOT), "proof_every": args.proof_every,
              "snapshot_every": args.snapshot_every, "date": time.strftime("%Y-%m-%d %H:%M:%S"), "engines": {}}
    with tempfile.TemporaryDirectory(prefix="engines-far-") as work:
        state = os.path.join(work, "start.bin.gz")
        subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", args.elf, "--out", state,
                        "--meta", ""], check=True)
        files = {}
        for engine in ("interp", "jit"):
            row, files[engine] = run_engine(engine, state, work, args.proof_every, args.snapshot_every)
            report["engines"][engine] = row
            print(engine, json.dumps({k: v for k, v in row.items() if k != "command"}), f"{len(files[engine])} files",
                  flush=True)
        if args.cross_check_every:
            args_cc = [CANNONBALL, "run", "--engine", "jit", "--input", state, "--output", "", "--meta", "",
                       "--info-at", "never", "--cross-check", f"%{args.cross_check_every}",
                       "--guest-stdout", os.devnull, "--guest-stderr", os.devnull]
            log = os.path.join(work, "cross-check.log")
            row = timed(args_cc, log)
            with open(log, errors="replace") as f:
                m = CROSS.search(f.read())
            row["passed"] = bool(m)
            row["segments"], row["steps"] = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
            row["command"] = shlex.join(["cannonball"] + args_cc[1:]).replace(state, "STATE")
            report["cross_check"] = row
            print("cross-check", json.dumps(row), flush=True)
    a, b = files["interp"], files["jit"]
    names = sorted(set(a) | set(b))
    diverged = [n for n in names if a.get(n) != b.get(n)]
    proofs = [n for n in names if n.startswith("proof-")]
    snaps = [n for n in names if n.startswith("snapshot-")]
    steps = report["engines"]["interp"]["steps"]
    report.update({"steps_compared": steps, "proofs_compared": len(proofs), "snapshots_compared": len(snaps),
                   "files_compared": len(names), "divergences": diverged,
                   "files": {n: {"interp": a.get(n), "jit": b.get(n)} if a.get(n) != b.get(n) else a[n] for n in names}})
    for k in ("steps", "exited", "exit_code", "state_hash"):
        if report["engines"]["interp"][k] != report["engines"]["jit"][k]:
            diverged.append(f"final {k}")
    if "cross_check" in report and not report["cross_check"]["passed"]:
        diverged.append("cross-check (no passing summary line)")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "engines_far.json.tmp"), "w") as f:
        json.dump(report, f, indent=2)
    os.replace(os.path.join(args.out, "engines_far.json.tmp"), os.path.join(args.out, "engines_far.json"))
    i, j = report["engines"]["interp"], report["engines"]["jit"]
    lines = [f"JIT against interpreter over one whole run of `{report['elf']}` (revision {head}, {report['date']}):",
             f"{steps:,} steps, each engine from step 0 on its own; compared byte for byte: {len(proofs)} proofs "
             f"(`--proof-at %{args.proof_every}`: full state before and after each step), {len(snaps)} raw "
             f"snapshots (`--snapshot-at %{args.snapshot_every}`), the final state and the guest's stdout and "
             f"stderr — {len(names)} files, **{len(diverged)} divergences**.", "",
             "| engine | CPU s | wall s | peak RSS | steps | exit code | final state hash |", "|---|---|---|---|---|---|---|"]
    for e, r in report["engines"].items():
        lines.append(f"| {e} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} | {r['rss_mib']} MiB | {r['steps']:,} | "
                     f"{r['exit_code']} | `{r['state_hash']}` |")
    lines += ["", f"interp/jit CPU seconds: {i['cpu_s'] / j['cpu_s']:.1f}× (with the checkpoint files written).", ""]
    if "cross_check" in report:
        c = report["cross_check"]
        lines += [f"JIT with `--cross-check %{args.cross_check_every}` (the interpreter re-executes every segment from "
                  f"the JIT's checkpoint on a second thread and compares state hashes): "
                  f"{'passed' if c['passed'] else 'FAILED'}, {c['segments']} segments, {c['steps']:,} steps, "
                  f"{c['cpu_s']:.2f} CPU s, {c['wall_s']:.2f} s wall.", ""]
    lines += ["Commands (STATE = `load-elf` of the ELF, OUT = a temporary directory per engine):", ""]
    lines += [f"    {r['command']}" for r in report["engines"].values()]
    if "cross_check" in report:
        lines.append(f"    {report['cross_check']['command']}")
    if diverged:
        lines += ["", "Diverging: " + ", ".join(diverged)]
    with open(os.path.join(args.out, "engines_far.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if diverged else 0


if __name__ == "__main__":
    sys.exit(main())
