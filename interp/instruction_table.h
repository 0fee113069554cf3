// The one instruction table of cannonball (spec §5). Every supported MIPS64 instruction is one
// row; the decoder, the disassembler, the JIT's block classification and emitter, the fuzz
// generators and the row-by-row engine test read it.
//
// Row: X(name, opcode, selector, format, group, access, fault, jit); the name is the mnemonic (a
// trailing '_' only keeps and/or/xor from clashing with C++'s alternative tokens).
//   selector: the funct field for SPECIAL (0x00) and SPECIAL2 (0x1C), the rt field for REGIMM
//             (0x01), and -1 for opcodes that need no selector.
//   format:   operand layout for the disassembler.
//   group:    semantics class (used by tests, benchmarks and the JIT coverage report).
//   access:   the data access the instruction itself makes (Read, Write or None); a syscall's
//             accesses to guest buffers belong to the syscall (spec §7), not to this column.
//   fault:    the VM exception the row can raise once it runs (spec §5): None, DelaySlot (a
//             branch or jump in a delay slot), DivideByZero, or Syscall (whatever the syscall
//             raises, spec §7.4). Words without a row raise InvalidInstruction.
//   jit:      how the JIT runs the row: Native (emitted as host code; clz/clo/dclz/dclo fall back
//             to the helper on hosts without LZCNT), Helper (inside a block, through the
//             interpreter's own code) or Never (never inside a block: every such step is a whole
//             Vm::step, the single source of truth for syscalls and LL/SC).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/word.h"

