#!/usr/bin/env python3
"""State files written by cannonball are read by upstream cannon: multi-member gzip with stored
(incompressible) and compressed members, and the same witness from both VMs.

Environment: CANNONBALL (binary), REFVM (upstream cannon), GETH_GUEST (an ELF with several MiB of
code and data).
"""
import gzip
import os
import random
import struct
import subprocess
import tempfile
import unittest

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
REFVM = os.environ.get("REFVM", "build/refvm/cannon")
GETH_GUEST = os.environ.get("GETH_GUEST", "build/geth-guest/gethguest-small.elf")
PAGE = 4096


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, check=True)


def members(data):
    """(offset, size, stored) of each member, from the size field of the 'CB' extra subfield."""
    out, off = [], 0
    while off < len(data):
        assert data[off:off + 4] == b"\x1f\x8b\x08\x04", f"member at {off} has no extra field"
        assert data[off + 12:off + 14] == b"CB", f"member at {off} has no size subfield"
        size = struct.unpack("<I", data[off + 16:off + 20])[0]
        first_block = data[off + 20]
        out.append((off, size, (first_block >> 1) & 3 == 0))
        off += size
    return out


class StateFilesReadByUpstream(unittest.TestCase):
    def test_multi_member_file_has_the_same_witness_in_both_vms(self):
        with tempfile.TemporaryDirectory() as tmp:
            raw = os.path.join(tmp, "s.bin")
            run(CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", GETH_GUEST, "--out", raw,
                "--meta", "")
            # Random words in the first 512 pages, as a guest that fills memory with random data
            # leaves them: those members are stored, the rest compressed.
            data = bytearray(open(raw, "rb").read())
            pages = struct.unpack(">Q", data[1:9])[0]
            self.assertGreater(pages, 1024)
            rng = random.Random(7)
            for record in range(512):
                start = 9 + record * (8 + PAGE) + 8
                data[start:start + PAGE] = rng.randbytes(PAGE)
            open(raw, "wb").write(bytes(data))
            packed = os.path.join(tmp, "s.bin.gz")
            run(CANNONBALL, "run", "--input", raw, "--output", packed, "--stop-at", "=0", "--meta", "")

            file = open(packed, "rb").read()
            found = members(file)
            self.assertGreaterEqual(len(found), 3)
            self.assertTrue(any(stored for _, _, stored in found), "no stored member")
            self.assertTrue(any(not stored for _, _, stored in found), "no compressed member")
            self.assertEqual(gzip.decompress(file), bytes(data))  # any gzip reader sees one stream

            theirs = run(REFVM, "witness", "--input", packed).stdout
            ours = run(CANNONBALL, "witness", "--input", packed).stdout
            self.assertEqual(ours, theirs)
            self.assertEqual(run(CANNONBALL, "witness", "--input", raw).stdout, ours)


if __name__ == "__main__":
    unittest.main()
