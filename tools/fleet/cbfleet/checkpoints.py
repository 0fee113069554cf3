"""The checkpoint pass: one fast (JIT) run that writes a snapshot every K steps, and the claimed
state hash of each. A manifest.json in the work directory records them, so a later command can
reuse the pass with --checkpoints DIR.
"""
from __future__ import annotations

import glob
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

from . import vm

MANIFEST = "manifest.json"


def write_json_atomic(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def make(binary: str, input_path: str, interval: int, engine: str, workdir: str, env: dict,
         compress: bool) -> dict:
    if interval <= 0:
        raise vm.CannonballError("--interval must be positive")
    os.makedirs(workdir, exist_ok=True)
    for old in glob.glob(os.path.join(workdir, "cp-*.bin*")):
        os.remove(old)
    ext = ".bin.gz" if compress else ".bin"
    start = vm.witness(binary, input_path)
    began = time.monotonic()
    final_path = os.path.join(workdir, "final.bin")
    final = vm.run_to(binary, input_path, engine, None, final_path, env,
                      ["--snapshot-at", "%%%d" % interval, "--snapshot-fmt", os.path.join(workdir, "cp-%d" + ext)])
    pass_seconds = time.monotonic() - began
    snaps = {}
    for path in glob.glob(os.path.join(workdir, "cp-*" + ext)):
        m = re.fullmatch(r"cp-(\d+)" + re.escape(ext), os.path.basename(path))
        if m:
            snaps[int(m.group(1))] = path
    snaps.pop(start["step"], None)  # the input itself is the first checkpoint
    began_hash = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        hashes = dict(zip(sorted(snaps), pool.map(lambda s: vm.witness(binary, snaps[s]), sorted(snaps))))
    checkpoints = [{"step": start["step"], "hash": start["witnessHash"], "path": os.path.abspath(input_path)}]
    for step in sorted(snaps):
        w = hashes[step]
        if w["step"] != step:
            raise vm.CannonballError("snapshot %s holds step %d" % (snaps[step], w["step"]))
        checkpoints.append({"step": step, "hash": w["witnessHash"], "path": os.path.abspath(snaps[step])})
    manifest = {"input": os.path.abspath(input_path), "interval": interval, "engine": engine,
                "checkpoints": checkpoints, "final": {**final, "key": vm.outcome_key(final)},
                "pass_seconds": pass_seconds, "hash_seconds": time.monotonic() - began_hash}
    write_json_atomic(os.path.join(workdir, MANIFEST), manifest)
    return manifest


def load(workdir: str) -> dict:
    path = os.path.join(workdir, MANIFEST)
    try:
        with open(path) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise vm.CannonballError("cannot read checkpoint manifest %s: %s" % (path, e))
    for cp in manifest["checkpoints"]:  # paths stay valid if the directory was moved
        local = os.path.join(workdir, os.path.basename(cp["path"]))
        if cp["path"] != manifest["input"] and os.path.exists(local):
            cp["path"] = local
    return manifest
