#!/usr/bin/env python3
"""Where the wall time of a run goes, thread by thread: running, runnable but kept from a core
(preempted or woken and waiting), or asleep (waiting for something: a pipe, a disk, a join).

Reads a `perf sched record` file (perf sched record -o FILE -- cannonball run ...) through
`perf sched timehist --state` and prints, for the threads whose command starts with one of the
given prefixes, the span between their first and last time on a core and how it splits. A run
that serialises on itself shows up as sleeping; a run slowed by the machine's other load shows up
as runnable.

usage: bench/thread_times.py FILE [--comm cannonball,op-program-host] [--top 6]
"""
import argparse
import collections
import subprocess


def split(path, prefixes):
    text = subprocess.run(["perf", "sched", "timehist", "-i", path, "--state"], capture_output=True, text=True,
                          check=True).stdout
    # Each line is one time on a core: its end, the time off the core before it ("wait"), the
    # delay from wake-up to running ("sch delay"), its length ("run") and the state the thread
    # left the core in. The time off the core before a line is sleep when the thread left its
    # previous time in S or D, and runnable otherwise (R: preempted, W: waking).
    last_state, totals, spans = {}, collections.defaultdict(collections.Counter), {}
    for line in text.splitlines()[3:]:
        fields = line.split()
        if len(fields) < 7 or not fields[2].startswith(tuple(prefixes)):
            continue
        try:
            end, off, _delay, run = float(fields[0]), float(fields[3]), float(fields[4]), float(fields[5])
        except ValueError:
            continue
        thread = fields[2]
        previous = last_state.get(thread)
        if previous is not None:
            totals[thread]["asleep" if previous[0] in "SD" else "runnable"] += off
        totals[thread]["running"] += run
        last_state[thread] = fields[-1]
        span = spans.setdefault(thread, [end - run / 1000, end])
        span[1] = end
    return totals, spans


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--comm", default="cannonball,op-program-host")
    ap.add_argument("--top", type=int, default=6)
    args = ap.parse_args()
    totals, spans = split(args.file, args.comm.split(","))
    print(f"{'thread':36s} {'span ms':>9s} {'running':>9s} {'runnable':>9s} {'asleep':>9s}")
    for thread, t in sorted(totals.items(), key=lambda kv: -kv[1]["running"])[:args.top]:
        span = 1000 * (spans[thread][1] - spans[thread][0])
        print(f"{thread:36s} {span:9.1f} {t['running']:9.1f} {t['runnable']:9.1f} {t['asleep']:9.1f}")


if __name__ == "__main__":
    main()
