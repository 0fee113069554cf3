"""Random single-step states for the differential fuzzer (difftest.py fuzz): the binary state
format of spec section 11.1 written from Python, instruction words drawn from the instruction
table (interp/instruction_table.h) or fully random, syscalls with their arguments, pre-image keys
and offsets, threads on both stacks, LL reservations and delay-slot states."""

import hashlib
import os
import random
import re
import struct

PRCTL = 5153
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# ---------------------------------------------------------------------------------------------
# fuzz: random single-step states
# ---------------------------------------------------------------------------------------------

M64 = (1 << 64) - 1


def load_instruction_table():
    rows = []
    with open(os.path.join(ROOT, "interp", "instruction_table.h")) as f:
        for m in re.finditer(r"X\((\w+), (0x[0-9A-Fa-f]+), (-?\w+), (\w+), (\w+)[,)]", f.read()):
            name, op, sel, fmt, grp = m.groups()
            rows.append((name.rstrip("_"), int(op, 16), int(sel, 0), fmt, grp))
    if len(rows) < 90:
        raise SystemExit("could not parse interp/instruction_table.h")
    return rows


SYSCALLS_IMPL = [5009, 5012, 5055, 5205, 5058, 5000, 5001, 5070, 5023, 5034, 5178, 5038, 5194, 5002,
                 5222, 5313, 5284]
SYSCALLS_NOOP = [5011, 5010, 5196, 5027, 5014, 5129, 5013, 5297, 5003, 5016, 5004, 5005, 5225, 5008,
                 5216, 5220, 5247, 5087, 5257, 5015, 5285, 5287, 5208, 5272, 5061, 5100, 5102, 5026,
                 5095, 5036, 5217]


def thread_bytes(tid, exit_code, exited, pc, npc, lo, hi, regs):
    return struct.pack(">QBBQQQQ", tid, exit_code, exited, pc, npc, lo, hi) + struct.pack(">32Q", *regs)


def encode_state(pages, preimage_key=bytes(32), preimage_off=0, heap=0x100000000000, ll_status=0, ll_addr=0,
                 ll_owner=0, exit_code=0, exited=0, step=0, ssc=0, traverse_right=0, next_tid=1, left=(),
                 right=(), last_hint=b""):
    """The binary state file of spec 11.1 (uncompressed). pages: {page index: 4096 bytes}."""
    out = bytearray([8])
    out += struct.pack(">Q", len(pages))
    for idx in sorted(pages):
        out += struct.pack(">Q", idx) + bytes(pages[idx])
    out += preimage_key + struct.pack(">QQ", preimage_off, heap)
    out += struct.pack(">BQQBBQQBQ", ll_status & 0xFF, ll_addr, ll_owner, exit_code, exited, step,
                       ssc, traverse_right, next_tid)
    out += struct.pack(">Q", len(left)) + b"".join(left)
    out += struct.pack(">Q", len(right)) + b"".join(right)
    out += struct.pack(">I", len(last_hint)) + last_hint
    return bytes(out)


def one_insn_state(insn, regs=None, pc=0x10000, data=None, **kw):
    """A state whose only thread is about to run `insn` at pc, plus data words {addr: u64}."""
    regs = list(regs or [0] * 32)
    pages = {}
    for addr, val in [(pc & ~3, insn << 32 if pc & 4 == 0 else insn)] + list((data or {}).items()):
        pg = pages.setdefault(addr >> 12, bytearray(4096))
        o = addr & 0xFF8
        old = int.from_bytes(pg[o:o + 8], "big")
        if addr == pc & ~3:
            val = (old & 0xFFFFFFFF) | val if pc & 4 == 0 else (old & ~0xFFFFFFFF) | val
        pg[o:o + 8] = val.to_bytes(8, "big")
    thread = thread_bytes(0, 0, 0, pc, pc + 4, 0, 0, regs)
    return encode_state(pages, left=[thread], **kw)


def regs_with(**named):
    regs = [0] * 32
    idx = {"v0": 2, "a0": 4, "a1": 5, "a2": 6, "a3": 7}
    for k, v in named.items():
        regs[idx[k]] = v & M64
    return regs


