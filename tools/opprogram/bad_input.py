#!/usr/bin/env python3
"""Bad input for a captured op-program case: what each VM does when the host's store misses a
key, a store file is corrupt, the claim names the wrong block, or the host is killed mid-run.

usage: bad_input.py CASE_DIR [--vms upstream,interp,jit] [--check interp,jit]

Every scenario runs the VM with op-challenger's arguments (see run_case.py) against a modified
copy of the store or host arguments. For the VMs named by --check (cannonball's engines) the
scenario must end with a clear error: a non-zero VM exit and an `error:` line naming the problem,
and no final state file; for the wrong claim block, that or a clean run whose guest exit code
says the claim is invalid. Upstream's behaviour is printed alongside for the record, never asserted.
Exit status: 0 when every checked VM behaves, 1 otherwise.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_case  # noqa: E402


def key_file(store, key_hex):
    k = key_hex[2:] if key_hex.startswith("0x") else key_hex
    return os.path.join(store, k[0:4], k[4:] + ".txt")


def keccak_key(hash_hex):
    """The pre-image oracle key of a keccak256 pre-image: type byte 2, then the hash's last 31 bytes."""
    return "02" + hash_hex[4:]


def host_pids(vm_pid):
    """Processes whose parent is vm_pid (the host the VM started)."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == vm_pid:
                    pids.append(int(d))
            except OSError:
                pass
    return pids


def run_vm(cmd, work, kill_host_after=None):
    log_path = os.path.join(work, "run.log")
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        killed = []
        if kill_host_after is not None:
            def killer():
                time.sleep(kill_host_after)
                for pid in host_pids(proc.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                    except OSError:
                        pass
            threading.Thread(target=killer, daemon=True).start()
        try:
            code = proc.wait(timeout=1800)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
    with open(log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    return code, time.monotonic() - start, text, killed


def summarize(text):
    lines = [l for l in text.splitlines() if l.strip()]
    errs = [l for l in lines if l.startswith("error:")]
    if errs:
        return errs[-1][:200]
    for l in reversed(lines):
        if "panic" in l or "rror" in l or "crit" in l:
            return l[:200]
    return lines[-1][:200] if lines else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case_dir")
    ap.add_argument("--vms", default="upstream,interp,jit")
    ap.add_argument("--check", default="interp,jit")
    ap.add_argument("--kill-after", type=float, default=3.0, help="seconds before the host is killed")
    args = ap.parse_args()
    upstream = os.environ.get("UPSTREAM_CANNON", os.path.join(run_case.ROOT, "build", "refvm", "cannon"))
    cannonball = os.environ.get("CANNONBALL", os.path.join(run_case.ROOT, "build", "tools", "cannonball"))
    case_dir = os.path.abspath(args.case_dir)
    case, prestate, host = run_case.load_case(case_dir)
    store = host[host.index("--datadir") + 1]
    check = set(args.check.split(","))
    tmp = tempfile.mkdtemp(prefix="opprogram-bad-")
    failures = []

    # The agreed L2 head's header is read by every run, early: that key is surely needed.
    head_key = keccak_key(case["l2_head"])
    if not os.path.exists(key_file(store, head_key)):
        print(f"error: {key_file(store, head_key)} is not in the store")
        return 1

    def store_copy(name, mutate):
        d = os.path.join(tmp, name + "-store")
        shutil.copytree(store, d)
        mutate(key_file(d, head_key))
        return d

    def with_store(h, d):
        h = list(h)
        h[h.index("--datadir") + 1] = d
        return h

    def with_block(h, n):
        h = list(h)
        h[h.index("--l2.blocknumber") + 1] = str(n)
        return h

    def corrupt(path):
        with open(path, "w") as f:
            f.write("zz-not-hex")

    missing = store_copy("missing", os.remove)
    corrupted = store_copy("corrupt", corrupt)
    scenarios = [
        ("store missing a key", with_store(host, missing), None, "error"),
        ("corrupt store file", with_store(host, corrupted), None, "error"),
        ("wrong claim block (N+1)", with_block(host, case["l2_block"] + 1), None, "error-or-rejected"),
        ("host killed mid-run", host, args.kill_after, "error"),
    ]
    rows = []
    for name, h, kill_after, want in scenarios:
        for vm in args.vms.split(","):
            work = os.path.join(tmp, f"{name.split()[0]}-{vm}-{len(rows)}")
            os.makedirs(os.path.join(work, "proofs"))
            os.makedirs(os.path.join(work, "snapshots"))
            cmd = (run_case.vm_command(vm, upstream, cannonball) +
                   run_case.challenger_args(prestate, work, run_case.MAX_U64, extra=run_case.engine_args(vm)) +
                   ["--"] + h)
            code, wall, text, killed = run_vm(cmd, work, kill_after)
            final = os.path.join(work, "final.bin.gz")
            has_final = os.path.exists(final)
            guest = None
            if has_final:
                w = run_case.witness(cannonball, final)
                guest = f"exited={w['exited']} code={w['exitCode']}"
            msg = summarize(text)
            rows.append((name, vm, code, has_final, guest, round(wall, 1), msg))
            print(f"{name:26s} {vm:8s} vm_exit={code} final_state={'yes' if has_final else 'no'}"
                  f"{' guest ' + guest if guest else ''} ({wall:.1f}s): {msg}")
            if vm in check:
                if want == "error":
                    if code == 0 or has_final or not any(l.startswith("error:") for l in text.splitlines()):
                        failures.append(f"{name} / {vm}: want an error: line, a non-zero exit and no output state")
                    if kill_after is not None and not killed:
                        failures.append(f"{name} / {vm}: the host was not running after {kill_after}s")
                elif want == "error-or-rejected":
                    clean_reject = code == 0 and guest == "exited=True code=1"
                    clear_error = code != 0 and not has_final and any(l.startswith("error:") for l in text.splitlines())
                    if not (clean_reject or clear_error):
                        failures.append(f"{name} / {vm}: want the claim rejected (guest exit 1) or a clear error")
    shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("OK: every checked VM reports bad input clearly and writes no output state")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
