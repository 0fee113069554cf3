#!/usr/bin/env python3
"""Plays op-challenger's bisection over one execution trace, asking for every state hash either a
`cannonball serve` instance (one HTTP query per move) or `cannonball run` (one process per query),
and prints the number of queries and the total time of each way.

The game has op-challenger's shape: MAX_GAME_DEPTH 73 with SPLIT_DEPTH 30. The top half (depths
0..30) bisects L2 output roots; this client has no L2 node, so that half is played against a
synthetic output-root list (no VM queries; the disputed block is the last one). The bottom half
bisects the execution trace: its root sits at depth 31 and its leaves at depth 73, so it has
2^42 trace indices. Trace index i stands for the state after step i of the prestate (step i+1);
indices past the trace's end stand for its final state, as op-challenger pads the trace.

The opponent agrees with the honest trace before trace index DIVERGE and claims other hashes
from there on. The honest player posts one claim per move (one state-hash query for its value),
attacking when the opponent's claim at that index differs and defending otherwise, until the leaf;
then it asks for the proof of the disputed step (one proof query). The client checks that the
proof's pre and post hashes are the agreed and the disputed claims, and, with --mode both, that
both ways saw the same hashes and proofs.

usage: bisect.py --input STATE [--server URL] [--cannonball BIN] [--mode server|run|both]
                 [--diverge N | --seed S] [-- host args for `cannonball run`]
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

MAX_GAME_DEPTH = 73
SPLIT_DEPTH = 30
BOTTOM_DEPTH = MAX_GAME_DEPTH - SPLIT_DEPTH - 1  # 42: trace indices 0 .. 2^42 - 1


class ServerTrace:
    """State hashes and proofs from `cannonball serve`."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.queries = 0
        info = self._get("/v1/trace")
        self.start, self.end = info["start"], info["end"]

    def _get(self, path, raw=False):
        self.queries += 1
        try:
            with urllib.request.urlopen(self.url + path, timeout=3600) as r:
                body = r.read().decode()
        except urllib.error.HTTPError as e:
            raise SystemExit(f"error: {path}: HTTP {e.code}: {e.read().decode().strip()}")
        return body if raw else json.loads(body)

    def hash_at(self, step):
        return self._get(f"/v1/state?step={step}")["witnessHash"]

    def proof_at(self, step):
        return self._get(f"/v1/proof?step={step}", raw=True)


class RunTrace:
    """The same answers from one `cannonball run` process per query (plus `witness` to read it)."""

    def __init__(self, cannonball, state, host, engine):
        self.cannonball, self.state, self.host, self.engine = cannonball, state, host, engine
        self.queries = 0
        self.tmp = tempfile.TemporaryDirectory()
        final = self._run_to(None)
        self.start = json.loads(self._witness(self.state))["step"]
        self.end = final["step"]

    def _cmd(self, *args):
        cmd = [self.cannonball, "run", "--input", self.state, "--meta", "", "--info-at", "never",
               "--engine", self.engine, *args]
        return cmd + (["--"] + self.host if self.host else [])

    def _witness(self, path):
        return subprocess.run([self.cannonball, "witness", "--input", path], check=True, capture_output=True,
                              text=True).stdout

    def _run_to(self, step):
        out = os.path.join(self.tmp.name, "out.bin")
        stop = ["--stop-at", f"={step}"] if step is not None else []
        subprocess.run(self._cmd("--output", out, *stop), check=True, capture_output=True)
        return json.loads(self._witness(out))

    def hash_at(self, step):
        self.queries += 1
        return self._run_to(step)["witnessHash"]

    def proof_at(self, step):
        self.queries += 1
        r = subprocess.run(self._cmd("--output", "", "--proof-at", f"={step}", "--proof-fmt", "-",
                                     "--stop-at", f"={step + 1}"), check=True, capture_output=True, text=True)
        return r.stdout


def synthetic_output_root(block, honest):
    tag = b"honest" if honest else b"dishonest"
    return "0x" + hashlib.sha256(tag + block.to_bytes(8, "big")).hexdigest()


