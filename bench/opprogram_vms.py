#!/usr/bin/env python3
"""The real op-program under upstream cannon, cannonball's interpreter and its JIT, side by side.

Captures the case if needed (`tools/opprogram/capture SIZE`, cached), then, for each round and each
VM in turn, two runs of the valid claim with its pre-image host (`op-program-host --server ...`):
  challenger  op-challenger's full run that finds the last step (tools/opprogram/run_case.py's
              arguments: --output final.bin.gz --info-at %1e7 --proof-at =2^64-1
              --snapshot-at %1e9 --snapshot-fmt ….bin.gz);
  plain       the same run with no progress lines, snapshots or proofs, the final state written
              raw (--output final.bin --info-at never).
Each run's CPU seconds (user + system of the VM and of the host it waits for), wall seconds and
peak RSS are measured. All VMs must agree on the VM's exit status (0), the guest's exit code (0
for the valid claim), the step count and the final state's bytes; the script exits 1 otherwise.
Ratios are of median CPU seconds. Writes bench/results/op-program-SIZE.{md,json}.

usage: bench/opprogram_vms.py [--size medium] [--rounds 1] [--vms upstream,interp,jit]
"""
import argparse
import gzip
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "opprogram"))
import run_case  # noqa: E402 (the case format and op-challenger's arguments)

UPSTREAM = os.path.join(ROOT, "build", "refvm", "cannon")
CANNONBALL = os.path.join(ROOT, "build", "tools", "cannonball")


def state_digest(path):
    opener = gzip.open if path.endswith(".gz") else open
    h = hashlib.sha256()
    with opener(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def run_once(vm, kind, prestate, host, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "proofs"))
    os.makedirs(os.path.join(work, "snapshots"))
    if kind == "challenger":
        vm_args = run_case.challenger_args(prestate, work, run_case.MAX_U64, extra=run_case.engine_args(vm))
        final = os.path.join(work, "final.bin.gz")
    else:
        final = os.path.join(work, "final.bin")
        vm_args = ["run", "--input", prestate, "--output", final, "--meta", "", "--info-at", "never",
                   *run_case.engine_args(vm)]
    cmd = run_case.vm_command(vm, UPSTREAM, CANNONBALL) + vm_args + ["--"] + host
    log = os.path.join(work, "run.log")
    with open(log, "wb") as out:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    row = {"vm_exit": code, "cpu_s": round(ru.ru_utime + ru.ru_stime, 2), "wall_s": round(wall, 2),
           "rss_mib": round(ru.ru_maxrss / 1024)}
    if code == 0 and os.path.exists(final):
        w = run_case.witness(CANNONBALL, final)
        row.update({"steps": w["step"], "exited": w["exited"], "exit_code": w["exitCode"],
                    "state_hash": w["witnessHash"], "state_sha256": state_digest(final)})
    else:
        with open(log, "rb") as f:
            row["log_tail"] = f.read()[-2000:].decode(errors="replace")
    return row, cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="medium")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--vms", default="upstream,interp,jit")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    vms = args.vms.split(",")
    subprocess.run([os.path.join(ROOT, "tools", "opprogram", "capture"), args.size], check=True)
    case_dir = os.path.join(ROOT, "build", "opprogram", f"{args.size}-valid")
    case, prestate, host = run_case.load_case(case_dir)
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    kinds = ("challenger", "plain")
    rows = {k: {vm: [] for vm in vms} for k in kinds}
    commands = {}
    failures = []
    with tempfile.TemporaryDirectory(prefix="opprogram-vms-") as tmp:
        for r in range(args.rounds):
            for kind in kinds:
                for vm in vms:
                    row, cmd = run_once(vm, kind, prestate, host, os.path.join(tmp, f"{kind}-{vm}"))
                    rows[kind][vm].append(row)
                    commands.setdefault(f"{kind} {vm}", shlex.join(
                        [os.path.basename(cmd[0])] + cmd[1:]).replace(tmp + "/", "OUT/").replace(ROOT + "/", ""))
                    print(f"round {r} {kind:10s} {vm:8s} " + json.dumps({k: v for k, v in row.items()
                                                                         if k != "log_tail"}), flush=True)
                    if row["vm_exit"] != 0 or "steps" not in row:
                        failures.append(f"{kind} {vm}: VM exited {row['vm_exit']}: {row.get('log_tail', '')}")
                    elif not row["exited"] or row["exit_code"] != case["expected_exit"]:
                        failures.append(f"{kind} {vm}: guest exited={row['exited']} code={row['exit_code']}, "
                                        f"want {case['expected_exit']}")
    ref = rows["challenger"][vms[0]][0]
    for kind in kinds:
        for vm in vms:
            for row in rows[kind][vm]:
                for k in ("steps", "state_hash", "state_sha256"):
                    if row.get(k) != ref.get(k):
                        failures.append(f"{kind} {vm}: {k} {row.get(k)} != {vms[0]} challenger's {ref.get(k)}")
    med = {k: {vm: {m: statistics.median(x[m] for x in rows[k][vm]) for m in ("cpu_s", "wall_s", "rss_mib")}
               for vm in vms} for k in kinds}
    report = {"revision": head, "size": args.size, "case": case.get("workload"), "l2_block": case["l2_block"],
              "preimages": case.get("preimage_count"), "steps": ref.get("steps"), "exit_code": ref.get("exit_code"),
              "state_hash": ref.get("state_hash"), "rounds": args.rounds, "median": med, "runs": rows,
              "commands": commands, "failures": failures, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, f"op-program-{args.size}")
    with open(base + ".json.tmp", "w") as f:
        json.dump(report, f, indent=2)
    os.replace(base + ".json.tmp", base + ".json")
    steps = ref.get("steps") or 0
    lines = [f"op-program v1.19.0, `{args.size}` capture (valid claim of L2 block {case['l2_block']}, "
             f"{case.get('preimage_count')} pre-images), revision {head}, {report['date']}: {steps:,} steps, guest exit "
             f"{ref.get('exit_code')}, final state `{ref.get('state_hash')}`; "
             f"{'all runs agree on the steps, exit code and final state bytes' if not failures else 'RUNS DISAGREE'}.",
             f"Medians of {args.rounds} round(s); CPU s = user + system of the VM and its pre-image host.", "",
             "| run | VM | CPU s | wall s | peak RSS | steps/CPU s |", "|---|---|---|---|---|---|"]
    for kind in kinds:
        for vm in vms:
            m = med[kind][vm]
            lines.append(f"| {kind} | {vm} | {m['cpu_s']:.2f} | {m['wall_s']:.2f} | {m['rss_mib']:.0f} MiB | "
                         f"{steps / m['cpu_s'] / 1e6:,.1f} M |")
    pairs = [(a, b) for a, b in (("jit", "upstream"), ("jit", "interp"), ("interp", "upstream")) if a in vms and b in vms]
    lines += ["", "Speed-ups (CPU seconds of the second over the first):", "",
              "| run | " + " | ".join(f"{a} vs {b}" for a, b in pairs) + " |", "|---|" + "---|" * len(pairs)]
    for kind in kinds:
        lines.append(f"| {kind} | " + " | ".join(f"{med[kind][b]['cpu_s'] / med[kind][a]['cpu_s']:.1f}×"
                                                 for a, b in pairs) + " |")
    lines += ["", "Commands (OUT = a temporary directory):", ""] + [f"    {c}" for c in commands.values()]
    if failures:
        lines += ["", "Failures:", ""] + [f"- {f}" for f in failures]
    with open(base + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
