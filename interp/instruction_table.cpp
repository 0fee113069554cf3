#include "interp/instruction_table.h"

#include <array>
#include <cstdio>

namespace cannonball {
namespace {

constexpr const InstructionInfo* Rows = InstructionRows;
constexpr size_t RowCount = std::size(InstructionRows);

constexpr const char* RegisterNames[32] = {"zero", "at", "v0", "v1", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
                                           "a7",   "t0", "t1", "t2", "t3", "s0", "s1", "s2", "s3", "s4", "s5",
                                           "s6",   "s7", "t8", "t9", "k0", "k1", "gp", "sp", "s8", "ra"};

}  // namespace

std::span<const InstructionInfo> instruction_table() { return {Rows, RowCount}; }

const InstructionInfo& info(Op op) { return Rows[static_cast<size_t>(op)]; }

std::string_view mnemonic(Op op) {
  std::string_view name = info(op).mnemonic;
  if (name.ends_with('_')) name.remove_suffix(1);
  return name;
}

bool is_lax_regimm(uint32_t insn) { return (insn >> 26) == 0x01 && decode(insn) == Op::Invalid; }

const char* register_name(unsigned reg) { return RegisterNames[reg & 31]; }

uint32_t encode(Op op, uint32_t fields) {
  const InstructionInfo& row = info(op);
  uint32_t word = (uint32_t{row.opcode} << 26) | (fields & 0x03FF'FFFF);
  if (row.opcode == 0x00 || row.opcode == 0x1C) word = (word & ~0x3Fu) | static_cast<uint32_t>(row.selector);
  if (row.opcode == 0x01) word = (word & ~(0x1Fu << 16)) | (static_cast<uint32_t>(row.selector) << 16);
  return word;
}

std::string disassemble(uint32_t insn, Word pc) {
  const Op op = decode(insn);
  char buf[96];
  const unsigned rs = (insn >> 21) & 31, rt = (insn >> 16) & 31, rd = (insn >> 11) & 31, sa = (insn >> 6) & 31;
  const int16_t imm = static_cast<int16_t>(insn & 0xFFFF);
  if (op == Op::Invalid) {
    if (is_lax_regimm(insn))
      std::snprintf(buf, sizeof buf, "regimm.%u $%s (untaken)", rt, register_name(rs));
    else
      std::snprintf(buf, sizeof buf, ".word 0x%08x (invalid)", insn);
    return buf;
  }
  if (insn == 0) return "nop";
  const InstructionInfo& row = info(op);
  const std::string name(mnemonic(op));
  const char* m = name.c_str();
  const Word branch_target = pc + 4 + (static_cast<Word>(static_cast<int64_t>(imm)) << 2);
  switch (row.format) {
    case Format::RdRsRt:
      std::snprintf(buf, sizeof buf, "%s $%s, $%s, $%s", m, register_name(rd), register_name(rs), register_name(rt));
      break;
    case Format::RdRtSa:
      std::snprintf(buf, sizeof buf, "%s $%s, $%s, %u", m, register_name(rd), register_name(rt), sa);
      break;
    case Format::RdRtRs:
      std::snprintf(buf, sizeof buf, "%s $%s, $%s, $%s", m, register_name(rd), register_name(rt), register_name(rs));
      break;
    case Format::Rs: std::snprintf(buf, sizeof buf, "%s $%s", m, register_name(rs)); break;
    case Format::RdRs: std::snprintf(buf, sizeof buf, "%s $%s, $%s", m, register_name(rd), register_name(rs)); break;
    case Format::Rd: std::snprintf(buf, sizeof buf, "%s $%s", m, register_name(rd)); break;
    case Format::RsRt: std::snprintf(buf, sizeof buf, "%s $%s, $%s", m, register_name(rs), register_name(rt)); break;
    case Format::None: std::snprintf(buf, sizeof buf, "%s", m); break;
    case Format::RtRsImm:
      std::snprintf(buf, sizeof buf, "%s $%s, $%s, %d", m, register_name(rt), register_name(rs), imm);
      break;
    case Format::RtImm: std::snprintf(buf, sizeof buf, "%s $%s, 0x%x", m, register_name(rt), insn & 0xFFFF); break;
    case Format::RsRtOff:
      std::snprintf(buf, sizeof buf, "%s $%s, $%s, 0x%llx", m, register_name(rs), register_name(rt),
                    static_cast<unsigned long long>(branch_target));
      break;
    case Format::RsOff:
      std::snprintf(buf, sizeof buf, "%s $%s, 0x%llx", m, register_name(rs),
                    static_cast<unsigned long long>(branch_target));
      break;
    case Format::Target: {
      const Word target = jump_target(insn, pc + 4);
      std::snprintf(buf, sizeof buf, "%s 0x%llx", m, static_cast<unsigned long long>(target));
      break;
    }
    case Format::RtMem:
      std::snprintf(buf, sizeof buf, "%s $%s, %d($%s)", m, register_name(rt), imm, register_name(rs));
      break;
  }
  return buf;
}

}  // namespace cannonball
