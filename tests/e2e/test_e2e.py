#!/usr/bin/env python3
"""End-to-end tests of `cannonball run` as a user runs it (load-elf -> run -> proofs/snapshots).

Environment: CANNONBALL (binary), GUESTS (tests/guests build dir), ENGINE (interp or jit).
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
# The same CLI plus test-only engines (tests/support), for `--engine test-corrupt`.
CANNONBALL_TEST_ENGINES = os.environ.get("CANNONBALL_TEST_ENGINES", "build/tests/cannonball_test_engines")
GUESTS = os.environ.get("GUESTS", "build/guests")
ENGINE = os.environ.get("ENGINE", "interp")


def cb(*args, check=True, **kw):
    return subprocess.run([CANNONBALL, *args], capture_output=True, text=True, check=check, **kw)


def witness(path):
    return json.loads(cb("witness", "--input", path).stdout)


class E2E(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def load(self, guest):
        state = self.path(guest + ".bin.gz")
        cb("load-elf", "--type", "multithreaded64-5", "--path", os.path.join(GUESTS, guest + ".elf"), "--out", state,
           "--meta", self.path(guest + ".meta.json"))
        return state

    def run_vm(self, *args, check=True):
        return cb("run", "--info-at", "never", "--meta", "", "--engine", ENGINE, *args, check=check)

    def host(self, *flags, data="claim-data"):
        return ["--", os.path.join(GUESTS, "host"), "--quiet", "--dir", os.path.join(GUESTS, data), *flags]

    def test_proofs_chain_with_stop_at_state_hashes(self):
        state = self.load("hello")
        steps = [0, 1, 777, 20_000, 150_001]
        fmt = self.path("proof-%d.json")
        self.run_vm("--input", state, "--output", "", "--proof-at", ",".join(f"={s}" for s in steps),
                    "--proof-fmt", fmt, "--stop-at", f"={steps[-1] + 1}", "--guest-stdout", os.devnull)
        for s in steps:
            with open(fmt % s) as f:
                proof = json.load(f)
            self.assertEqual(proof["step"], s)
            self.assertEqual(len(proof["proof-data"]), 2 + 2 * 6090)
            self.assertEqual(len(proof["state-data"]), 2 + 2 * 188)
            pre = self.path(f"pre-{s}.bin")
            post = self.path(f"post-{s}.bin")
            self.run_vm("--input", state, "--output", pre, "--stop-at", f"={s}", "--guest-stdout", os.devnull)
            self.run_vm("--input", state, "--output", post, "--stop-at", f"={s + 1}", "--guest-stdout", os.devnull)
            self.assertEqual(proof["pre"], witness(pre)["witnessHash"], f"pre hash at step {s}")
            self.assertEqual(proof["post"], witness(post)["witnessHash"], f"post hash at step {s}")
            self.assertEqual(proof["state-data"], witness(pre)["witness"])

    def test_snapshot_and_resume_equals_straight_run(self):
        state = self.load("goroutines")
        straight = self.path("straight.bin")
        self.run_vm("--input", state, "--output", straight, "--guest-stdout", os.devnull)
        snap_fmt = self.path("snap-%d.bin.gz")
        self.run_vm("--input", state, "--output", "", "--snapshot-at", "=3000000", "--snapshot-fmt", snap_fmt,
                    "--stop-at", "=3000001", "--guest-stdout", os.devnull)
        resumed = self.path("resumed.bin")
        self.run_vm("--input", snap_fmt % 3000000, "--output", resumed, "--guest-stdout", os.devnull)
        with open(straight, "rb") as a, open(resumed, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertTrue(witness(resumed)["exited"])

    def test_proof_at_preimage_read_carries_oracle_fields(self):
        state = self.load("claim")
        stopped = self.path("stopped.bin")
        self.run_vm("--input", state, "--output", stopped, "--stop-at-preimage-type", "keccak",
                    "--guest-stderr", os.devnull, *self.host())
        read_step = witness(stopped)["step"] - 1
        fmt = self.path("p-%d.json")
        self.run_vm("--input", state, "--output", "", "--proof-at", f"={read_step}", "--proof-fmt", fmt,
                    "--stop-at", f"={read_step + 1}", "--guest-stderr", os.devnull, *self.host())
        with open(fmt % read_step) as f:
            proof = json.load(f)
        self.assertEqual(list(proof.keys()),
                         ["step", "pre", "post", "state-data", "proof-data", "oracle-key", "oracle-value"])
        self.assertTrue(proof["oracle-key"].startswith("0x02"))
        length = int(proof["oracle-value"][2:18], 16)
        self.assertEqual(len(proof["oracle-value"]), 2 + 2 * (8 + length))

    def test_claim_from_preimage_directory_matches_host(self):
        state = self.load("claim")
        via_host, via_dir = self.path("host.bin"), self.path("dir.bin")
        self.run_vm("--input", state, "--output", via_host, "--guest-stderr", os.devnull, "--guest-stdout", os.devnull,
                    *self.host())
        self.run_vm("--input", state, "--output", via_dir, "--guest-stderr", os.devnull, "--guest-stdout", os.devnull,
                    "--preimage-dir", os.path.join(GUESTS, "claim-data"))
        self.assertEqual(witness(via_host), witness(via_dir))
        self.assertEqual(witness(via_host)["exitCode"], 0)

    def check_host_failure(self, *flags):
        state = self.load("claim")
        out = self.path("out.bin")
        r = self.run_vm("--input", state, "--output", out, "--host-timeout", "2", "--guest-stderr", os.devnull,
                        *self.host(*flags), check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("error: pre-image host", r.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".tmp")], [])
        return r.stderr

    def test_host_that_exits_is_an_error(self):
        self.assertIn("exited", self.check_host_failure("--die-after", "1"))

    def test_host_that_sends_a_short_value_is_an_error(self):
        self.assertIn("closed the pipe", self.check_host_failure("--short"))

    def test_host_that_sends_garbage_is_an_error(self):
        self.check_host_failure("--garbage")

    def test_host_that_never_answers_times_out(self):
        self.assertIn("no answer within", self.check_host_failure("--hang"))

    def test_missing_host_program_is_an_error(self):
        state = self.load("hello")
        r = self.run_vm("--input", state, "--output", self.path("o.bin"), "--", self.path("no-such-host"), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot start the pre-image host", r.stderr)

    def test_preimage_read_without_oracle_is_a_vm_exception(self):
        state = self.load("claim")
        out = self.path("o.bin")
        r = self.run_vm("--input", state, "--output", out, "--guest-stderr", os.devnull, check=False)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("VM exception", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_interrupt_exits_130_without_output(self):
        state = self.load("compute")
        out = self.path("o.bin")
        p = subprocess.Popen([CANNONBALL, "run", "--input", state, "--output", out, "--meta", "", "--info-at", "never",
                              "--engine", ENGINE, "--guest-stdout", os.devnull],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        if p.returncode == 0:
            self.skipTest("the guest finished before the interrupt")
        self.assertEqual(p.returncode, 130, err)
        self.assertFalse(os.path.exists(out))

    def test_cross_check_passes_and_names_the_first_divergent_step(self):
        state = self.load("hello")
        ok = self.run_vm("--input", state, "--output", self.path("ok.bin"), "--cross-check", "%100000",
                         "--guest-stdout", os.devnull)
        self.assertIn("cross-check passed", ok.stderr)
        bad_out = self.path("bad.bin")
        bad = subprocess.run([CANNONBALL_TEST_ENGINES, "run", "--input", state, "--output", bad_out, "--meta", "", "--info-at",
                              "never", "--engine", "test-corrupt", "--cross-check", "%100000", "--guest-stdout",
                              os.devnull], capture_output=True, text=True,
                             env={**os.environ, "CANNONBALL_TEST_CORRUPT_STEP": "234567"})
        self.assertEqual(bad.returncode, 1, bad.stderr)
        self.assertIn("diverge at step 234566 (segment 200000..300000", bad.stderr)
        self.assertFalse(os.path.exists(bad_out))

    def test_lockstep_command_agrees_on_a_guest(self):
        state = self.load("hello")
        r = cb("lockstep", "--input", state, "--stop-at", "=200000")
        self.assertRegex(r.stdout, r"lockstep: 200000 steps agree \(\d+ run by translated code")
        done = cb("lockstep", "--input", state)
        self.assertIn("steps agree", done.stdout)

    def test_already_exited_state_writes_no_proof(self):
        state = self.load("hello")
        done = self.path("done.bin")
        self.run_vm("--input", state, "--output", done, "--guest-stdout", os.devnull)
        again = self.path("again.bin")
        self.run_vm("--input", done, "--output", again, "--proof-at", "always", "--proof-fmt", self.path("x-%d.json"))
        with open(done, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertFalse(any(f.startswith("x-") for f in os.listdir(self.dir)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
