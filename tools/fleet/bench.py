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
    import ray

    from cbfleet import cluster

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
    vm = [s["vm_seconds"] for s in segs]
    task = [s["task_seconds"] for s in segs]
    full = [s for s in segs if s["end"] is not None]
    per_seg_vm = sum(s["vm_seconds"] for s in full) / len(full)
    per_seg_task = sum(s["task_seconds"] for s in full) / len(full)
    interp_rate = sum(s["end"] - s["start"] for s in full) / sum(s["vm_seconds"] for s in full)
    jit_rate = steps / first["timing"]["checkpoint_pass_seconds"]
    speedup = best[1]["timing"]["verify_seconds"] / best[2]["timing"]["verify_seconds"]
    lines = [
        "# fleet verify benchmark", "",
        "Trace: `%s`, %s steps, %d segments of %s steps (K). Checkpoint pass (JIT, writing %d "
        "snapshots): %.2f s (%.0f M steps/s), hashing the checkpoints %.2f s." % (
            os.path.relpath(args.elf, REPO), "{:,}".format(steps), len(segs), "{:,}".format(args.interval),
            len(segs) - 1, first["timing"]["checkpoint_pass_seconds"], jit_rate / 1e6, first["timing"]["hash_seconds"]),
        "", "| workers | verify s (all runs) | best | load before → after (best run) |", "|---|---|---|---|"]
    for w in (1, 2):
        lines.append("| %d | %s | %.2f | %s → %s |" % (
            w, ", ".join("%.2f" % r["timing"]["verify_seconds"] for r in runs[w]), best[w]["timing"]["verify_seconds"],
            best[w]["bench"]["load_before"], best[w]["bench"]["load_after"]))
    lines += [
        "", "Speed-up with 2 workers: **%.2f×** (best against best)." % speedup, "",
        "Per segment (1 worker, K = %s steps): interpreter %.2f s (%.1f M steps/s), whole task %.2f s "
        "(fetching the snapshot from the object store, hashing it, running, hashing the end); task overhead "
        "beyond the VM run %.3f s. Empty Ray task: %.2f ms round trip, %.2f ms each when pipelined." % (
            "{:,}".format(args.interval), per_seg_vm, interp_rate / 1e6, per_seg_task, per_seg_task - per_seg_vm,
            overhead["empty_task_ms_round_trip"], overhead["empty_task_ms_pipelined"]), "",
        "Extrapolation to 10^10 steps (same guest mix and rates; JIT pass sequential on one machine, then "
        "segments spread over every CPU, K chosen so each CPU gets one segment):", "",
        "| machines × CPUs | K | JIT pass s | segment s | total s |", "|---|---|---|---|---|"]
    total_steps = 1e10
    per_task_over = max(per_seg_task - per_seg_vm, 0)
    for machines, cpus in ((1, 2), (4, 2), (16, 2), (16, 8)):
        workers = machines * cpus
        k = math.ceil(total_steps / workers)
        jit_s = total_steps / jit_rate
        seg_s = k / interp_rate + per_task_over
        lines.append("| %d × %d | %s | %.1f | %.1f | %.1f |" % (machines, cpus, "{:.2e}".format(k), jit_s, seg_s,
                                                               jit_s + seg_s))
    lines += ["", "Segment VM seconds (1 worker): " + ", ".join("%.2f" % v for v in vm),
              "Segment task seconds (1 worker): " + ", ".join("%.2f" % v for v in task), ""]
    report = "\n".join(lines)
    print(report)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump({"first": first, "runs": runs, "overhead": overhead, "speedup": speedup}, f, indent=1)


if __name__ == "__main__":
    main()
