// ALU, immediate, SPECIAL2 and shift cases (spec §5.2–§5.4). rs = t0, rt = t1, rd = t2.
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

constexpr Word M1 = ~Word{0};  // -1

StepCase r3(std::string name, Op op, Word rs, Word rt, Word result) {
  return {.name = std::move(name),
          .program = {r_type(op, T2, T0, T1)},
          .regs = {{T0, rs}, {T1, rt}},
          .expect_regs = {{T2, result}}};
}

StepCase imm(std::string name, Op op, Word rs, uint16_t immediate, Word result) {
  return {.name = std::move(name),
          .program = {i_type(op, T1, T0, immediate)},
          .regs = {{T0, rs}},
          .expect_regs = {{T1, result}}};
}

StepCase shift_sa(std::string name, Op op, Word rt, unsigned sa, Word result, unsigned rs_field = 0) {
  return {.name = std::move(name),
          .program = {r_type(op, T2, rs_field, T1, sa)},
          .regs = {{T1, rt}},
          .expect_regs = {{T2, result}}};
}

StepCase shift_v(std::string name, Op op, Word rt, Word rs, Word result) {
  return {.name = std::move(name),
          .program = {r_type(op, T2, T0, T1)},
          .regs = {{T0, rs}, {T1, rt}},
          .expect_regs = {{T2, result}}};
}

StepCase special2(std::string name, Op op, Word rs, Word rt, Word result) {
  return r3(std::move(name), op, rs, rt, result);
}

}  // namespace

