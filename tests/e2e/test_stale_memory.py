#!/usr/bin/env python3
"""Pins MT-Cannon's answer to memory a Go program gives back (docs/audit-op-program.md, finding 1).

madvise and munmap are noops in MT-Cannon (spec section 7.3): the bytes stay. Linux reads such
pages back as zeros, and Go 1.26's runtime relies on it (a span whose pages were all scavenged
is not zeroed again). The reproducer tests/guests/scavenge fills two 256 KiB slices, frees them,
calls debug.FreeOSMemory and allocates them again: in the VM every byte comes back (exit 1),
under Linux none does (exit 0). cannonball keeps the specified behaviour, so the interpreter, the
JIT and upstream's cannon must agree on the stale result state; the audit lens must name the first
stale load and stay quiet on the controls (madvdontneed=0, Go 1.25).

Environment: CANNONBALL, REFVM (upstream cannon), STALE (tests/stale-memory build dir), ENGINE
list in ENGINES (default "interp jit"). CANNONBALL_HEAVY=1 adds the go-ethereum guest with a forced
GC after every block (gethguest-forcegc*.elf, built by tests/stale-memory/build.sh when that
variable is set) and the native go-ethereum guest GETH_NATIVE.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
REFVM = os.environ.get("REFVM", "build/refvm/cannon")
STALE = os.environ.get("STALE", "build/stale-memory")
ENGINES = os.environ.get("ENGINES", "interp jit").split()
HEAVY = os.environ.get("CANNONBALL_HEAVY") == "1"
GETH_NATIVE = os.environ.get("GETH_NATIVE", "build/geth-guest/gethguest-native")

SIZE = 256 << 10  # tests/guests/scavenge: the byte slice; the pointer slice holds SIZE / 8 pointers
FILL = 0xA5       # the byte the first slice is filled with
STALE_OUT = (f"bytes: {SIZE} of {SIZE} non-zero (first at 0), same address as the freed slice: true\n"
             f"pointers: {SIZE // 8} of {SIZE // 8} non-nil, same address as the freed slice: true\n")
ZERO_OUT_REUSED = (f"bytes: 0 of {SIZE} non-zero (first at -1), same address as the freed slice: true\n"
                   f"pointers: 0 of {SIZE // 8} non-nil, same address as the freed slice: true\n")
MADVISE = 5027


class StaleMemory(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def load(self, elf):
        state = os.path.join(self.dir, os.path.basename(elf) + ".bin.gz")
        if not os.path.exists(state):
            subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                            "--meta", ""], check=True)
        return state

    def witness(self, tool, state):
        out = subprocess.run([tool, "witness", "--input", state], check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def run_vm(self, elf, engine, *extra, stop=None):
        """Runs `elf` to the end (or `stop`); returns (witness, guest stdout, debug-info or None, run)."""
        state = self.load(elf)
        out = os.path.join(self.dir, f"out-{engine}.bin.gz")
        stdout = os.path.join(self.dir, "stdout")
        debug = os.path.join(self.dir, "debug.json")
        args = [CANNONBALL, "run", "--input", state, "--output", out, "--meta", "", "--info-at", "never",
                "--engine", engine, "--guest-stdout", stdout, "--guest-stderr", os.devnull, *extra]
        if stop:
            args += ["--stop-at", f"={stop}"]
        run = subprocess.run(args, capture_output=True, text=True)
        self.assertIn(run.returncode, (0, 3), run.stderr)
        with open(stdout) as f:
            text = f.read()
        info = None
        if "--debug-info" in extra:
            with open(debug) as f:
                info = json.load(f)
        return self.witness(CANNONBALL, out), text, info, run

    def test_vm_returns_stale_memory_in_every_engine_and_upstream(self):
        elf = os.path.join(STALE, "scavenge.elf")
        witnesses = []
        for engine in ENGINES:
            with self.subTest(engine=engine):
                w, text, _, _ = self.run_vm(elf, engine)
                self.assertTrue(w["exited"])
                self.assertEqual(w["exitCode"], 1)
                self.assertEqual(text, STALE_OUT)
                witnesses.append(w)
        ref_out = os.path.join(self.dir, "ref.bin.gz")
        ref = subprocess.run([REFVM, "run", "--input", self.load(elf), "--output", ref_out, "--meta", "",
                              "--info-at", "never"], capture_output=True, text=True)
        self.assertEqual(ref.returncode, 0, ref.stderr[-2000:])
        w = self.witness(REFVM, ref_out)
        self.assertEqual((w["exited"], w["exitCode"]), (True, 1))
        for other in witnesses:
            self.assertEqual(other["witnessHash"], w["witnessHash"], "cannonball and upstream end in the same state")
            self.assertEqual(other["step"], w["step"])

    def test_controls_read_zeros(self):
        # The same source with the runtime zeroing scavenged spans itself, and built with Go 1.25.
        for name in ["scavenge-md0.elf", "scavenge-go125.elf"]:
            for engine in ENGINES:
                with self.subTest(elf=name, engine=engine):
                    w, text, _, _ = self.run_vm(os.path.join(STALE, name), engine)
                    self.assertEqual((w["exited"], w["exitCode"]), (True, 0))
                    self.assertIn(f"bytes: 0 of {SIZE} non-zero", text)
                    self.assertIn(f"pointers: 0 of {SIZE // 8} non-nil", text)
        w, text, _, _ = self.run_vm(os.path.join(STALE, "scavenge-md0.elf"), ENGINES[0])
        self.assertEqual(text, ZERO_OUT_REUSED, "the control reuses the same memory")

    def test_linux_reads_zeros(self):
        native = subprocess.run([os.path.join(STALE, "scavenge-native")], capture_output=True, text=True)
        self.assertEqual(native.returncode, 0, native.stdout)
        self.assertIn(f"bytes: 0 of {SIZE} non-zero", native.stdout)
        qemu = shutil.which("qemu-mips64")
        if not qemu:
            self.skipTest("qemu-mips64 not installed")
        run = subprocess.run([qemu, os.path.join(STALE, "scavenge.elf")], capture_output=True, text=True)
        self.assertEqual((run.returncode, run.stdout), (0, ZERO_OUT_REUSED))

    def test_qemu_with_noop_madvise_reads_stale_memory(self):
        # Linux's madvise made a noop under qemu (strace answers the host syscall with 0 without
        # running it): qemu then gives back exactly what the VM gives back.
        qemu, strace = shutil.which("qemu-mips64"), shutil.which("strace")
        if not qemu or not strace:
            self.skipTest("qemu-mips64 or strace not installed")
        probe = subprocess.run([strace, "-o", os.devnull, "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("ptrace not permitted here")
        # qemu runs the Go runtime's threads on real host threads, so when the scavenger's madvise
        # lands against the program's reuse of the span differs from run to run, and the stale
        # bytes can also crash the runtime (exit 2, nothing printed) before the program reports
        # them. One of a few runs must print exactly what the VM prints.
        outcomes = []
        for _ in range(5):
            run = subprocess.run([strace, "-f", "-o", os.devnull, "-e", "trace=madvise", "-e",
                                  "inject=madvise:retval=0", qemu, os.path.join(STALE, "scavenge.elf")],
                                 capture_output=True, text=True)
            if (run.returncode, run.stdout) == (1, STALE_OUT):
                return
            outcomes.append((run.returncode, run.stdout, run.stderr[-600:]))
        self.fail(f"no run under qemu with a noop madvise printed the stale memory: {outcomes}")

    def test_audit_names_the_first_stale_load(self):
        for engine in ENGINES:
            with self.subTest(engine=engine):
                _, _, info, run = self.run_vm(os.path.join(STALE, "scavenge.elf"), engine, "--debug-info",
                                              os.path.join(self.dir, "debug.json"), "--fail-on-hazard")
                self.assertEqual(run.returncode, 3)
                self.assertEqual([h["kind"] for h in info["hazards"]], ["stale-read"])
                m = info["memory_release"]
                self.assertGreater(m["madvise_dontneed"], 0)
                self.assertGreaterEqual(m["stale_reads"], 1)
                self.assertGreaterEqual(m["stale_read_bytes"], SIZE, "every byte of the fresh slice was read stale")
                first = m["first_stale_read"]
                self.assertEqual(first["released_by"], MADVISE)
                self.assertLess(first["released_at_step"], first["step"])
                self.assertEqual(int(first["word"], 16), int(f"{FILL:02x}" * 8, 16))
                self.assertEqual(info["hazards"][0]["first_step"], first["step"])

    def test_audit_sees_the_same_accesses_in_every_engine(self):
        # The JIT runs compiled code while stale bytes exist and leaves only the accesses to stale
        # pages to the interpreter: every figure (stale loads by pc, the first one, the hazards)
        # must still be the interpreter's.
        infos = {}
        for engine in ENGINES:
            _, _, infos[engine], _ = self.run_vm(os.path.join(STALE, "scavenge.elf"), engine, "--debug-info",
                                                 os.path.join(self.dir, "debug.json"))
        self.assertGreater(infos[ENGINES[0]]["memory_release"]["stale_reads"], 0)
        for engine in ENGINES[1:]:
            self.assertEqual(infos[engine], infos[ENGINES[0]], engine)

    def test_audit_is_quiet_on_the_controls(self):
        for name in ["scavenge-md0.elf", "scavenge-go125.elf"]:
            for engine in ENGINES:
                with self.subTest(elf=name, engine=engine):
                    _, _, info, run = self.run_vm(os.path.join(STALE, name), engine, "--debug-info",
                                                  os.path.join(self.dir, "debug.json"), "--fail-on-hazard")
                    self.assertEqual(run.returncode, 0, info["hazards"])
                    self.assertEqual(info["memory_release"]["stale_reads"], 0)
        # Go 1.25 gives non-zero memory back too (the VM keeps it) but zeroes it before use.
        self.assertGreater(info["memory_release"]["stale_bytes"], 0)

    @unittest.skipUnless(HEAVY, "CANNONBALL_HEAVY=1")
    def test_geth_guest_with_forced_gc(self):
        # Dies in the Go runtime's GC checks (a fatal error, exit code 2) in every engine and
        # upstream, in the same state; with madvdontneed=0 it ends with the native run's output.
        elf = os.path.join(STALE, "gethguest-forcegc.elf")
        witnesses = []
        for engine in ENGINES:
            with self.subTest(engine=engine):
                w, _, _, _ = self.run_vm(elf, engine)
                self.assertEqual((w["exited"], w["exitCode"]), (True, 2))
                witnesses.append(w)
        ref_out = os.path.join(self.dir, "ref.bin.gz")
        subprocess.run([REFVM, "run", "--input", self.load(elf), "--output", ref_out, "--meta", "",
                        "--info-at", "never"], check=True, capture_output=True)
        w = self.witness(REFVM, ref_out)
        for other in witnesses:
            self.assertEqual(other["witnessHash"], w["witnessHash"])
        native = subprocess.run([GETH_NATIVE], check=True, capture_output=True, text=True).stdout
        w, text, _, _ = self.run_vm(os.path.join(STALE, "gethguest-forcegc-md0.elf"), ENGINES[-1])
        self.assertEqual((w["exited"], w["exitCode"]), (True, 0))
        self.assertEqual(text, native)


if __name__ == "__main__":
    unittest.main()
