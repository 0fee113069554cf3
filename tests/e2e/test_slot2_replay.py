#!/usr/bin/env python3
"""Proof slot #2 far from its clock_gettime: the replay that re-creates the slot starts at the
Prover's nearest checkpoint, so it runs fewer steps than the checkpoint interval however far the
proof is from the input state, and the proof is byte-identical to upstream cannon's.

The guest reads the clock once (at a chosen turn of a loop that stores its counter to memory on
every turn, so the memory at the clock_gettime differs from the memory at the proof step), then
loops on without reading it again. A proof more than the eager window (2^20 steps) after that
clock_gettime needs the replay; `run` logs it as `msg="proof slot #2 replayed" ... steps=N`.

Environment: CANNONBALL (binary), REFVM (upstream cannon).
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from test_cli import build_elf  # noqa: E402

CANNONBALL = os.environ.get("CANNONBALL", "build/tools/cannonball")
REFVM = os.environ.get("REFVM", "build/refvm/cannon")
WINDOW = 1 << 20  # Prover::EagerSlot2Window
INTERVAL = 1 << 16  # --checkpoint-interval of these runs

SYSCALL = 0x0000000C
NOP = 0


def i_type(op, rs, rt, imm):
    return (op << 26) | (rs << 21) | (rt << 16) | (imm & 0xFFFF)


def clock_once_program(clock_turn):
    """Counts turns in $16, storing the count to 0x20000 every turn; at turn `clock_turn` it calls
    clock_gettime(CLOCK_MONOTONIC, 0x30000). A turn is 6 steps, 10 with the clock_gettime."""
    addiu = lambda rt, rs, imm: i_type(0x09, rs, rt, imm)
    return [
        i_type(0x0F, 0, 18, 0x2),        # 0: lui $18, 2        data word at 0x20000
        i_type(0x0F, 0, 19, 0x3),        # 1: lui $19, 3        timespec at 0x30000
        i_type(0x0F, 0, 17, clock_turn >> 16),  # 2: lui $17, clock_turn >> 16
        i_type(0x0D, 17, 17, clock_turn),  # 3: ori $17, $17, clock_turn & 0xffff
        addiu(16, 16, 1),                # 4: loop: addiu $16, $16, 1
        i_type(0x3F, 18, 16, 0),         # 5: sd $16, 0($18)
        i_type(0x05, 16, 17, 5),         # 6: bne $16, $17, 12
        NOP,                             # 7
        addiu(2, 0, 5222),               # 8: li $v0, clock_gettime
        addiu(4, 0, 1),                  # 9: li $a0, CLOCK_MONOTONIC
        addiu(5, 19, 0),                 # 10: move $a1, $19
        SYSCALL,                         # 11
        i_type(0x04, 0, 0, 4 - 13),      # 12: b loop
        NOP,                             # 13
    ]


def clock_step(clock_turn):
    """About the step counter before the clock_gettime: 4 setup steps, 6 per earlier turn, 7 of its
    own turn, and one step per 100,000 for the scheduler's preemption (at most that many more)."""
    return 4 + 6 * (clock_turn - 1) + 7


class Slot2ReplayIsBounded(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cannonball-slot2-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def load(self, clock_turn):
        elf = self.path(f"clock{clock_turn}.elf")
        with open(elf, "wb") as f:
            f.write(build_elf(clock_once_program(clock_turn)))
        state = self.path(f"clock{clock_turn}.bin")
        subprocess.run([CANNONBALL, "load-elf", "--type", "multithreaded64-5", "--path", elf, "--out", state,
                        "--meta", ""], check=True, capture_output=True)
        return state

    def proof(self, exe, state, step, tag, *extra):
        fmt = self.path(f"{tag}-%d.json")
        result = subprocess.run([exe, "run", "--input", state, "--output", "", "--meta", "", "--info-at", "never",
                                 "--proof-at", f"={step}", "--stop-at", f"={step + 1}", "--proof-fmt", fmt, *extra],
                                capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        with open(fmt % step, "rb") as f:
            return f.read(), result.stderr

    def replayed(self, log):
        m = re.search(r'msg="proof slot #2 replayed" .*\bclock_step=(\d+) from=(\d+) steps=(\d+)', log)
        return tuple(int(g) for g in m.groups()) if m else None

    def check(self, clock_turn, proof_step):
        state = self.load(clock_turn)
        clock = clock_step(clock_turn)
        self.assertGreater(proof_step - clock, WINDOW, "the proof must lie beyond the eager window")
        upstream, _ = self.proof(REFVM, state, proof_step, "up")
        for engine in ("interp", "jit"):
            with self.subTest(engine=engine):
                proof, log = self.proof(CANNONBALL, state, proof_step, f"cb-{engine}", "--engine", engine,
                                        "--checkpoint-interval", str(INTERVAL))
                self.assertEqual(proof, upstream, f"proof at {proof_step} differs from upstream's")
                replay = self.replayed(log)
                self.assertIsNotNone(replay, log[-2000:])
                logged_clock, start, steps = replay
                self.assertTrue(clock <= logged_clock <= clock + clock // 100000 + 1, replay)
                self.assertEqual(start + steps, logged_clock + 1)  # to the clock_gettime, that step included
                self.assertLessEqual(steps, INTERVAL, f"a replay of {steps} steps from step {start}")

    def test_clock_near_the_input_state(self):
        self.check(clock_turn=5, proof_step=WINDOW + 5 * INTERVAL + 123)

    def test_clock_far_from_the_input_state(self):
        # The clock_gettime is 9 intervals and some into the run; the replay still starts near it.
        turn = (9 * INTERVAL + 4321) // 6
        self.check(clock_turn=turn, proof_step=clock_step(turn) + WINDOW + 3 * INTERVAL + 77)

    def test_clock_just_after_a_checkpoint(self):
        turn = (8 * INTERVAL) // 6 + 1
        self.check(clock_turn=turn, proof_step=clock_step(turn) + WINDOW + 2 * INTERVAL)

    def test_without_checkpoints_the_replay_runs_from_the_input_state(self):
        # The default interval (2^29) is far beyond this run: the replay starts at step 0, which is
        # what bounded it before the checkpoints (the distance from the input state).
        turn = (9 * INTERVAL + 4321) // 6
        state = self.load(turn)
        proof_step = clock_step(turn) + WINDOW + 3 * INTERVAL + 77
        upstream, _ = self.proof(REFVM, state, proof_step, "up")
        proof, log = self.proof(CANNONBALL, state, proof_step, "cb", "--engine", "jit")
        self.assertEqual(proof, upstream)
        logged_clock, start, steps = self.replayed(log)
        self.assertEqual((start, steps), (0, logged_clock + 1))
        self.assertGreater(steps, 9 * INTERVAL)

    def test_no_replay_when_the_clock_is_within_the_window(self):
        turn = 1000
        state = self.load(turn)
        proof_step = clock_step(turn) + WINDOW - 10
        upstream, _ = self.proof(REFVM, state, proof_step, "up")
        proof, log = self.proof(CANNONBALL, state, proof_step, "cb", "--engine", "jit",
                                "--checkpoint-interval", str(INTERVAL))
        self.assertEqual(proof, upstream)
        self.assertIsNone(self.replayed(log), log[-2000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
