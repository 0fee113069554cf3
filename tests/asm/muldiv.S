/*
 * muldiv.S - HI/LO unit and SPECIAL2 mul (spec 5.2, 5.4).
 *   mult/multu: 64-bit product, HI = s32(p >> 32), LO = s32(p)
 *   div/divu:   LO = s32(quotient), HI = s32(remainder), truncating
 *   dmult/dmultu: 128-bit product split into HI:LO
 *   ddiv/ddivu: 64-bit truncating quotient/remainder
 *   mul: s32(low 32 bits of the product); HI/LO untouched in the VM
 * Division by zero is a VM exception and is covered by divzero_fault.S.
 */
#include "check.inc"

/* TEST_HL op, a, b, hi, lo, id_hi, id_lo: op $t0(=a), $t1(=b); check HI, LO */
	.macro	TEST_HL op, a, b, hi, lo, idh, idl
	LI64	$t0, \a
	LI64	$t1, \b
	\op	$t0, $t1
	mfhi	$t2
	mflo	$t3
	CHECK_EQ $t2, \hi, \idh
	CHECK_EQ $t3, \lo, \idl
	.endm

/* gas turns the two-operand div forms into checking macros; the
 * "$zero" destination form is the bare machine instruction */
	.macro	TEST_DV op, a, b, hi, lo, idh, idl
	LI64	$t0, \a
	LI64	$t1, \b
	\op	$zero, $t0, $t1
	mfhi	$t2
	mflo	$t3
	CHECK_EQ $t2, \hi, \idh
	CHECK_EQ $t3, \lo, \idl
	.endm

	TEST_BEGIN

	/* ---- mthi / mtlo / mfhi / mflo ---- */
	LI64	$t0, 0x0123456789abcdef
	LI64	$t1, 0xfedcba9876543210
	mthi	$t0
	mtlo	$t1
	mfhi	$t2
	mflo	$t3
	CHECK_EQ $t2, 0x0123456789abcdef, 1
	CHECK_EQ $t3, 0xfedcba9876543210, 2

	/* ---- mult (signed 32x32) ---- */
	/* 0x12345678 * (int32)0x9abcdef0 = -0x0733_6c29_dbd2_df80
	 *   = 0xf8cc93d6_242d2080 -> HI = s32(0xf8cc93d6), LO = s32(0x242d2080) */
	TEST_HL	mult, 0x12345678, 0xffffffff9abcdef0, 0xfffffffff8cc93d6, 0x242d2080, 10, 11
	TEST_HL	mult, -1, -1, 0, 1, 12, 13
	TEST_HL	mult, 0x7fffffff, 0x7fffffff, 0x3fffffff, 1, 14, 15
	TEST_HL	mult, 0xffffffff80000000, 0xffffffff80000000, 0x40000000, 0, 16, 17
	TEST_HL	mult, -7, 3, -1, -21, 18, 19

	/* ---- multu: halves are sign-extended from bit 31 ---- */
	/* 0xffffffff * 0xffffffff = 0xfffffffe_00000001 -> HI = s32(0xfffffffe) */
	TEST_HL	multu, -1, -1, 0xfffffffffffffffe, 1, 20, 21
	TEST_HL	multu, 0xffffffff80000000, 2, 1, 0, 22, 23
	TEST_HL	multu, 0x12345678, 0xffffffff9abcdef0, 0x0b00ea4e, 0x242d2080, 24, 25
	TEST_HL	multu, 0xffff, 0x10001, 0, 0xffffffffffffffff, 26, 27

	/* ---- div (signed, truncating; remainder takes the dividend sign) ---- */
	TEST_DV	div, -7, 2, -1, -3, 30, 31
	TEST_DV	div, 7, -2, 1, -3, 32, 33
	TEST_DV	div, -7, -2, -1, 3, 34, 35
	TEST_DV	div, 100, 7, 2, 14, 36, 37
	TEST_DV	div, 0xffffffff80000000, 1, 0, 0xffffffff80000000, 38, 39

	/* ---- divu ---- */
	TEST_DV	divu, -1, 2, 1, 0x7fffffff, 40, 41
	TEST_DV	divu, -7, 2, 1, 0x7ffffffc, 42, 43
	TEST_DV	divu, 0xffffffff80000000, 0x10, 0, 0x08000000, 44, 45
	TEST_DV	divu, 100, 7, 2, 14, 46, 47
	TEST_DV	divu, -1, 1, 0, -1, 48, 49		/* LO = s32(0xffffffff) */

	/* ---- dmult (signed 128-bit product) ---- */
	TEST_HL	dmult, -1, -1, 0, 1, 50, 51
	TEST_HL	dmult, 0x123456789abcdef0, 0x0fedcba987654321, 0x0121fa00ad77d742, 0x2236d88fe5618cf0, 52, 53
	TEST_HL	dmult, 0x8000000000000000, 0x8000000000000000, 0x4000000000000000, 0, 54, 55
	TEST_HL	dmult, 0x8000000000000000, -1, 0, 0x8000000000000000, 56, 57
	TEST_HL	dmult, -3, 5, -1, -15, 58, 59
	TEST_HL	dmult, 0x7fffffffffffffff, 0x7fffffffffffffff, 0x3fffffffffffffff, 1, 60, 61

	/* ---- dmultu ---- */
	TEST_HL	dmultu, -1, -1, 0xfffffffffffffffe, 1, 62, 63
	TEST_HL	dmultu, 0x123456789abcdef0, 0x0fedcba987654321, 0x0121fa00ad77d742, 0x2236d88fe5618cf0, 64, 65
	TEST_HL	dmultu, 0x8000000000000000, 2, 1, 0, 66, 67
	TEST_HL	dmultu, -3, 5, 4, 0xfffffffffffffff1, 68, 69

	/* ---- ddiv ---- */
	TEST_DV	ddiv, -7, 2, -1, -3, 70, 71
	TEST_DV	ddiv, 7, -2, 1, -3, 72, 73
	TEST_DV	ddiv, 0x123456789abcdef0, 0x1000, 0xef0, 0x000123456789abcd, 74, 75
	TEST_DV	ddiv, 0x8000000000000000, 3, -2, 0xd555555555555556, 76, 77
	TEST_DV	ddiv, -0x123456789abcdef0, 0x1234567, 0xfffffffffffffc00, 0xffffffeffffff870, 78, 79

	/* ---- ddivu ---- */
	TEST_DV	ddivu, -1, 2, 1, 0x7fffffffffffffff, 80, 81
	TEST_DV	ddivu, -7, 0x100000000, 0xfffffff9, 0xffffffff, 82, 83
	TEST_DV	ddivu, 0x8000000000000000, 3, 2, 0x2aaaaaaaaaaaaaaa, 84, 85

	/* ---- mul (SPECIAL2) ---- */
	TEST_RR	mul, 0x12345678, 0xffffffff9abcdef0, 0x242d2080, 90
	TEST_RR	mul, -7, 3, -21, 91
	TEST_RR	mul, 0x7fffffff, 2, -2, 92			/* wraps */
	TEST_RR	mul, 0x10000, 0x10000, 0, 93
	TEST_RR	mul, 0x40000000, 2, 0xffffffff80000000, 94

