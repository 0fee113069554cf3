#!/usr/bin/env python3
"""End-to-end tests of the cannonball command line (spec §10-§12, §17).

The binary under test comes from the CANNONBALL environment variable (ctest sets it). Each test
builds its own tiny big-endian MIPS64 ELF, so nothing but Python 3 is needed.
"""

import gzip
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import unittest

CANNONBALL = os.environ.get("CANNONBALL", "")

EM_MIPS = 8
PT_LOAD = 1
CODE_BASE = 0x10000

# Instruction words (MIPS64 big-endian).
NOP = 0x00000000
SYSCALL = 0x0000000C
INVALID = 0x44000000  # opcode 0x11 (COP1): no FPU, so a VM exception


def addiu(rt, rs, imm):
    return (0x09 << 26) | (rs << 21) | (rt << 16) | (imm & 0xFFFF)


# exit_group(0) after `padding` nops: li v0,5205; li a0,0; syscall.
def exit_program(padding=30, code=0):
    return [NOP] * padding + [addiu(2, 0, 5205), addiu(4, 0, code), SYSCALL]


def build_elf(words, machine=EM_MIPS, symbols=(("_start", CODE_BASE, 4), ("data", CODE_BASE + 0x40, 8))):
    """A minimal ELF64 big-endian executable: one PT_LOAD with the code, plus .symtab/.strtab."""
    code = b"".join(struct.pack(">I", w) for w in words)
    phoff = 64
    code_off = phoff + 56
    strtab = b"\0" + b"".join(name.encode() + b"\0" for name, _, _ in symbols)
    strtab_off = code_off + len(code)
    symtab_off = (strtab_off + len(strtab) + 7) & ~7
    symtab = bytearray(24)  # the null symbol
    name_off = 1
    for name, value, size in symbols:
        symtab += struct.pack(">IBBHQQ", name_off, 0x12, 0, 1, value, size)
        name_off += len(name) + 1
    shoff = (symtab_off + len(symtab) + 7) & ~7
    ident = b"\x7fELF" + bytes([2, 2, 1, 0]) + bytes(8)
    header = ident + struct.pack(">HHIQQQIHHHHHH", 2, machine, 1, CODE_BASE, phoff, shoff, 0, 64, 56, 1, 64, 3, 0)
    phdr = struct.pack(">IIQQQQQQ", PT_LOAD, 5, code_off, CODE_BASE, CODE_BASE, len(code), len(code), 0x1000)
    sections = bytes(64)
    sections += struct.pack(">IIQQQQIIQQ", 0, 2, 0, 0, symtab_off, len(symtab), 2, 1, 8, 24)
    sections += struct.pack(">IIQQQQIIQQ", 0, 3, 0, 0, strtab_off, len(strtab), 0, 0, 1, 0)
    out = bytearray(header + phdr + code + strtab)
    out += bytes(symtab_off - len(out)) + symtab
    out += bytes(shoff - len(out)) + sections
    return bytes(out)


def ordered_json(text):
    return json.loads(text, object_pairs_hook=lambda pairs: pairs)


class CliTestCase(unittest.TestCase):
    def setUp(self):
        if not CANNONBALL or not os.path.exists(CANNONBALL):
            self.fail("set CANNONBALL to the cannonball binary")
        self.dir = tempfile.mkdtemp(prefix="cannonball-cli-")

    def tearDown(self):
        for root, dirs, _ in os.walk(self.dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def cannonball(self, *args, cwd=None, **kwargs):
        return subprocess.run([CANNONBALL, *args], cwd=cwd or self.dir, capture_output=True, timeout=60, **kwargs)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def entries(self):
        return sorted(os.listdir(self.dir))

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))

    def assert_fails(self, result, code=1):
        self.assertEqual(result.returncode, code, result.stderr.decode(errors="replace"))
        self.assertIn(b"error:", result.stderr)

    def load(self, words=None, name="state.bin"):
        elf = self.write("prog.elf", build_elf(words if words is not None else exit_program()))
        self.assert_ok(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                       "--out", self.path(name), "--meta", ""))
        return self.path(name)

    def witness(self, state_path):
        result = self.cannonball("witness", "--input", state_path)
        self.assert_ok(result)
        return result.stdout.decode(), json.loads(result.stdout)

    def run_vm(self, *args):
        return self.cannonball("run", "--meta", "", *args)


