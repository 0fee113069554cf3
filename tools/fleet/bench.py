"""Benchmark of `fleet verify` (not a test): the same trace verified with 1 and with 2 workers,
per-segment cost, Ray's overhead per task, and the extrapolation to 10^10 steps on N machines.

  build/fleet-venv/bin/python tools/fleet/bench.py [--elf build/guests/compute.elf] [--interval K]

Prints a Markdown report and writes it with the raw figures to build/fleet-bench/. The machine
may be shared: the load average before and after each run is part of the report.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def verify(state: str, interval: int, workers: int, workdir: str, binary: str, checkpoints: str | None) -> dict:
    argv = [os.path.join(HERE, "fleet"), "verify", "--workers", str(workers), "--json", "--cannonball", binary,
            "--workdir", workdir]
    argv += ["--checkpoints", checkpoints] if checkpoints else ["--input", state, "--interval", str(interval)]
    before = load()
    began = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.monotonic() - began
    if proc.returncode != 0:
        raise SystemExit("fleet verify failed: " + proc.stderr[-3000:])
    summary = json.loads(proc.stdout)
    summary["bench"] = {"wall_seconds": wall, "load_before": before, "load_after": load(), "workers": workers}
    return summary


def task_overhead(tasks: int) -> dict:
    """Round trip of an empty Ray task on a local 2-CPU cluster (submit to result, in flight)."""
    from cbfleet import cluster  # first: it sets Ray's environment before Ray is imported

    import ray

    cluster.connect(None, 2, 100)
    try:
        @ray.remote(num_cpus=1)
        def empty(i):
            return i

        ray.get([empty.remote(i) for i in range(4)])  # warm the worker pool
        began = time.monotonic()
        ray.get([empty.remote(i) for i in range(tasks)])
        parallel = (time.monotonic() - began) / tasks
        began = time.monotonic()
        for i in range(min(tasks, 50)):
            ray.get(empty.remote(i))
        serial = (time.monotonic() - began) / min(tasks, 50)
    finally:
        cluster.disconnect()
    return {"empty_task_ms_pipelined": parallel * 1e3, "empty_task_ms_round_trip": serial * 1e3}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--elf", default=os.path.join(REPO, "build", "guests", "compute.elf"))
    ap.add_argument("--interval", type=int, default=100_000_000)
    ap.add_argument("--out", default=os.path.join(REPO, "build", "fleet-bench"))
    ap.add_argument("--cannonball", default=os.path.join(REPO, "build", "tools", "cannonball"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    state = os.path.join(args.out, "input.bin.gz")
    subprocess.run([args.cannonball, "load-elf", "--type", "multithreaded64-5", "--path", args.elf, "--out", state,
                    "--meta", os.path.join(args.out, "meta.json")], check=True, capture_output=True)
    cpdir = os.path.join(args.out, "checkpoints")
    # The first run makes the checkpoints; both measured runs re-verify that same pass, so they
    # differ only in the number of workers. The order alternates to spread drifting load.
    first = verify(state, args.interval, 2, cpdir, args.cannonball, None)
    runs = {1: [], 2: []}
    for workers in (1, 2, 2, 1):
        runs[workers].append(verify(state, args.interval, workers, os.path.join(args.out, "w%d" % workers),
                                    args.cannonball, cpdir))
    overhead = task_overhead(200)
    best = {w: min(r, key=lambda s: s["timing"]["verify_seconds"]) for w, r in runs.items()}
    steps = first["timing"]["steps"]
    segs = best[1]["segments"]
    full = [s for s in segs if s["end"] is not None]
    seg_steps = sum(s["end"] - s["start"] for s in full)
    per_seg = {k: sum(s[k] for s in full) / len(full) for k in ("vm_seconds", "vm_cpu_seconds", "task_seconds")}
    interp_cpu_rate = seg_steps / sum(s["vm_cpu_seconds"] for s in full)
    jit_cpu_rate = steps / first["final"]["cpu_seconds"]
    speedup = best[1]["timing"]["verify_seconds"] / best[2]["timing"]["verify_seconds"]
    over = per_seg["task_seconds"] - per_seg["vm_seconds"]
    lines = [
        "# fleet verify benchmark", "",
        "Trace: `%s`, %s steps, %d segments of K = %s steps. Checkpoint pass (JIT, writing %d snapshots): "
        "%.2f s wall, %.2f s CPU; hashing the checkpoints %.2f s." % (
            os.path.relpath(args.elf, REPO), "{:,}".format(steps), len(segs), "{:,}".format(args.interval),
            len(segs) - 1, first["timing"]["checkpoint_pass_seconds"], first["final"]["cpu_seconds"],
            first["timing"]["hash_seconds"]),
        "", "| workers | verify wall s (each run) | best | segment VM CPU s (sum, best run) | load 1/5/15 min before → "
        "after (best run) |", "|---|---|---|---|---|"]
    for w in (1, 2):
        lines.append("| %d | %s | %.2f | %.2f | %s → %s |" % (
            w, ", ".join("%.2f" % r["timing"]["verify_seconds"] for r in runs[w]), best[w]["timing"]["verify_seconds"],
            best[w]["timing"]["segment_vm_cpu_seconds"], best[w]["bench"]["load_before"],
            best[w]["bench"]["load_after"]))
    lines += [
        "", "Speed-up of the parallel phase with 2 workers: **%.2f×** (best wall against best wall)." % speedup, "",
        "Per segment of K steps (1 worker, means over the full segments): interpreter %.2f s wall, %.2f s CPU "
        "(%.1f M steps/s of CPU); whole task %.2f s wall, so %.3f s per task beyond the VM run (object store "
        "fetch, hashing the start snapshot and the end state, process starts). Empty Ray task: %.2f ms round trip, "
        "%.2f ms each when pipelined." % (
            per_seg["vm_seconds"], per_seg["vm_cpu_seconds"], interp_cpu_rate / 1e6, per_seg["task_seconds"], over,
            overhead["empty_task_ms_round_trip"], overhead["empty_task_ms_pipelined"]), "",
        "Extrapolation to 10^10 steps on dedicated machines, from the CPU rates above (JIT %.0f M steps/s, "
        "interpreter %.1f M steps/s): the JIT pass runs once, then one segment per CPU (K = 10^10 / CPUs), plus the "
        "measured per-task overhead:" % (jit_cpu_rate / 1e6, interp_cpu_rate / 1e6), "",
        "| machines × CPUs | K | JIT pass s | one segment s | total s |", "|---|---|---|---|---|"]
    total_steps = 1e10
    for machines, cpus in ((1, 2), (4, 2), (16, 2), (16, 8), (64, 2)):
        workers = machines * cpus
        k = math.ceil(total_steps / workers)
        jit_s = total_steps / jit_cpu_rate
        seg_s = k / interp_cpu_rate + max(over, 0)
        lines.append("| %d × %d | %.2e | %.1f | %.1f | %.1f |" % (machines, cpus, k, jit_s, seg_s, jit_s + seg_s))
    lines += ["", "Segment VM wall s (1 worker): " + ", ".join("%.2f" % s["vm_seconds"] for s in segs),
              "Segment VM CPU s (1 worker): " + ", ".join("%.2f" % s["vm_cpu_seconds"] for s in segs),
              "Segment task wall s (1 worker): " + ", ".join("%.2f" % s["task_seconds"] for s in segs),
              "Segment VM wall s (2 workers): " + ", ".join("%.2f" % s["vm_seconds"] for s in best[2]["segments"]),
              ""]
    report = "\n".join(lines)
    print(report)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump({"first": first, "runs": runs, "overhead": overhead, "speedup": speedup}, f, indent=1)


if __name__ == "__main__":
    main()
