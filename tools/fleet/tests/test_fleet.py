"""Tests of tools/fleet against a real local Ray cluster: a head node and a second node joined
with --address (one CPU each, so two worker processes), all on loopback, started here and
stopped at the end. The commands run as a user runs them (tools/fleet/fleet --address ...).

Environment: CANNONBALL (the binary), GUESTS (the built guest corpus, build/guests).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FLEET_DIR = os.path.dirname(HERE)
sys.path.insert(0, FLEET_DIR)

from cbfleet import cluster  # noqa: E402

REPO = os.path.dirname(os.path.dirname(FLEET_DIR))
CANNONBALL = os.environ.get("CANNONBALL", os.path.join(REPO, "build", "tools", "cannonball"))
# The same CLI plus test-only engines (tests/support), for `--fast-engine test-corrupt`.
CANNONBALL_TEST_ENGINES = os.environ.get("CANNONBALL_TEST_ENGINES",
                                         os.path.join(REPO, "build", "tests", "cannonball_test_engines"))
GUESTS = os.environ.get("GUESTS", os.path.join(REPO, "build", "guests"))
FLEET = os.path.join(FLEET_DIR, "fleet")


def cb(*argv, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([CANNONBALL, *argv], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise AssertionError("cannonball %s failed: %s" % (" ".join(argv), proc.stderr[-2000:]))
    return proc


def hash_at(state: str, step: int | None, engine: str = "jit", env=None) -> dict:
    """Independent reference: one plain `cannonball run` to the step, then `witness`."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.bin")
        argv = ["run", "--input", state, "--output", out, "--meta", "", "--info-at", "never", "--engine", engine]
        if step is not None:
            argv += ["--stop-at", "=%d" % step]
        cb(*argv, env=env)
        return json.loads(cb("witness", "--input", out).stdout)


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