# Minimal cases of divergences found by the fuzzer (each one a regression test), run before the
# random cases. name -> state bytes.
DIRECTED = {
    # A hint write whose range wraps around the address space back into its first page: upstream's
    # page reader panics (an exception); cannonball used to fail with a host allocation error (exit 1).
    "hint-write-wrapping-range": lambda: one_insn_state(0x0000000C, regs_with(v0=5001, a0=4, a1=0x20000010, a2=M64),
                                                        data={0x20000010: 0x1122334455667788}),
    "stdout-write-wrapping-range": lambda: one_insn_state(0x0000000C, regs_with(v0=5001, a0=1, a1=0x20000010,
                                                                                a2=(1 << 64) - 0x10)),
    "stderr-write-wrapping-range-absent-page": lambda: one_insn_state(
        0x0000000C, regs_with(v0=5001, a0=2, a1=0x30000ff8, a2=(1 << 64) - 1)),
    # Page-aligned writes never wrap into their first page (the check must not fire on them).
    "hint-write-page-aligned": lambda: one_insn_state(0x0000000C, regs_with(v0=5001, a0=4, a1=0x20000000, a2=82),
                                                      data={0x20000000: 0x0000000411223344}),
    # The same, just below the wrap (the range ends in the previous page of a short write).
    "hint-write-near-wrap-small": lambda: one_insn_state(0x0000000C, regs_with(v0=5001, a0=4, a1=0xFFFFFFFFFFFFFFF0, a2=16)),
}


class Preimages:
    """A directory of pre-images for the fuzz cases: name = 64 hex digits of the key."""

    def __init__(self, d, rnd):
        self.dir = d
        os.makedirs(d, exist_ok=True)
        self.items = []  # (key bytes, value bytes)
        sizes = [0, 1, 7, 8, 9, 24, 31, 32, 33, 100, 1000]
        for i, n in enumerate(sizes):
            val = bytes(rnd.getrandbits(8) for _ in range(n))
            if i % 3 == 0:
                key = b"\x01" + bytes(23) + struct.pack(">Q", i)  # local key
            else:
                h = hashlib.sha3_256(val).digest()  # the type byte is what matters here, not the hash kind
                key = bytes([2 if i % 3 == 1 else 4]) + h[1:]
            self.items.append((key, val))
            with open(os.path.join(d, key.hex()), "wb") as f:
                f.write(val)