namespace cannonball {

enum class Format : uint8_t {
  RdRsRt,   // add rd, rs, rt
  RdRtSa,   // sll rd, rt, sa
  RdRtRs,   // sllv rd, rt, rs
  Rs,       // jr rs / mthi rs
  RdRs,     // jalr rd, rs / clz rd, rs
  Rd,       // mfhi rd
  RsRt,     // mult rs, rt
  None,     // syscall / sync
  RtRsImm,  // addi rt, rs, imm
  RtImm,    // lui rt, imm
  RsRtOff,  // beq rs, rt, off
  RsOff,    // blez rs, off
  Target,   // j target
  RtMem,    // lw rt, off(rs)
};

enum class Group : uint8_t { Alu, Shift, MulDiv, HiLo, Branch, Jump, Load, Store, Rmw, Syscall, Misc };

enum class Access : uint8_t { None, Read, Write };
enum class Fault : uint8_t { None, DelaySlot, DivideByZero, Syscall };
enum class JitStatus : uint8_t { Native, Helper, Never };

#define CANNONBALL_INSTRUCTIONS(X)                               \
  X(sll, 0x00, 0x00, RdRtSa, Shift, None, None, Native)          \
  X(srl, 0x00, 0x02, RdRtSa, Shift, None, None, Native)          \
  X(sra, 0x00, 0x03, RdRtSa, Shift, None, None, Native)          \
  X(sllv, 0x00, 0x04, RdRtRs, Shift, None, None, Native)         \
  X(srlv, 0x00, 0x06, RdRtRs, Shift, None, None, Native)         \
  X(srav, 0x00, 0x07, RdRtRs, Shift, None, None, Native)         \
  X(jr, 0x00, 0x08, Rs, Jump, None, DelaySlot, Native)           \
  X(jalr, 0x00, 0x09, RdRs, Jump, None, DelaySlot, Native)       \
  X(movz, 0x00, 0x0A, RdRsRt, Alu, None, None, Native)           \
  X(movn, 0x00, 0x0B, RdRsRt, Alu, None, None, Native)           \
  X(syscall, 0x00, 0x0C, None, Syscall, None, Syscall, Never)    \
  X(sync, 0x00, 0x0F, None, Misc, None, None, Helper)            \
  X(mfhi, 0x00, 0x10, Rd, HiLo, None, None, Native)              \
  X(mthi, 0x00, 0x11, Rs, HiLo, None, None, Native)              \
  X(mflo, 0x00, 0x12, Rd, HiLo, None, None, Native)              \
  X(mtlo, 0x00, 0x13, Rs, HiLo, None, None, Native)              \
  X(dsllv, 0x00, 0x14, RdRtRs, Shift, None, None, Native)        \
  X(dsrlv, 0x00, 0x16, RdRtRs, Shift, None, None, Native)        \
  X(dsrav, 0x00, 0x17, RdRtRs, Shift, None, None, Native)        \
  X(mult, 0x00, 0x18, RsRt, MulDiv, None, None, Native)          \
  X(multu, 0x00, 0x19, RsRt, MulDiv, None, None, Native)         \
  X(div, 0x00, 0x1A, RsRt, MulDiv, None, DivideByZero, Native)   \
  X(divu, 0x00, 0x1B, RsRt, MulDiv, None, DivideByZero, Native)  \
  X(dmult, 0x00, 0x1C, RsRt, MulDiv, None, None, Native)         \
  X(dmultu, 0x00, 0x1D, RsRt, MulDiv, None, None, Native)        \
  X(ddiv, 0x00, 0x1E, RsRt, MulDiv, None, DivideByZero, Native)  \
  X(ddivu, 0x00, 0x1F, RsRt, MulDiv, None, DivideByZero, Native) \
  X(add, 0x00, 0x20, RdRsRt, Alu, None, None, Native)            \
  X(addu, 0x00, 0x21, RdRsRt, Alu, None, None, Native)           \
  X(sub, 0x00, 0x22, RdRsRt, Alu, None, None, Native)            \
  X(subu, 0x00, 0x23, RdRsRt, Alu, None, None, Native)           \
  X(and_, 0x00, 0x24, RdRsRt, Alu, None, None, Native)           \
  X(or_, 0x00, 0x25, RdRsRt, Alu, None, None, Native)            \
  X(xor_, 0x00, 0x26, RdRsRt, Alu, None, None, Native)           \
  X(nor, 0x00, 0x27, RdRsRt, Alu, None, None, Native)            \
  X(slt, 0x00, 0x2A, RdRsRt, Alu, None, None, Native)            \
  X(sltu, 0x00, 0x2B, RdRsRt, Alu, None, None, Native)           \
  X(dadd, 0x00, 0x2C, RdRsRt, Alu, None, None, Native)           \
  X(daddu, 0x00, 0x2D, RdRsRt, Alu, None, None, Native)          \
  X(dsub, 0x00, 0x2E, RdRsRt, Alu, None, None, Native)           \
  X(dsubu, 0x00, 0x2F, RdRsRt, Alu, None, None, Native)          \
  X(dsll, 0x00, 0x38, RdRtSa, Shift, None, None, Native)         \
  X(dsrl, 0x00, 0x3A, RdRtSa, Shift, None, None, Native)         \
  X(dsra, 0x00, 0x3B, RdRtSa, Shift, None, None, Native)         \
  X(dsll32, 0x00, 0x3C, RdRtSa, Shift, None, None, Native)       \
  X(dsrl32, 0x00, 0x3E, RdRtSa, Shift, None, None, Native)       \
  X(dsra32, 0x00, 0x3F, RdRtSa, Shift, None, None, Native)       \
  X(bltz, 0x01, 0x00, RsOff, Branch, None, DelaySlot, Native)    \
  X(bgez, 0x01, 0x01, RsOff, Branch, None, DelaySlot, Native)    \
  X(bltzal, 0x01, 0x10, RsOff, Branch, None, DelaySlot, Native)  \
  X(bgezal, 0x01, 0x11, RsOff, Branch, None, DelaySlot, Native)  \
  X(j, 0x02, -1, Target, Jump, None, DelaySlot, Native)          \
  X(jal, 0x03, -1, Target, Jump, None, DelaySlot, Native)        \
  X(beq, 0x04, -1, RsRtOff, Branch, None, DelaySlot, Native)     \
  X(bne, 0x05, -1, RsRtOff, Branch, None, DelaySlot, Native)     \
  X(blez, 0x06, -1, RsOff, Branch, None, DelaySlot, Native)      \
  X(bgtz, 0x07, -1, RsOff, Branch, None, DelaySlot, Native)      \
  X(addi, 0x08, -1, RtRsImm, Alu, None, None, Native)            \
  X(addiu, 0x09, -1, RtRsImm, Alu, None, None, Native)           \
  X(slti, 0x0A, -1, RtRsImm, Alu, None, None, Native)            \
  X(sltiu, 0x0B, -1, RtRsImm, Alu, None, None, Native)           \
  X(andi, 0x0C, -1, RtRsImm, Alu, None, None, Native)            \
  X(ori, 0x0D, -1, RtRsImm, Alu, None, None, Native)             \
  X(xori, 0x0E, -1, RtRsImm, Alu, None, None, Native)            \
  X(lui, 0x0F, -1, RtImm, Alu, None, None, Native)               \
  X(daddi, 0x18, -1, RtRsImm, Alu, None, None, Native)           \
  X(daddiu, 0x19, -1, RtRsImm, Alu, None, None, Native)          \
  X(ldl, 0x1A, -1, RtMem, Load, Read, None, Helper)              \
  X(ldr, 0x1B, -1, RtMem, Load, Read, None, Helper)              \
  X(mul, 0x1C, 0x02, RdRsRt, MulDiv, None, None, Native)         \
  X(clz, 0x1C, 0x20, RdRs, Alu, None, None, Native)              \
  X(clo, 0x1C, 0x21, RdRs, Alu, None, None, Native)              \
  X(dclz, 0x1C, 0x24, RdRs, Alu, None, None, Native)             \
  X(dclo, 0x1C, 0x25, RdRs, Alu, None, None, Native)             \
  X(lb, 0x20, -1, RtMem, Load, Read, None, Native)               \
  X(lh, 0x21, -1, RtMem, Load, Read, None, Native)               \
  X(lwl, 0x22, -1, RtMem, Load, Read, None, Helper)              \
  X(lw, 0x23, -1, RtMem, Load, Read, None, Native)               \
  X(lbu, 0x24, -1, RtMem, Load, Read, None, Native)              \
  X(lhu, 0x25, -1, RtMem, Load, Read, None, Native)              \
  X(lwr, 0x26, -1, RtMem, Load, Read, None, Helper)              \
  X(lwu, 0x27, -1, RtMem, Load, Read, None, Native)              \
  X(sb, 0x28, -1, RtMem, Store, Write, None, Native)             \
  X(sh, 0x29, -1, RtMem, Store, Write, None, Native)             \
  X(swl, 0x2A, -1, RtMem, Store, Write, None, Helper)            \
  X(sw, 0x2B, -1, RtMem, Store, Write, None, Native)             \
  X(sdl, 0x2C, -1, RtMem, Store, Write, None, Helper)            \
  X(sdr, 0x2D, -1, RtMem, Store, Write, None, Helper)            \
  X(swr, 0x2E, -1, RtMem, Store, Write, None, Helper)            \
  X(ll, 0x30, -1, RtMem, Rmw, Read, None, Never)                 \
  X(lld, 0x34, -1, RtMem, Rmw, Read, None, Never)                \
  X(ld, 0x37, -1, RtMem, Load, Read, None, Native)               \
  X(sc, 0x38, -1, RtMem, Rmw, Write, None, Never)                \
  X(scd, 0x3C, -1, RtMem, Rmw, Write, None, Never)               \
  X(sd, 0x3F, -1, RtMem, Store, Write, None, Native)

enum class Op : uint8_t {
#define CANNONBALL_OP_ENUM(name, opcode, selector, format, group, access, fault, jit) name,
  CANNONBALL_INSTRUCTIONS(CANNONBALL_OP_ENUM)
#undef CANNONBALL_OP_ENUM
      Invalid,
};

struct InstructionInfo {
  const char* mnemonic;
  uint8_t opcode;
  int8_t selector;
  Format format;
  Group group;
  Access access;
  Fault fault;
  JitStatus jit;
};

// All rows, indexed by Op.
inline constexpr InstructionInfo InstructionRows[] = {
#define CANNONBALL_ROW(name, opcode, selector, format, group, access, fault, jit)                            \
  {#name,        opcode,        static_cast<int8_t>(selector), Format::format, Group::group, Access::access, \
   Fault::fault, JitStatus::jit},
    CANNONBALL_INSTRUCTIONS(CANNONBALL_ROW)
#undef CANNONBALL_ROW
};
static_assert(std::size(InstructionRows) == static_cast<size_t>(Op::Invalid));
std::span<const InstructionInfo> instruction_table();
const InstructionInfo& info(Op op);
// The row's group, or Group::Misc for Op::Invalid.
inline Group info_or_invalid_group(Op op);
std::string_view mnemonic(Op op);
// Which row an instruction word belongs to; Op::Invalid when the VM raises an exception for it.
// REGIMM words with an unknown rt decode as Op::Invalid too, although the VM runs them as an
// untaken branch (spec §5.5); `is_lax_regimm` tells them apart.
Op decode(uint32_t insn);
bool is_lax_regimm(uint32_t insn);
// A readable rendering, e.g. "addiu $sp, $sp, -32". Branch targets use `pc`.
std::string disassemble(uint32_t insn, Word pc);
const char* register_name(unsigned reg);
// A word of the given row with the given operand fields (fields the row ignores are kept).
uint32_t encode(Op op, uint32_t fields);

inline Group info_or_invalid_group(Op op) { return op == Op::Invalid ? Group::Misc : info(op).group; }

// ---- Bit tests read from the rows: constexpr, so they cost what a hand-written mask costs ----

// The fields of a word that select its row: the opcode, plus funct (SPECIAL, SPECIAL2) or rt
// (REGIMM); every other field is ignored (spec §5.1).
constexpr uint32_t selector_mask(const InstructionInfo& row) {
  if (row.selector < 0) return 0xFC00'0000u;
  return row.opcode == 0x01 ? 0xFC1F'0000u : 0xFC00'003Fu;
}
constexpr uint32_t selector_bits(const InstructionInfo& row) {
  const uint32_t opcode = uint32_t{row.opcode} << 26;
  if (row.selector < 0) return opcode;
  const auto selector = static_cast<uint32_t>(row.selector);
  return opcode | (row.opcode == 0x01 ? selector << 16 : selector);
}
// Whether `insn` is a word of row `op`: the same answer as decode(insn) == op.
constexpr bool is_op(uint32_t insn, Op op) {
  const InstructionInfo& row = InstructionRows[static_cast<size_t>(op)];
  return (insn & selector_mask(row)) == selector_bits(row);
}
// The row of a memory instruction's major opcode (its only selector), Op::Invalid for others.
// Observers get the major opcode of an access (SchedulerObserver::on_data_access).
inline Op memory_op(unsigned opcode) {
  const Op op = decode(opcode << 26);
  return op != Op::Invalid && info(op).access != Access::None ? op : Op::Invalid;
}
// The target of j / jal: the instruction index replaces the low 28 bits of the delay slot's
// address (spec §5.5).
constexpr Word jump_target(uint32_t insn, Word delay_slot_pc) {
  return (delay_slot_pc & 0xFFFF'FFFF'F000'0000ull) | (Word{insn & 0x03FF'FFFF} << 2);
}

}  // namespace cannonball
