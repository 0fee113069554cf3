// The one instruction table of cannonball (spec §5). Every supported MIPS64 instruction is one
// row; the decoder, the disassembler, the JIT's block classification and emitter, the fuzz
// generators and the row-by-row engine test read it.
//
// Row: X(name, opcode, selector, format, group, access, fault, jit, interp); the name is the
// mnemonic (a trailing '_' only keeps and/or/xor from clashing with C++'s alternative tokens).
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
//   interp:   the interpreter's function for the row (interp/execute.cpp): a stage of upstream's
//             pipeline (register operands, an immediate, a branch, a load, a store) instantiated
//             with the row's value function, or the row's own function (syscall, ll/sc). The
//             interpreter's dispatch array is generated from this column, in row order.
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

#define CANNONBALL_INSTRUCTIONS(X)                                                               \
  X(sll, 0x00, 0x00, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<sll32>)                    \
  X(srl, 0x00, 0x02, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<srl32>)                    \
  X(sra, 0x00, 0x03, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<sra32>)                    \
  X(sllv, 0x00, 0x04, RdRtRs, Shift, None, None, Native, rd_from_rs_rt<sllv32>)                  \
  X(srlv, 0x00, 0x06, RdRtRs, Shift, None, None, Native, rd_from_rs_rt<srlv32>)                  \
  X(srav, 0x00, 0x07, RdRtRs, Shift, None, None, Native, rd_from_rs_rt<srav32>)                  \
  X(jr, 0x00, 0x08, Rs, Jump, None, DelaySlot, Native, jump_register)                            \
  X(jalr, 0x00, 0x09, RdRs, Jump, None, DelaySlot, Native, jump_register_link)                   \
  X(movz, 0x00, 0x0A, RdRsRt, Alu, None, None, Native, move_conditional<is_zero>)                \
  X(movn, 0x00, 0x0B, RdRsRt, Alu, None, None, Native, move_conditional<is_nonzero>)             \
  X(syscall, 0x00, 0x0C, None, Syscall, None, Syscall, Never, syscall)                           \
  X(sync, 0x00, 0x0F, None, Misc, None, None, Native, sync_as_move)                              \
  X(mfhi, 0x00, 0x10, Rd, HiLo, None, None, Native, hilo<move_from_hi>)                          \
  X(mthi, 0x00, 0x11, Rs, HiLo, None, None, Native, hilo<move_to_hi>)                            \
  X(mflo, 0x00, 0x12, Rd, HiLo, None, None, Native, hilo<move_from_lo>)                          \
  X(mtlo, 0x00, 0x13, Rs, HiLo, None, None, Native, hilo<move_to_lo>)                            \
  X(dsllv, 0x00, 0x14, RdRtRs, Shift, None, None, Native, rd_from_rs_rt<sllv64>)                 \
  X(dsrlv, 0x00, 0x16, RdRtRs, Shift, None, None, Native, rd_from_rs_rt<srlv64>)                 \
  X(dsrav, 0x00, 0x17, RdRtRs, Shift, None, None, Native, rd_from_rs_rt<srav64>)                 \
  X(mult, 0x00, 0x18, RsRt, MulDiv, None, None, Native, hilo<mult32>)                            \
  X(multu, 0x00, 0x19, RsRt, MulDiv, None, None, Native, hilo<multu32>)                          \
  X(div, 0x00, 0x1A, RsRt, MulDiv, None, DivideByZero, Native, hilo<div32>)                      \
  X(divu, 0x00, 0x1B, RsRt, MulDiv, None, DivideByZero, Native, hilo<divu32>)                    \
  X(dmult, 0x00, 0x1C, RsRt, MulDiv, None, None, Native, hilo<mult64>)                           \
  X(dmultu, 0x00, 0x1D, RsRt, MulDiv, None, None, Native, hilo<multu64>)                         \
  X(ddiv, 0x00, 0x1E, RsRt, MulDiv, None, DivideByZero, Native, hilo<div64>)                     \
  X(ddivu, 0x00, 0x1F, RsRt, MulDiv, None, DivideByZero, Native, hilo<divu64>)                   \
  X(add, 0x00, 0x20, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<add32>)                      \
  X(addu, 0x00, 0x21, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<add32>)                     \
  X(sub, 0x00, 0x22, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<sub32>)                      \
  X(subu, 0x00, 0x23, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<sub32>)                     \
  X(and_, 0x00, 0x24, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<and64>)                     \
  X(or_, 0x00, 0x25, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<or64>)                       \
  X(xor_, 0x00, 0x26, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<xor64>)                     \
  X(nor, 0x00, 0x27, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<nor64>)                      \
  X(slt, 0x00, 0x2A, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<less_signed>)                \
  X(sltu, 0x00, 0x2B, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<less_unsigned>)             \
  X(dadd, 0x00, 0x2C, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<add64>)                     \
  X(daddu, 0x00, 0x2D, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<add64>)                    \
  X(dsub, 0x00, 0x2E, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<sub64>)                     \
  X(dsubu, 0x00, 0x2F, RdRsRt, Alu, None, None, Native, rd_from_rs_rt<sub64>)                    \
  X(dsll, 0x00, 0x38, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<sll64>)                   \
  X(dsrl, 0x00, 0x3A, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<srl64>)                   \
  X(dsra, 0x00, 0x3B, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<sra64>)                   \
  X(dsll32, 0x00, 0x3C, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<sll64_plus32>)          \
  X(dsrl32, 0x00, 0x3E, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<srl64_plus32>)          \
  X(dsra32, 0x00, 0x3F, RdRtSa, Shift, None, None, Native, rd_from_rt_sa<sra64_plus32>)          \
  X(bltz, 0x01, 0x00, RsOff, Branch, None, DelaySlot, Native, branch<less_zero>)                 \
  X(bgez, 0x01, 0x01, RsOff, Branch, None, DelaySlot, Native, branch<greater_equal_zero>)        \
  X(bltzal, 0x01, 0x10, RsOff, Branch, None, DelaySlot, Native, branch_link<less_zero>)          \
  X(bgezal, 0x01, 0x11, RsOff, Branch, None, DelaySlot, Native, branch_link<greater_equal_zero>) \
  X(j, 0x02, -1, Target, Jump, None, DelaySlot, Native, jump)                                    \
  X(jal, 0x03, -1, Target, Jump, None, DelaySlot, Native, jump_link)                             \
  X(beq, 0x04, -1, RsRtOff, Branch, None, DelaySlot, Native, branch<equal>)                      \
  X(bne, 0x05, -1, RsRtOff, Branch, None, DelaySlot, Native, branch<not_equal>)                  \
  X(blez, 0x06, -1, RsOff, Branch, None, DelaySlot, Native, branch<less_equal_zero>)             \
  X(bgtz, 0x07, -1, RsOff, Branch, None, DelaySlot, Native, branch<greater_zero>)                \
  X(addi, 0x08, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_signed_imm<add32>)              \
  X(addiu, 0x09, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_signed_imm<add32>)             \
  X(slti, 0x0A, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_signed_imm<less_signed>)        \
  X(sltiu, 0x0B, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_signed_imm<less_unsigned>)     \
  X(andi, 0x0C, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_unsigned_imm<and64>)            \
  X(ori, 0x0D, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_unsigned_imm<or64>)              \
  X(xori, 0x0E, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_unsigned_imm<xor64>)            \
  X(lui, 0x0F, -1, RtImm, Alu, None, None, Native, load_upper_immediate)                         \
  X(daddi, 0x18, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_signed_imm<add64>)             \
  X(daddiu, 0x19, -1, RtRsImm, Alu, None, None, Native, rt_from_rs_signed_imm<add64>)            \
  X(ldl, 0x1A, -1, RtMem, Load, Read, None, Helper, load<load_double_left>)                      \
  X(ldr, 0x1B, -1, RtMem, Load, Read, None, Helper, load<load_double_right>)                     \
  X(mul, 0x1C, 0x02, RdRsRt, MulDiv, None, None, Native, rd_from_rs_rt<mul32>)                   \
  X(clz, 0x1C, 0x20, RdRs, Alu, None, None, Native, rd_from_rs<clz32>)                           \
  X(clo, 0x1C, 0x21, RdRs, Alu, None, None, Native, rd_from_rs<clo32>)                           \
  X(dclz, 0x1C, 0x24, RdRs, Alu, None, None, Native, rd_from_rs<clz64>)                          \
  X(dclo, 0x1C, 0x25, RdRs, Alu, None, None, Native, rd_from_rs<clo64>)                          \
  X(lb, 0x20, -1, RtMem, Load, Read, None, Native, load<load_byte>)                              \
  X(lh, 0x21, -1, RtMem, Load, Read, None, Native, load<load_half>)                              \
  X(lwl, 0x22, -1, RtMem, Load, Read, None, Helper, load<load_word_left>)                        \
  X(lw, 0x23, -1, RtMem, Load, Read, None, Native, load<load_word>)                              \
  X(lbu, 0x24, -1, RtMem, Load, Read, None, Native, load<load_byte_unsigned>)                    \
  X(lhu, 0x25, -1, RtMem, Load, Read, None, Native, load<load_half_unsigned>)                    \
  X(lwr, 0x26, -1, RtMem, Load, Read, None, Helper, load<load_word_right>)                       \
  X(lwu, 0x27, -1, RtMem, Load, Read, None, Native, load<load_word_unsigned>)                    \
  X(sb, 0x28, -1, RtMem, Store, Write, None, Native, store<store_byte>)                          \
  X(sh, 0x29, -1, RtMem, Store, Write, None, Native, store<store_half>)                          \
  X(swl, 0x2A, -1, RtMem, Store, Write, None, Helper, store<store_word_left>)                    \
  X(sw, 0x2B, -1, RtMem, Store, Write, None, Native, store<store_word>)                          \
  X(sdl, 0x2C, -1, RtMem, Store, Write, None, Helper, store<store_double_left>)                  \
  X(sdr, 0x2D, -1, RtMem, Store, Write, None, Helper, store<store_double_right>)                 \
  X(swr, 0x2E, -1, RtMem, Store, Write, None, Helper, store<store_word_right>)                   \
  X(ll, 0x30, -1, RtMem, Rmw, Read, None, Never, load_linked<false>)                             \
  X(lld, 0x34, -1, RtMem, Rmw, Read, None, Never, load_linked<true>)                             \
  X(ld, 0x37, -1, RtMem, Load, Read, None, Native, load<load_double>)                            \
  X(sc, 0x38, -1, RtMem, Rmw, Write, None, Never, store_conditional<false>)                      \
  X(scd, 0x3C, -1, RtMem, Rmw, Write, None, Never, store_conditional<true>)                      \
  X(sd, 0x3F, -1, RtMem, Store, Write, None, Native, store<store_double>)

