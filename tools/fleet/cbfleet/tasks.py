"""The Ray tasks. They are shipped to the workers by value (see cluster.connect), so a worker
needs only Python with Ray and the cannonball binary (a path it can read, or shipped through the
object store), never this source tree.

Inputs and outputs cross machines as "blobs": {"kind": "path", "path": P} when the driver and
the workers share a directory (--data shared), or {"kind": "store", "ref": [ObjectRef], "name"}
with the bytes in Ray's object store (--data store). A task never assumes it can see the
driver's files unless it was handed a path.

Failures: a task that dies with its worker (killed, node lost) is retried by Ray (max_retries);
a real failure (bad input, the binary refusing it) is caught here and returned as {"error": ...},
so it is reported once and never retried.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time

import ray

from . import vm

RETRIES = 3  # attempts after a worker dies mid-task


def blob_from_file(path: str, data: str):
    path = os.path.abspath(path)
    if data == "shared":
        return {"kind": "path", "path": path, "name": os.path.basename(path)}
    with open(path, "rb") as f:
        content = f.read()
    # The reference sits in a list so Ray hands it to the task as a reference, not as the bytes.
    return {"kind": "store", "ref": [ray.put(content)], "name": os.path.basename(path),
            "sha256": hashlib.sha256(content).hexdigest()}


def blob_to_local(blob, scratch: str) -> str:
    if blob["kind"] == "path":
        return blob["path"]
    path = os.path.join(scratch, blob["name"])
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(ray.get(blob["ref"][0]))
    os.replace(tmp, path)
    return path


def binary_to_local(blob) -> str:
    """The cannonball binary: a path, or bytes cached per content hash in the worker's temp dir."""
    if blob["kind"] == "path":
        return blob["path"]
    cache = os.path.join(tempfile.gettempdir(), "cbfleet-bin")
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, "cannonball-" + blob["sha256"][:16])
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=cache)
        with os.fdopen(fd, "wb") as f:
            f.write(ray.get(blob["ref"][0]))
        os.chmod(tmp, stat.S_IRWXU)
        os.replace(tmp, path)
    return path


class Scratch:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="cbfleet-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def _where() -> dict:
    return {"node": ray.get_runtime_context().get_node_id()[:8], "pid": os.getpid()}


