#!/usr/bin/env python3
"""Two or more cannonball binaries side by side on the captured op-program cases, interleaved.

Each round runs every binary once on each case (`--engine jit`, `.bin` output, as
bench/compare.py runs it), alternating the order between rounds so that neither side always
runs first; upstream cannon (build/refvm/cannon) runs on each case in the first and the last
round of the same session, for the ×upstream ratio. Figures are CPU seconds (user + system of
the VM and the pre-image host it starts), which a shared machine disturbs less than wall time.
Every run's final state must be byte-identical to the first binary's (the output is checked).
Writes OUT/ab.{md,json} with --out.

usage: bench/opprogram_ab.py NAME=BINARY [NAME=BINARY ...] [--cases tiny,medium] [--rounds N]
                             [--no-upstream] [--out DIR]
"""
import argparse
import filecmp
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
UPSTREAM = os.path.join(B, "refvm", "cannon")
sys.path.insert(0, os.path.join(ROOT, "tools", "opprogram"))
import run_case  # noqa: E402 (the case format's own reader)


def cpu_seconds(cmd, cwd):
    """Runs cmd; returns user + system CPU seconds of it and the children it waited for."""
    with tempfile.NamedTemporaryFile(delete=False) as tf:
        path = tf.name
    try:
        p = subprocess.run(["/usr/bin/time", "-f", "cpu %U %S", "-o", path, *cmd], cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if p.returncode != 0:
            raise RuntimeError(f"{cmd[0]} exited {p.returncode}")
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 3 and fields[0] == "cpu":
                    return float(fields[1]) + float(fields[2])
    finally:
        os.unlink(path)
    raise RuntimeError("no CPU time measured")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binaries", nargs="+", help="NAME=PATH of a cannonball binary")
    ap.add_argument("--cases", default="tiny,medium")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--no-upstream", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()
    sides = [b.split("=", 1) for b in args.binaries]
    cases = {}
    for size in args.cases.split(","):
        case_dir = os.path.join(B, "opprogram", f"{size}-valid")
        if not os.path.exists(os.path.join(case_dir, "case.json")):
            print(f"skipping {size}: not captured (tools/opprogram/capture {size})")
            continue
        _, prestate, host = run_case.load_case(case_dir)
        cases[size] = (case_dir, prestate, host)
    cpu = {}  # (case, name) -> [s, ...]
    work = tempfile.mkdtemp(prefix="cannonball-ab-")
    for r in range(args.rounds):
        for size, (case_dir, prestate, host) in cases.items():
            order = sides if r % 2 == 0 else sides[::-1]
            if not args.no_upstream and r in (0, args.rounds - 1):
                order = order + [("upstream", UPSTREAM)]
            for name, binary in order:
                out = os.path.join(work, f"{size}-{name}.bin")
                cmd = [binary, "run", "--input", prestate, "--output", out, "--meta", "", "--info-at", "never"]
                if name != "upstream":
                    cmd += ["--engine", "jit", "--guest-stdout", os.devnull, "--guest-stderr", os.devnull]
                s = cpu_seconds(cmd + ["--", *host], case_dir)
                cpu.setdefault((size, name), []).append(s)
                if name != "upstream" and name != sides[0][0]:
                    first = os.path.join(work, f"{size}-{sides[0][0]}.bin")
                    if os.path.exists(first) and not filecmp.cmp(first, out, shallow=False):
                        sys.exit(f"final states differ: {size}, {sides[0][0]} and {name}")
            print(f"round {r + 1} {size}: " + "  ".join(f"{n} {cpu[(size, n)][-1]:.3f}" for n, _ in order), flush=True)
    names = [n for n, _ in sides] + ([] if args.no_upstream else ["upstream"])
    med = {k: statistics.median(v) for k, v in cpu.items()}
    lines = [f"CPU seconds (user + system, host included), {args.rounds} interleaved rounds; upstream in the first and "
             "last round. Each cell: median, then every run.", "",
             "| case | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for size in cases:
        cells = [f"{med[(size, n)]:.3f} ({', '.join(f'{x:.2f}' for x in cpu[(size, n)])})" for n in names]
        lines.append(f"| op-program {size} | " + " | ".join(cells) + " |")
    lines += ["", "| case | " + " | ".join(f"{n} / {sides[0][0]}" for n, _ in sides[1:]) +
              ("" if args.no_upstream else " | " + " | ".join(f"upstream / {n}" for n, _ in sides)) + " |",
              "|---|" + "---|" * (len(sides) - 1 + (0 if args.no_upstream else len(sides)))]
    for size in cases:
        cells = [f"{med[(size, n)] / med[(size, sides[0][0])]:.3f}" for n, _ in sides[1:]]
        if not args.no_upstream:
            cells += [f"{med[(size, 'upstream')] / med[(size, n)]:.1f}×" for n, _ in sides]
        lines.append(f"| op-program {size} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "ab.md"), "w") as f:
            f.write(text)
        with open(os.path.join(args.out, "ab.json"), "w") as f:
            json.dump({"rounds": args.rounds, "binaries": dict(sides),
                       "cpu_s": {f"{c}/{n}": v for (c, n), v in cpu.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
