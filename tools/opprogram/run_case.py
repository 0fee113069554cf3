#!/usr/bin/env python3
"""Runs one captured op-program case the way op-challenger runs a Cannon VM, under upstream
cannon, cannonball's interpreter and cannonball's JIT, and compares them.

usage: run_case.py CASE_DIR [--vms upstream,interp,jit] [--proof N ...] [--work DIR]
                   [--cross-check %N] [--report FILE.json] [--keep]

CASE_DIR holds case.json (see tools/opprogram/README.md). For each VM:
  1. the full run that op-challenger uses to find the last step (GenerateProof(MaxUint64)):
       VM run --input PRESTATE --output WORK/final.bin.gz --meta "" --info-at %10000000
              --proof-at =18446744073709551615 --proof-fmt WORK/proofs/%d.json.gz
              --snapshot-at %1000000000 --snapshot-fmt WORK/snapshots/%d.bin.gz -- HOST...
  2. for each requested proof step i, op-challenger's GenerateProof(i): the same arguments
     with --proof-at =i --stop-at =i+1, starting from the VM's own nearest snapshot <= i
     (FindStartingSnapshot), else the prestate.
The VMs must agree on the exit status of the VM process (0), the final state's bytes
(decompressed), its witness hash and step, the guest's exit code (= expected_exit), and every
proof file's bytes (decompressed). Wall time and peak RSS of each VM process are measured.
Exit status: 0 when everything agrees, 1 otherwise (each difference is printed).
"""
import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_U64 = 2**64 - 1
INFO_FREQ = 10_000_000          # op-challenger's DefaultCannonInfoFreq
SNAPSHOT_FREQ = 1_000_000_000   # op-challenger's DefaultCannonSnapshotFreq


def vm_command(vm, upstream, cannonball):
    if vm == "upstream":
        return [upstream]
    return [cannonball]


def engine_args(vm):
    return [] if vm == "upstream" else ["--engine", vm]


def run_measured(cmd, log_path, env=None):
    """Runs cmd with stdout/stderr to log_path; returns (exit code, wall s, peak RSS MiB)."""
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    return code, wall, usage.ru_maxrss / 1024.0


def witness(cannonball, state):
    out = subprocess.run([cannonball, "witness", "--input", state], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def gunzip_bytes(path):
    with gzip.open(path, "rb") as f:
        return f.read()


def load_case(case_dir):
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    def resolve(p):
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(case_dir, p))
    host = list(case["host_argv"])
    # Arguments that are paths (the host binary and the values of path flags) are relative to the
    # case directory.
    path_flags = {"--datadir", "--rollup.config", "--l2.genesis", "--l1.chainconfig"}
    host[0] = resolve(host[0])
    for i in range(1, len(host)):
        if host[i - 1] in path_flags:
            host[i] = resolve(host[i])
    return case, resolve(case["prestate"]), host


def challenger_args(start, work, proof_at, stop_at=None, extra=()):
    args = ["run", "--input", start, "--output", os.path.join(work, "final.bin.gz"), "--meta", "",
            "--info-at", "%" + str(INFO_FREQ),
            "--proof-at", "=" + str(proof_at), "--proof-fmt", os.path.join(work, "proofs", "%d.json.gz"),
            "--snapshot-at", "%" + str(SNAPSHOT_FREQ),
            "--snapshot-fmt", os.path.join(work, "snapshots", "%d.bin.gz")]
    if stop_at is not None:
        args += ["--stop-at", "=" + str(stop_at)]
    return args + list(extra)


