#!/usr/bin/env python3
"""What op-challenger's flags cost: the same run with and without them, side by side.

op-challenger runs the VM with
  --info-at %1e7 --snapshot-at %1e9 --snapshot-fmt DIR/%d.bin.gz
  --proof-at =N --proof-fmt DIR/%d.json.gz --stop-at =N+1 --meta "" --debug-info DIR/debug.json
For each workload this runs `cannonball run --engine jit` to the same step (N+1, N near the end
of the trace) plainly (--stop-at =N+1 --meta "" only) and with the whole flag set, alternating,
ROUNDS times, and writes bench/results/challenger.{md,json} and challenger.svg (run time with and
without the flags). Workloads: the go-ethereum guest (medium), the 1 GiB random-memory guest
(bigmem), and op-program captures when build/opprogram/<case>/case.json exist.

usage: bench/challenger.py [--rounds 3] [--workloads geth-medium,bigmem] [--out bench/results]
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
CANNONBALL = os.path.join(B, "tools", "cannonball")
WORKLOADS = {
    "geth-medium": os.path.join(B, "geth-guest", "gethguest-medium.elf"),
    "bigmem": os.path.join(B, "guests", "bigmem.elf"),
}


def cb(*args, **kw):
    return subprocess.run([CANNONBALL, *args], capture_output=True, text=True, check=True, **kw)


def final_step(state):
    return json.loads(cb("witness", "--input", state).stdout)["step"]


def timed(cmd):
    tf = tempfile.NamedTemporaryFile(delete=False)
    tf.close()
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name, *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    rss = [int(x) for x in open(tf.name).read().split() if x.isdigit()]
    os.unlink(tf.name)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return wall, rss[-1] if rss else 0


def measure(name, start_state, host_args, rounds, tmp):
    # The trace length: run once to the end.
    end = os.path.join(tmp, name + "-end.bin.gz")
    cb("run", "--engine", "jit", "--input", start_state, "--output", end, "--meta", "", *host_args)
    steps = final_step(end)
    proof_step = max(1, steps - 1000)
    stop = f"={proof_step + 1}"
    plain = [CANNONBALL, "run", "--engine", "jit", "--input", start_state, "--output", "", "--meta", "",
             "--stop-at", stop, *host_args]
    out = os.path.join(tmp, name + "-flags")
    os.makedirs(out, exist_ok=True)
    flags = [CANNONBALL, "run", "--engine", "jit", "--input", start_state, "--output", "", "--meta", "",
             "--info-at", "%10000000", "--snapshot-at", "%1000000000", "--snapshot-fmt", out + "/%d.bin.gz",
             "--proof-at", f"={proof_step}", "--proof-fmt", out + "/%d.json.gz", "--stop-at", stop,
             "--debug-info", out + "/debug.json", *host_args]
    rows = {"plain": [], "flags": []}
    for _ in range(rounds):
        for kind, cmd in (("plain", plain), ("flags", flags)):
            wall, rss = timed(cmd)
            rows[kind].append({"wall_s": wall, "rss_kib": rss})
    snapshots = len(glob.glob(out + "/*.bin.gz"))
    plain_s = statistics.median(r["wall_s"] for r in rows["plain"])
    flags_s = statistics.median(r["wall_s"] for r in rows["flags"])
    return {"workload": name, "steps": proof_step + 1, "proof_step": proof_step, "snapshots": snapshots,
            "plain_s": plain_s, "flags_s": flags_s, "overhead": flags_s / plain_s - 1, "rounds": rows}


def svg(results):
    w, h, left, bar = 640, 60 + 50 * len(results), 140, 16
    top = max(max(r["plain_s"], r["flags_s"]) for r in results) or 1
    scale = (w - left - 80) / top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           '<text x="10" y="20" font-size="14">run time (s, median): plain vs op-challenger flags</text>']
    for i, r in enumerate(results):
        y = 40 + 50 * i
        out.append(f'<text x="10" y="{y + 20}">{r["workload"]}</text>')
        for j, (kind, color) in enumerate((("plain_s", "#4a7"), ("flags_s", "#c64"))):
            yy = y + j * (bar + 2)
            out.append(f'<rect x="{left}" y="{yy}" width="{r[kind] * scale:.1f}" height="{bar}" fill="{color}"/>')
            out.append(f'<text x="{left + r[kind] * scale + 4:.1f}" y="{yy + 12}">{r[kind]:.2f} s'
                       f'{" (" + format(r["overhead"] * 100, "+.1f") + " %)" if kind == "flags_s" else ""}</text>')
    out.append(f'<text x="{left}" y="{h - 8}" fill="#4a7">■ plain</text><text x="{left + 80}" y="{h - 8}" fill="#c64">■ with flags</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.workloads.split(","):
            state = os.path.join(tmp, name + ".bin.gz")
            cb("load-elf", "--type", "multithreaded64-5", "--path", WORKLOADS[name], "--out", state, "--meta", "")
            results.append(measure(name, state, [], args.rounds, tmp))
            print(f"{name}: plain {results[-1]['plain_s']:.2f} s, flags {results[-1]['flags_s']:.2f} s "
                  f"({results[-1]['overhead'] * 100:+.1f} %)", flush=True)
        for case in sorted(glob.glob(os.path.join(B, "opprogram", "*", "case.json"))):
            spec = json.load(open(case))
            if "state" not in spec or "host" not in spec:
                continue  # a capture without a start state and host command cannot be run here
            host = [os.path.join(os.path.dirname(case), a) if a.startswith(".") else a for a in spec["host"]]
            results.append(measure("op-program " + os.path.basename(os.path.dirname(case)),
                                   os.path.join(os.path.dirname(case), spec["state"]), ["--", *host], args.rounds, tmp))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "challenger.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = ["| workload | steps | snapshots | plain (median) | with op-challenger's flags | overhead |",
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['workload']} | {r['steps']:,} | {r['snapshots']} | {r['plain_s']:.2f} s | "
                     f"{r['flags_s']:.2f} s | {r['overhead'] * 100:+.1f} % |")
    with open(os.path.join(args.out, "challenger.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "challenger.svg"), "w") as f:
        f.write(svg(results))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
