#!/usr/bin/env python3
"""Tests of the audit lens: each detector fires on the program written to trigger it, the corpus
runs clean, --debug-info carries upstream's fields plus per-thread statistics, and the timeline
renders.

Environment: CANNONBALL, GUESTS (tests/guests build dir), AUDIT (tests/audit build dir), ENGINE.
"""
import json
import os
import re
import subprocess
import tempfile
import unittest

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
GUESTS = os.environ.get("GUESTS", "build/guests")
AUDIT = os.environ.get("AUDIT", "build/audit")
ENGINE = os.environ.get("ENGINE", "interp")

UPSTREAM_DEBUG_FIELDS = ["pages", "memory_used", "num_preimage_requests", "total_preimage_size", "total_steps",
                         "instruction_cache_miss_count", "highest_icache_miss_pc", "rmw_success_count",
                         "rmw_fail_count", "max_steps_between_ll_and_sc", "reservation_invalidation_count",
                         "forced_preemption_count", "idle_step_count_thread_0"]


class Audit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def audit(self, elf, *extra):
        state = os.path.join(self.dir, "state.bin")
        subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                        "--meta", ""], check=True)
        debug = os.path.join(self.dir, "debug.json")
        run = subprocess.run([CANNONBALL, "run", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
                              "--engine", ENGINE, "--guest-stdout", os.devnull, "--guest-stderr", os.devnull,
                              "--debug-info", debug, "--fail-on-hazard", *extra],
                             capture_output=True, text=True)
        with open(debug) as f:
            info = json.load(f)
        return run, info

    def expect_hazard(self, elf, kind, *extra):
        run, info = self.audit(elf, *extra)
        self.assertEqual(run.returncode, 3, run.stderr)
        kinds = [h["kind"] for h in info["hazards"]]
        self.assertIn(kind, kinds)
        self.assertIn(f"kind={kind}", run.stderr)
        return info

    def test_deadlock_is_detected(self):
        info = self.expect_hazard(os.path.join(AUDIT, "deadlock.elf"), "deadlock", "--stop-at", "=2000000")
        hazard = next(h for h in info["hazards"] if h["kind"] == "deadlock")
        self.assertEqual(hazard["threads"], [0, 1])
        self.assertLess(hazard["first_step"], 100)

    def test_starvation_is_detected(self):
        info = self.expect_hazard(os.path.join(AUDIT, "starvation.elf"), "starvation", "--stop-at", "=2000000")
        hazard = next(h for h in info["hazards"] if h["kind"] == "starvation")
        self.assertEqual(hazard["threads"], [1])
        self.assertNotIn("deadlock", [h["kind"] for h in info["hazards"]])

    def test_reservation_ping_pong_is_detected(self):
        info = self.expect_hazard(os.path.join(AUDIT, "pingpong.elf"), "reservation-ping-pong", "--stop-at",
                                  "=10000000")
        hazard = next(h for h in info["hazards"] if h["kind"] == "reservation-ping-pong")
        self.assertEqual(hazard["threads"], [0, 1])
        thread0 = next(t for t in info["threads"] if t["thread_id"] == 0)
        self.assertGreaterEqual(thread0["sc_fail"], 8)
        self.assertEqual(thread0["sc_success"], 0)
        self.assertGreaterEqual(thread0["reservations_lost_to"]["1"], 8)

    def test_yield_livelock_is_no_progress(self):
        self.expect_hazard(os.path.join(AUDIT, "yield_livelock.elf"), "no-progress", "--stop-at", "=3000000",
                           "--hazard-window", "1000000")

    def test_go_livelock_is_no_progress(self):
        info = self.expect_hazard(os.path.join(GUESTS, "livelock.elf"), "no-progress", "--stop-at", "=80000000")
        self.assertEqual([h["kind"] for h in info["hazards"]], ["no-progress"])

    def check_clean(self, guest, *extra):
        run, info = self.audit(os.path.join(GUESTS, guest + ".elf"), *extra)
        self.assertEqual(run.returncode, 0, f"{guest}: {info['hazards']}")
        self.assertEqual(info["hazards"], [])
        self.assertEqual(list(info.keys())[:len(UPSTREAM_DEBUG_FIELDS)], UPSTREAM_DEBUG_FIELDS)
        total = sum(t["steps"] for t in info["threads"])
        self.assertEqual(total, info["total_steps"], "per-thread steps add up to the run's steps")
        return info

    def test_corpus_runs_clean(self):
        for guest in ["hello", "entry", "keccak", "random", "eventfd", "goroutines", "sync", "deadlock", "panic",
                      "alloc", "compute-small", "tightloop", "atomics"]:
            with self.subTest(guest=guest):
                self.check_clean(guest)

    def test_per_thread_statistics_are_consistent(self):
        info = self.check_clean("atomics")
        self.assertGreater(len(info["threads"]), 1)
        self.assertEqual(sum(t["sc_success"] + t["scd_success"] for t in info["threads"]), info["rmw_success_count"])
        self.assertEqual(sum(t["sc_fail"] + t["scd_fail"] for t in info["threads"]), info["rmw_fail_count"])
        self.assertEqual(sum(t["forced_preemptions"] for t in info["threads"]), info["forced_preemption_count"])
        self.assertEqual(max(t["longest_ll_sc_steps"] for t in info["threads"]), info["max_steps_between_ll_and_sc"])
        for t in info["threads"]:
            self.assertLessEqual(t["instructions"], t["steps"])

    def test_timeline_renders_threads_and_marks(self):
        state = os.path.join(self.dir, "s.bin")
        svg = os.path.join(self.dir, "t.svg")
        subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path",
                        os.path.join(GUESTS, "goroutines.elf"), "--out", state, "--meta", ""], check=True)
        subprocess.run([CANNONBALL, "run", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
                        "--engine", ENGINE, "--guest-stdout", os.devnull, "--timeline", svg], check=True,
                       capture_output=True)
        with open(svg) as f:
            text = f.read()
        self.assertTrue(text.startswith("<svg"))
        self.assertTrue(text.rstrip().endswith("</svg>"))
        rows = re.findall(r">thread (\d+)<", text)
        self.assertGreaterEqual(len(rows), 2)
        for css in ["running", "futex-wait", "clone", "forced"]:
            self.assertIn(f'class="{css}"', text)

    def test_timeline_marks_hazards(self):
        state = os.path.join(self.dir, "s.bin")
        svg = os.path.join(self.dir, "t.svg")
        subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path",
                        os.path.join(AUDIT, "deadlock.elf"), "--out", state, "--meta", ""], check=True)
        subprocess.run([CANNONBALL, "run", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
                        "--engine", ENGINE, "--stop-at", "=1000000", "--timeline", svg], check=True,
                       capture_output=True)
        with open(svg) as f:
            text = f.read()
        self.assertIn('class="hazard-range"', text)
        self.assertIn("deadlock", text)

    def test_outputs_equal_the_interpreters(self):
        """The audit lens runs on whatever engine is chosen: its debug info, report and timeline
        must be byte-for-byte the interpreter's."""
        if ENGINE == "interp":
            self.skipTest("compares ENGINE against the interpreter")
        cases = [(GUESTS, "goroutines", []), (GUESTS, "atomics", []), (AUDIT, "pingpong", ["--stop-at", "=3000000"]),
                 (GUESTS, "livelock", ["--stop-at", "=20000000"])]
        for folder, name, extra in cases:
            with self.subTest(program=name):
                state = os.path.join(self.dir, name + ".bin")
                subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path",
                                os.path.join(folder, name + ".elf"), "--out", state, "--meta", ""], check=True)
                outputs = {}
                for engine in ["interp", ENGINE]:
                    files = [os.path.join(self.dir, f"{name}.{engine}.{ext}") for ext in ("json", "txt", "svg")]
                    subprocess.run([CANNONBALL, "run", "--input", state, "--output", "", "--meta", "", "--info-at",
                                    "never", "--engine", engine, "--guest-stdout", os.devnull, "--guest-stderr",
                                    os.devnull, "--debug-info", files[0], "--audit-report", files[1], "--timeline",
                                    files[2], *extra], check=True, capture_output=True)
                    outputs[engine] = [open(f).read() for f in files]
                for kind, a, b in zip(("debug info", "audit report", "timeline"), outputs["interp"], outputs[ENGINE]):
                    self.assertTrue(a)
                    self.assertEqual(a, b, f"{name}: {kind} differs between interp and {ENGINE}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
