#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Seeds are built from the formats' definitions (a minimal state file, the CLI tests' tiny ELF,
its meta.json, host answers, matcher texts); the fuzzers grow their own corpora from these.
"""

import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from test_cli import build_elf, exit_program  # noqa: E402


def thread(tid, pc):
    regs = [0] * 32
    regs[29] = 0x7FFFFFFFF000
    return struct.pack(">QBBQQQQ", tid, 0, 0, pc, pc + 4, 0, 0) + b"".join(struct.pack(">Q", r) for r in regs)


def state(pages, threads_left, threads_right=(), step=0, hint=b""):
    out = bytes([8]) + struct.pack(">Q", len(pages))
    for index, data in pages:
        out += struct.pack(">Q", index) + data.ljust(4096, b"\0")
    out += bytes(32) + struct.pack(">QQ", 0, 0x100000000000)  # preimage key, offset, heap
    out += bytes([0]) + struct.pack(">QQ", 0, 0)  # LL status, address, owner
    out += bytes([0, 0]) + struct.pack(">QQ", step, 0) + bytes([0]) + struct.pack(">Q", 2)
    for stack in (threads_left, threads_right):
        out += struct.pack(">Q", len(stack)) + b"".join(stack)
    return out + struct.pack(">I", len(hint)) + hint


def write(target, name, data):
    path = os.path.join(HERE, "corpus", target)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(data)


def main():
    rng = random.Random(15)
    code = b"".join(struct.pack(">I", w) for w in exit_program(padding=2))
    s0 = state([], [thread(0, 0x10000)])
    s1 = state([(0x10, code)], [thread(0, 0x10000)], [thread(1, 0x10008)], step=7, hint=b"\0\0\0\2hi")
    for mode in range(4):
        write("fuzz_state_file", f"empty-mode{mode}", bytes([mode, 128]) + s0)
        write("fuzz_state_file", f"onepage-mode{mode}", bytes([mode, 100]) + s1)
    import gzip
    write("fuzz_state_file", "gzip-as-given", bytes([1, 0]) + gzip.compress(s1, mtime=0))

    elf = build_elf(exit_program())
    write("fuzz_elf", "tiny", elf)
    write("fuzz_elf", "stripped", build_elf(exit_program(padding=4), symbols=()))

    write("fuzz_meta", "two-symbols", b'{\n  "symbols": [\n    {\n      "name": "_start",\n      "start": 65536,\n'
          b'      "size": 4\n    },\n    {\n      "name": "data",\n      "start": 65600,\n      "size": 8\n    }\n  ]\n}\n\n')
    write("fuzz_meta", "empty", b'{"symbols": []}')

    for i, (matcher, pattern) in enumerate([("%1000", "proof-%d.json"), ("=5,%7", "p-%08x.json"),
                                            ("always", "%#o-%-6d|"), ("0x10,=0b101,%0o7", "s-%+v.bin.gz")]):
        write("fuzz_matcher", f"seed{i}", matcher.encode() + b"\0" + pattern.encode() + b"\0" + struct.pack(">Q", 1000 * i + 3))

    # Host answers: a pre-image of 5 bytes, then an ack; a truncated one; a huge declared length.
    write("fuzz_host_protocol", "one-preimage", bytes([0, 0]) + struct.pack(">Q", 5) + b"hello" + bytes(13))
    write("fuzz_host_protocol", "hint-then-preimage", bytes([1, 1]) + struct.pack(">Q", 3) + b"abc" + b"\x01" * 11)
    write("fuzz_host_protocol", "declared-large", bytes([0, 2]) + struct.pack(">Q", 1 << 40) + b"x" * 8)

    for i in range(4):
        write("fuzz_differential", f"random{i}", bytes(rng.getrandbits(8) for _ in range(600 + 200 * i)))


if __name__ == "__main__":
    main()
