#!/usr/bin/env python3
"""Bad input for a captured op-program case: what each VM does when the host's store misses a
key, holds a file that is not hex or a wrong pre-image, the claim names the wrong block or the
wrong output root, the host is killed mid-run, fails at start or does not exist, the prestate is
truncated, or the final state's directory does not exist.

usage: bad_input.py CASE_DIR [--vms upstream,interp,jit] [--check interp,jit] [--only ID,...]
                    [--kill-at-step N] [--timeout S] [--report FILE.json]

Every scenario runs the VM with op-challenger's arguments (see run_case.py) against a modified
copy of the store, host arguments or prestate. For the VMs named by --check (cannonball's
engines) each scenario must end as it wants: a clear error (non-zero VM exit, an `error:` line
naming the problem, nothing left where the final state goes), or a clean run whose guest rejects
the input (guest exit code non-zero), or either. Every VM that writes a final state must write
the same one. Upstream's behaviour is printed alongside for the record, never asserted.
Exit status: 0 when every checked VM behaves, 1 otherwise.
"""
import argparse
import gzip
import json
import os
import re
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


STEP_RE = re.compile(r"msg=processing .*?step=(\d+)")


def run_vm(cmd, work, kill_at_step=None, timeout=600):
    """Runs cmd, logging to WORK/run.log. With kill_at_step, the host (the VM's child) is killed
    with SIGKILL as soon as the VM's own progress line (`msg=processing ... step=N`, printed every
    --info-at steps by upstream and by cannonball) reports a step >= kill_at_step."""
    log_path = os.path.join(work, "run.log")
    start = time.monotonic()
    killed = []
    hung = False
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        if kill_at_step is not None:
            def killer():
                with open(log_path, "rb") as f:
                    buf = b""
                    while proc.poll() is None:
                        chunk = f.read()
                        if not chunk:
                            time.sleep(0.002)
                            continue
                        buf += chunk
                        lines = buf.split(b"\n")
                        buf = lines.pop()
                        for line in lines:
                            m = STEP_RE.search(line.decode(errors="replace"))
                            if m and int(m.group(1)) >= kill_at_step:
                                for pid in host_pids(proc.pid):
                                    try:
                                        os.kill(pid, signal.SIGKILL)
                                        killed.append((pid, int(m.group(1))))
                                    except OSError:
                                        pass
                                return
            threading.Thread(target=killer, daemon=True).start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            hung = True
            for pid in host_pids(proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            proc.kill()
            code = proc.wait()
    with open(log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    return code, time.monotonic() - start, text, killed, hung


def summarize(text):
    """The VM's own error line (or its last line) and the host's or guest's last error, if any."""
    lines = [l for l in text.splitlines() if l.strip()]
    errs = [l for l in lines if l.startswith("error:")]
    vm = errs[-1] if errs else (lines[-1] if lines else "")
    other = ""
    for l in reversed(lines):
        if l.startswith("error:"):
            continue
        m = re.search(r'lvl=(?:crit|error|eror)\\*"? msg=.*|level=(?:ERROR|CRIT).*|panic: .*|Error: .*', l)
        if m:
            other = m.group(0)
            break
    return vm[:300], other[:300]


def leftovers(work):
    """What the VM left in the output directory besides its log and op-challenger's proof and
    snapshot directories (the final state, or a temporary file of it)."""
    return sorted(n for n in os.listdir(work) if n not in ("run.log", "proofs", "snapshots"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case_dir")
    ap.add_argument("--vms", default="upstream,interp,jit")
    ap.add_argument("--check", default="interp,jit")
    ap.add_argument("--kill-at-step", type=int, default=300_000_000,
                    help="kill the host once the VM reports this step (choose one inside the pre-image traffic)")
    ap.add_argument("--only", help="comma-separated scenario ids to run (default: all)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a VM counts as hung")
    ap.add_argument("--report", help="write the results as JSON here")
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

    def with_flag(h, flag, value):
        h = list(h)
        h[h.index(flag) + 1] = value
        return h

    def not_hex(path):
        with open(path, "w") as f:
            f.write("zz-not-hex")

    def flip_byte(path):
        # Valid hex, wrong contents: the header's last byte changed (its keccak no longer matches the key).
        with open(path) as f:
            text = f.read().strip()
        last = int(text[-2:], 16) ^ 0x01
        with open(path, "w") as f:
            f.write(text[:-2] + f"{last:02x}")

    raw = gzip.open(prestate).read()
    gz = open(prestate, "rb").read()
    truncated_gz = os.path.join(tmp, "truncated.bin.gz")
    with open(truncated_gz, "wb") as f:
        f.write(gz[: len(gz) // 2])
    truncated_raw = os.path.join(tmp, "truncated.bin")
    with open(truncated_raw, "wb") as f:
        f.write(raw[: len(raw) - 1000])
    other_claim = case["l2_claim"][:-2] + ("00" if case["l2_claim"][-2:] != "00" else "01")
    dying_host = os.path.join(tmp, "dying-host.sh")
    with open(dying_host, "w") as f:
        f.write("#!/bin/sh\necho 'host: refusing to start' >&2\nexit 3\n")
    os.chmod(dying_host, 0o755)

    # (id, description, prestate, host argv, kill the host at step, want, output directory exists)
    #  want: "error"    - non-zero VM exit, an `error:` line, no final state left behind;
    #        "rejected" - the VM runs to the end and the guest's own verdict is a non-zero exit code
    #                     (the program rejects the input), identical under every VM;
    #        "error-or-rejected" - either.
    scenarios = [
        ("missing-key", "store missing a key (the agreed head's header)",
         prestate, with_flag(host, "--datadir", store_copy("missing", os.remove)), None, "error", True),
        ("not-hex", "store file that is not hex",
         prestate, with_flag(host, "--datadir", store_copy("nothex", not_hex)), None, "error", True),
        ("wrong-preimage", "store file with a wrong pre-image (one byte of the head's header flipped)",
         prestate, with_flag(host, "--datadir", store_copy("flipped", flip_byte)), None, "error-or-rejected", True),
        ("wrong-block", "wrong claim block (N+1)",
         prestate, with_flag(host, "--l2.blocknumber", str(case["l2_block"] + 1)), None, "error-or-rejected", True),
        ("wrong-claim", "wrong claimed output root",
         prestate, with_flag(host, "--l2.claim", other_claim), None, "rejected", True),
        ("host-killed", f"host killed (SIGKILL) at step >= {args.kill_at_step:,}",
         prestate, host, args.kill_at_step, "error", True),
        ("host-fails", "host exits 3 at start",
         prestate, [dying_host] + host[1:], None, "error", True),
        ("host-missing", "host binary does not exist",
         prestate, [os.path.join(tmp, "no-such-host")] + host[1:], None, "error", True),
        ("truncated-gz", "truncated prestate (.bin.gz cut in half)",
         truncated_gz, host, None, "error", True),
        ("truncated-raw", "truncated prestate (.bin, last 1000 bytes cut)",
         truncated_raw, host, None, "error", True),
        ("no-output-dir", "the final state's directory does not exist",
         prestate, host, None, "error", False),
    ]
    if args.only:
        only = set(args.only.split(","))
        scenarios = [sc for sc in scenarios if sc[0] in only]
    rows = []
    for sid, name, start, h, kill_at, want, out_exists in scenarios:
        finals = {}
        for vm in args.vms.split(","):
            work = os.path.join(tmp, f"{sid}-{vm}")
            os.makedirs(os.path.join(work, "proofs"))
            os.makedirs(os.path.join(work, "snapshots"))
            vm_args = run_case.challenger_args(start, work, run_case.MAX_U64, extra=run_case.engine_args(vm))
            if not out_exists:
                # Only the final state's directory is missing (proofs and snapshots have theirs):
                # a VM that notices only at the end has run the whole program for nothing.
                vm_args[vm_args.index("--output") + 1] = os.path.join(work, "missing-dir", "final.bin.gz")
            cmd = run_case.vm_command(vm, upstream, cannonball) + vm_args + ["--"] + h
            code, wall, text, killed, hung = run_vm(cmd, work, kill_at, args.timeout)
            left = leftovers(work)
            final = os.path.join(work, "final.bin.gz")
            guest = None
            if os.path.exists(final):
                w = run_case.witness(cannonball, final)
                guest = f"exited={w['exited']} code={w['exitCode']} steps={w['step']}"
                finals[vm] = (w["exited"], w["exitCode"], w["step"], w["witnessHash"])
            has_error_line = any(l.startswith("error:") for l in text.splitlines())
            msg, other = summarize(text)
            row = {"scenario": sid, "description": name, "vm": vm, "vm_exit": code, "hung": hung,
                   "left_in_output_dir": left, "guest": guest, "wall_s": round(wall, 1), "message": msg, "host_or_guest_error": other,
                   "host_killed_at_step": killed[0][1] if killed else None}
            rows.append(row)
            print(f"{sid:14s} {vm:8s} vm_exit={code}{' HUNG' if hung else ''} output={','.join(left) or 'none'}"
                  f"{' guest ' + guest if guest else ''}{' host killed at ' + str(killed[0][1]) if killed else ''}"
                  f" ({wall:.1f}s): {msg}" + (f"\n{'':24s}[{other}]" if other and other not in msg else ""), flush=True)
            if vm not in check:
                continue
            clear_error = code != 0 and not hung and not left and has_error_line
            rejected = code == 0 and guest is not None and guest.startswith("exited=True") and finals[vm][1] != 0
            if kill_at is not None and not killed:
                failures.append(f"{sid} / {vm}: the host was not killed (run ended before step {kill_at})")
            if want == "error" and not clear_error:
                failures.append(f"{sid} / {vm}: want an error: line, a non-zero exit and no output state")
            if want == "rejected" and not rejected:
                failures.append(f"{sid} / {vm}: want a clean run whose guest exits non-zero")
            if want == "error-or-rejected" and not (clear_error or rejected):
                failures.append(f"{sid} / {vm}: want the input rejected by the guest or a clear error")
        # Whatever the verdict, every VM that wrote a final state must have written the same one.
        if len(set(finals.values())) > 1:
            failures.append(f"{sid}: final states differ between VMs: {finals}")
    shutil.rmtree(tmp, ignore_errors=True)
    if args.report:
        with open(args.report + ".tmp", "w") as f:
            json.dump({"case": os.path.basename(case_dir), "rows": rows}, f, indent=2)
        os.replace(args.report + ".tmp", args.report)
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("OK: every checked VM reports bad input clearly and writes no output state")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
