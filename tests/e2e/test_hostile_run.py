#!/usr/bin/env python3
"""`cannonball run` under faults: interrupts during waits, bad --host-timeout values, failed writes
of guest output and audit files, bad file patterns. Nothing may be left behind on a failure.

Environment: CANNONBALL (binary), GUESTS (tests/guests build dir), ENGINE (interp or jit).
"""
import os
import signal
import subprocess
import tempfile
import time
import unittest

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
GUESTS = os.environ.get("GUESTS", "build/guests")
ENGINE = os.environ.get("ENGINE", "interp")


def cb(*args, check=True, timeout=300, **kw):
    return subprocess.run([CANNONBALL, *args], capture_output=True, text=True, check=check, timeout=timeout, **kw)


def wait_for_child(pid, timeout=60):
    """Returns once process `pid` has a child process; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                if f.read().split():
                    return
        except FileNotFoundError:
            raise AssertionError(f"process {pid} ended before it started its host")
        time.sleep(0.01)
    raise AssertionError(f"process {pid} started no host within {timeout} s")


class HostileRun(unittest.TestCase):
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
           "--meta", "")
        return state

    def run_args(self, state, *args):
        return [CANNONBALL, "run", "--input", state, "--output", self.path("out.bin.gz"), "--meta", "", "--info-at",
                "never", "--engine", ENGINE, *args]

    def hanging_host(self):
        return ["--", os.path.join(GUESTS, "host"), "--quiet", "--dir", os.path.join(GUESTS, "claim-data"), "--hang"]

    def assert_nothing_written(self, *inputs):
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(os.path.basename(p) for p in inputs))

    def interrupt_during_host_wait(self, *signals, timeout_flag="0"):
        state = self.load("claim")
        proc = subprocess.Popen(self.run_args(state, "--host-timeout", timeout_flag, "--guest-stderr", os.devnull,
                                              *self.hanging_host()),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            # The host is started after the signal handlers are installed: wait for it (a loaded
            # machine can take seconds to get there), then give the guest time to ask its first
            # pre-image (a few ms on an idle machine).
            wait_for_child(proc.pid)
            time.sleep(0.5)
            start = time.monotonic()
            for sig in signals:
                proc.send_signal(sig)
                time.sleep(0.05)
            out, err = proc.communicate(timeout=10)
            elapsed = time.monotonic() - start
        finally:
            if proc.poll() is None:  # still waiting: end it and its host (its own process group)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
        self.assertEqual(proc.returncode, 130, err)
        self.assertLess(elapsed, 1.0, err)
        self.assertEqual(out, "")
        self.assert_nothing_written(state)

    def test_sigint_ends_a_wait_without_limit(self):
        self.interrupt_during_host_wait(signal.SIGINT)

    def test_sigterm_ends_a_wait_with_a_long_limit(self):
        self.interrupt_during_host_wait(signal.SIGTERM, timeout_flag="600")

    def test_a_second_signal_during_cleanup_changes_nothing(self):
        self.interrupt_during_host_wait(signal.SIGINT, signal.SIGTERM, signal.SIGINT)

    def test_host_timeout_must_be_a_sane_number_of_seconds(self):
        state = self.load("hello")
        for bad in ("-1", "-0.5", "nan", "inf", "1e300", "86401"):
            r = cb(*self.run_args(state, "--host-timeout", bad)[1:], check=False)
            self.assertEqual(r.returncode, 1, bad + ": " + r.stderr)
            self.assertIn("error:", r.stderr)
            self.assertIn("--host-timeout", r.stderr)
            self.assert_nothing_written(state)

    def test_failed_guest_output_write_is_an_error(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        # hello writes to stdout; panic's runtime writes its message to stderr.
        for guest, full, other in (("hello", "--guest-stdout", "--guest-stderr"),
                                   ("panic", "--guest-stderr", "--guest-stdout")):
            state = self.load(guest)
            r = cb(*self.run_args(state, full, "/dev/full", other, os.devnull)[1:], check=False)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("error: cannot write the guest's", r.stderr)
            self.assertIn("/dev/full", r.stderr)
            self.assert_nothing_written(state)
            os.remove(state)

    def test_failed_log_write_is_an_error(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        # The progress lines (--info-at) and the guest's output logged as lines both go to stderr.
        state = self.load("hello")
        for info_at in ("%1", "never"):
            args = [a if a != "never" else info_at for a in self.run_args(state)]
            with open("/dev/full", "w") as full:
                r = subprocess.run(args, stdout=subprocess.PIPE, stderr=full, timeout=300)
            self.assertEqual(r.returncode, 1, info_at)
            self.assert_nothing_written(state)

    def test_failed_audit_write_leaves_no_final_state(self):
        state = self.load("hello")
        for flag in ("--debug-info", "--audit-report", "--timeline"):
            r = cb(*self.run_args(state, "--guest-stdout", os.devnull, flag, self.path("missing/x"))[1:], check=False)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("error:", r.stderr)
            self.assert_nothing_written(state)

    def test_bad_proof_pattern_fails_before_running(self):
        state = self.load("tightloop")  # never exits: a late proof step is never reached
        start = time.monotonic()
        r = cb(*self.run_args(state, "--proof-at", "=1000000000000", "--proof-fmt", self.path("p-%99999d.json"))[1:],
               check=False, timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("over the limit of 4096", r.stderr)
        self.assertLess(time.monotonic() - start, 5)
        self.assert_nothing_written(state)


if __name__ == "__main__":
    unittest.main(verbosity=2)
