// Hand-encoded x86-64 instruction forms for the ones every translated block emits many times.
//
// Why: xbyak builds operand objects, verifies them and appends byte by byte with a bounds check;
// that costs a few hundred host instructions per guest instruction emitted, which made
// translation the largest cost on run-once code (the op-program). These functions write the
// same bytes straight into the buffer.
// Constraints: each form produces exactly the bytes xbyak produces for the same instruction
// (tests/jit/raw_x86_test.cpp compares them for every register and displacement class); the one
// exception is mov_r64_imm64, which always takes the 10-byte form (xbyak's choice for values
// beyond 32 bits, as helper addresses are). The caller guarantees room in the buffer (emit_block
// starts only with MaxBlockBytes free).
#pragma once

#include <cstdint>
#include <cstring>

namespace cannonball::jit::x86 {

// Host register numbers as the encoding uses them.
enum HostReg : uint8_t {
  RAX = 0,
  RCX = 1,
  RDX = 2,
  RBX = 3,
  RSP = 4,
  RBP = 5,
  RSI = 6,
  RDI = 7,
  R8 = 8,
  R12 = 12,
  R13 = 13,
  R14 = 14,
  R15 = 15
};

// Condition codes (the low nibble of Jcc / SETcc).
enum Cond : uint8_t { CondB = 0x2, CondE = 0x4, CondNE = 0x5, CondL = 0xC, CondGE = 0xD, CondLE = 0xE, CondG = 0xF };

inline uint8_t* put32(uint8_t* p, uint32_t value) {
  std::memcpy(p, &value, 4);
  return p + 4;
}

inline bool fits_int8(int64_t value) { return value >= -128 && value <= 127; }

// `opcode reg, [base + disp]` (or `opcode [base + disp], reg`): the opcode (a 0x0F-prefixed one
// when above 0xFF, e.g. 0x0FB6 = movzx r32, byte), a ModRM with `base` (not rsp/r12, which need a
// SIB) and no, an 8-bit or a 32-bit displacement as xbyak picks; 64-bit operand size when `wide`.
// mov r,m = 0x8B; mov m,r = 0x89; add 0x03/0x01; or 0x0B/0x09; and 0x23/0x21; sub 0x2B/0x29;
// xor 0x33/0x31; cmp r,m = 0x3B; jmp m = 0xFF with reg 4.
inline uint8_t* rm_base(uint8_t* p, bool wide, uint16_t opcode, unsigned reg, unsigned base, int32_t disp) {
  const uint8_t rex = static_cast<uint8_t>((wide ? 0x48 : 0x40) | (reg >= 8 ? 0x04 : 0) | (base >= 8 ? 0x01 : 0));
  if (rex != 0x40) *p++ = rex;
  if (opcode > 0xFF) *p++ = static_cast<uint8_t>(opcode >> 8);
  *p++ = static_cast<uint8_t>(opcode);
  const bool no_disp = disp == 0 && (base & 7) != RBP;  // [rbp]/[r13] have no mod-00 form
  const bool short_disp = !no_disp && fits_int8(disp);
  const uint8_t mod = no_disp ? 0x00 : short_disp ? 0x40 : 0x80;
  *p++ = static_cast<uint8_t>(mod | ((reg & 7) << 3) | (base & 7));
  if (short_disp)
    *p++ = static_cast<uint8_t>(disp);
  else if (!no_disp)
    p = put32(p, static_cast<uint32_t>(disp));
  return p;
}

inline uint8_t* rm_rbx(uint8_t* p, bool wide, uint16_t opcode, unsigned reg, int32_t disp) {
  return rm_base(p, wide, opcode, reg, RBX, disp);
}

// mov r64, imm as xbyak encodes it: mov r32, imm32 when the value fits in 32 unsigned bits, else
// mov r/m64, simm32 when it fits sign-extended, else the 10-byte movabs.
inline uint8_t* mov_imm(uint8_t* p, unsigned reg, uint64_t imm) {
  if ((imm >> 32) == 0) {
    if (reg >= 8) *p++ = 0x41;
    *p++ = static_cast<uint8_t>(0xB8 | (reg & 7));
    return put32(p, static_cast<uint32_t>(imm));
  }
  if (static_cast<int64_t>(imm) == static_cast<int32_t>(imm)) {
    *p++ = static_cast<uint8_t>(0x48 | (reg >= 8 ? 0x01 : 0));
    *p++ = 0xC7;
    *p++ = static_cast<uint8_t>(0xC0 | (reg & 7));
    return put32(p, static_cast<uint32_t>(imm));
  }
  *p++ = static_cast<uint8_t>(0x48 | (reg >= 8 ? 0x01 : 0));
  *p++ = static_cast<uint8_t>(0xB8 | (reg & 7));
  std::memcpy(p, &imm, 8);
  return p + 8;
}

// Group-1 ALU with an immediate (`ext` = 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp) on a register,
// as xbyak encodes it: imm8 when it fits sign-extended, else imm32 (eax/rax: the short form).
inline uint8_t* alu_imm(uint8_t* p, bool wide, unsigned ext, unsigned reg, uint32_t imm) {
  const uint8_t rex = static_cast<uint8_t>((wide ? 0x48 : 0x40) | (reg >= 8 ? 0x01 : 0));
  if (rex != 0x40) *p++ = rex;
  if (fits_int8(static_cast<int32_t>(imm))) {
    *p++ = 0x83;
    *p++ = static_cast<uint8_t>(0xC0 | (ext << 3) | (reg & 7));
    *p++ = static_cast<uint8_t>(imm);
    return p;
  }
  if (reg == RAX) {
    *p++ = static_cast<uint8_t>((ext << 3) | 0x05);
  } else {
    *p++ = 0x81;
    *p++ = static_cast<uint8_t>(0xC0 | (ext << 3) | (reg & 7));
  }
  return put32(p, imm);
}

// mov dst, src between 64-bit registers (the 0x89 form xbyak uses).
inline uint8_t* mov_rr(uint8_t* p, unsigned dst, unsigned src) {
  *p++ = static_cast<uint8_t>(0x48 | (src >= 8 ? 0x04 : 0) | (dst >= 8 ? 0x01 : 0));
  *p++ = 0x89;
  *p++ = static_cast<uint8_t>(0xC0 | ((src & 7) << 3) | (dst & 7));
  return p;
}

// test eax, eax
inline uint8_t* test_eax(uint8_t* p) {
  *p++ = 0x85;
  *p++ = 0xC0;
  return p;
}

// mov r64, imm64, always the 10-byte form (helper addresses).
inline uint8_t* mov_r64_imm64(uint8_t* p, unsigned reg, uint64_t imm) {
  *p++ = static_cast<uint8_t>(0x48 | (reg >= 8 ? 0x01 : 0));
  *p++ = static_cast<uint8_t>(0xB8 | (reg & 7));
  std::memcpy(p, &imm, 8);
  return p + 8;
}

// call r64 (low 8 registers).
inline uint8_t* call_r64(uint8_t* p, unsigned reg) {
  *p++ = 0xFF;
  *p++ = static_cast<uint8_t>(0xD0 | (reg & 7));
  return p;
}

// call rel32 with a zero displacement (the last 4 bytes), bound later like a jmp rel32.
inline uint8_t* call_rel32(uint8_t* p) {
  *p++ = 0xE8;
  return put32(p, 0);
}

// Jcc rel32 / jmp rel32 with a zero displacement; the displacement field is the last 4 bytes.
inline uint8_t* jcc_rel32(uint8_t* p, Cond cond) {
  *p++ = 0x0F;
  *p++ = static_cast<uint8_t>(0x80 | cond);
  return put32(p, 0);
}
inline uint8_t* jmp_rel32(uint8_t* p) {
  *p++ = 0xE9;
  return put32(p, 0);
}
// jmp qword [rip + disp32] (a chain cell); the displacement field is the last 4 bytes.
inline uint8_t* jmp_rip_indirect(uint8_t* p) {
  *p++ = 0xFF;
  *p++ = 0x25;
  return put32(p, 0);
}

// The software-TLB probe of a load/store (emit_address_and_tlb):
//   mov rax, [rbx + base_disp] ; add rax, offset (if offset != 0) ; mov rcx, rax ; shr rcx, 12
//   mov edx, ecx ; and edx, tlb_mask ; shl edx, entry_shift ; cmp rcx, [r12 + rdx + tag]
//   jne <rel32, field returned in *miss_field> ; mov rdx, [r12 + rdx + page]
// `base_reg` >= 0: the base register's value is already in that host register (no load); with an
// offset and a base other than rax (and rsp/r12, which would need a SIB byte), the first two
// become `lea rax, [base + offset]`.
inline uint8_t* tlb_probe(uint8_t* p, int32_t base_disp, int32_t offset, uint32_t tlb_mask, uint8_t entry_shift,
                          uint8_t tag, uint8_t page, uint8_t** miss_field, int base_reg = -1) {
  const bool lea = base_reg >= 0 && base_reg != RAX && (base_reg & 7) != RSP && offset != 0;
  if (lea)
    p = rm_base(p, true, 0x8D, RAX, static_cast<unsigned>(base_reg), offset);
  else if (base_reg < 0)
    p = rm_rbx(p, true, 0x8B, RAX, base_disp);
  else if (base_reg != RAX)
    p = mov_rr(p, RAX, static_cast<unsigned>(base_reg));
  if (offset != 0 && !lea) {
    *p++ = 0x48;
    if (fits_int8(offset)) {
      *p++ = 0x83;
      *p++ = 0xC0;
      *p++ = static_cast<uint8_t>(offset);
    } else {
      *p++ = 0x05;
      p = put32(p, static_cast<uint32_t>(offset));
    }
  }
  static constexpr uint8_t mov_rcx_rax[] = {0x48, 0x89, 0xC1};
  static constexpr uint8_t shr_rcx_12[] = {0x48, 0xC1, 0xE9, 0x0C};
  static constexpr uint8_t mov_edx_ecx[] = {0x89, 0xCA};
  std::memcpy(p, mov_rcx_rax, 3);
  p += 3;
  std::memcpy(p, shr_rcx_12, 4);
  p += 4;
  std::memcpy(p, mov_edx_ecx, 2);
  p += 2;
  *p++ = 0x81;  // and edx, imm32
  *p++ = 0xE2;
  p = put32(p, tlb_mask);
  *p++ = 0xC1;  // shl edx, imm8
  *p++ = 0xE2;
  *p++ = entry_shift;
  // cmp rcx, [r12 + rdx + tag]: REX.W+B, ModRM (rcx, SIB), SIB (index rdx, base r12)
  *p++ = 0x49;
  *p++ = 0x3B;
  if (tag == 0) {
    *p++ = 0x0C;
    *p++ = 0x14;
  } else {
    *p++ = 0x4C;
    *p++ = 0x14;
    *p++ = tag;
  }
  p = jcc_rel32(p, CondNE);
  *miss_field = p - 4;
  // mov rdx, [r12 + rdx + page]
  *p++ = 0x49;
  *p++ = 0x8B;
  *p++ = 0x54;
  *p++ = 0x14;
  *p++ = page;
  return p;
}

}  // namespace cannonball::jit::x86