def proc_children(pid: int) -> list[int]:
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in proc_children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class FleetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fleet-test-")
        cls.small = os.path.join(cls.tmp, "compute-small.bin.gz")
        cls.big = os.path.join(cls.tmp, "compute.bin.gz")
        cls.hello = os.path.join(cls.tmp, "hello.bin.gz")
        for elf, out in (("compute-small", cls.small), ("compute", cls.big), ("hello", cls.hello)):
            cb("load-elf", "--type", "multithreaded64-5", "--path", os.path.join(GUESTS, elf + ".elf"), "--out", out,
               "--meta", os.path.join(cls.tmp, elf + "-meta.json"))
        cls.small_final = hash_at(cls.small, None)
        # A home of its own, as on a fresh machine: no Ray token saved from an earlier run (with
        # token authentication on, `ray start --head` needs one that LocalCluster must make).
        cls.home = os.environ.get("HOME")
        os.environ["HOME"] = os.path.join(cls.tmp, "home")
        os.makedirs(os.environ["HOME"])
        cls.cluster = cluster.LocalCluster(nodes=2, cpus_per_node=1, object_store_mb=100)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        if cls.home is not None:
            os.environ["HOME"] = cls.home
        shutil.rmtree(cls.tmp, ignore_errors=True)
        shutil.rmtree(cls.cluster.temp_dir, ignore_errors=True)

    def setUp(self):
        self.began = time.monotonic()

    def tearDown(self):
        sys.stderr.write("[%.1f s] " % (time.monotonic() - self.began))

    def fleet(self, *argv, env=None, address=True, expect=0, cannonball=CANNONBALL) -> dict:
        full = [FLEET, *argv, "--json", "--cannonball", cannonball]
        if address:
            full += ["--address", self.cluster.address]
        proc = subprocess.run(full, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
        self.assertEqual(proc.returncode, expect, "fleet %s: %s" % (" ".join(argv), proc.stderr[-3000:]))
        self.last_stderr = proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def workdir(self, name: str) -> str:
        return os.path.join(self.tmp, name)

    # ---- verify ----

    def test_verify_ok_object_store(self):
        interval = 8_000_000
        s = self.fleet("verify", "--input", self.small, "--interval", str(interval), "--workdir", self.workdir("ok"))
        self.assertEqual(s["verdict"], "ok")
        total = self.small_final["step"]
        self.assertEqual(len(s["segments"]), (total + interval - 1) // interval)
        self.assertEqual(s["final"]["hash"], self.small_final["witnessHash"])
        # Each re-executed segment end is the interpreter's own hash at that step.
        seg = s["segments"][1]
        self.assertEqual(seg["canonical_end"], hash_at(self.small, seg["end"], engine="interp")["witnessHash"])
        self.assertEqual({r["status"] for r in s["segments"]}, {"ok"})
        # Both nodes of the cluster took part.
        self.assertEqual(len({r["node"] for r in s["segments"]}), 2)

    def test_verify_shared_directory(self):
        s = self.fleet("verify", "--input", self.small, "--interval", "10000000", "--data", "shared",
                       "--workdir", self.workdir("shared"))
        self.assertEqual(s["verdict"], "ok")
        self.assertEqual(s["data"], "shared")

    def test_verify_finds_engine_divergence(self):
        # The test engine moves the heap pointer when the step counter reaches X, so the first
        # state that differs from the interpreter's is the one at step X, in segment X // K.
        interval, bad = 8_000_000, 2 * 8_000_000 + 123_457
        s = self.fleet("verify", "--input", self.small, "--interval", str(interval), "--fast-engine", "test-corrupt",
                       "--workdir", self.workdir("corrupt-engine"),
                       env={"CANNONBALL_TEST_CORRUPT_STEP": str(bad)}, expect=2, cannonball=CANNONBALL_TEST_ENGINES)
        self.assertEqual(s["verdict"], "diverged")
        self.assertEqual(s["bad_segments"], [2])
        self.assertEqual(s["first_bad_segment"], 2)
        self.assertEqual(s["first_bad_step"], bad)
        self.assertEqual(s["bisect"]["last_good_step"], bad - 1)
        self.assertEqual(s["bisect"]["good_hash"], hash_at(self.small, bad - 1, engine="interp")["witnessHash"])

    def test_verify_finds_corrupt_checkpoint(self):
        wd = self.workdir("corrupt-cp")
        s = self.fleet("verify", "--input", self.small, "--interval", "8000000", "--workdir", wd)
        self.assertEqual(s["verdict"], "ok")
        # Replace checkpoint 2's snapshot by checkpoint 3's: its claimed hash no longer matches.
        cps = read_json(os.path.join(wd, "manifest.json"))["checkpoints"]
        shutil.copyfile(cps[2]["path"], cps[2]["path"] + ".orig")
        shutil.copyfile(cps[3]["path"], cps[2]["path"])
        s = self.fleet("verify", "--checkpoints", wd, "--workdir", wd, expect=2)
        self.assertEqual(s["verdict"], "diverged")
        self.assertEqual(s["bad_segments"], [2])
        self.assertIn("corrupt", s["bisect"]["note"])
        # A wrong claimed hash (the manifest) is caught by the segment that should reach it.
        manifest = read_json(os.path.join(wd, "manifest.json"))
        os.replace(cps[2]["path"] + ".orig", cps[2]["path"])
        manifest["checkpoints"][1]["hash"] = "0x" + "00" * 32
        with open(os.path.join(wd, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        s = self.fleet("verify", "--checkpoints", wd, "--workdir", wd, expect=2)
        self.assertEqual(s["bad_segments"][0], 0)
        self.assertFalse(s["bisect"]["reproduced"])
        self.assertIsNone(s["first_bad_step"])

    def test_verify_bad_input(self):
        bad = os.path.join(self.tmp, "garbage.bin.gz")
        with open(bad, "wb") as f:
            f.write(b"not a state")
        full = [FLEET, "verify", "--input", bad, "--address", self.cluster.address, "--cannonball", CANNONBALL]
        proc = subprocess.run(full, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("error:", proc.stderr)

    # ---- positions ----

    def test_positions(self):
        steps = [0, 5_000_001, 17_000_000, 31_000_000, 40_000_000]
        s = self.fleet("positions", "--input", self.small, "--interval", "8000000", "--steps",
                       ",".join(map(str, steps)), "--workdir", self.workdir("pos"), "--proofs",
                       "--ship-binary")  # the workers run a copy sent through the object store
        rows = {r["step"]: r for r in s["positions"]}
        self.assertEqual(sorted(rows), steps)
        for step in (5_000_001, 17_000_000):
            self.assertEqual(rows[step]["hash"], hash_at(self.small, step, engine="interp")["witnessHash"])
            self.assertEqual(rows[step]["from_checkpoint"], step // 8_000_000 * 8_000_000)
        # Past the end: the final (exited) state.
        self.assertEqual(rows[40_000_000]["hash"], self.small_final["witnessHash"])
        self.assertTrue(rows[40_000_000]["exited"])
        proof = read_json(rows[17_000_000]["proof"])
        self.assertEqual(proof["step"], 17_000_000)

    def test_killed_worker_is_retried_with_identical_result(self):
        # One long task (2*10^8 interpreter steps from the input); its worker is killed
        # once it is running the VM, Ray runs the task again, the hash is the true one.
        step = 200_000_000
        killed = []

        def killer():
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and not killed:
                for root in self.cluster.pids():
                    for pid in descendants(root):
                        if cmdline(pid).startswith("ray::position_task") and any(
                                "cannonball run" in cmdline(c) or CANNONBALL in cmdline(c) for c in proc_children(pid)):
                            time.sleep(0.5)
                            try:
                                os.kill(pid, signal.SIGKILL)
                                killed.append(pid)
                            except ProcessLookupError:
                                pass
                            return
                time.sleep(0.05)

        t = threading.Thread(target=killer)
        t.start()
        s = self.fleet("positions", "--input", self.big, "--interval", "2000000000", "--steps", str(step),
                       "--workdir", self.workdir("kill"))
        t.join()
        self.assertTrue(killed, "no worker running the task was found to kill")
        self.assertIn("will be retried", self.last_stderr)  # Ray's own word that it ran the task again
        row = s["positions"][0]
        self.assertIsNone(row["error"])
        self.assertEqual(row["hash"], hash_at(self.big, step, engine="jit")["witnessHash"])

    # ---- sweep ----

    def test_sweep(self):
        garbage = os.path.join(self.tmp, "bad-state.bin.gz")
        with open(garbage, "wb") as f:
            f.write(b"\x1f\x8b not really gzip")
        report = self.workdir("sweep-report")
        s = self.fleet("sweep", "--prestate", self.small, self.hello, garbage, "--engines", "interp,jit",
                       "--report", report, "--workdir", self.workdir("sweep"), expect=1)
        rows = {(r["case"].split("/")[-1], r["engine"]): r for r in s["rows"]}
        self.assertEqual(len(rows), 6)
        for engine in ("interp", "jit"):
            r = rows[("compute-small.bin.gz", engine)]
            self.assertEqual(r["steps"], self.small_final["step"])
            self.assertEqual(r["hash"], self.small_final["witnessHash"])
            self.assertTrue(r["engines_agree"])
            self.assertEqual(r["hazards"], [])
            self.assertGreater(r["guest_memory_mib"], 0)
            self.assertIsNone(r["error"])
            self.assertIn("error", rows[("bad-state.bin.gz", engine)]["error"] + "error")
            self.assertIsNotNone(rows[("bad-state.bin.gz", engine)]["error"])
        self.assertEqual(s["failed"], 2)
        for name in ("report.md", "report.json", "throughput.png", "wall.png"):
            self.assertTrue(os.path.getsize(os.path.join(report, name)) > 0, name)
        with open(os.path.join(report, "report.md")) as f:
            self.assertIn("compute-small.bin.gz", f.read())

    def test_sweep_capture_cases_local_cluster(self):
        # Capture directories with case.json (the layout of op-program captures): the claim guest
        # with a good and a bad claim, its pre-images served by the corpus's host, on a cluster
        # the command starts and stops itself.
        cases = []
        for name, data, expected in (("claim-good", "claim-data", 0), ("claim-bad", "claim-data-bad", 1)):
            case = os.path.join(self.tmp, name)
            os.makedirs(case, exist_ok=True)
            cb("load-elf", "--type", "multithreaded64-5", "--path", os.path.join(GUESTS, "claim.elf"), "--out",
               os.path.join(case, "prestate.bin.gz"), "--meta", os.path.join(case, "meta.json"))
            shutil.copytree(os.path.join(GUESTS, data), os.path.join(case, "preimages"), dirs_exist_ok=True)
            with open(os.path.join(case, "case.json"), "w") as f:
                json.dump({"prestate": "prestate.bin.gz", "meta": "meta.json", "expected_exit": expected,
                           "l2_block": 1, "size": "tiny",
                           "host_argv": [os.path.join(GUESTS, "host"), "--quiet", "--dir", "preimages"]}, f)
            cases.append(case)
        s = self.fleet("sweep", "--cases", *cases, "--engines", "interp,jit", "--workers", "1", "--workdir",
                       self.workdir("sweep-case"), address=False)
        rows = {(r["case"], r["engine"]): r for r in s["rows"]}
        self.assertEqual(len(rows), 4)
        for (name, engine), row in rows.items():
            self.assertIsNone(row["error"], row)
            self.assertEqual(row["exit_code"], 0 if name == "claim-good" else 1)
            self.assertTrue(row["exit_ok"])
            self.assertTrue(row["engines_agree"])
            self.assertGreater(row["preimage_requests"], 0)
        self.assertEqual(s["failed"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
