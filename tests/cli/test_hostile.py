#!/usr/bin/env python3
"""Hostile input and faults at the command line: failed writes, crafted ELFs, bad flags, signals.

Each case states what cannonball must do (README "Failure catalogue"): an `error:` line and exit
1 with nothing left behind, or exit 130 after SIGINT/SIGTERM. CANNONBALL names the binary.
"""

import os
import signal
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import CliTestCase, build_elf, exit_program  # noqa: E402

CANNONBALL = os.environ.get("CANNONBALL", "")


def has_dev_full():
    try:
        with open("/dev/full", "wb") as f:
            f.write(b"x")
            f.flush()
    except OSError:
        return True
    return False


class FailedWritesTest(CliTestCase):
    def setUp(self):
        super().setUp()
        if not has_dev_full():
            self.skipTest("/dev/full is not available")

    def run_to_full(self, *args):
        with open("/dev/full", "wb") as full:
            return subprocess.run([CANNONBALL, *args], cwd=self.dir, stdout=full, stderr=subprocess.PIPE, timeout=60)

    def test_witness_to_a_full_stdout_fails(self):
        state = self.load()
        result = self.run_to_full("witness", "--input", state)
        self.assert_fails(result)
        self.assertIn(b"cannot write the witness to stdout", result.stderr)

    def test_proof_to_a_full_stdout_fails_and_leaves_no_final_state(self):
        state = self.load()
        result = self.run_to_full("run", "--input", state, "--output", self.path("out.bin"), "--meta", "",
                                  "--proof-at", "=3", "--proof-fmt", "-")
        self.assert_fails(result)
        self.assertIn(b"to stdout", result.stderr)
        self.assertFalse(os.path.exists(self.path("out.bin")))

    def test_meta_to_a_full_stdout_fails_and_leaves_no_state(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        result = self.run_to_full("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                  "--out", self.path("s.bin"), "--meta", "-")
        self.assert_fails(result)
        self.assertIn(b"stdout", result.stderr)
        self.assertEqual(self.entries(), ["prog.elf"])


class LoadElfOutputsTest(CliTestCase):
    def test_unwritable_out_leaves_no_meta(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        result = self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                 "--out", self.path("missing-dir/s.bin"), "--meta", self.path("meta.json"))
        self.assert_fails(result)
        self.assertEqual(self.entries(), ["prog.elf"])

    def test_unwritable_meta_leaves_no_state(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        result = self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                 "--out", self.path("s.bin.gz"), "--meta", self.path("missing-dir/meta.json"))
        self.assert_fails(result)
        self.assertEqual(self.entries(), ["prog.elf"])

    def test_existing_outputs_survive_a_failure(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        self.write("s.bin", b"old state")
        result = self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                 "--out", self.path("s.bin"), "--meta", self.path("missing-dir/meta.json"))
        self.assert_fails(result)
        with open(self.path("s.bin"), "rb") as f:
            self.assertEqual(f.read(), b"old state")
        self.assertEqual(self.entries(), ["prog.elf", "s.bin"])


class CraftedElfTest(CliTestCase):
    def load_elf(self, elf):
        path = self.write("bad.elf", elf)
        return self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", path,
                               "--out", self.path("s.bin"), "--meta", self.path("m.json"))

    def test_zero_program_header_entry_size_with_many_headers(self):
        elf = bytearray(build_elf(exit_program()))
        struct.pack_into(">HH", elf, 54, 0, 0xFFFF)  # e_phentsize 0, e_phnum 65535
        start = time.monotonic()
        result = self.load_elf(bytes(elf))
        self.assert_fails(result)
        self.assertIn(b"program header entry size 0", result.stderr)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(self.entries(), ["bad.elf"])

    def test_memory_size_up_to_the_heap_is_over_the_limit(self):
        elf = bytearray(build_elf(exit_program()))
        struct.pack_into(">Q", elf, 64 + 40, 0x1000_0000_0000 - 0x20000)  # p_memsz of the one PT_LOAD
        result = self.load_elf(bytes(elf))
        self.assert_fails(result)
        self.assertIn(b"limit of 1024 MiB", result.stderr)
        self.assertNotIn(b"bad_alloc", result.stderr)
        self.assertEqual(self.entries(), ["bad.elf"])


    def test_bad_section_headers_fail_before_the_segments_are_loaded(self):
        # Found by fuzz_elf: 656 MiB of zero fill (within the 1 GiB limit) was loaded, 1.4 GB
        # resident, before the section headers outside the file were noticed.
        elf = bytearray(build_elf(exit_program()))
        struct.pack_into(">Q", elf, 64 + 40, 0x2900_0000)  # p_memsz of the one PT_LOAD
        struct.pack_into(">Q", elf, 40, len(elf) + 0x1000)  # e_shoff past the end of the file
        path = self.write("bad.elf", bytes(elf))
        proc = subprocess.Popen([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", path, "--out",
                                 self.path("s.bin"), "--meta", self.path("m.json")], cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = proc.stderr.read()
        proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn(b"section header", err)
        self.assertLess(usage.ru_maxrss, 200 * 1024, "peak RSS in KiB")
        self.assertEqual(self.entries(), ["bad.elf"])


def wait_for_sigint_handler(pid, timeout=60):
    """Returns once process `pid` catches SIGINT (its SigCgt mask in /proc); fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/status") as f:
            caught = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
        if caught & (1 << (signal.SIGINT - 1)):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} installed no SIGINT handler within {timeout} s")


class LockstepFlagsTest(CliTestCase):
    def test_zero_root_every_and_block_budget_are_errors(self):
        state = self.load()
        for flag in ("--root-every", "--block-budget"):
            result = self.cannonball("lockstep", "--input", state, flag, "0")
            self.assert_fails(result)
            self.assertIn(flag.encode() + b" must be at least 1", result.stderr)

    def test_sigint_ends_lockstep_with_130(self):
        # An endless loop: `b .` (beq zero, zero, -1) with a nop in its delay slot.
        state = self.load([0x1000FFFF, 0])
        proc = subprocess.Popen([CANNONBALL, "lockstep", "--input", state], cwd=self.dir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for_sigint_handler(proc.pid)  # a loaded machine can take seconds to get there
        time.sleep(0.2)
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - start, 1.0)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(out, b"")


class MissingOutputDirectoryTest(CliTestCase):
    def test_an_output_in_a_missing_directory_fails_before_the_first_step(self):
        # An endless loop (`b .`): without the check, each run would only end at its timeout.
        state = self.load([0x1000FFFF, 0])
        cases = (
            ("--output", "none/out.bin.gz"),
            ("--output", "", "--proof-at", "=5", "--proof-fmt", "none/p-%d.json"),
            ("--output", "", "--snapshot-at", "=5", "--snapshot-fmt", "none/s-%d.bin.gz"),
            ("--output", "", "--debug-info", "none/d.json"),
            ("--output", "", "--audit-report", "none/a.txt"),
            ("--output", "", "--timeline", "none/t.svg"),
            ("--output", "", "--guest-stdout", "none/out.txt"),
        )
        for args in cases:
            with self.subTest(flag=args[-2]):
                result = self.run_vm("--input", state, *args)
                self.assert_fails(result)
                self.assertIn(b"none does not exist", result.stderr)
                self.assertEqual(self.entries(), ["prog.elf", "state.bin"])

    def test_a_directory_named_by_the_step_is_left_to_the_write(self):
        state = self.load()
        os.mkdir(self.path("p-3"))
        result = self.run_vm("--input", state, "--output", "", "--proof-at", "=3", "--proof-fmt", "p-%d/proof.json")
        self.assert_ok(result)
        self.assertTrue(os.path.exists(self.path("p-3/proof.json")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