class LoadElfTest(CliTestCase):
    def test_writes_state_and_meta(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        self.assert_ok(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf))
        self.assertEqual(self.entries(), ["meta.json", "prog.elf", "state.bin.gz"])
        with gzip.open(self.path("state.bin.gz")) as f:
            raw = f.read()
        self.assertEqual(raw[0], 8)
        with open(self.path("meta.json"), "rb") as f:
            meta = f.read()
        self.assertTrue(meta.endswith(b"}\n\n"))
        self.assertTrue(meta.startswith(b'{\n  "symbols": [\n    {\n      "name": "_start",'))
        symbols = json.loads(meta)["symbols"]
        self.assertEqual([s["name"] for s in symbols], ["_start", "data"])
        self.assertEqual(symbols[1], {"name": "data", "start": CODE_BASE + 0x40, "size": 8})
        _, info = self.witness(self.path("state.bin.gz"))
        self.assertEqual(info["step"], 0)
        self.assertFalse(info["exited"])

    def test_latest_and_explicit_paths(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        self.assert_ok(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                       "--out", self.path("a.bin"), "--meta", self.path("m.json")))
        self.assertEqual(self.entries(), ["a.bin", "m.json", "prog.elf"])

    def test_empty_out_writes_no_state(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        self.assert_ok(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", "",
                                       "--meta", ""))
        self.assertEqual(self.entries(), ["prog.elf"])
        self.assert_ok(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", ""))
        self.assertEqual(self.entries(), ["meta.json", "prog.elf"])

    def test_json_out_fails_and_writes_nothing(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        self.assert_fails(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                          "--out", "x.json"))
        self.assertEqual(self.entries(), ["prog.elf"])

    def test_stdout_out_fails(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        result = self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", "-",
                                 "--meta", "")
        self.assert_fails(result)
        self.assertEqual(result.stdout, b"")

    def test_wrong_type_fails(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        for vm_type in ("multithreaded64-4", "singlethreaded", "cannon", ""):
            with self.subTest(vm_type=vm_type):
                self.assert_fails(self.cannonball("load-elf", "--type", vm_type, "--path", elf))
                self.assertEqual(self.entries(), ["prog.elf"])

    def test_missing_elf_fails(self):
        self.assert_fails(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", self.path("none.elf")))
        self.assertEqual(self.entries(), [])

    def test_non_mips_elf_fails(self):
        elf = self.write("x86.elf", build_elf(exit_program(), machine=62))
        self.assert_fails(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf))
        self.assertEqual(self.entries(), ["x86.elf"])

    def test_stripped_elf_fails_even_without_meta(self):
        elf = self.write("stripped.elf", self._stripped())
        self.assert_fails(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf, "--meta", ""))
        self.assertEqual(self.entries(), ["stripped.elf"])

    @staticmethod
    def _stripped():
        elf = bytearray(build_elf(exit_program()))
        elf[60:62] = b"\0\0"  # e_shnum = 0: no sections, so no .symtab
        return bytes(elf)

    def test_unwritable_output_dir_fails_and_leaves_nothing(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        out_dir = self.path("ro")
        os.mkdir(out_dir)
        os.chmod(out_dir, 0o555)
        kwargs = {}
        if os.geteuid() == 0:  # mode bits do not stop root: run as nobody instead
            os.chmod(self.dir, 0o755)
            os.chmod(elf, 0o644)
            kwargs["user"] = 65534
        for extra in (["--meta", ""], ["--meta", os.path.join(out_dir, "meta.json")]):
            with self.subTest(extra=extra):
                result = self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf,
                                         "--out", os.path.join(out_dir, "state.bin.gz"), *extra, **kwargs)
                self.assert_fails(result)
                self.assertEqual(os.listdir(out_dir), [])


class WitnessTest(CliTestCase):
    def test_prints_fields_in_order_and_ends_with_blank_line(self):
        state = self.load()
        text, info = self.witness(state)
        self.assertTrue(text.endswith("}\n\n"))
        self.assertEqual([k for k, _ in ordered_json(text)],
                         ["stateVersion", "witnessHash", "witness", "step", "exited", "exitCode"])
        self.assertEqual(info["stateVersion"], 8)
        self.assertRegex(info["witnessHash"], r"^0x03[0-9a-f]{62}$")  # unfinished: status byte 3
        self.assertRegex(info["witness"], r"^0x[0-9a-f]{376}$")
        self.assertEqual((info["step"], info["exited"], info["exitCode"]), (0, False, 0))

    def test_output_writes_raw_188_byte_witness(self):
        state = self.load()
        _, info = self.witness(state)
        self.assert_ok(self.cannonball("witness", "--input", state, "--output", self.path("w.bin")))
        with open(self.path("w.bin"), "rb") as f:
            raw = f.read()
        self.assertEqual(len(raw), 188)
        self.assertEqual("0x" + raw.hex(), info["witness"])

    def test_gz_and_plain_inputs_agree(self):
        plain = self.load(name="s.bin")
        packed = self.load(name="s.bin.gz")
        self.assertEqual(self.witness(plain)[1], self.witness(packed)[1])

    def test_bad_inputs_fail(self):
        self.assert_fails(self.cannonball("witness", "--input", self.path("missing.bin")))
        bad = self.write("bad.bin", b"\x08garbage")
        self.assert_fails(self.cannonball("witness", "--input", bad))


class RunTest(CliTestCase):
    def test_exit_program_runs_to_exit_zero(self):
        state = self.load()
        result = self.run_vm("--input", state, "--output", self.path("out.bin"))
        self.assert_ok(result)
        _, info = self.witness(self.path("out.bin"))
        self.assertTrue(info["exited"])
        self.assertEqual(info["exitCode"], 0)
        self.assertEqual(info["step"], 33)
        self.assertRegex(info["witnessHash"], r"^0x00")

    def test_exit_code_lives_only_in_the_state(self):
        state = self.load(exit_program(padding=0, code=3))
        self.assert_ok(self.run_vm("--input", state, "--output", self.path("out.bin.gz")))
        _, info = self.witness(self.path("out.bin.gz"))
        self.assertEqual((info["exited"], info["exitCode"]), (True, 3))
        self.assertRegex(info["witnessHash"], r"^0x02")

    def test_default_meta_is_read_from_working_directory(self):
        elf = self.write("prog.elf", build_elf(exit_program()))
        self.assert_ok(self.cannonball("load-elf", "--type", "multithreaded64-5", "--path", elf))
        self.assert_ok(self.cannonball("run", "--input", "state.bin.gz"))
        self.assertIn("out.bin.gz", self.entries())
        os.remove(self.path("meta.json"))
        self.assert_fails(self.cannonball("run", "--input", "state.bin.gz", "--output", ""))

    def test_proof_at_zero_writes_proof_json(self):
        state = self.load()
        _, pre_info = self.witness(state)
        self.assert_ok(self.run_vm("--input", state, "--output", self.path("out.bin"), "--proof-at", "=0",
                                   "--stop-at", "=1"))
        self.assertIn("proof-0.json", self.entries())
        with open(self.path("proof-0.json")) as f:
            text = f.read()
        self.assertTrue(text.endswith("}\n\n"))
        self.assertEqual([k for k, _ in ordered_json(text)], ["step", "pre", "post", "state-data", "proof-data"])
        proof = json.loads(text)
        self.assertEqual(proof["step"], 0)
        self.assertEqual(len(bytes.fromhex(proof["state-data"][2:])), 188)
        self.assertEqual(len(bytes.fromhex(proof["proof-data"][2:])), 6090)
        self.assertEqual(proof["state-data"], pre_info["witness"])
        self.assertEqual(proof["pre"], pre_info["witnessHash"])
        _, post_info = self.witness(self.path("out.bin"))
        self.assertEqual(post_info["step"], 1)
        self.assertEqual(proof["post"], post_info["witnessHash"])

    def test_proof_fmt_pattern_names_files(self):
        state = self.load()
        self.assert_ok(self.run_vm("--input", state, "--output", "", "--proof-at", "%10",
                                   "--proof-fmt", self.path("p-%d.json.gz")))
        self.assertEqual([e for e in self.entries() if e.startswith("p-")],
                         ["p-0.json.gz", "p-10.json.gz", "p-20.json.gz", "p-30.json.gz"])
        with gzip.open(self.path("p-20.json.gz")) as f:
            self.assertEqual(json.loads(f.read())["step"], 20)

    def test_snapshot_at_writes_pre_state(self):
        state = self.load()
        self.assert_ok(self.run_vm("--input", state, "--output", "", "--snapshot-at", "=7",
                                   "--snapshot-fmt", self.path("snap-%d.bin")))
        _, info = self.witness(self.path("snap-7.bin"))
        self.assertEqual(info["step"], 7)
        self.assertNotIn("out.bin.gz", self.entries())

    def test_snapshots_in_flight_hold_the_state_of_their_step(self):
        # Snapshots are written by a background writer while the run goes on: every one must still
        # hold its own step's state, and an unwritable pattern must fail the run.
        state = self.load()
        self.assert_ok(self.run_vm("--input", state, "--output", "", "--snapshot-at", "%3",
                                   "--snapshot-fmt", self.path("snap-%d.bin.gz")))
        snaps = sorted((e for e in self.entries() if e.startswith("snap-")), key=lambda e: int(e[5:-7]))
        self.assertEqual(snaps, [f"snap-{n}.bin.gz" for n in range(0, 31, 3)])  # exits at step 33
        for name in snaps:
            _, info = self.witness(self.path(name))
            self.assertEqual(info["step"], int(name[5:-7]))
        # A directory standing where snapshot 5 goes passes the start-up check and fails only
        # when the background writer renames onto it.
        os.mkdir(self.path("blocked"))
        os.mkdir(self.path("blocked/snap-5.bin.gz"))
        result = self.run_vm("--input", state, "--output", "", "--snapshot-at", "=5",
                             "--snapshot-fmt", self.path("blocked/snap-%d.bin.gz"))
        self.assert_fails(result)
        self.assertIn(b"failed to write state snapshot", result.stderr)

    def test_snapshot_at_the_start_step_is_the_input_state(self):
        # op-challenger's runs from a snapshot: --snapshot-at matches the step they start at, and
        # may name the input itself. The snapshot holds the input state (copied when the input is
        # one this writer made), and a run from it goes on exactly as from the input.
        for name in ("state.bin.gz", "state.bin"):
            state = self.load(name=name)
            fmt = self.path("start-%d" + name[5:])
            self.assert_ok(self.run_vm("--input", state, "--output", "", "--snapshot-at", "=0", "--snapshot-fmt", fmt,
                                       "--stop-at", "=1"))
            self.assertEqual(self.witness(fmt % 0)[0], self.witness(state)[0], name)
            # Over the input itself, then resumed: the same end state as a run from the ELF's state.
            self.assert_ok(self.run_vm("--input", state, "--output", "", "--snapshot-at", "=0",
                                       "--snapshot-fmt", state, "--stop-at", "=1"))
            self.assert_ok(self.run_vm("--input", fmt % 0, "--output", self.path("a" + name[5:])))
            self.assert_ok(self.run_vm("--input", state, "--output", self.path("b" + name[5:])))
            self.assertEqual(self.witness(self.path("a" + name[5:]))[0], self.witness(self.path("b" + name[5:]))[0])
        # Across compression, and from another writer's gzip: written afresh, the same state.
        raw = self.path("state.bin")
        self.assert_ok(self.run_vm("--input", raw, "--output", "", "--snapshot-at", "=0",
                                   "--snapshot-fmt", self.path("x-%d.bin.gz"), "--stop-at", "=1"))
        self.assertEqual(self.witness(self.path("x-0.bin.gz"))[0], self.witness(raw)[0])
        with open(raw, "rb") as f:
            self.write("up.bin.gz", gzip.compress(f.read()))
        self.assert_ok(self.run_vm("--input", self.path("up.bin.gz"), "--output", "", "--snapshot-at", "=0",
                                   "--snapshot-fmt", self.path("y-%d.bin.gz"), "--stop-at", "=1"))
        self.assertEqual(self.witness(self.path("y-0.bin.gz"))[0], self.witness(raw)[0])
        with open(self.path("y-0.bin.gz"), "rb") as f, open(self.path("up.bin.gz"), "rb") as g:
            self.assertNotEqual(f.read(), g.read())  # this writer's layout, not a copy

    def test_info_lines_carry_upstreams_fields_rate_and_eta(self):
        state = self.load()
        result = self.run_vm("--input", state, "--output", "", "--info-at", "%10", "--stop-at", "=30")
        self.assert_ok(result)
        lines = [l for l in result.stderr.decode().splitlines() if "msg=processing" in l]
        self.assertEqual(len(lines), 4, result.stderr)  # steps 0, 10, 20 and the stop at 30
        for line in lines:
            for field in ("step=", "pc=", "insn=", "ips=", "pages=", "mem=", "name=", "steps_per_s=", "elapsed="):
                self.assertIn(" " + field, line)
        self.assertIn(" eta=", lines[1])
        self.assertIn(" eta=0.0s", lines[-1])
        self.assertNotIn(b" eta=", self.run_vm("--input", state, "--output", "", "--info-at", "%10").stderr)

    def test_bad_matchers_fail(self):
        state = self.load()
        for flag in ("--proof-at", "--stop-at", "--snapshot-at", "--info-at"):
            for matcher in ("%0", "=abc", "=", "=1__6", "=_16", "=+5", "=-1", "sometimes"):
                with self.subTest(flag=flag, matcher=matcher):
                    self.assert_fails(self.run_vm("--input", state, "--output", self.path("o.bin"), flag, matcher))
        self.assertNotIn("o.bin", self.entries())

    def test_input_must_be_binary_state(self):
        state = self.load()
        shutil.copy(state, self.path("state.json"))
        self.assert_fails(self.run_vm("--input", self.path("state.json"), "--output", ""))
        self.assert_fails(self.run_vm("--input", state, "--output", self.path("o.json")))

    def test_corrupt_input_fails_with_message(self):
        for name, data in (("bad.bin", b"\x08" + bytes(20)), ("bad.bin.gz", b"not gzip at all"),
                           ("old.bin", b"\x07" + bytes(500))):
            with self.subTest(name=name):
                path = self.write(name, data)
                result = self.run_vm("--input", path, "--output", self.path("o.bin"))
                self.assert_fails(result)
                self.assertGreater(len(result.stderr.strip()), len(b"error:"))
                self.assertNotIn("o.bin", self.entries())

    def test_vm_exception_exits_2_without_output(self):
        state = self.load([NOP, NOP, INVALID])
        result = self.run_vm("--input", state, "--output", self.path("o.bin"))
        self.assert_fails(result, code=2)
        self.assertNotIn("o.bin", self.entries())

    def test_vm_exception_in_proof_step_exits_2(self):
        state = self.load([INVALID])
        result = self.run_vm("--input", state, "--output", self.path("o.bin"), "--proof-at", "=0")
        self.assert_fails(result, code=2)
        self.assertNotIn("o.bin", self.entries())
        self.assertNotIn("proof-0.json", self.entries())

    def test_already_exited_input_is_written_unchanged(self):
        state = self.load(exit_program(padding=0))
        self.assert_ok(self.run_vm("--input", state, "--output", self.path("done.bin")))
        self.assert_ok(self.run_vm("--input", self.path("done.bin"), "--output", self.path("again.bin"),
                                   "--proof-at", "always"))
        with open(self.path("done.bin"), "rb") as a, open(self.path("again.bin"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertFalse(any(e.startswith("proof-") for e in self.entries()))

    def test_step_matcher_accepts_go_number_syntax(self):
        state = self.load()
        for matcher in ("=16", "=0x10", "=0X10", "=0o20", "=0O20", "=020", "=0b10000", "=0B10000", "=1_6",
                        "=0x_10", "never,=16", "=100,=16"):
            with self.subTest(matcher=matcher):
                out = self.path("o.bin")
                self.assert_ok(self.run_vm("--input", state, "--output", out, "--stop-at", matcher))
                _, info = self.witness(out)
                self.assertEqual(info["step"], 16)
                self.assertFalse(info["exited"])


class HelpTest(CliTestCase):
    def test_help_exits_zero_for_every_subcommand(self):
        for command in ("load-elf", "witness", "run", "disasm"):
            with self.subTest(command=command):
                result = self.cannonball(command, "--help")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn(b"--", result.stdout)
        self.assertEqual(self.cannonball("--help").returncode, 0)

    def test_unknown_command_and_no_command_fail(self):
        self.assert_fails(self.cannonball("frobnicate"))
        self.assertEqual(self.cannonball().returncode, 1)

    def test_unknown_flag_fails(self):
        self.assertEqual(self.cannonball("witness", "--bogus", "x").returncode, 1)

    def test_missing_required_flag_exits_1(self):
        for args in (["witness"], ["run", "--output", ""], ["load-elf", "--path", "x.elf"]):
            with self.subTest(args=args):
                self.assertEqual(self.cannonball(*args).returncode, 1)

    # Known gap: argument-parser errors print "--input is required" without the "error: " prefix
    # that every other exit-1 failure has (spec §12). Remove the marker once fixed.
    def test_missing_required_flag_message_starts_with_error(self):
        self.assert_fails(self.cannonball("witness"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
