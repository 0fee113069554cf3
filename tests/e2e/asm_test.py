#!/usr/bin/env python3
"""Runs every assembly test program (tests/asm) under cannonball and checks the outcome listed in
tests/asm/expected.txt: `exit 0` (every self-check passed; a failing check exits with its id) or
`exception <kind>` (exit status 2 and the named VM exception).

Environment: CANNONBALL, ASM (the build dir of tests/asm/build.sh), ASM_SRC (tests/asm), ENGINE.
"""
import os
import subprocess
import sys
import tempfile
import json

CANNONBALL = os.environ["CANNONBALL"]
ASM = os.environ["ASM"]
ASM_SRC = os.environ["ASM_SRC"]
ENGINE = os.environ.get("ENGINE", "interp")
EXCEPTION_TEXT = {"branch-in-delay-slot": "branch or jump in delay slot", "division-by-zero": "division by zero"}


def main():
    failures, count = [], 0
    with open(os.path.join(ASM_SRC, "expected.txt")) as f:
        rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, value in rows:
            count += 1
            elf = os.path.join(ASM, name + ".elf")
            state, out = os.path.join(tmp, name + ".bin"), os.path.join(tmp, name + "-out.bin")
            subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                            "--meta", ""], check=True)
            run = subprocess.run([CANNONBALL, "run", "--input", state, "--output", out, "--meta", "", "--info-at",
                                  "never", "--engine", ENGINE, "--stop-at", "=50000000"],
                                 capture_output=True, text=True)
            if kind == "exit":
                if run.returncode != 0:
                    failures.append(f"{name}: run failed ({run.returncode}): {run.stderr.strip()[-300:]}")
                    continue
                w = json.loads(subprocess.run([CANNONBALL, "witness", "--input", out], check=True,
                                              capture_output=True, text=True).stdout)
                if not w["exited"] or w["exitCode"] != int(value):
                    failures.append(f"{name}: exited={w['exited']} exit code {w['exitCode']}, expected {value} "
                                    f"(a non-zero code is the id of the first failing check)")
            else:
                if run.returncode != 2 or EXCEPTION_TEXT[value] not in run.stderr:
                    failures.append(f"{name}: expected exception {value}, got status {run.returncode}: "
                                    f"{run.stderr.strip()[-300:]}")
                if os.path.exists(out):
                    failures.append(f"{name}: an exception must not write an output state")
    for f in failures:
        print(f)
    print(f"{count - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