def round_robin(count: int) -> list[dict]:
    """Task options placing `count` equal-sized tasks on the alive nodes with CPUs in turn.

    SPREAD follows the scheduler's view of which nodes are free, which lags under load, so a
    batch submitted at once could still land on one node. Soft affinity names the node outright
    and falls back to any other only if that node dies or cannot run the task."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = sorted(n["NodeID"] for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1)
    if not nodes:
        return [{} for _ in range(count)]
    return [{"scheduling_strategy": NodeAffinitySchedulingStrategy(nodes[i % len(nodes)], soft=True)}
            for i in range(count)]


# Every task is spread over the nodes: left to Ray, locality-aware scheduling puts tasks beside
# their start state, which the driver put in its own node's object store, and one node does all.
@ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False, scheduling_strategy="SPREAD")
def segment_task(binary_blob, start_blob, start_step: int, end_step, claimed_start: str, claimed_end: str,
                 engine: str, env: dict) -> dict:
    """Re-execute one segment with the canonical engine and compare its end with the claim."""
    began = time.monotonic()
    out = {"start": start_step, "end": end_step, **_where()}
    try:
        with Scratch() as scratch:
            binary = binary_to_local(binary_blob)
            start_path = blob_to_local(start_blob, scratch)
            fetched = time.monotonic()
            start = vm.witness(binary, start_path)
            out["start_hash_ok"] = start["witnessHash"] == claimed_start and start["step"] == start_step
            res = vm.run_to(binary, start_path, engine, end_step, os.path.join(scratch, "end.bin"), env)
            out.update(result=res, vm_seconds=res["seconds"], vm_cpu_seconds=res["cpu_seconds"],
                       fetch_seconds=fetched - began)
            out["end_key"] = vm.outcome_key(res)
            out["match"] = out["start_hash_ok"] and out["end_key"] == claimed_end
    except vm.CannonballError as e:
        out.update(error=str(e), match=False)
    out["task_seconds"] = time.monotonic() - began
    return out


@ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False, scheduling_strategy="SPREAD")
def bisect_task(binary_blob, start_blob, lo: int, hi, fast: str, canonical: str, env: dict, lockstep: bool) -> dict:
    """Find the first step whose state differs between the fast and the canonical engine.

    The states agree at `lo` (the segment's start). Probes run both engines from the last agreeing
    state to the middle and compare hashes, so the total work is about one segment per engine.
    """
    began = time.monotonic()
    out = {"lo": lo, "hi": hi, **_where()}
    try:
        with Scratch() as scratch:
            binary = binary_to_local(binary_blob)
            cur = blob_to_local(start_blob, scratch)
            a = vm.run_to(binary, cur, fast, hi, os.path.join(scratch, "fast.bin"), env)
            b = vm.run_to(binary, cur, canonical, hi, os.path.join(scratch, "canon.bin"), env)
            out["fast_end"], out["canonical_end"] = vm.outcome_key(a), vm.outcome_key(b)
            probes = 1
            if vm.outcome_key(a) == vm.outcome_key(b):
                out["reproduced"] = False
            else:
                out["reproduced"] = True
                if hi is None:  # last segment: both runs pass the first differing step before they end
                    ends = [r["step"] for r in (a, b) if r.get("ok")]
                    hi = min(ends) if ends else None
            if out["reproduced"] and hi is not None:
                seg_start, seg_lo, seg_hi = cur, lo, hi
                # Probes start from the last agreeing state (about one segment of work per
                # engine). An engine whose fault depends on where it starts (a JIT block entered
                # mid-way) may then not show it; the search is repeated from the segment start.
                for moving in (True, False):
                    cur, lo, hi = seg_start, seg_lo, seg_hi
                    while hi - lo > 1:
                        mid = (lo + hi) // 2
                        fa = vm.run_to(binary, cur, fast, mid, os.path.join(scratch, "fa.bin"), env)
                        fb = vm.run_to(binary, cur, canonical, mid, os.path.join(scratch, "fb.bin"), env)
                        probes += 1
                        if vm.outcome_key(fa) == vm.outcome_key(fb) and fb.get("ok") and fb["step"] == mid:
                            lo = mid
                            if moving:
                                nxt = os.path.join(scratch, "lo-%d.bin" % mid)
                                os.replace(os.path.join(scratch, "fb.bin"), nxt)
                                if os.path.basename(cur).startswith("lo-"):
                                    os.remove(cur)
                                cur = nxt
                        else:
                            hi = mid
                    fa = vm.run_to(binary, cur, fast, hi, os.path.join(scratch, "fa.bin"), env)
                    fb = vm.run_to(binary, cur, canonical, hi, os.path.join(scratch, "fb.bin"), env)
                    if vm.outcome_key(fa) != vm.outcome_key(fb):
                        break
                out["localized"] = vm.outcome_key(fa) != vm.outcome_key(fb)
                out["first_bad_step"] = hi if out["localized"] else None
                out["last_good_step"] = lo
                out["fast_at_bad"], out["canonical_at_bad"] = vm.outcome_key(fa), vm.outcome_key(fb)
                if not moving:  # the state at lo, for the report and the lockstep diff
                    vm.run_to(binary, seg_start, canonical, lo, os.path.join(scratch, "lo.bin"), env)
                    cur = os.path.join(scratch, "lo.bin")
                out["good_hash"] = vm.witness(binary, cur)["witnessHash"]
                if lockstep and out["localized"]:
                    proc = vm.call([binary, "lockstep", "--input", cur, "--stop-at", "=%d" % hi,
                                    "--block-budget", "1", "--root-every", "1"])
                    out["lockstep"] = (proc.stdout + proc.stderr).strip()
            out["probes"] = probes
    except vm.CannonballError as e:
        out["error"] = str(e)
    out["task_seconds"] = time.monotonic() - began
    return out



@ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False, scheduling_strategy="SPREAD")
def position_task(binary_blob, start_blob, step: int, engine: str, proof: bool, env: dict) -> dict:
    """The state hash at `step` (and its proof if asked), from the nearest checkpoint before it."""
    began = time.monotonic()
    out = {"step": step, **_where()}
    try:
        with Scratch() as scratch:
            binary = binary_to_local(binary_blob)
            start_path = blob_to_local(start_blob, scratch)
            res = vm.run_to(binary, start_path, engine, step, os.path.join(scratch, "at.bin"), env)
            out["result"] = res
            if proof and res.get("ok") and res["step"] == step and not res["exited"]:
                proof_path = os.path.join(scratch, "proof.json")
                proc = vm.call([binary, "run", "--input", start_path, "--output", "", "--meta", "", "--info-at",
                                "never", "--engine", engine, "--proof-at", "=%d" % step, "--proof-fmt", proof_path,
                                "--stop-at", "=%d" % (step + 1)], env)
                if proc.returncode != 0:
                    raise vm.CannonballError("proof at %d: %s" % (step, vm.error_text(proc)))
                with open(proof_path) as f:
                    out["proof"] = f.read()
    except vm.CannonballError as e:
        out["error"] = str(e)
    out["task_seconds"] = time.monotonic() - began
    return out
