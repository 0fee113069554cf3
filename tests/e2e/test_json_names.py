#!/usr/bin/env python3
"""JSON outputs stay valid JSON whatever bytes a symbol name holds: a name with control
characters, a quote and a backslash reaches stepfind's events (the "gc-work" detail is the name
of the symbol at the pc) and parses back unchanged.

Environment: CANNONBALL (binary), STEPFIND (tools/opprogram/stepfind), GUESTS (built guests).
"""
import json
import os
import subprocess
import tempfile
import unittest

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
STEPFIND = os.environ.get("STEPFIND", "build/tools/opprogram_stepfind")
GUESTS = os.environ.get("GUESTS", "build/guests")

# Every C0 control character but NUL (names are C strings), DEL, a quote and a backslash.
HOSTILE_NAME = "odd" + "".join(chr(c) for c in range(1, 32)) + "\x7f\"\\name"


class JsonWithHostileNames(unittest.TestCase):
    def test_stepfind_events_parse_with_a_hostile_symbol_name(self):
        with tempfile.TemporaryDirectory() as tmp:
            elf = os.path.join(GUESTS, "hello.elf")
            state = os.path.join(tmp, "hello.bin.gz")
            subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                            "--meta", ""], check=True)
            with open(elf, "rb") as f:
                entry = int.from_bytes(f.read(32)[24:32], "big")  # e_entry of a big-endian ELF64
            # The garbage collector's range covers everything, so the first step is a "gc-work"
            # event whose detail is the name of the symbol at the entry point.
            meta = os.path.join(tmp, "hostile.json")
            with open(meta, "w") as f:
                json.dump({"symbols": [{"name": "runtime.gcDrain", "start": 0, "size": 1 << 40},
                                       {"name": HOSTILE_NAME, "start": entry, "size": 4096}]}, f)
            out = subprocess.run([STEPFIND, "--input", state, "--meta", meta, "--max-steps", "4"],
                                 capture_output=True, text=True, check=True).stdout
        report = json.loads(out)
        self.assertEqual(report["steps"], 4)
        self.assertEqual([e["detail"] for e in report["events"] if e["kind"] == "gc-work"], [HOSTILE_NAME])


if __name__ == "__main__":
    unittest.main()