def play(trace, diverge):
    """Returns (moves, queries, seconds, transcript, proof)."""
    t0 = time.monotonic()
    queries_before = trace.queries
    moves = 0
    transcript = []
    # Top half: output roots of 2^30 blocks; the opponent's roots differ from the last block on,
    # so the honest player attacks down the right edge without asking the VM anything.
    lo, hi = 0, (1 << SPLIT_DEPTH) - 1
    for _ in range(SPLIT_DEPTH):
        mid = (lo + hi) // 2
        mine, theirs = synthetic_output_root(mid, True), synthetic_output_root(mid, mid < hi)
        if mine == theirs:
            lo = mid + 1
        else:
            hi = mid
        moves += 1

    def step_of(index):  # the state after step `index` of the prestate, padded at the end
        return min(trace.start + index + 1, trace.end)

    bogus = {}

    def opponent(index, honest_hash):
        if index < diverge:
            return honest_hash
        return bogus.setdefault(index, "0x" + hashlib.sha256(b"bogus" + index.to_bytes(8, "big")).hexdigest())

    # Bottom half: find the first trace index where the claims differ, one claim per move.
    first, last = 0, (1 << BOTTOM_DEPTH) - 1  # the first divergence lies in [first, last]
    agreed = None  # (index, hash) of the last agreed claim
    for _ in range(BOTTOM_DEPTH):
        mid = (first + last) // 2
        mine = trace.hash_at(step_of(mid))
        transcript.append((mid, mine))
        moves += 1
        if opponent(mid, mine) != mine:
            last = mid  # attack: the divergence is at mid or before
        else:
            first = mid + 1  # defend: they agree up to mid
            agreed = (mid, mine)
    disputed = first
    assert disputed == diverge, f"bisection ended at trace index {disputed}, expected {diverge}"
    step = trace.start + disputed
    proof = trace.proof_at(step)
    moves += 1
    seconds = time.monotonic() - t0
    doc = json.loads(proof)
    if agreed is not None and agreed[0] == disputed - 1 and doc["pre"] != agreed[1]:
        raise SystemExit(f"error: proof pre {doc['pre']} is not the agreed claim {agreed[1]}")
    mine_at_disputed = dict(transcript).get(disputed)
    if mine_at_disputed is not None and doc["post"] != mine_at_disputed:
        raise SystemExit(f"error: proof post {doc['post']} is not the claim at the disputed index {mine_at_disputed}")
    return moves, trace.queries - queries_before, seconds, transcript, proof


def main():
    argv = sys.argv[1:]
    host = []
    if "--" in argv:
        i = argv.index("--")
        argv, host = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="the prestate (for `cannonball run`)")
    ap.add_argument("--server", default="http://127.0.0.1:7117")
    ap.add_argument("--cannonball", default="build/tools/cannonball")
    ap.add_argument("--engine", default="jit", help="engine of `cannonball run`")
    ap.add_argument("--mode", choices=["server", "run", "both"], default="both")
    ap.add_argument("--diverge", type=int, help="first trace index the opponent gets wrong")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    ways = []
    if args.mode in ("server", "both"):
        ways.append(("server", ServerTrace(args.server)))
    if args.mode in ("run", "both"):
        ways.append(("cannonball run", RunTrace(args.cannonball, args.input, host, args.engine)))
    start, end = ways[0][1].start, ways[0][1].end
    for name, trace in ways:
        if (trace.start, trace.end) != (start, end):
            raise SystemExit(f"error: {name} sees the trace as steps {trace.start}..{trace.end}, not {start}..{end}")
    diverge = args.diverge if args.diverge is not None else random.Random(args.seed).randrange(0, end - start)
    if not 0 <= diverge < end - start:
        raise SystemExit(f"error: --diverge must be in [0, {end - start})")
    print(f"trace: steps {start}..{end}; opponent diverges at trace index {diverge} (step {start + diverge})")
    results = {}
    for name, trace in ways:
        moves, queries, seconds, transcript, proof = play(trace, diverge)
        results[name] = (transcript, proof)
        print(f"{name:>15}: {moves} moves, {queries} queries ({len(transcript)} state hashes + 1 proof), "
              f"{seconds:.3f} s total, {seconds / queries * 1000:.1f} ms per query")
    if len(results) == 2:
        (a, b) = results.values()
        if a != b:
            raise SystemExit("error: the server and `cannonball run` gave different hashes or proofs")
        print("both ways gave identical hashes and an identical proof")
    return 0


if __name__ == "__main__":
    sys.exit(main())
