// The bit tests derived from the instruction table (is_op, selector masks, jump_target) agree
// with the decoder and with the row encodings, over every row and many random words.
#include <gtest/gtest.h>

#include <random>

#include "interp/instruction_table.h"

namespace cannonball {
namespace {

TEST(InstructionTable, IsOpAgreesWithDecodeOnRandomWords) {
  std::mt19937 rng(16);
  for (int i = 0; i < 200'000; ++i) {
    uint32_t insn = static_cast<uint32_t>(rng());
    // Half the words get a populated opcode so most rows are hit, not only Invalid.
    if (i & 1)
      insn = (insn & 0x03FF'FFFFu) | (uint32_t{instruction_table()[rng() % instruction_table().size()].opcode} << 26);
    const Op decoded = decode(insn);
    for (size_t row = 0; row < instruction_table().size(); ++row) {
      const auto op = static_cast<Op>(row);
      ASSERT_EQ(is_op(insn, op), decoded == op) << std::hex << insn << " row " << mnemonic(op);
    }
  }
}

TEST(InstructionTable, EveryEncodedRowMatchesItsOwnBitTestOnly) {
  std::mt19937 rng(5);
  for (size_t row = 0; row < instruction_table().size(); ++row) {
    const auto op = static_cast<Op>(row);
    for (int i = 0; i < 64; ++i) {
      const uint32_t insn = encode(op, static_cast<uint32_t>(rng()));
      for (size_t other = 0; other < instruction_table().size(); ++other)
        EXPECT_EQ(is_op(insn, static_cast<Op>(other)), other == row)
            << mnemonic(op) << " vs " << mnemonic(static_cast<Op>(other));
    }
  }
}

TEST(InstructionTable, SyscallBitTestIgnoresEveryFieldButOpcodeAndFunct) {
  static_assert(is_op(0x0000'000Cu, Op::syscall));
  static_assert(is_op(0x03FF'FFCCu, Op::syscall));  // code field set: still a syscall (spec §5.1)
  static_assert(!is_op(0x0000'000Du, Op::syscall));
  static_assert(!is_op(0x0400'000Cu, Op::syscall));
}

TEST(InstructionTable, JumpTargetKeepsTheDelaySlotRegion) {
  // The 256 MiB region comes from the delay slot's address, so a jump in the last word of a
  // region lands in the next one.
  static_assert(jump_target(0x0800'0001u, 0x0000'0000'1000'0000ull) == 0x0000'0000'1000'0004ull);
  static_assert(jump_target(0x0BFF'FFFFu, 0xFFFF'FFFF'F000'0004ull) == 0xFFFF'FFFF'FFFF'FFFCull);
  EXPECT_EQ(disassemble(0x0C00'0010u, 0x0FFF'FFFCull), "jal 0x10000040");
}

TEST(InstructionTable, MemoryOpIsTheRowOfEachMemoryOpcode) {
  for (unsigned opcode = 0; opcode < 64; ++opcode) {
    const Op op = decode(opcode << 26);
    const bool memory = op != Op::Invalid && info(op).access != Access::None;
    EXPECT_EQ(memory_op(opcode), memory ? op : Op::Invalid) << opcode;
  }
  // The audit's "is a store" and the JIT helper's refill after a store read the access column.
  EXPECT_EQ(info(memory_op(0x38)).access, Access::Write);  // sc
  EXPECT_EQ(info(memory_op(0x30)).access, Access::Read);   // ll
  EXPECT_EQ(info(memory_op(0x37)).access, Access::Read);   // ld
  EXPECT_EQ(memory_op(0x2F), Op::Invalid);                 // no row
}

}  // namespace
}  // namespace cannonball
