// HI/LO group cases (spec §5.2 funct 0x10–0x1F): moves, multiplies, divides. rs = t0, rt = t1.
// The group writes R[rd] = val when rd != 0, where val is 0 for everything but mfhi/mflo (and the
// d*v shifts, covered in the shift table).
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

constexpr Word M1 = ~Word{0};

// A multiply/divide with rd = 0: only HI and LO change.
StepCase muldiv(std::string name, Op op, Word rs, Word rt, Word hi, Word lo) {
  return {.name = std::move(name),
          .program = {r_type(op, 0, T0, T1)},
          .regs = {{T0, rs}, {T1, rt}},
          .expect_hi = hi,
          .expect_lo = lo};
}

StepCase divide_by_zero(std::string name, Op op, Word rt) {
  return {.name = std::move(name),
          .program = {r_type(op, 0, T0, T1)},
          .regs = {{T0, 1234}, {T1, rt}},
          .exception = ExceptionKind::DivideByZero};
}

}  // namespace

std::vector<StepCase> hilo_cases() {
  return {
      {.name = "MfhiCopiesHi", .program = {r_type(Op::mfhi, T2, 0, 0)}, .expect_regs = {{T2, BaseHi}}},
      {.name = "MfloCopiesLo", .program = {r_type(Op::mflo, T2, 0, 0)}, .expect_regs = {{T2, BaseLo}}},
      {.name = "MfhiIntoR0IsDiscarded", .program = {r_type(Op::mfhi, R0, 0, 0)}},
      {.name = "MthiSetsHi",
       .program = {r_type(Op::mthi, 0, T0, 0)},
       .regs = {{T0, 0x0123'4567'89AB'CDEFull}},
       .expect_hi = 0x0123'4567'89AB'CDEFull},
      {.name = "MthiWithRdWritesZeroToRd",
       .program = {r_type(Op::mthi, T2, T0, 0)},
       .regs = {{T0, 0x77}},
       .expect_regs = {{T2, 0}},
       .expect_hi = 0x77},
      {.name = "MtloSetsLo",
       .program = {r_type(Op::mtlo, 0, T0, 0)},
       .regs = {{T0, 0xFEDC'BA98'7654'3210ull}},
       .expect_lo = 0xFEDC'BA98'7654'3210ull},
      {.name = "MtloWithRdWritesZeroToRd",
       .program = {r_type(Op::mtlo, T2, T0, 0)},
       .regs = {{T0, 0x88}},
       .expect_regs = {{T2, 0}},
       .expect_lo = 0x88},

      // mult: -2 * 3 = -6 = 0xFFFFFFFF_FFFFFFFA -> HI = s32(0xFFFFFFFF), LO = s32(0xFFFFFFFA).
      muldiv("MultNegativeProduct", Op::mult, 0xFFFF'FFFF'FFFF'FFFEull, 3, M1, 0xFFFF'FFFF'FFFF'FFFAull),
      // mult uses only the low 32 bits: INT32_MIN * INT32_MAX = -(2^62 - 2^31) = 0xC0000000_80000000.
      muldiv("MultSignExtendsHalvesAndIgnoresUpperBits", Op::mult, 0x1234'5678'8000'0000ull, 0x7FFF'FFFF,
             0xFFFF'FFFF'C000'0000ull, 0xFFFF'FFFF'8000'0000ull),
      {.name = "MultWithRdWritesZeroToRd",
       .program = {r_type(Op::mult, T2, T0, T1)},
       .regs = {{T0, 2}, {T1, 3}},
       .expect_regs = {{T2, 0}},
       .expect_hi = 0,
       .expect_lo = 6},
      // multu: 0xFFFFFFFF^2 = 0xFFFFFFFE_00000001 -> HI = s32(0xFFFFFFFE) (sign-extended), LO = 1.
      muldiv("MultuSignExtendsHighHalf", Op::multu, 0xFFFF'FFFF, 0xFFFF'FFFF, 0xFFFF'FFFF'FFFF'FFFEull, 1),
      // multu: 3 * 0x80000000 = 0x1_80000000 -> HI = 1, LO = s32(0x80000000); rs upper bits ignored.
      muldiv("MultuSignExtendsLowHalf", Op::multu, 0x0000'0001'0000'0003ull, 0x8000'0000, 1, 0xFFFF'FFFF'8000'0000ull),
      // div truncates toward zero: -7 / 2 = -3 rem -1.
      muldiv("DivTruncatesTowardZero", Op::div, 0xFFFF'FFFF'FFFF'FFF9ull, 2, M1, 0xFFFF'FFFF'FFFF'FFFDull),
      // div uses the low 32 bits of both operands: 0x...00000007 / 0x...FFFFFFFE = 7 / -2 = -3 rem 1.
      muldiv("DivUsesLow32Bits", Op::div, 0xABCD'0000'0000'0007ull, 0x0000'0001'FFFF'FFFEull, 1,
             0xFFFF'FFFF'FFFF'FFFDull),
      muldiv("DivInt32MinByMinusOne", Op::div, 0x0000'0000'8000'0000ull, 0xFFFF'FFFF, 0, 0xFFFF'FFFF'8000'0000ull),
      divide_by_zero("DivByZeroRaises", Op::div, 0),
      divide_by_zero("DivByLow32ZeroRaises", Op::div, 0x1'0000'0000ull),
      // divu: 0xFFFFFFFF / 2 = 0x7FFFFFFF rem 1.
      muldiv("DivuUnsigned", Op::divu, 0xFFFF'FFFF, 2, 1, 0x7FFF'FFFF),
      muldiv("DivuSignExtendsQuotient", Op::divu, 0x8000'0001, 1, 0, 0xFFFF'FFFF'8000'0001ull),
      divide_by_zero("DivuByZeroRaises", Op::divu, 0),
      divide_by_zero("DivuByLow32ZeroRaises", Op::divu, 0xFFFF'FFFF'0000'0000ull),
      // dmult: -3 * (2^63 - 1) = 2^128 - 2^64 - 2^63 + 3 (128-bit two's complement)
      //   = (2^64 - 2) * 2^64 + (2^63 + 3) -> HI = 0xFFFF...FFFE, LO = 0x8000...0003.
      muldiv("DmultNegativeTimesPositive", Op::dmult, 0xFFFF'FFFF'FFFF'FFFDull, 0x7FFF'FFFF'FFFF'FFFFull,
             0xFFFF'FFFF'FFFF'FFFEull, 0x8000'0000'0000'0003ull),
      muldiv("DmultNegativeTimesNegative", Op::dmult, M1, M1, 0, 1),
      // INT64_MIN^2 = 2^126 -> HI = 2^62.
      muldiv("DmultInt64MinSquared", Op::dmult, 0x8000'0000'0000'0000ull, 0x8000'0000'0000'0000ull,
             0x4000'0000'0000'0000ull, 0),
      // -3 * 2 = -6: HI all ones (sign), LO = -6.
      muldiv("DmultSmallNegative", Op::dmult, 0xFFFF'FFFF'FFFF'FFFDull, 2, M1, 0xFFFF'FFFF'FFFF'FFFAull),
      // dmultu treats the same bits as unsigned: (2^64 - 3) * 2 = 2^65 - 6 -> HI = 1, LO = 2^64 - 6.
      muldiv("DmultuTreatsNegativeAsUnsigned", Op::dmultu, 0xFFFF'FFFF'FFFF'FFFDull, 2, 1, 0xFFFF'FFFF'FFFF'FFFAull),
      // (2^64 - 1)^2 = 2^128 - 2^65 + 1 -> HI = 2^64 - 2, LO = 1.
      muldiv("DmultuMaxSquared", Op::dmultu, M1, M1, 0xFFFF'FFFF'FFFF'FFFEull, 1),
      muldiv("DdivTruncatesTowardZero", Op::ddiv, 0xFFFF'FFFF'FFFF'FFF9ull, 2, M1, 0xFFFF'FFFF'FFFF'FFFDull),
      muldiv("DdivPositiveByNegative", Op::ddiv, 7, 0xFFFF'FFFF'FFFF'FFFEull, 1, 0xFFFF'FFFF'FFFF'FFFDull),
      muldiv("DdivInt64MinByMinusOne", Op::ddiv, 0x8000'0000'0000'0000ull, M1, 0, 0x8000'0000'0000'0000ull),
      // ddiv checks all 64 bits of rt: 0x3_00000005 / 0x1_00000000 = 3 rem 5.
      muldiv("DdivByLow32ZeroIsFine", Op::ddiv, 0x3'0000'0005ull, 0x1'0000'0000ull, 5, 3),
      divide_by_zero("DdivByZeroRaises", Op::ddiv, 0),
      muldiv("DdivuUnsigned", Op::ddivu, M1, 0x10, 0xF, 0x0FFF'FFFF'FFFF'FFFFull),
      divide_by_zero("DdivuByZeroRaises", Op::ddivu, 0),
  };
}

}  // namespace cannonball::test
