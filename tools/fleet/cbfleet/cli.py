"""fleet: canonical verification, trace positions and op-program sweeps on a Ray cluster.

  fleet verify    --input STATE [--interval K]   JIT checkpoints, interpreter re-execution per segment
  fleet positions --input STATE --steps A,B,...  state hashes (or proofs) at many steps
  fleet sweep     --cases DIR... | --prestate S  many cases under chosen engines, one report

Exit codes: 0 success (verify: verdict ok); 1 error (bad input, a task that failed for a real
reason); 2 verify found a divergence (verdict diverged).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time

from . import checkpoints, vm

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_BINARY = os.path.join(REPO, "build", "tools", "cannonball")


class UsageError(Exception):
    pass


def common_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=2, help="CPUs of the local cluster (ignored with --address)")
    p.add_argument("--address", help="address of an existing Ray cluster (host:port); else a local one is "
                                     "started and stopped")
    p.add_argument("--data", choices=["store", "shared"], default="store",
                   help="move snapshots through Ray's object store (default) or by path in a directory every "
                        "worker sees (--workdir on a shared disk)")
    p.add_argument("--ship-binary", action="store_true",
                   help="send the cannonball binary through the object store (workers without the build)")
    p.add_argument("--cannonball", default=os.environ.get("CANNONBALL", DEFAULT_BINARY), help="the binary")
    p.add_argument("--object-store-mb", type=int, default=200, help="object store of a local cluster (MiB)")
    p.add_argument("--workdir", help="directory for checkpoints and reports (default: a temporary one)")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="fleet", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("verify", "positions"):
        p = sub.add_parser(name)
        common_flags(p)
        p.add_argument("--input", help="state to start from (.bin or .bin.gz)")
        p.add_argument("--interval", type=int, default=100_000_000, help="steps between checkpoints (K)")
        p.add_argument("--fast-engine", default="jit", help="engine of the checkpoint pass")
        p.add_argument("--engine", default="interp", help="engine that re-executes (the canonical interpreter)")
        p.add_argument("--checkpoints", help="reuse the checkpoint pass in this directory (its manifest.json)")
        p.add_argument("--gzip-snapshots", action="store_true",
                       help="gzip the checkpoints (smaller to move, but compressing costs the JIT pass most of "
                            "its time)")
        if name == "verify":
            p.add_argument("--no-bisect", action="store_true", help="only name the bad segments")
        else:
            p.add_argument("--steps", required=True, help="comma list of steps")
            p.add_argument("--proofs", action="store_true", help="also write a proof at each step")
    p = sub.add_parser("sweep")
    common_flags(p)
    p.add_argument("--cases", nargs="*", default=[], help="capture directories (with case.json) or case.json files")
    p.add_argument("--prestate", nargs="*", default=[], help="plain prestates (no pre-image host)")
    p.add_argument("--input", help="one plain prestate (same as --prestate)")
    p.add_argument("--engines", default="interp,jit", help="comma list of engines")
    p.add_argument("--no-audit", action="store_true", help="skip the audit run (memory, pre-images, hazards)")
    p.add_argument("--report", help="directory for report.md, report.json and plots (default: WORKDIR/report)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    args = ap.parse_args(argv)
    if args.command != "sweep" and not args.input and not args.checkpoints:
        ap.error("--input or --checkpoints is required")
    if args.workers < 1:
        ap.error("--workers must be at least 1")
    return args


def forwarded_env() -> dict:
    """CANNONBALL_* variables of the driver reach every task (e.g. the test engine's settings)."""
    return {k: v for k, v in os.environ.items() if k.startswith("CANNONBALL_") and k != "CANNONBALL"}


def binary_blob(args):
    from . import tasks

    if args.ship_binary:
        return tasks.blob_from_file(args.cannonball, "store")
    return {"kind": "path", "path": os.path.abspath(args.cannonball)}


def checkpoint_pass(args, workdir: str) -> dict:
    if args.checkpoints:
        return checkpoints.load(args.checkpoints)
    if not os.path.exists(args.input):
        raise UsageError("cannot open input state %s" % args.input)
    return checkpoints.make(args.cannonball, args.input, args.interval, args.fast_engine, workdir, forwarded_env(),
                            compress=args.gzip_snapshots)


def segments_of(manifest: dict) -> list[dict]:
    cps = manifest["checkpoints"]
    segs = []
    for i, cp in enumerate(cps):
        last = i + 1 == len(cps)
        segs.append({"index": i, "start": cp["step"], "start_hash": cp["hash"], "path": cp["path"],
                     "end": None if last else cps[i + 1]["step"],
                     "claimed_end": manifest["final"]["key"] if last else cps[i + 1]["hash"]})
    return segs


def short(key) -> str:
    if key is None:
        return "-"
    return key[:18] + "…" if key.startswith("0x") else key


def cmd_verify(args, workdir: str) -> tuple[int, dict, str]:
    import ray

    from . import tasks

    t0 = time.monotonic()
    manifest = checkpoint_pass(args, workdir)
    t_pass = time.monotonic() - t0
    segs = segments_of(manifest)
    env = forwarded_env()
    binary = binary_blob(args)
    t1 = time.monotonic()
    blobs = [tasks.blob_from_file(s["path"], args.data) for s in segs]
    placement = tasks.round_robin(len(segs))
    refs = [tasks.segment_task.options(**placement[i]).remote(binary, blobs[i], s["start"], s["end"], s["start_hash"],
                                                             s["claimed_end"], args.engine, env)
            for i, s in enumerate(segs)]
    results = ray.get(refs)
    t_verify = time.monotonic() - t1
    rows, bad, errors = [], [], []
    for s, r in zip(segs, results):
        status = "ok" if r.get("match") else ("error" if "error" in r else "MISMATCH")
        if status == "MISMATCH":
            bad.append(s["index"])
            if not r.get("start_hash_ok", True):
                status = "MISMATCH (start checkpoint)"
        if status == "error":
            errors.append(s["index"])
        rows.append({**{k: s[k] for k in ("index", "start", "end", "start_hash", "claimed_end")},
                     "end_step": r.get("result", {}).get("step"), "canonical_end": r.get("end_key"),
                     "status": status, "error": r.get("error"), "vm_seconds": r.get("vm_seconds"),
                     "vm_cpu_seconds": r.get("vm_cpu_seconds"),
                     "task_seconds": r.get("task_seconds"), "fetch_seconds": r.get("fetch_seconds"),
                     "node": r.get("node"), "pid": r.get("pid")})
    verdict = "diverged" if bad else ("error" if errors else "ok")
    bisect = None
    t_bisect = 0.0
    if bad and not args.no_bisect:
        first = segs[bad[0]]
        if rows[bad[0]]["status"].endswith("(start checkpoint)"):
            bisect = {"reproduced": False, "note": "the snapshot at step %d does not hash to its claimed checkpoint; "
                                                  "the checkpoint data is corrupt" % first["start"]}
        else:
            t2 = time.monotonic()
            bisect = ray.get(tasks.bisect_task.remote(binary, blobs[bad[0]], first["start"], first["end"],
                                                      manifest["engine"], args.engine, env,
                                                      manifest["engine"] == "jit"))
            t_bisect = time.monotonic() - t2
            if "error" in bisect:
                errors.append(bad[0])
            elif bisect["reproduced"] and not bisect.get("localized"):
                bisect["note"] = ("the engines end the segment differently, but no single step whose state "
                                  "differs was isolated (probes from step %d agree)" % first["start"])
            elif not bisect["reproduced"]:
                bisect["note"] = ("re-running both engines from step %d agrees, so the claimed checkpoint is not what "
                                  "the %s engine computes: the checkpoint data is corrupt" % (first["start"],
                                                                                              manifest["engine"]))
    summary = {
        "command": "verify", "verdict": verdict, "input": manifest["input"], "interval": manifest["interval"],
        "fast_engine": manifest["engine"], "engine": args.engine, "final": manifest["final"],
        "segments": rows, "bad_segments": bad, "error_segments": errors,
        "first_bad_segment": bad[0] if bad else None,
        "first_bad_step": bisect.get("first_bad_step") if bisect else None, "bisect": bisect,
        "timing": {"checkpoint_pass_seconds": manifest["pass_seconds"], "hash_seconds": manifest["hash_seconds"],
                   "driver_pass_seconds": t_pass, "verify_seconds": t_verify, "bisect_seconds": t_bisect,
                   "segment_vm_seconds": sum(r["vm_seconds"] or 0 for r in rows),
                   "segment_vm_cpu_seconds": sum(r["vm_cpu_seconds"] or 0 for r in rows),
                   "steps": (manifest["final"].get("step") or 0) - manifest["checkpoints"][0]["step"]},
        "workdir": workdir, "data": args.data,
    }
    out = io.StringIO()
    print("%-4s %-13s %-13s %-21s %-21s %8s %8s %-8s %s" % ("seg", "start", "end", "claimed end", "re-executed end",
                                                             "vm s", "task s", "node", "status"), file=out)
    for r in rows:
        print("%-4d %-13d %-13s %-21s %-21s %8.2f %8.2f %-8s %s" % (
            r["index"], r["start"], r["end"] if r["end"] is not None else "exit", short(r["claimed_end"]),
            short(r["canonical_end"]), r["vm_seconds"] or 0, r["task_seconds"] or 0, r["node"] or "-",
            r["status"] + (": " + r["error"] if r["error"] else "")), file=out)
    print("verdict: %s" % verdict, file=out)
    if bad:
        print("first bad segment: %d (steps %d..%s)" % (bad[0], segs[bad[0]]["start"],
                                                        segs[bad[0]]["end"] if segs[bad[0]]["end"] else "exit"), file=out)
    if bisect:
        if bisect.get("first_bad_step") is not None:
            print("first bad step: %d (states agree at step %d: %s; at step %d %s %s, %s %s)" % (
                bisect["first_bad_step"], bisect["last_good_step"], short(bisect["good_hash"]), bisect["first_bad_step"],
                manifest["engine"], short(bisect["fast_at_bad"]), args.engine, short(bisect["canonical_at_bad"])),
                file=out)
            if bisect.get("lockstep"):
                print(bisect["lockstep"], file=out)
        elif bisect.get("note"):
            print("first bad step: none found: " + bisect["note"], file=out)
        elif bisect.get("error"):
            print("bisection failed: " + bisect["error"], file=out)
    print("timing: checkpoint pass %.2f s, verify %.2f s over %d segments, bisect %.2f s" % (
        manifest["pass_seconds"], t_verify, len(segs), t_bisect), file=out)
    return {"ok": 0, "diverged": 2}.get(verdict, 1), summary, out.getvalue()


def cmd_positions(args, workdir: str) -> tuple[int, dict, str]:
    import ray

    from . import tasks

    try:
        steps = sorted({int(s) for s in args.steps.split(",") if s.strip()})
    except ValueError:
        raise UsageError("--steps takes a comma list of step numbers")
    manifest = checkpoint_pass(args, workdir)
    cps = manifest["checkpoints"]
    if steps and steps[0] < cps[0]["step"]:
        raise UsageError("step %d is before the input's step %d" % (steps[0], cps[0]["step"]))
    env = forwarded_env()
    binary = binary_blob(args)
    t1 = time.monotonic()
    blobs, refs, origin = {}, [], []
    for step in steps:
        cp = max((c for c in cps if c["step"] <= step), key=lambda c: c["step"])
        if cp["step"] not in blobs:
            blobs[cp["step"]] = tasks.blob_from_file(cp["path"], args.data)
        origin.append(cp["step"])
        refs.append(tasks.position_task.remote(binary, blobs[cp["step"]], step, args.engine, args.proofs, env))
    results = ray.get(refs)
    seconds = time.monotonic() - t1
    rows, failed = [], 0
    proof_dir = os.path.join(workdir, "proofs")
    for step, start, r in zip(steps, origin, results):
        res = r.get("result", {})
        row = {"step": step, "from_checkpoint": start, "hash": res.get("hash"), "reached_step": res.get("step"),
               "exited": res.get("exited"), "exception": res.get("exception"), "error": r.get("error"),
               "task_seconds": r.get("task_seconds"), "node": r.get("node")}
        if "proof" in r:
            os.makedirs(proof_dir, exist_ok=True)
            path = os.path.join(proof_dir, "proof-%d.json" % step)
            with open(path + ".tmp", "w") as f:
                f.write(r["proof"])
            os.replace(path + ".tmp", path)
            row["proof"] = path
        if row["error"]:
            failed += 1
        rows.append(row)
    summary = {"command": "positions", "input": manifest["input"], "positions": rows, "failed": failed,
               "timing": {"checkpoint_pass_seconds": manifest["pass_seconds"], "positions_seconds": seconds},
               "workdir": workdir}
    out = io.StringIO()
    print("%-13s %-13s %-68s %s" % ("step", "from", "state hash", "note"), file=out)
    for r in rows:
        note = r["error"] or r["exception"] or ("exited at step %d" % r["reached_step"] if r["exited"] and
                                                r["reached_step"] != r["step"] else "") or r.get("proof", "")
        print("%-13d %-13d %-68s %s" % (r["step"], r["from_checkpoint"], r["hash"] or "-", note), file=out)
    return (1 if failed else 0), summary, out.getvalue()


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.access(args.cannonball, os.X_OK):
        print("error: cannonball binary not found at %s (build it or pass --cannonball)" % args.cannonball,
              file=sys.stderr)
        return 1
    workdir = args.workdir or tempfile.mkdtemp(prefix="fleet-")
    os.makedirs(workdir, exist_ok=True)
    from . import cluster

    # Ray prints cluster events (a worker died, a task is retried) on the driver's stdout; they
    # go to stderr so that stdout carries only the --json summary.
    stdout_fd = os.dup(1)
    sys.stdout.flush()
    os.dup2(2, 1)
    try:
        return _run(args, workdir, cluster, stdout_fd)
    finally:
        sys.stdout.flush()
        os.dup2(stdout_fd, 1)
        os.close(stdout_fd)


def _run(args, workdir, cluster, stdout_fd) -> int:
    try:
        cluster.connect(args.address, args.workers, args.object_store_mb)
    except Exception as e:  # Ray raises many kinds for an unreachable cluster
        print("error: cannot start or reach the Ray cluster: %s" % e, file=sys.stderr)
        return 1
    try:
        if args.command == "verify":
            code, summary, text = cmd_verify(args, workdir)
        elif args.command == "positions":
            code, summary, text = cmd_positions(args, workdir)
        else:
            from . import sweep

            code, summary, text = sweep.run(args, workdir)
    except (UsageError, vm.CannonballError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    finally:
        cluster.disconnect()
    sys.stdout.flush()
    if args.json:
        sys.stderr.write(text)
        sys.stderr.flush()
        os.write(stdout_fd, (json.dumps(summary, indent=1, sort_keys=True) + "\n").encode())
    else:
        os.write(stdout_fd, text.encode())
    checkpoints.write_json_atomic(os.path.join(workdir, args.command + ".json"), summary)
    return code
