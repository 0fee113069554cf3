#!/usr/bin/env python3
"""Runs one guest of the corpus end to end (load-elf, run) and checks its expected.json.

usage: guest_test.py NAME [--engine interp|jit] [--expected FILE]
Environment: CANNONBALL (the binary), GUESTS (the build dir of tests/guests/build.sh),
GUEST_SRC (tests/guests). The guest's exit status is read from the final state (the CLI itself
exits 0 whatever the guest does, as upstream does).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--engine", default="interp")
    ap.add_argument("--expected")
    args = ap.parse_args()
    cannonball = os.environ["CANNONBALL"]
    guests = os.environ["GUESTS"]
    src = os.environ["GUEST_SRC"]
    elf = os.path.join(guests, args.name + ".elf")
    if not os.path.exists(elf):
        print(f"missing {elf}: run tools/setup.sh first")
        return 1
    expected_path = args.expected or os.path.join(src, args.name, "expected.json")
    with open(expected_path) as f:
        expected = json.load(f)

    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state.bin.gz")
        meta = os.path.join(tmp, "meta.json")
        out = os.path.join(tmp, "out.bin.gz")
        subprocess.run([cannonball, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                        "--meta", meta], check=True)
        stdout_path = os.path.join(tmp, "guest.stdout")
        stderr_path = os.path.join(tmp, "guest.stderr")
        cmd = [cannonball, "run", "--input", state, "--output", out, "--meta", meta, "--info-at", "never",
               "--engine", args.engine, "--guest-stdout", stdout_path, "--guest-stderr", stderr_path]
        host = expected.get("host")
        if host:
            cmd += ["--", os.path.join(guests, host[0])] + [
                os.path.join(guests, a) if not a.startswith("-") else a for a in host[1:]]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"run failed with status {run.returncode}:\n{run.stderr}")
            return 1
        witness = json.loads(subprocess.run([cannonball, "witness", "--input", out], check=True,
                                            capture_output=True, text=True).stdout)
        with open(stdout_path, encoding="utf-8", errors="replace") as f:
            got_stdout = f.read()
        with open(stderr_path, encoding="utf-8", errors="replace") as f:
            got_stderr = f.read()

    failures = []
    if not witness["exited"]:
        failures.append("the guest did not exit")
    if witness["exitCode"] != expected["exit"]:
        failures.append(f"exit code {witness['exitCode']}, expected {expected['exit']}")
    if got_stdout != expected["stdout"]:
        failures.append(f"stdout differs:\n--- got\n{got_stdout}\n--- expected\n{expected['stdout']}")
    for needle in expected.get("stderr_contains", []):
        if needle not in got_stderr:
            failures.append(f"stderr lacks {needle!r}:\n{got_stderr[-2000:]}")
    if failures:
        print("\n".join(failures))
        return 1
    print(f"{args.name} ({args.engine}): exit {witness['exitCode']} after {witness['step']} steps, output as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