class Gen:
    def __init__(self, rnd, table, pre):
        self.r, self.table, self.pre = rnd, table, pre

    def word(self):
        r = self.r
        c = r.randrange(12)
        if c == 0:
            return 0
        if c == 1:
            return M64
        if c == 2:
            return r.choice([1, 2, 3, 4, 7, 8, 31, 32, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                             0xFFFFFFFF80000000, 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0x100000000])
        if c == 3:
            return r.getrandbits(8)
        if c == 4:
            return (r.getrandbits(32) ^ (M64 if r.random() < 0.5 else 0)) & M64  # sign-extended-ish
        if c == 5:
            return r.getrandbits(32)
        if c == 6:
            return (-r.randrange(1, 300)) & M64
        return r.getrandbits(64)

    def insn_from_table(self):
        r = self.r
        name, op, sel, fmt, grp = r.choice(self.table)
        w = r.getrandbits(26)  # all operand fields random, "should-be-zero" fields too
        if r.random() < 0.6:
            # keep the "should-be-zero" fields zero most of the time
            if fmt in ("RdRsRt", "RdRtRs", "RsRt", "RdRs", "Rs", "Rd", "None"):
                w &= ~(0x1F << 6)
        if op in (0x00, 0x1C):
            w = (w & ~0x3F) | sel
        elif op == 0x01:
            w = (w & ~(0x1F << 16)) | (sel << 16)
        return (op << 26) | w, name, grp

    def build(self):
        r = self.r
        regs = [self.word() for _ in range(32)]
        regs[0] = 0 if r.random() < 0.9 else self.word()  # r0 nonzero in a state file is possible
        pages = {}

        def page(addr):
            addr &= M64
            return pages.setdefault(addr >> 12, bytearray(r.getrandbits(8) for _ in range(4096))
                                    if r.random() < 0.7 else bytearray(4096))

        def put_word(addr, val, size=8):
            addr &= M64
            pg = page(addr)
            o = addr & 0xFFF
            pg[o:o + size] = val.to_bytes(size, "big")

        def get_word(addr):
            pg = pages.get(addr >> 12)
            if pg is None:
                return 0
            o = addr & 0xFF8
            return int.from_bytes(pg[o:o + 8], "big")

        # pc
        c = r.randrange(10)
        if c < 5:
            pc = r.randrange(0x10000, 0x400000) & ~3
        elif c < 7:
            pc = (0x7FFFFFFF0000 + r.randrange(0, 0x10000)) & ~3
        elif c < 9:
            pc = r.getrandbits(64) & ~3
        else:
            pc = r.getrandbits(64)  # possibly misaligned
        if r.random() < 0.15:
            npc = r.choice([pc + 8, pc - 4, self.word(), (pc + 4 + 4 * r.randrange(-100, 100)) & M64]) & M64
        else:
            npc = (pc + 4) & M64

        # instruction
        kind = "table"
        x = r.random()
        if x < 0.08:
            insn, kind, grp = r.getrandbits(32), "random", ""
        elif x < 0.40:
            insn, kind, grp = 0x0000000C | (r.getrandbits(20) << 6 if r.random() < 0.1 else 0), "syscall", "Syscall"
        else:
            insn, kind, grp = self.insn_from_table()
        if (pc & 3) == 0:
            put_word(pc, insn, 4)
        else:
            put_word(pc & ~3, insn, 4)

        # data addresses: point rs (and other registers) into allocated pages near pc or elsewhere
        data_base = r.choice([pc & ~0xFFF, 0x20000000, 0x7FFFFFFFE000, r.getrandbits(64) & ~0xFFF,
                              0x1000000000 + r.randrange(0, 1 << 20) * 4096])
        rs = (insn >> 21) & 31
        rt = (insn >> 16) & 31
        simm = insn & 0xFFFF
        simm = simm - 0x10000 if simm & 0x8000 else simm
        if r.random() < 0.7 and kind != "syscall":
            target = data_base + r.randrange(0, 4096)
            regs[rs] = (target - simm) & M64
            page(target)
        if rs == 0:
            regs[0] = 0 if r.random() < 0.9 else regs[0]

        hi, lo = self.word(), self.word()
        # LL reservation
        ll_status = r.choice([0, 0, 1, 2, r.choice([3, 255])] if r.random() < 0.05 else [0, 0, 1, 2])
        ll_addr = 0
        if ll_status:
            ll_addr = r.choice([(regs[rs] + simm) & M64, ((regs[rs] + simm) & ~7) + r.randrange(8),
                                self.word()]) & M64
        tid = r.choice([0, 1, 2, 5, r.getrandbits(64)])
        ll_owner = r.choice([tid, tid, 0, tid + 1]) & M64 if ll_status else r.choice([0, 0, 0, tid])

        preimage_key = bytes(32)
        preimage_off = 0
        last_hint = b""
        heap = r.choice([0x100000000000, 0x100000000000 + r.randrange(1 << 30) * 4096, 0x5FFFFFFFF000,
                         0x600000000000, self.word()])

        if kind == "syscall":
            self.syscall_args(regs, page, put_word, get_word, data_base)
            num = regs[2]
            key_choice = r.random()
            if key_choice < 0.75:
                k, v = r.choice(self.pre.items)
                preimage_key = k
                n = len(v) + 8
                preimage_off = r.choice([0, r.randrange(0, n + 1), n - 1, n, n + 1, r.randrange(0, n + 3)])
                preimage_off = max(preimage_off, 0)
            elif key_choice < 0.8:
                preimage_key = bytes(r.getrandbits(8) for _ in range(32))  # no such pre-image
            if num == 5001 and regs[4] == 4 or r.random() < 0.1:
                hl = r.choice([0, 1, 3, 4, 5, 10])
                last_hint = bytes(r.getrandbits(8) for _ in range(hl))
                if hl >= 4 and r.random() < 0.5:
                    last_hint = struct.pack(">I", r.randrange(0, 12)) + last_hint[4:]

        exited = 1 if r.random() < 0.03 else 0
        exit_code = r.getrandbits(8) if exited or r.random() < 0.05 else 0
        step = r.choice([0, 1, r.getrandbits(20), r.getrandbits(40), 9_999_999, 10_000_000, M64 - 1])
        if r.random() < 0.12:
            ssc = r.choice([100_000, 100_001, r.getrandbits(64)])  # forced preemption
        else:
            ssc = r.choice([0, 1, 99_999, r.randrange(100_000)])
        # threads
        active = thread_bytes(tid, exit_code if r.random() < 0.1 else 0,
                              1 if r.random() < 0.05 else 0, pc, npc, lo, hi, regs)

        def other_thread():
            return thread_bytes(r.getrandbits(8), r.getrandbits(8) if r.random() < 0.2 else 0,
                                1 if r.random() < 0.2 else 0, r.getrandbits(64) & ~3,
                                r.getrandbits(64) & ~3, self.word(), self.word(),
                                [self.word() for _ in range(32)])

        traverse_right = r.randrange(2)
        n_active_rest = r.choice([0, 0, 1, 2, 3])
        n_other = r.choice([0, 0, 1, 2, 3])
        active_stack = [other_thread() for _ in range(n_active_rest)]
        if r.random() < 0.99:
            active_stack.append(active)
        other_stack = [other_thread() for _ in range(n_other)]
        left, right = (other_stack, active_stack) if traverse_right else (active_stack, other_stack)
        next_tid = r.choice([tid + 1, r.getrandbits(64), 1]) & M64

        out = encode_state(pages, preimage_key, preimage_off, heap, ll_status, ll_addr, ll_owner, exit_code,
                           exited, step, ssc, traverse_right, next_tid, left, right, last_hint)
        return out, {"insn": f"{insn:08x}", "kind": kind, "group": grp, "step": step,
                            "syscall": regs[2] if kind == "syscall" else None, "fd": regs[4], "exited": exited}

    def syscall_args(self, regs, page, put_word, get_word, data_base):
        r = self.r
        c = r.random()
        if c < 0.3:
            num = r.choice([5000, 5001])
        elif c < 0.6:
            num = r.choice(SYSCALLS_IMPL)
        elif c < 0.75:
            num = r.choice(SYSCALLS_NOOP)
        elif c < 0.80:
            num = PRCTL
        elif c < 0.92:
            num = r.randrange(4990, 5420)
        else:
            num = r.choice([self.word(), 5000 + (1 << 32), 4001, 4003, 0])
        regs[2] = num
        addr = data_base + r.randrange(0, 4096)
        if r.random() < 0.8:
            page(addr)
        else:
            addr = self.word()
        fds = [0, 1, 2, 3, 4, 5, 6, 7, 100, 101, M64, r.getrandbits(64)]
        a0, a1, a2 = self.word(), self.word(), self.word()
        if num in (5000, 5001):
            a0 = r.choice(fds) if r.random() < 0.4 else (5 if num == 5000 else r.choice([4, 6, 6]))
            a1 = addr
            a2 = r.choice([0, 1, 2, 3, 4, 7, 8, 9, 16, 32, 100, 5000, M64, self.word()])
            if num == 5001 and a0 in (1, 2, 4) and r.random() < 0.3:
                a1 &= ~0xFFF  # page-aligned
            if num == 5001 and a0 in (1, 2, 4) and a2 > 1 << 20:
                # Upstream reads these bytes page by page: a range that wraps back into its first
                # page is an exception, any other huge range runs out of memory or time there.
                off = a1 & 0xFFF
                a2 = M64 - r.randrange(0, off) if off else r.randrange(0, 1 << 16)
        elif num == 5009:
            a0 = r.choice([0, 0, 0, addr, self.word()])
            a1 = r.choice([0, 1, 4095, 4096, 4097, 1 << 20, 1 << 40, M64, M64 - 4095, M64 - 4096, self.word()])
        elif num == 5055:
            a0 = r.choice([0x50F00, 0x50F00, 0x50F00, 0x50F00 | 1, 0x10F00, self.word()])
            a1 = addr
        elif num == 5070:
            a0 = r.choice(fds)
            a1 = r.choice([1, 3, 3, 2, 4, self.word()])
        elif num == 5194:
            a0 = addr
            a1 = r.choice([128, 128, 129, 0, 1, 128 | (1 << 32), self.word()])
            cur = get_word(addr & ~7)
            v32 = (cur >> 32) & 0xFFFFFFFF if (addr & 4) == 0 else cur & 0xFFFFFFFF
            a2 = r.choice([v32, v32 | (r.getrandbits(32) << 32), self.word()])
        elif num == 5222:
            a0 = r.choice([0, 1, 1, 2, 3, self.word()])
            a1 = addr
            if r.random() < 0.3:
                page((addr & ~7) + 8)
        elif num == 5313:
            a0 = addr
            a1 = r.choice([0, 1, 2, 7, 8, 9, 100, M64, self.word()])
        elif num == 5284:
            a1 = r.choice([0, 0x80, 0x80 | 0x80000, 0x80000, self.word()])
        elif num in (5205, 5058):
            a0 = self.word()
        regs[4], regs[5], regs[6] = a0, a1, a2
        if r.random() < 0.5:
            regs[7] = self.word()


def fuzz_case_bytes(seed, i, table, pre):
    rnd = random.Random(f"{seed}:{i}")
    return Gen(rnd, table, pre).build()