enum class Op : uint8_t {
#define CANNONBALL_OP_ENUM(name, opcode, selector, format, group, access, fault, jit, interp) name,
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
#define CANNONBALL_ROW(name, opcode, selector, format, group, access, fault, jit, interp)                    \
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
// untaken branch (spec §5.5); `is_lax_regimm` tells them apart. Inline: the interpreter decodes
// every step (defined below, from tables built out of the rows at compile time).
constexpr Op decode(uint32_t insn);
bool is_lax_regimm(uint32_t insn);
// A readable rendering, e.g. "addiu $sp, $sp, -32". Branch targets use `pc`.
std::string disassemble(uint32_t insn, Word pc);
const char* register_name(unsigned reg);
// A word of the given row with the given operand fields (fields the row ignores are kept).
uint32_t encode(Op op, uint32_t fields);

inline Group info_or_invalid_group(Op op) { return op == Op::Invalid ? Group::Misc : info(op).group; }

// The decoder's tables: the row of each primary opcode, SPECIAL and SPECIAL2 funct and REGIMM rt.
struct DecodeTables {
  Op primary[64];
  Op special[64];
  Op special2[64];
  Op regimm[32];
};
constexpr DecodeTables make_decode_tables() {
  DecodeTables t{};
  for (size_t i = 0; i < 64; ++i) t.primary[i] = t.special[i] = t.special2[i] = Op::Invalid;
  for (size_t i = 0; i < 32; ++i) t.regimm[i] = Op::Invalid;
  for (size_t i = 0; i < std::size(InstructionRows); ++i) {
    const auto op = static_cast<Op>(i);
    const InstructionInfo& row = InstructionRows[i];
    if (row.opcode == 0x00)
      t.special[row.selector] = op;
    else if (row.opcode == 0x1C)
      t.special2[row.selector] = op;
    else if (row.opcode == 0x01)
      t.regimm[row.selector] = op;
    else
      t.primary[row.opcode] = op;
  }
  return t;
}
inline constexpr DecodeTables DecodeTable = make_decode_tables();

constexpr Op decode(uint32_t insn) {
  const unsigned opcode = insn >> 26;
  switch (opcode) {
    case 0x00: return DecodeTable.special[insn & 0x3F];
    case 0x1C: return DecodeTable.special2[insn & 0x3F];
    case 0x01: return DecodeTable.regimm[(insn >> 16) & 0x1F];
    default: return DecodeTable.primary[opcode];
  }
}

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
