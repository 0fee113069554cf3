#!/usr/bin/env python3
"""Prints one markdown table row per audited run in a directory written by run.sh:
   tools/audit/stress/summary.py OUTDIR [NAME...]
Columns: exit state, steps, threads, the main thread's longest wait between two turns, the
longest wait of any other thread, failed sc/scd, futex waits (value matched) and wakes, forced
preemptions, the MADV_DONTNEED calls, stale loads, and the hazards found."""
import json
import os
import re
import sys


def row(outdir, name):
    with open(os.path.join(outdir, name + ".json")) as f:
        info = json.load(f)
    with open(os.path.join(outdir, name + ".log")) as f:
        m = re.findall(r"exited=(\w+) code=(\d+)", f.read())
    state = ("exit " + m[-1][1]) if m and m[-1][0] == "true" else "running"
    threads = info["threads"]
    main = next(t for t in threads if t["thread_id"] == 0)
    others = [t for t in threads if t["thread_id"] != 0]
    worst = max(others, key=lambda t: t["longest_wait_between_turns"]) if others else None
    sc_fail = sum(t["sc_fail"] + t["scd_fail"] for t in threads)
    sc_ok = sum(t["sc_success"] + t["scd_success"] for t in threads)
    waits = sum(t["futex_waits_matched"] for t in threads)
    wakes = sum(t["futex_wakes"] for t in threads)
    mr = info.get("memory_release", {})
    hazards = sorted({h["kind"] for h in info["hazards"]}) or ["none"]
    return (f"| {name} | {state} | {info['total_steps']:,} | {len(threads)} | "
            f"{main['longest_wait_between_turns']:,} | "
            + (f"{worst['longest_wait_between_turns']:,} (t{worst['thread_id']})" if worst else "-")
            + f" | {sc_fail}/{sc_ok + sc_fail} | {waits}/{wakes} | {info['forced_preemption_count']:,} | "
            f"{mr.get('madvise_dontneed', 0)} | {mr.get('stale_reads', 0)} | {', '.join(hazards)} |")


def main():
    outdir = sys.argv[1]
    names = sys.argv[2:] or sorted(f[:-5] for f in os.listdir(outdir)
                                   if f.endswith(".json") and not f.endswith(".meta.json"))
    print("| run | end | steps | threads | main thread longest wait | longest wait, other threads "
          "| sc failed/all | futex waits/wakes | forced preemptions | MADV_DONTNEED | stale loads | hazards |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        print(row(outdir, name))


if __name__ == "__main__":
    main()
