// Instruction faults (spec §5.2, §5.4, §5.6 "other opcodes", §9): invalid opcodes and functs,
// and an instruction fetch from a pc that is not 4-aligned.
#include <cstdio>

#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

std::string hex2(unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02X", value);
  return buf;
}

StepCase invalid(std::string name, uint32_t insn) {
  return {.name = std::move(name),
          .program = {insn},
          .regs = {{T0, DataBase}, {T1, RtWord}},
          .memory = {{DataBase, DataWord}},
          .exception = ExceptionKind::InvalidInstruction};
}

}  // namespace

std::vector<StepCase> fault_cases() {
  std::vector<StepCase> cases;
  // Primary opcodes below 0x20 that are not instructions: COP0..COP3, branch-likely, 0x1D, 0x1E
  // and SPECIAL3 (0x1F: seb/seh/ext/ins/...).
  for (unsigned opcode : {0x10u, 0x11u, 0x12u, 0x13u, 0x14u, 0x15u, 0x16u, 0x17u, 0x1Du, 0x1Eu, 0x1Fu})
    cases.push_back(invalid("Opcode" + hex2(opcode) + "Raises", (opcode << 26) | (T0 << 21) | (T1 << 16) | 0x0010));
  // Opcodes of 0x20 and above that are not instructions: they still read the memory word first
  // (spec §5.1), then raise. cache, lwc1, lwc2, pref, 0x35, 0x36, 0x39..0x3B, 0x3D, 0x3E.
  for (unsigned opcode : {0x2Fu, 0x31u, 0x32u, 0x33u, 0x35u, 0x36u, 0x39u, 0x3Au, 0x3Bu, 0x3Du, 0x3Eu})
    cases.push_back(invalid("Opcode" + hex2(opcode) + "Raises", (opcode << 26) | (T0 << 21) | (T1 << 16) | 0x0004));
  // SPECIAL functs outside the table: 0x01, 0x05, break, 0x0E, 0x15, 0x28, 0x29, traps, 0x39, 0x3D.
  for (unsigned funct : {0x01u, 0x05u, 0x0Du, 0x0Eu, 0x15u, 0x28u, 0x29u, 0x30u, 0x31u, 0x32u, 0x33u, 0x34u, 0x35u,
                         0x36u, 0x37u, 0x39u, 0x3Du})
    cases.push_back(invalid("SpecialFunct" + hex2(funct) + "Raises", (T0 << 21) | (T1 << 16) | (T2 << 11) | funct));
  // SPECIAL2 functs other than mul/clz/clo/dclz/dclo: madd, maddu, msub, msubu, 0x03, sdbbp.
  for (unsigned funct : {0x00u, 0x01u, 0x03u, 0x04u, 0x05u, 0x3Fu})
    cases.push_back(invalid("Special2Funct" + hex2(funct) + "Raises",
                            (0x1Cu << 26) | (T0 << 21) | (T1 << 16) | (T2 << 11) | funct));
  // An unaligned pc raises before anything is fetched.
  for (unsigned misalign : {1u, 2u, 3u, 5u}) {
    cases.push_back({.name = "PcMisalignedBy" + std::to_string(misalign) + "Raises",
                     .program = {NopInsn, NopInsn},
                     .pc = CodeBase + misalign,
                     .exception = ExceptionKind::InvalidPc});
  }
  return cases;
}

}  // namespace cannonball::test
