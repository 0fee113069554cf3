#!/usr/bin/env python3
"""`cannonball lockstep` over guests the JIT lockstep unit test does not cover: the JIT and the
interpreter must agree on the full state after every block, to the end of each program.

Environment: CANNONBALL, GUESTS (tests/guests build dir).
"""
import os
import re
import subprocess
import sys
import tempfile

CANNONBALL = os.environ["CANNONBALL"]
GUESTS = os.environ["GUESTS"]
PROGRAMS = ["entry", "keccak", "random", "eventfd", "sync", "deadlock", "panic", "atomics", "claim"]


def main():
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in PROGRAMS:
            state = os.path.join(tmp, name + ".bin")
            subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path",
                            os.path.join(GUESTS, name + ".elf"), "--out", state, "--meta", ""], check=True)
            extra = ["--preimage-dir", os.path.join(GUESTS, "claim-data")] if name == "claim" else []
            r = subprocess.run([CANNONBALL, "lockstep", "--input", state, *extra], capture_output=True, text=True)
            m = re.search(r"lockstep: (\d+) steps agree \((\d+) run by translated code", r.stdout)
            if r.returncode != 0 or not m or int(m.group(2)) == 0:
                failures.append(f"{name}: {r.stdout.strip()} {r.stderr.strip()[-2000:]}")
            else:
                print(f"{name}: {m.group(1)} steps agree, {m.group(2)} by translated code")
    for f in failures:
        print("FAIL", f)
    print(f"{len(PROGRAMS) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