std::vector<StepCase> alu_cases() {
  return {
      // add/addu/sub/subu: 32-bit, sign-extended, no overflow trap (spec §5.1, §5.2).
      r3("AddOverflowWrapsWithoutTrap", Op::add, 0x7FFF'FFFF, 1, 0xFFFF'FFFF'8000'0000ull),
      r3("AddIgnoresUpperHalves", Op::add, 0x1234'0000'0000'0005ull, 0xFFFF'0000'0000'0003ull, 8),
      r3("AdduWrapsToZero", Op::addu, 0xFFFF'FFFF, 1, 0),
      r3("AdduSignExtendsResult", Op::addu, 0x4000'0000, 0x4000'0000, 0xFFFF'FFFF'8000'0000ull),
      r3("SubOverflowWrapsWithoutTrap", Op::sub, 0x8000'0000, 1, 0x7FFF'FFFF),
      r3("SubuBorrowSignExtends", Op::subu, 0, 1, M1),
      {.name = "AdduIgnoresSaField",
       .program = {r_type(Op::addu, T2, T0, T1, 0x1F)},
       .regs = {{T0, 1}, {T1, 2}},
       .expect_regs = {{T2, 3}}},
      {.name = "AdduIntoR0IsDiscarded", .program = {r_type(Op::addu, R0, T0, T1)}, .regs = {{T0, 1}, {T1, 2}}},
      // 64-bit logic.
      r3("AndIs64Bit", Op::and_, 0xF0F0'F0F0'0000'FFFFull, 0xFF00'FF00'FFFF'0000ull, 0xF000'F000'0000'0000ull),
      r3("OrIs64Bit", Op::or_, 0xF0F0'F0F0'0000'FFFFull, 0xFF00'FF00'FFFF'0000ull, 0xFFF0'FFF0'FFFF'FFFFull),
      r3("XorIs64Bit", Op::xor_, 0xF0F0'F0F0'0000'FFFFull, 0xFF00'FF00'FFFF'0000ull, 0x0FF0'0FF0'FFFF'FFFFull),
      r3("NorIs64Bit", Op::nor, 0xF0F0'F0F0'0000'FFFFull, 0xFF00'FF00'FFFF'0000ull, 0x000F'000F'0000'0000ull),
      r3("SltSignedTrue", Op::slt, M1, 1, 1),
      r3("SltSignedFalse", Op::slt, 1, M1, 0),
      r3("SltuUnsignedFalse", Op::sltu, M1, 1, 0),
      r3("SltuUnsignedTrue", Op::sltu, 1, M1, 1),
      r3("DaddOverflowWrapsWithoutTrap", Op::dadd, 0x7FFF'FFFF'FFFF'FFFFull, 1, 0x8000'0000'0000'0000ull),
      r3("DadduWraps", Op::daddu, M1, 2, 1),
      r3("DsubOverflowWrapsWithoutTrap", Op::dsub, 0x8000'0000'0000'0000ull, 1, 0x7FFF'FFFF'FFFF'FFFFull),
      r3("DsubuWraps", Op::dsubu, 0, 1, M1),
      // movz/movn compare all 64 bits of rt.
      r3("MovzMovesWhenRtZero", Op::movz, 0x1234'5678'9ABC'DEF0ull, 0, 0x1234'5678'9ABC'DEF0ull),
      {.name = "MovzKeepsRdWhenRtUpperHalfNonZero",
       .program = {r_type(Op::movz, T2, T0, T1)},
       .regs = {{T0, 7}, {T1, 0x1'0000'0000ull}}},
      r3("MovnMovesWhenRtUpperHalfNonZero", Op::movn, 0x77, 0x1'0000'0000ull, 0x77),
      {.name = "MovnKeepsRdWhenRtZero", .program = {r_type(Op::movn, T2, T0, T1)}, .regs = {{T0, 7}, {T1, 0}}},
      // sync: a no-op with rd = 0, else R[rd] = rs (encoding laxity, spec §5.1).
      {.name = "SyncIsNoop", .program = {r_type(Op::sync, 0, 0, 0)}},
      {.name = "SyncWithRdCopiesRs",
       .program = {r_type(Op::sync, T2, T0, 0)},
       .regs = {{T0, 0xDEAD'BEEF'0000'0001ull}},
       .expect_regs = {{T2, 0xDEAD'BEEF'0000'0001ull}}},

      // Immediates (spec §5.3).
      imm("AddiOverflowWrapsWithoutTrap", Op::addi, 0x7FFF'FFFF, 1, 0xFFFF'FFFF'8000'0000ull),
      imm("AddiNegativeImmediate", Op::addi, 0, 0xFFFF, M1),
      // addiu: low 32 bits of rs (0) + 0xFFFF8000, sign-extended.
      imm("AddiuDropsUpperHalfOfRs", Op::addiu, 0x1'0000'0000ull, 0x8000, 0xFFFF'FFFF'FFFF'8000ull),
      imm("SltiSignedCompareTrue", Op::slti, 0xFFFF'FFFF'FFFF'FFFEull, 0xFFFF, 1),
      imm("SltiSignedCompareFalse", Op::slti, 0, 0x8000, 0),
      // sltiu sign-extends the immediate, then compares unsigned.
      imm("SltiuSignExtendedImmediateIsHuge", Op::sltiu, 5, 0xFFFF, 1),
      imm("SltiuLargeRsBelowImmediate", Op::sltiu, 0xFFFF'FFFF'FFFF'FFFEull, 0xFFFF, 1),
      imm("SltiuEqualIsFalse", Op::sltiu, M1, 0xFFFF, 0),
      imm("AndiZeroExtends", Op::andi, M1, 0x8001, 0x8001),
      imm("OriZeroExtends", Op::ori, 0xFFFF'0000'0000'0000ull, 0x8000, 0xFFFF'0000'0000'8000ull),
      imm("XoriZeroExtends", Op::xori, 0xFFFF, 0x8001, 0x7FFE),
      imm("XoriKeepsUpperBits", Op::xori, 0xFFFF'FFFF'FFFF'0000ull, 0xFFFF, M1),
      imm("LuiSignExtends", Op::lui, 0, 0x8000, 0xFFFF'FFFF'8000'0000ull),
      // lui ignores the rs field.
      {.name = "LuiIgnoresRsField",
       .program = {i_type(Op::lui, T1, T0, 0x1234)},
       .regs = {{T0, 0xFFFF}},
       .expect_regs = {{T1, 0x1234'0000}}},
      imm("DaddiOverflowWrapsWithoutTrap", Op::daddi, 0x7FFF'FFFF'FFFF'FFFFull, 1, 0x8000'0000'0000'0000ull),
      imm("DaddiNegativeImmediate", Op::daddi, 0, 0x8000, 0xFFFF'FFFF'FFFF'8000ull),
      imm("DaddiuIs64Bit", Op::daddiu, 0x1'0000'0000ull, 0xFFFF, 0xFFFF'FFFFull),
      {.name = "AddiuIntoR0IsDiscarded", .program = {i_type(Op::addiu, R0, T0, 5)}},

      // SPECIAL2 (spec §5.4).
      // mul: 3 * 0x80000001 = 0x1_8000_0003 -> low 32 = 0x80000003 -> sign-extended. HI/LO untouched.
      special2("MulWrapsAndSignExtends", Op::mul, 0x0001'0000'0000'0003ull, 0xFFFF'FFFF'8000'0001ull,
               0xFFFF'FFFF'8000'0003ull),
      special2("ClzCountsLow32Bits", Op::clz, 0xFFFF'FFFF'0000'0001ull, 0, 31),
      special2("ClzOfZeroLowHalfIs32", Op::clz, 0xFFFF'FFFF'0000'0000ull, 0, 32),
      special2("CloCountsLow32Bits", Op::clo, 0x0000'0000'FFFF'FFF0ull, 0, 28),
      special2("CloIgnoresUpperHalf", Op::clo, 0xFFFF'FFFF'0000'0000ull, 0, 0),
      special2("CloOfAllOnesIs32", Op::clo, 0xFFFF'FFFFull, 0, 32),
      special2("DclzOfZeroIs64", Op::dclz, 0, 0, 64),
      special2("DclzCounts64Bits", Op::dclz, 0x0000'0001'0000'0000ull, 0, 31),
      special2("DcloOfAllOnesIs64", Op::dclo, M1, 0, 64),
      special2("DcloCounts64Bits", Op::dclo, 0xFFFF'FFFF'7FFF'FFFFull, 0, 32),
  };
}

std::vector<StepCase> shift_cases() {
  return {
      // sll: (0xC0000001 << 1) & 0xFFFFFFFF = 0x80000002, sign-extended; rt's upper half ignored.
      shift_sa("SllSignExtends", Op::sll, 0x1234'5678'C000'0001ull, 1, 0xFFFF'FFFF'8000'0002ull),
      shift_sa("SllZeroShiftTruncatesTo32", Op::sll, 0xFFFF'FFFF'0000'0005ull, 0, 5),
      shift_sa("SrlIsLogicalOn32Bits", Op::srl, 0xFFFF'FFFF'8000'0000ull, 4, 0x0800'0000),
      shift_sa("SrlZeroShiftSignExtends", Op::srl, 0x0000'0001'8000'0000ull, 0, 0xFFFF'FFFF'8000'0000ull),
      // rotr encoding (rs field = 1) runs as a plain srl: 0xF1 >> 4 = 0xF (rotr would give 0x1000000F).
      shift_sa("SrlWithRsOneIsPlainShift", Op::srl, 0xF1, 4, 0xF, 1),
      // sra: 0x80000000 >> 4 = 0x08000000, sign-extended from bit 27.
      shift_sa("SraIsArithmeticOn32Bits", Op::sra, 0x8000'0000, 4, 0xFFFF'FFFF'F800'0000ull),
      shift_sa("SraZeroShiftSignExtendsLowHalf", Op::sra, 0x7FFF'FFFF'7FFF'FFFFull, 0, 0x7FFF'FFFF),
      shift_sa("SraBy31", Op::sra, 0x8000'0000, 31, M1),
      // sllv: shift = rs & 31 = 4; 0x08000001 << 4 = 0x80000010.
      shift_v("SllvMasksShiftTo5Bits", Op::sllv, 0x0800'0001, 0x24, 0xFFFF'FFFF'8000'0010ull),
      // rotrv encoding (sa field = 1) runs as a plain srlv.
      {.name = "SrlvWithSaOneIsPlainShift",
       .program = {r_type(Op::srlv, T2, T0, T1, 1)},
       .regs = {{T0, 4}, {T1, 0xF1}},
       .expect_regs = {{T2, 0xF}}},
      shift_v("SrlvMasksShiftTo5Bits", Op::srlv, M1, 0x21, 0x7FFF'FFFF),
      shift_v("SravBy31", Op::srav, 0x8000'0000, 0x3F, M1),
      shift_v("SravPositive", Op::srav, 0x7000'0000, 4, 0x0700'0000),
      shift_v("DsllvMasksShiftTo6Bits", Op::dsllv, 3, 0x7F, 0x8000'0000'0000'0000ull),
      shift_v("DsllvShifts64Bits", Op::dsllv, 0x0123'4567'89AB'CDEFull, 0x44, 0x1234'5678'9ABC'DEF0ull),
      shift_v("DsrlvIsLogical", Op::dsrlv, 0x8000'0000'0000'0000ull, 63, 1),
      shift_v("DsravIsArithmetic", Op::dsrav, 0x8000'0000'0000'0000ull, 4, 0xF800'0000'0000'0000ull),
      // dsllv/dsrlv/dsrav are in the HI/LO group: with rd = 0 nothing is written.
      {.name = "DsllvIntoR0IsDiscarded", .program = {r_type(Op::dsllv, R0, T0, T1)}},
      shift_sa("DsllShifts64Bits", Op::dsll, 0x0123'4567'89AB'CDEFull, 8, 0x2345'6789'ABCD'EF00ull),
      shift_sa("DsrlIsLogical", Op::dsrl, 0x8000'0000'0000'0001ull, 1, 0x4000'0000'0000'0000ull),
      shift_sa("DsrlWithRsOneIsPlainShift", Op::dsrl, 0x8000'0000'0000'0001ull, 1, 0x4000'0000'0000'0000ull, 1),
      shift_sa("DsraIsArithmetic", Op::dsra, 0x8000'0000'0000'0000ull, 31, 0xFFFF'FFFF'0000'0000ull),
      shift_sa("Dsll32AddsThirtyTwo", Op::dsll32, 0xAB, 4, 0x0000'0AB0'0000'0000ull),
      shift_sa("Dsrl32ZeroShiftIs32", Op::dsrl32, 0x8765'4321'0000'0000ull, 0, 0x8765'4321ull),
      shift_sa("Dsra32By60", Op::dsra32, 0x8000'0000'0000'0000ull, 28, 0xFFFF'FFFF'FFFF'FFF8ull),
  };
}

}  // namespace cannonball::test