#ifdef CANNON_ONLY
	/* ---- Cannon-only: overflow quotients (UNPREDICTABLE on MIPS64).
	 *      The VM defines quotient = MIN, remainder = 0. ---- */
	TEST_DV	div, 0xffffffff80000000, -1, 0, 0xffffffff80000000, 100, 101
	TEST_DV	ddiv, 0x8000000000000000, -1, 0, 0x8000000000000000, 102, 103
	TEST_RR	mul, 0xffffffff80000000, -1, 0xffffffff80000000, 104

	/* ---- Cannon-only: mul leaves HI/LO alone (real CPUs may clobber) */
	LI64	$t0, 0x1111
	LI64	$t1, 0x2222
	mthi	$t0
	mtlo	$t1
	TEST_RR	mul, 3, 5, 15, 105
	mfhi	$t2
	mflo	$t3
	CHECK_EQ $t2, 0x1111, 106
	CHECK_EQ $t3, 0x2222, 107

	/* ---- Cannon-only: 32-bit mult/div use the low 32 bits of operands
	 *      that are not sign-extended words ---- */
	TEST_HL	mult, 0x1234567800000003, 0xabcdef00fffffffe, -1, -6, 108, 109
	TEST_DV	divu, 0x7777777700000064, 0x5555555500000007, 2, 14, 110, 111

	/* ---- Cannon-only: "should-be-zero" rd field of the HI/LO group.
	 *      mthi/mtlo/mult/div with rd != 0 write 0 into rd; mfhi/mflo
	 *      with rs/rt set still just read HI/LO. ---- */
	LI64	$t0, 6
	LI64	$t1, 7
	LI64	$t2, -1
	RAW	(12 << 21) | (14 << 11) | 0x11				/* mthi t0, rd=t2 */
	CHECK_EQ $t2, 0, 112
	mfhi	$t3
	CHECK_EQ $t3, 6, 113
	LI64	$t2, -1
	RAW	(12 << 21) | (13 << 16) | (14 << 11) | 0x18		/* mult t0,t1, rd=t2 */
	CHECK_EQ $t2, 0, 114
	mflo	$t3
	CHECK_EQ $t3, 42, 115
	LI64	$t2, -1
	RAW	(13 << 21) | (12 << 16) | (14 << 11) | 0x1f		/* ddivu t1,t0, rd=t2 */
	CHECK_EQ $t2, 0, 116
	mfhi	$t3
	CHECK_EQ $t3, 1, 117
	RAW	(12 << 21) | (13 << 16) | (14 << 11) | 0x10		/* mfhi t2 with rs,rt set */
	CHECK_EQ $t2, 1, 118
#endif

	TEST_PASS
