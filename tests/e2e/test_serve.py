#!/usr/bin/env python3
"""End-to-end tests of `cannonball serve` over loopback HTTP.

Exactness: every state hash and proof the server gives at random positions of several guests is
compared with what `cannonball run --stop-at =N` / `--proof-at =N` gives for the same prestate.
Also: positions, the trace summary, bad queries (4xx with a message, the server keeps serving),
parallel queries, checkpoint thinning under a small budget, spilling to and reusing a snapshot
directory, the pre-image host asked only during the first pass, the bisection client.

Environment: CANNONBALL (binary), GUESTS (tests/guests build dir), SERVE_SEED (default fixed).
"""
import concurrent.futures
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
GUESTS = os.environ.get("GUESTS", "build/guests")
SEED = int(os.environ.get("SERVE_SEED", "20261202"))
BISECT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "serve", "bisect.py")
EXIT_GROUP = 5205  # mips64 n64 exit_group


def cb(*args, check=True, **kw):
    return subprocess.run([CANNONBALL, *args], capture_output=True, text=True, check=check, **kw)


class Server:
    """A `cannonball serve` process on a free loopback port."""

    def __init__(self, state, *flags, host=None):
        cmd = [CANNONBALL, "serve", "--input", state, "--listen", "127.0.0.1:0", *flags]
        if host:
            cmd += ["--"] + host
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if not m:
            self.proc.wait(timeout=60)
            self.stderr.seek(0)
            raise AssertionError(f"serve did not start: {line!r}\n{self.stderr.read().decode()}")
        self.url = m.group(1)

    def get(self, path, raw=False):
        """(status, body) of a GET; body parsed as JSON unless raw."""
        return self.request(path, raw=raw)

    def request(self, path, data=None, raw=False, method=None):
        headers = {"Content-Type": "application/json"} if data is not None else {}
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        return status, (body if raw else json.loads(body))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.stderr.seek(0)
        log = self.stderr.read().decode()
        self.stderr.close()
        self.proc.stdout.close()
        return code, log


class ServeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.rng = random.Random(SEED + hash(self.id()) % 1000)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def load(self, guest):
        state = self.path(guest + ".bin.gz")
        cb("load-elf", "--type", "multithreaded64-5", "--path", os.path.join(GUESTS, guest + ".elf"), "--out",
           state, "--meta", self.path(guest + ".meta.json"))
        return state

    def host(self):
        return [os.path.join(GUESTS, "host"), "--quiet", "--dir", os.path.join(GUESTS, "claim-data")]

    def run_witness(self, state, step, host=None):
        out = self.path("stop.bin")
        cmd = ["run", "--input", state, "--output", out, "--meta", "", "--info-at", "never", "--engine", "jit",
               "--stop-at", f"={step}"]
        cb(*cmd, *(["--"] + host if host else []))
        w = json.loads(cb("witness", "--input", out).stdout)
        return {"step": w["step"], "witnessHash": w["witnessHash"], "witness": w["witness"], "exited": w["exited"]}

    def run_proof(self, state, step, host=None):
        cmd = ["run", "--input", state, "--output", "", "--meta", "", "--info-at", "never", "--engine", "jit",
               "--proof-at", f"={step}", "--proof-fmt", "-", "--stop-at", f"={step + 1}"]
        return cb(*cmd, *(["--"] + host if host else [])).stdout

    def check_exact(self, server, state, hashes, proofs, host=None):
        """Random positions: the server's answers equal `cannonball run`'s, byte for byte."""
        status, trace = server.get("/v1/trace")
        self.assertEqual(status, 200)
        start, end = trace["start"], trace["end"]
        steps = sorted({start, end} | {self.rng.randrange(start, end + 1) for _ in range(hashes)})
        for step in steps:
            status, got = server.get(f"/v1/state?step={step}")
            self.assertEqual(status, 200, got)
            self.assertEqual(got, self.run_witness(state, step, host), f"state at step {step}")
        for step in sorted({self.rng.randrange(start, end) for _ in range(proofs)} | {start}):
            status, got = server.get(f"/v1/proof?step={step}", raw=True)
            self.assertEqual(status, 200, got)
            self.assertEqual(got, self.run_proof(state, step, host), f"proof at step {step}")
        return trace

    def test_hello_states_proofs_and_trace_equal_cannonball_run(self):
        state = self.load("hello")
        server = Server(state, "--interval", "50000")
        try:
            trace = self.check_exact(server, state, hashes=8, proofs=5)
            final = self.run_witness(state, 10**12)  # runs to the exit
            self.assertTrue(trace["exited"])
            self.assertEqual(trace["end"], final["step"])
            self.assertEqual(trace["final"], final)
            self.assertEqual(trace["length"], trace["end"] - trace["start"])
            # The guest's last step is its exit_group syscall.
            status, got = server.get(f"/v1/position/syscall?number={EXIT_GROUP}&after=0")
            self.assertEqual((status, got["step"]), (200, trace["end"] - 1))
            status, status_doc = server.get("/v1/status")
            self.assertEqual(status, 200)
            self.assertGreater(status_doc["checkpoints"]["inMemory"], 2)
            self.assertGreaterEqual(status_doc["queries"]["state"], 8)
            self.assertGreaterEqual(status_doc["queries"]["proof"], 5)
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)

    def test_goroutines_with_a_small_budget_thins_checkpoints_and_stays_exact(self):
        state = self.load("goroutines")
        server = Server(state, "--interval", "1000000", "--memory-budget", "8MiB")
        try:
            status, doc = server.get("/v1/status")
            self.assertEqual(status, 200)
            self.assertGreater(doc["checkpoints"]["interval"], 1000000)  # the budget doubled it
            self.assertLessEqual(doc["checkpoints"]["bytes"], 8 << 20)
            self.check_exact(server, state, hashes=5, proofs=3)
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)

    def test_claim_with_host_records_preimages_and_positions_are_exact(self):
        state = self.load("claim")
        server = Server(state, "--interval", "200000", host=self.host())
        try:
            # Every query below replays without the host, which `serve` closed after the first pass.
            self.check_exact(server, state, hashes=5, proofs=3, host=self.host())
            status, trace = server.get("/v1/trace")
            self.assertGreater(trace["preimageReads"], 1)
            # The first pre-image read is where `run --stop-at-preimage-type any` stops.
            r = cb("run", "--input", state, "--output", "", "--meta", "", "--info-at", "never", "--engine", "jit",
                   "--stop-at-preimage-type", "any", "--", *self.host())
            first = int(re.search(r"Stopping at preimage read.*step=(\d+)", r.stderr).group(1))
            status, got = server.get("/v1/position/preimage?k=1")
            self.assertEqual((status, got["step"]), (200, first))
            # Every k-th read is a step whose proof carries the oracle fields.
            for k in sorted({2, trace["preimageReads"], self.rng.randrange(1, trace["preimageReads"] + 1)}):
                status, got = server.get(f"/v1/position/preimage?k={k}")
                self.assertEqual(status, 200, got)
                status, proof = server.get(f"/v1/proof?step={got['step']}")
                self.assertIn("oracle-key", proof, f"read {k} at step {got['step']}")
            # The first step at main.main's entry is where the thread's pc is that address.
            with open(self.path("claim.meta.json")) as f:
                symbols = json.load(f)["symbols"]
            main_pc = next(s["start"] for s in symbols if s["name"] == "main.main")
            status, got = server.get(f"/v1/position/pc?pc={hex(main_pc)}&after=0")
            self.assertEqual(status, 200, got)
            stop = cb("run", "--input", state, "--output", "", "--meta", self.path("claim.meta.json"),
                      "--info-at", "never", "--engine", "jit", "--stop-at", f"={got['step']}", "--debug",
                      "--", *self.host())
            self.assertIn(f"pc {hex(main_pc)} (main.main)", stop.stderr)
            stop = cb("run", "--input", state, "--output", "", "--meta", self.path("claim.meta.json"),
                      "--info-at", "never", "--engine", "jit", "--stop-at", f"={got['step'] - 1}", "--debug",
                      "--", *self.host())
            self.assertNotIn(f"pc {hex(main_pc)} (main.main)", stop.stderr)
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)

    def test_bad_queries_get_4xx_with_a_message_and_the_server_keeps_serving(self):
        state = self.load("hello")
        server = Server(state, "--interval", "100000")
        try:
            status, trace = server.get("/v1/trace")
            end = trace["end"]
            cases = [
                (f"/v1/state?step={end + 1}", 404, "past the end"),
                (f"/v1/proof?step={end}", 404, "no step to prove"),
                ("/v1/state?step=abc", 400, "must be an integer"),
                ("/v1/state?step=-1", 400, "must be an integer"),
                ("/v1/state?step=18446744073709551616", 400, "below 2^64"),
                ("/v1/state?step=" + "9" * 5000, 400, "must be an integer"),
                ("/v1/state?step=0x", 400, "must be an integer"),
                ("/v1/state", 400, "missing parameter 'step'"),
                ("/v1/state?step=1&step=2", 400, "more than once"),
                ("/v1/state?stp=1", 400, "unknown parameter 'stp'"),
                ("/v1/nothing", 404, "no such endpoint"),
                ("/v1/position/preimage?k=1", 404, "between 1 and 0"),
                ("/v1/position/syscall?number=4242&after=0", 404, "no step executes that syscall"),
                (f"/v1/position/pc?pc=0x1&after={end - 5}&limit=3", 404, "no step executes that pc"),
            ]
            for path, want_status, needle in cases:
                status, body = server.get(path)
                self.assertEqual(status, want_status, f"{path}: {body}")
                self.assertIn(needle, body["error"], path)
            for data, needle in [(b"{not json", "malformed JSON"), (b'{"steps": 5}', "expected a JSON object"),
                                 (b'{"steps": [-1]}', "non-negative"), (b'{"steps": [1.5]}', "non-negative")]:
                status, body = server.request("/v1/states", data=data, method="POST")
                self.assertEqual(status, 400, data)
                self.assertIn(needle, body["error"])
            status, body = server.request("/v1/state?step=1", data=b"x", method="POST")
            self.assertEqual(status, 404)
            status, body = server.request("/v1/states", data=json.dumps({"steps": [0, 5, end]}).encode(), method="POST")
            self.assertEqual(status, 200)
            self.assertEqual([s["step"] for s in body["states"]], [0, 5, end])
            self.assertEqual(body["states"][1], server.get("/v1/state?step=5")[1])
            status, doc = server.get("/v1/status")
            self.assertEqual(status, 200)
            self.assertGreaterEqual(doc["queries"]["errors"], len(cases))
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)

    def test_parallel_queries_agree_with_sequential_ones(self):
        state = self.load("hello")
        server = Server(state, "--interval", "30000", "--threads", "4")
        try:
            end = server.get("/v1/trace")[1]["end"]
            steps = [self.rng.randrange(0, end) for _ in range(24)]
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                states = list(pool.map(lambda s: server.get(f"/v1/state?step={s}"), steps))
                proofs = list(pool.map(lambda s: server.get(f"/v1/proof?step={s}", raw=True), steps[:8]))
            for step, (status, got) in zip(steps, states):
                self.assertEqual((status, got), server.get(f"/v1/state?step={step}"))
            for step, (status, got) in zip(steps, proofs):
                self.assertEqual((status, got), server.get(f"/v1/proof?step={step}", raw=True))
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)

    def test_snapshot_dir_spills_checkpoints_and_a_restart_reuses_them(self):
        state = self.load("alloc")
        snaps = self.path("snaps")
        server = Server(state, "--interval", "4000000", "--memory-budget", "1MiB", "--snapshot-dir", snaps,
                        "--max-steps", "40000000")
        try:
            doc = server.get("/v1/status")[1]
            self.assertGreater(doc["checkpoints"]["onDisk"], 0)
            files = sorted(os.listdir(snaps))
            self.assertTrue(files)
            self.check_exact(server, state, hashes=4, proofs=2)
            status, body = server.get("/v1/state?step=40000001")
            self.assertEqual(status, 404)
            self.assertIn("--max-steps", body["error"])
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)
        mtimes = {f: os.stat(os.path.join(snaps, f)).st_mtime_ns for f in files}
        server = Server(state, "--interval", "4000000", "--memory-budget", "1MiB", "--snapshot-dir", snaps,
                        "--max-steps", "40000000")
        try:
            self.check_exact(server, state, hashes=3, proofs=1)
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)
        for f, mtime in mtimes.items():  # reused, not rewritten
            self.assertEqual(os.stat(os.path.join(snaps, f)).st_mtime_ns, mtime, f)

    def test_bisection_client_finishes_a_game_both_ways(self):
        state = self.load("hello")
        server = Server(state, "--interval", "50000")
        try:
            r = subprocess.run([sys.executable, BISECT, "--input", state, "--server", server.url, "--cannonball",
                                CANNONBALL, "--seed", str(SEED)], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("both ways gave identical hashes and an identical proof", r.stdout)
            self.assertRegex(r.stdout, r"server: 73 moves, 43 queries")
        finally:
            code, log = server.stop()
        self.assertEqual(code, 0, log)

    def test_bad_flags_exit_1_with_an_error(self):
        state = self.load("hello")
        for flags, needle in [(["--listen", "nope"], "invalid --listen"),
                              (["--memory-budget", "lots"], "invalid --memory-budget"),
                              (["--interval", "0"], "--interval must be at least 1"),
                              (["--preimage-dir", self.dir, "--", "true"], "either a host command or --preimage-dir"),
                              (["--host-timeout", "nan", "--", "true"], "--host-timeout"),
                              (["--host-timeout", "-1", "--", "true"], "--host-timeout"),
                              (["--host-timeout", "1e300", "--", "true"], "--host-timeout")]:
            r = cb("serve", "--input", state, *flags, check=False)
            self.assertEqual(r.returncode, 1, flags)
            self.assertIn(needle, r.stderr)
        r = cb("serve", "--input", self.path("missing.bin.gz"), "--listen", "127.0.0.1:0", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("error: failed to load state", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
