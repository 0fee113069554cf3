#!/usr/bin/env python3
"""Runs op-program cases (build/opprogram/<case>/case.json, written by tools/opprogram/capture)
under the audit lens, with the real host serving pre-images:
   tools/audit/stress/run_opprogram.py CANNONBALL OUTDIR CASEDIR...
For each case: OUTDIR/<case>.{txt,json,svg,stdout,stderr,log}, named as run.sh names them, so
summary.py reads them too. Engine: $ENGINE (default jit); STOP_AT caps the steps (default 20 G)."""
import json
import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    cannonball, outdir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    for casedir in sys.argv[3:]:
        casedir = os.path.abspath(casedir)
        name = os.path.basename(casedir.rstrip("/"))
        with open(os.path.join(casedir, "case.json")) as f:
            case = json.load(f)
        o = os.path.join(outdir, name)
        args = [cannonball, "run", "--input", case["prestate"], "--meta", case["meta"], "--output", "",
                "--engine", os.environ.get("ENGINE", "jit"), "--info-at", "never",
                "--stop-at", "=" + os.environ.get("STOP_AT", "20000000000"),
                "--guest-stdout", o + ".stdout", "--guest-stderr", o + ".stderr", "--audit-report", o + ".txt",
                "--debug-info", o + ".json", "--timeline", o + ".svg", "--", *case["host_argv"]]
        start = time.time()
        run = subprocess.run(args, cwd=casedir, capture_output=True, text=True)
        with open(o + ".log", "w") as f:
            f.write(run.stdout + run.stderr)
        print(f"{name}: run exit {run.returncode}, {time.time() - start:.1f} s, expected guest exit "
              f"{case['expected_exit']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
