// The one instruction table of cannonball (spec §5). Every supported MIPS64 instruction is one
// row; the decoder, the disassembler, the JIT coverage list and the fuzz generator read it.
//
// Row: X(name, opcode, selector, format, group); the name is the mnemonic (a trailing '_' only
// keeps and/or/xor from clashing with C++'s alternative tokens).
//   selector: the funct field for SPECIAL (0x00) and SPECIAL2 (0x1C), the rt field for REGIMM
//             (0x01), and -1 for opcodes that need no selector.
//   format:   operand layout for the disassembler.
//   group:    semantics class (used by tests, benchmarks and the JIT coverage report).
#pragma once

#include <cstdint>
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

#define CANNONBALL_INSTRUCTIONS(X)      \
  X(sll, 0x00, 0x00, RdRtSa, Shift)     \
  X(srl, 0x00, 0x02, RdRtSa, Shift)     \
  X(sra, 0x00, 0x03, RdRtSa, Shift)     \
  X(sllv, 0x00, 0x04, RdRtRs, Shift)    \
  X(srlv, 0x00, 0x06, RdRtRs, Shift)    \
  X(srav, 0x00, 0x07, RdRtRs, Shift)    \
  X(jr, 0x00, 0x08, Rs, Jump)           \
  X(jalr, 0x00, 0x09, RdRs, Jump)       \
  X(movz, 0x00, 0x0A, RdRsRt, Alu)      \
  X(movn, 0x00, 0x0B, RdRsRt, Alu)      \
  X(syscall, 0x00, 0x0C, None, Syscall) \
  X(sync, 0x00, 0x0F, None, Misc)       \
  X(mfhi, 0x00, 0x10, Rd, HiLo)         \
  X(mthi, 0x00, 0x11, Rs, HiLo)         \
  X(mflo, 0x00, 0x12, Rd, HiLo)         \
  X(mtlo, 0x00, 0x13, Rs, HiLo)         \
  X(dsllv, 0x00, 0x14, RdRtRs, Shift)   \
  X(dsrlv, 0x00, 0x16, RdRtRs, Shift)   \
  X(dsrav, 0x00, 0x17, RdRtRs, Shift)   \
  X(mult, 0x00, 0x18, RsRt, MulDiv)     \
  X(multu, 0x00, 0x19, RsRt, MulDiv)    \
  X(div, 0x00, 0x1A, RsRt, MulDiv)      \
  X(divu, 0x00, 0x1B, RsRt, MulDiv)     \
  X(dmult, 0x00, 0x1C, RsRt, MulDiv)    \
  X(dmultu, 0x00, 0x1D, RsRt, MulDiv)   \
  X(ddiv, 0x00, 0x1E, RsRt, MulDiv)     \
  X(ddivu, 0x00, 0x1F, RsRt, MulDiv)    \
  X(add, 0x00, 0x20, RdRsRt, Alu)       \
  X(addu, 0x00, 0x21, RdRsRt, Alu)      \
  X(sub, 0x00, 0x22, RdRsRt, Alu)       \
  X(subu, 0x00, 0x23, RdRsRt, Alu)      \
  X(and_, 0x00, 0x24, RdRsRt, Alu)      \
  X(or_, 0x00, 0x25, RdRsRt, Alu)       \
  X(xor_, 0x00, 0x26, RdRsRt, Alu)      \
  X(nor, 0x00, 0x27, RdRsRt, Alu)       \
  X(slt, 0x00, 0x2A, RdRsRt, Alu)       \
  X(sltu, 0x00, 0x2B, RdRsRt, Alu)      \
  X(dadd, 0x00, 0x2C, RdRsRt, Alu)      \
  X(daddu, 0x00, 0x2D, RdRsRt, Alu)     \
  X(dsub, 0x00, 0x2E, RdRsRt, Alu)      \
  X(dsubu, 0x00, 0x2F, RdRsRt, Alu)     \
  X(dsll, 0x00, 0x38, RdRtSa, Shift)    \
  X(dsrl, 0x00, 0x3A, RdRtSa, Shift)    \
  X(dsra, 0x00, 0x3B, RdRtSa, Shift)    \
  X(dsll32, 0x00, 0x3C, RdRtSa, Shift)  \
  X(dsrl32, 0x00, 0x3E, RdRtSa, Shift)  \
  X(dsra32, 0x00, 0x3F, RdRtSa, Shift)  \
  X(bltz, 0x01, 0x00, RsOff, Branch)    \
  X(bgez, 0x01, 0x01, RsOff, Branch)    \
  X(bltzal, 0x01, 0x10, RsOff, Branch)  \
  X(bgezal, 0x01, 0x11, RsOff, Branch)  \
  X(j, 0x02, -1, Target, Jump)          \
  X(jal, 0x03, -1, Target, Jump)        \
  X(beq, 0x04, -1, RsRtOff, Branch)     \
  X(bne, 0x05, -1, RsRtOff, Branch)     \
  X(blez, 0x06, -1, RsOff, Branch)      \
  X(bgtz, 0x07, -1, RsOff, Branch)      \
  X(addi, 0x08, -1, RtRsImm, Alu)       \
  X(addiu, 0x09, -1, RtRsImm, Alu)      \
  X(slti, 0x0A, -1, RtRsImm, Alu)       \
  X(sltiu, 0x0B, -1, RtRsImm, Alu)      \
  X(andi, 0x0C, -1, RtRsImm, Alu)       \
  X(ori, 0x0D, -1, RtRsImm, Alu)        \
  X(xori, 0x0E, -1, RtRsImm, Alu)       \
  X(lui, 0x0F, -1, RtImm, Alu)          \
  X(daddi, 0x18, -1, RtRsImm, Alu)      \
  X(daddiu, 0x19, -1, RtRsImm, Alu)     \
  X(ldl, 0x1A, -1, RtMem, Load)         \
  X(ldr, 0x1B, -1, RtMem, Load)         \
  X(mul, 0x1C, 0x02, RdRsRt, MulDiv)    \
  X(clz, 0x1C, 0x20, RdRs, Alu)         \
  X(clo, 0x1C, 0x21, RdRs, Alu)         \
  X(dclz, 0x1C, 0x24, RdRs, Alu)        \
  X(dclo, 0x1C, 0x25, RdRs, Alu)        \
  X(lb, 0x20, -1, RtMem, Load)          \
  X(lh, 0x21, -1, RtMem, Load)          \
  X(lwl, 0x22, -1, RtMem, Load)         \
  X(lw, 0x23, -1, RtMem, Load)          \
  X(lbu, 0x24, -1, RtMem, Load)         \
  X(lhu, 0x25, -1, RtMem, Load)         \
  X(lwr, 0x26, -1, RtMem, Load)         \
  X(lwu, 0x27, -1, RtMem, Load)         \
  X(sb, 0x28, -1, RtMem, Store)         \
  X(sh, 0x29, -1, RtMem, Store)         \
  X(swl, 0x2A, -1, RtMem, Store)        \
  X(sw, 0x2B, -1, RtMem, Store)         \
  X(sdl, 0x2C, -1, RtMem, Store)        \
  X(sdr, 0x2D, -1, RtMem, Store)        \
  X(swr, 0x2E, -1, RtMem, Store)        \
  X(ll, 0x30, -1, RtMem, Rmw)           \
  X(lld, 0x34, -1, RtMem, Rmw)          \
  X(ld, 0x37, -1, RtMem, Load)          \
  X(sc, 0x38, -1, RtMem, Rmw)           \
  X(scd, 0x3C, -1, RtMem, Rmw)          \
  X(sd, 0x3F, -1, RtMem, Store)

enum class Op : uint8_t {
#define CANNONBALL_OP_ENUM(name, opcode, selector, format, group) name,
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
};

// All rows, indexed by Op.
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

}  // namespace cannonball
