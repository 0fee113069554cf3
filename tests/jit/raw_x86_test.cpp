// The hand-encoded instruction forms (jit/raw_x86.h) against xbyak's encoding of the same
// instructions: every host register, every displacement class, every operand size.
#include "jit/raw_x86.h"

#include <gtest/gtest.h>

#define XBYAK_NO_OP_NAMES
#include <xbyak/xbyak.h>

#include <string>
#include <vector>

namespace cannonball::jit {
namespace {

using namespace Xbyak;
using namespace Xbyak::util;

struct Assembler : CodeGenerator {
  Assembler() : CodeGenerator(4096) {}
  std::vector<uint8_t> bytes() const { return std::vector<uint8_t>(getCode(), getCode() + getSize()); }
};

std::vector<uint8_t> raw(const uint8_t* begin, const uint8_t* end) { return std::vector<uint8_t>(begin, end); }

const Reg64 Regs64[] = {rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15};
const Reg32 Regs32[] = {eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d};
const int32_t Displacements[] = {0, 8, 48, 120, 127, 128, 296, -8, -128, -129, 1 << 20};

// One row per opcode rm_rbx is used with: the xbyak instruction for (register, memory).
struct RmForm {
  uint8_t opcode;
  void (*emit)(Assembler&, const Reg& reg, const Address& mem);
};
const RmForm Forms[] = {
    {0x8B, [](Assembler& a, const Reg& r, const Address& m) { a.mov(r, m); }},
    {0x89, [](Assembler& a, const Reg& r, const Address& m) { a.mov(m, r); }},
    {0x03, [](Assembler& a, const Reg& r, const Address& m) { a.add(r, m); }},
    {0x01, [](Assembler& a, const Reg& r, const Address& m) { a.add(m, r); }},
    {0x0B, [](Assembler& a, const Reg& r, const Address& m) { a.or_(r, m); }},
    {0x09, [](Assembler& a, const Reg& r, const Address& m) { a.or_(m, r); }},
    {0x23, [](Assembler& a, const Reg& r, const Address& m) { a.and_(r, m); }},
    {0x21, [](Assembler& a, const Reg& r, const Address& m) { a.and_(m, r); }},
    {0x2B, [](Assembler& a, const Reg& r, const Address& m) { a.sub(r, m); }},
    {0x29, [](Assembler& a, const Reg& r, const Address& m) { a.sub(m, r); }},
    {0x33, [](Assembler& a, const Reg& r, const Address& m) { a.xor_(r, m); }},
    {0x31, [](Assembler& a, const Reg& r, const Address& m) { a.xor_(m, r); }},
    {0x3B, [](Assembler& a, const Reg& r, const Address& m) { a.cmp(r, m); }},
};

TEST(RawX86, RegisterMemoryFormsMatchXbyak) {
  int checked = 0;
  for (const RmForm& form : Forms)
    for (unsigned r = 0; r < 16; ++r)
      for (int32_t disp : Displacements)
        for (bool wide : {false, true}) {
          Assembler expected;
          if (wide)
            form.emit(expected, Regs64[r], qword[rbx + disp]);
          else
            form.emit(expected, Regs32[r], dword[rbx + disp]);
          uint8_t buf[16];
          const uint8_t* end = x86::rm_rbx(buf, wide, form.opcode, r, disp);
          ASSERT_EQ(raw(buf, end), expected.bytes())
              << "opcode " << int(form.opcode) << " reg " << r << " disp " << disp << " wide " << wide;
          ++checked;
        }
  EXPECT_EQ(checked, 13 * 16 * 11 * 2);
}

TEST(RawX86, OtherBasesAndTwoByteOpcodesMatchXbyak) {
  const Reg64 bases[] = {rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r13, r14, r15};
  for (const Reg64& base : bases)
    for (unsigned r = 0; r < 16; ++r)
      for (int32_t disp : Displacements) {
        const unsigned b = static_cast<unsigned>(base.getIdx());
        Assembler cmp64, jmp_mem, movzx8, movzx16;
        cmp64.cmp(Regs64[r], qword[base + disp]);
        jmp_mem.jmp(qword[base + disp]);
        movzx8.movzx(Regs32[r], byte[base + disp]);
        movzx16.movzx(Regs32[r], word[base + disp]);
        uint8_t buf[16];
        ASSERT_EQ(raw(buf, x86::rm_base(buf, true, 0x3B, r, b, disp)), cmp64.bytes()) << b << " " << r << " " << disp;
        ASSERT_EQ(raw(buf, x86::rm_base(buf, false, 0xFF, 4, b, disp)), jmp_mem.bytes()) << b << " " << disp;
        ASSERT_EQ(raw(buf, x86::rm_base(buf, false, 0x0FB6, r, b, disp)), movzx8.bytes()) << b << " " << r;
        ASSERT_EQ(raw(buf, x86::rm_base(buf, false, 0x0FB7, r, b, disp)), movzx16.bytes()) << b << " " << r;
      }
}

TEST(RawX86, ImmediateFormsMatchXbyak) {
  const uint64_t imms[] = {0,
                           1,
                           0x7F,
                           0x80,
                           0xFFFF,
                           0x7FFF'FFFF,
                           0x8000'0000,
                           0xFFFF'FFFF,
                           0x1'0000'0000,
                           0xFFFF'FFFF'8000'0000,
                           0xFFFF'FFFF'FFFF'FFFF,
                           0x0012'3456'789A'BCDE};
  for (unsigned r = 0; r < 16; ++r)
    for (uint64_t imm : imms) {
      Assembler expected;
      expected.mov(Regs64[r], imm);
      uint8_t buf[16];
      ASSERT_EQ(raw(buf, x86::mov_imm(buf, r, imm)), expected.bytes()) << r << " " << imm;
    }
  const uint32_t alu_imms[] = {0, 1, 64, 127, 128, 0xFFFF'FF80, 0xFFFF'FF7F, 1000, 0x7FFF'FFFF};
  for (unsigned r = 0; r < 16; ++r)
    for (unsigned ext : {0u, 1u, 4u, 5u, 6u, 7u})
      for (uint32_t imm : alu_imms)
        for (bool wide : {false, true}) {
          Assembler expected;
          const Reg& reg = wide ? static_cast<const Reg&>(Regs64[r]) : static_cast<const Reg&>(Regs32[r]);
          switch (ext) {
            case 0: expected.add(reg, imm); break;
            case 1: expected.or_(reg, imm); break;
            case 4: expected.and_(reg, imm); break;
            case 5: expected.sub(reg, imm); break;
            case 6: expected.xor_(reg, imm); break;
            default: expected.cmp(reg, imm); break;
          }
          uint8_t buf[16];
          ASSERT_EQ(raw(buf, x86::alu_imm(buf, wide, ext, r, imm)), expected.bytes())
              << r << " ext " << ext << " imm " << imm << " wide " << wide;
        }
  for (unsigned dst = 0; dst < 16; ++dst)
    for (unsigned src = 0; src < 16; ++src) {
      Assembler expected;
      expected.mov(Regs64[dst], Regs64[src]);
      uint8_t buf[4];
      ASSERT_EQ(raw(buf, x86::mov_rr(buf, dst, src)), expected.bytes()) << dst << " " << src;
    }
  Assembler test;
  test.test(eax, eax);
  uint8_t buf[4];
  EXPECT_EQ(raw(buf, x86::test_eax(buf)), test.bytes());
}

TEST(RawX86, MovImm64AndCallMatchXbyak) {
  for (unsigned r = 0; r < 16; ++r) {
    Assembler expected;
    expected.mov(Regs64[r], uint64_t{0x0123'4567'89AB'CDEF});
    uint8_t buf[16];
    ASSERT_EQ(raw(buf, x86::mov_r64_imm64(buf, r, 0x0123'4567'89AB'CDEF)), expected.bytes()) << r;
  }
  for (unsigned r = 0; r < 8; ++r) {
    Assembler expected;
    expected.call(Regs64[r]);
    uint8_t buf[4];
    ASSERT_EQ(raw(buf, x86::call_r64(buf, r)), expected.bytes()) << r;
  }
}

TEST(RawX86, TlbProbeMatchesXbyak) {
  for (int32_t base : {48, 56, 200, 296})
    for (int32_t offset : {0, 1, -1, 8, 127, -128, 128, -129, 32767, -32768})
      for (uint8_t tag : {uint8_t{0}, uint8_t{16}}) {
        Assembler expected;
        Label miss;
        expected.mov(rax, qword[rbx + base]);
        if (offset != 0) expected.add(rax, offset);
        expected.mov(rcx, rax);
        expected.shr(rcx, 12);
        expected.mov(edx, ecx);
        expected.and_(edx, 1023u);
        expected.shl(edx, 5);
        expected.cmp(rcx, qword[r12 + rdx + tag]);
        expected.jne(miss, CodeGenerator::T_NEAR);
        expected.mov(rdx, qword[r12 + rdx + 8]);
        expected.L(miss);
        uint8_t buf[64];
        uint8_t* miss_field = nullptr;
        uint8_t* end = x86::tlb_probe(buf, base, offset, 1023, 5, tag, 8, &miss_field);
        ASSERT_EQ(miss_field, end - 9);  // the jne's rel32 sits before the 5-byte final mov
        x86::put32(miss_field, static_cast<uint32_t>(end - (miss_field + 4)));  // as xbyak resolved it
        ASSERT_EQ(raw(buf, end), expected.bytes()) << base << " " << offset << " " << int(tag);
      }
}

// A base already in a host register (a cached or forwarded guest register): mov or lea.
TEST(RawX86, TlbProbeFromAHostRegisterMatchesXbyak) {
  for (int base_reg : {0, 1, 2, 5, 6, 7, 8, 9, 10, 11})
    for (int32_t offset : {0, 1, -1, 8, 127, -128, 128, -129, 32767, -32768}) {
      Assembler expected;
      Label miss;
      const Reg64 base(base_reg);
      if (offset == 0) {
        if (base_reg != 0) expected.mov(rax, base);
      } else if (base_reg == 0) {
        expected.add(rax, offset);
      } else {
        expected.lea(rax, ptr[base + offset]);
      }
      expected.mov(rcx, rax);
      expected.shr(rcx, 12);
      expected.mov(edx, ecx);
      expected.and_(edx, 1023u);
      expected.shl(edx, 5);
      expected.cmp(rcx, qword[r12 + rdx + 16]);
      expected.jne(miss, CodeGenerator::T_NEAR);
      expected.mov(rdx, qword[r12 + rdx + 8]);
      expected.L(miss);
      uint8_t buf[64];
      uint8_t* miss_field = nullptr;
      uint8_t* end = x86::tlb_probe(buf, 48, offset, 1023, 5, 16, 8, &miss_field, base_reg);
      x86::put32(miss_field, static_cast<uint32_t>(end - (miss_field + 4)));
      ASSERT_EQ(raw(buf, end), expected.bytes()) << base_reg << " " << offset;
    }
}

TEST(RawX86, JumpsMatchXbyak) {
  for (x86::Cond cond : {x86::CondB, x86::CondE, x86::CondNE, x86::CondL, x86::CondGE, x86::CondLE, x86::CondG}) {
    Assembler expected;
    Label target;
    switch (cond) {
      case x86::CondB: expected.jb(target, CodeGenerator::T_NEAR); break;
      case x86::CondE: expected.je(target, CodeGenerator::T_NEAR); break;
      case x86::CondNE: expected.jne(target, CodeGenerator::T_NEAR); break;
      case x86::CondL: expected.jl(target, CodeGenerator::T_NEAR); break;
      case x86::CondGE: expected.jge(target, CodeGenerator::T_NEAR); break;
      case x86::CondLE: expected.jle(target, CodeGenerator::T_NEAR); break;
      case x86::CondG: expected.jg(target, CodeGenerator::T_NEAR); break;
    }
    expected.L(target);
    uint8_t buf[8];
    ASSERT_EQ(raw(buf, x86::jcc_rel32(buf, cond)), expected.bytes()) << int(cond);
  }
  Assembler expected;
  Label target;
  expected.jmp(target, CodeGenerator::T_NEAR);
  expected.L(target);
  uint8_t buf[8];
  EXPECT_EQ(raw(buf, x86::jmp_rel32(buf)), expected.bytes());
  Assembler call;
  Label callee;
  call.call(callee);
  call.L(callee);
  EXPECT_EQ(raw(buf, x86::call_rel32(buf)), call.bytes());
  Assembler indirect;
  Label cell;
  indirect.jmp(qword[rip + cell]);
  indirect.L(cell);
  EXPECT_EQ(raw(buf, x86::jmp_rip_indirect(buf)), indirect.bytes());
}

}  // namespace
}  // namespace cannonball::jit