def nearest_snapshot(work, step, prestate):
    best, best_step = prestate, -1
    snaps = os.path.join(work, "snapshots")
    if os.path.isdir(snaps):
        for name in os.listdir(snaps):
            if name.endswith(".bin.gz"):
                s = int(name.split(".")[0])
                if best_step < s <= step:
                    best, best_step = os.path.join(snaps, name), s
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case_dir")
    ap.add_argument("--vms", default="upstream,interp,jit")
    ap.add_argument("--proof", type=int, action="append", default=[],
                    help="also prove this step with every VM (op-challenger's GenerateProof); "
                         "-1 = the last step, -2 = the middle step")
    ap.add_argument("--work")
    ap.add_argument("--cross-check", help="matcher for cannonball's --cross-check during the full runs")
    ap.add_argument("--report", help="write the figures as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    upstream = os.environ.get("UPSTREAM_CANNON", os.path.join(ROOT, "build", "refvm", "cannon"))
    cannonball = os.environ.get("CANNONBALL", os.path.join(ROOT, "build", "tools", "cannonball"))
    case_dir = os.path.abspath(args.case_dir)
    case, prestate, host = load_case(case_dir)
    for p in [upstream, cannonball, prestate, host[0]]:
        if not os.path.exists(p):
            print(f"error: missing {p} (run tools/setup.sh)")
            return 1
    vms = args.vms.split(",")
    work_root = args.work or tempfile.mkdtemp(prefix="opprogram-")
    os.makedirs(work_root, exist_ok=True)
    failures = []
    results = {"case": os.path.basename(case_dir), "size": case.get("size"), "claim": case.get("claim"),
               "expected_exit": case["expected_exit"], "l2_block": case["l2_block"],
               "preimage_count": case.get("preimage_count"), "preimage_bytes": case.get("preimage_bytes"),
               "vms": {}, "proofs": {}}
    print(f"case {case_dir}: l2 block {case['l2_block']}, expected exit {case['expected_exit']}")

    # 1. Full runs.
    finals = {}
    for vm in vms:
        work = os.path.join(work_root, vm)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(os.path.join(work, "proofs"))
        os.makedirs(os.path.join(work, "snapshots"))
        extra = engine_args(vm)
        if args.cross_check and vm == "jit":
            extra += ["--cross-check", args.cross_check]
        cmd = vm_command(vm, upstream, cannonball) + challenger_args(prestate, work, MAX_U64, extra=extra) + ["--"] + host
        if vm == vms[0]:
            print("command: " + " ".join(cmd))
        code, wall, rss = run_measured(cmd, os.path.join(work, "run.log"))
        entry = {"vm_exit": code, "wall_s": round(wall, 2), "peak_rss_mib": round(rss, 1)}
        results["vms"][vm] = entry
        final = os.path.join(work, "final.bin.gz")
        if code != 0 or not os.path.exists(final):
            failures.append(f"{vm}: VM exited {code} (log {work}/run.log)")
            with open(os.path.join(work, "run.log"), "rb") as f:
                tail = f.read()[-3000:].decode(errors="replace")
            print(tail)
            continue
        if args.cross_check and vm == "jit":
            # The CLI logs `cross-check passed segments=N steps=M` when every segment matched.
            with open(os.path.join(work, "run.log"), "rb") as f:
                passed = [l for l in f.read().decode(errors="replace").splitlines() if "cross-check passed" in l]
            if not passed:
                failures.append(f"{vm}: no 'cross-check passed' line in {work}/run.log")
            else:
                entry["cross_check"] = passed[-1][passed[-1].index("cross-check passed"):].replace('"', "")
                print(f"{vm:8s} {entry['cross_check']}")
        w = witness(cannonball, final)
        entry.update({"steps": w["step"], "exited": w["exited"], "exit_code": w["exitCode"],
                      "state_hash": w["witnessHash"]})
        finals[vm] = final
        print(f"{vm:8s} vm_exit={code} exit_code={w['exitCode']} steps={w['step']} hash={w['witnessHash']} "
              f"wall={wall:.2f}s peak_rss={rss:.1f}MiB")
        if not w["exited"] or w["exitCode"] != case["expected_exit"]:
            failures.append(f"{vm}: guest exited={w['exited']} code={w['exitCode']}, want exit {case['expected_exit']}")
    if len(finals) == len(vms):
        ref = vms[0]
        ref_bytes = gunzip_bytes(finals[ref])
        for vm in vms[1:]:
            if gunzip_bytes(finals[vm]) != ref_bytes:
                failures.append(f"{vm}: final state bytes differ from {ref}'s")
            for k in ("steps", "state_hash", "exit_code"):
                if results["vms"][vm][k] != results["vms"][ref][k]:
                    failures.append(f"{vm}: {k} {results['vms'][vm][k]} != {ref}'s {results['vms'][ref][k]}")
        if not failures:
            print(f"final states: identical bytes ({len(ref_bytes)} bytes decompressed) under {', '.join(vms)}")

    # 2. Proofs, as op-challenger's GenerateProof(i) makes them.
    steps_total = results["vms"].get(vms[0], {}).get("steps")
    for want in args.proof:
        if steps_total is None:
            break
        step = steps_total - 1 if want == -1 else steps_total // 2 if want == -2 else want
        proofs = {}
        for vm in vms:
            work = os.path.join(work_root, vm)
            pwork = os.path.join(work_root, f"{vm}-proof-{step}")
            shutil.rmtree(pwork, ignore_errors=True)
            os.makedirs(os.path.join(pwork, "proofs"))
            os.makedirs(os.path.join(pwork, "snapshots"))
            start = nearest_snapshot(work, step, prestate)
            cmd = (vm_command(vm, upstream, cannonball) +
                   challenger_args(start, pwork, step, stop_at=step + 1, extra=engine_args(vm)) + ["--"] + host)
            code, wall, rss = run_measured(cmd, os.path.join(pwork, "run.log"))
            proof = os.path.join(pwork, "proofs", f"{step}.json.gz")
            if code != 0 or not os.path.exists(proof):
                failures.append(f"{vm}: proof run for step {step} exited {code} (log {pwork}/run.log)")
                continue
            proofs[vm] = gunzip_bytes(proof)
            print(f"{vm:8s} proof at step {step}: {len(proofs[vm])} bytes, {wall:.2f}s")
        if len(proofs) == len(vms):
            same = all(proofs[vm] == proofs[vms[0]] for vm in vms[1:])
            if not same:
                failures.append(f"proof at step {step} differs between VMs")
            else:
                p = json.loads(proofs[vms[0]])
                print(f"proof at step {step}: identical bytes under {', '.join(vms)} (pre {p.get('pre')}, post {p.get('post')})")
            results["proofs"][str(step)] = {"identical": same, "bytes": len(proofs[vms[0]])}

    if args.report:
        with open(args.report + ".tmp", "w") as f:
            json.dump(results, f, indent=2)
        os.replace(args.report + ".tmp", args.report)
    if not args.keep and not args.work:
        shutil.rmtree(work_root, ignore_errors=True)
    for msg in failures:
        print("FAIL: " + msg)
    if not failures:
        print("OK: all VMs agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
