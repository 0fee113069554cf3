#!/usr/bin/env python3
"""Medians over several bench/compare.py runs, and the JIT's ratios from them.

Single runs move by ±15 to 30 % on a shared machine, mostly in kernel time. Run bench/compare.py
several times with --out DIR1, DIR2, ... (the fast engines more often than upstream, if need be),
then this reads each DIR/report.json and prints, per workload and engine, every run's CPU seconds
and their median, then the JIT's ratios of the medians (jit/qemu and jit/upstream: how many times
faster the JIT is). A cell says how many runs it has. Writes OUT/medians.{md,json} with --out.

usage: bench/medians.py DIR [DIR ...] [--out DIR]
"""
import argparse
import json
import os
import statistics


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--out")
    args = ap.parse_args()
    cpu = {}  # (workload, engine) -> [cpu_s, ...]
    order_w, order_e = [], []
    for d in args.dirs:
        with open(os.path.join(d, "report.json")) as f:
            report = json.load(f)
        for w, res in report["results"].items():
            if w not in order_w:
                order_w.append(w)
            for e in report["engines"]:
                r = res.get(e, {})
                if r.get("cpu_s"):
                    cpu.setdefault((w, e), []).append(r["cpu_s"])
                    if e not in order_e:
                        order_e.append(e)
    med = {k: statistics.median(v) for k, v in cpu.items()}
    lines = [f"Medians of CPU seconds over {len(args.dirs)} `bench/compare.py` runs (each cell: median, then every "
             "run's figure).", "", "| workload | " + " | ".join(order_e) + " |", "|---|" + "---|" * len(order_e)]
    for w in order_w:
        cells = []
        for e in order_e:
            v = cpu.get((w, e))
            cells.append(f"{med[(w, e)]:.2f} s ({', '.join(f'{x:.2f}' for x in v)})" if v else "—")
        lines.append(f"| {w} | " + " | ".join(cells) + " |")
    pairs = [(a, b) for a, b in (("jit", "qemu"), ("jit", "upstream"), ("jit", "interp")) if a in order_e and b in order_e]
    lines += ["", "The JIT's ratios of the medians (how many times faster):", "",
              "| workload | " + " | ".join(f"{a}/{b}" for a, b in pairs) + " |", "|---|" + "---|" * len(pairs)]
    ratios = {}
    for w in order_w:
        cells = []
        for a, b in pairs:
            if (w, a) in med and (w, b) in med:
                ratios.setdefault(w, {})[f"{a}/{b}"] = med[(w, b)] / med[(w, a)]
                cells.append(f"{med[(w, b)] / med[(w, a)]:.2f}")
            else:
                cells.append("—")
        lines.append(f"| {w} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "medians.json"), "w") as f:
            json.dump({"runs": len(args.dirs), "cpu_s": {f"{w}/{e}": v for (w, e), v in cpu.items()},
                       "ratios": ratios}, f, indent=2)
        with open(os.path.join(args.out, "medians.md"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
