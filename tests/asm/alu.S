/*
 * alu.S - register and immediate integer ALU (spec 5.2, 5.3).
 * 32-bit operations produce s32(x) (sign-extended from bit 31); 64-bit ones
 * wrap modulo 2^64. Immediates: simm for addi/addiu/slti/sltiu/daddi/daddiu,
 * zero-extended imm for andi/ori/xori, lui gives s32(imm << 16).
 */
#include "check.inc"

	TEST_BEGIN

	/* ---- 32-bit add/sub (operands are valid sign-extended words) ---- */
	TEST_RR	addu, 0x7fffffff, 1, 0xffffffff80000000, 1	/* wraps, s32 */
	TEST_RR	addu, -1, 1, 0, 2
	TEST_RR	addu, 0x12345678, 0x11111111, 0x23456789, 3
	TEST_RR	subu, 0, 1, -1, 4
	TEST_RR	subu, 0xffffffff80000000, 1, 0x7fffffff, 5	/* wraps */
	TEST_RR	add, -5, 3, -2, 6
	TEST_RR	sub, 3, 5, -2, 7
	TEST_RR	addu, 0x40000000, 0x40000000, 0xffffffff80000000, 8

	/* ---- 64-bit logic ---- */
	TEST_RR	and, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00, 10
	TEST_RR	or,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0, 11
	TEST_RR	xor, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0, 12
	TEST_RR	nor, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x000f000f000f000f, 13
	TEST_RR	nor, 0, 0, -1, 14

	/* ---- set on less than (64-bit compares) ---- */
	TEST_RR	slt, -1, 1, 1, 20
	TEST_RR	slt, 1, -1, 0, 21
	TEST_RR	sltu, 1, -1, 1, 22
	TEST_RR	sltu, -1, 1, 0, 23
	TEST_RR	slt, 0x8000000000000000, 0, 1, 24
	TEST_RR	slt, 5, 5, 0, 25
	TEST_RR	sltu, 0x100000000, 0xffffffff, 0, 26	/* 64-bit, not 32 */
	TEST_RR	slt, 0x7fffffffffffffff, 0x8000000000000000, 0, 27

	/* ---- 64-bit add/sub ---- */
	TEST_RR	dadd, 0x123456789abcdef0, 0x0fedcba987654321, 0x2222222222222211, 30
	TEST_RR	daddu, -1, 2, 1, 31
	TEST_RR	dsub, 5, 7, -2, 32
	TEST_RR	dsubu, 0, 0x8000000000000000, 0x8000000000000000, 33
	TEST_RR	daddu, 0xffffffffffffffff, 0xffffffffffffffff, 0xfffffffffffffffe, 34
	TEST_RR	daddu, 0x00000000ffffffff, 1, 0x0000000100000000, 35	/* no s32 */

	/* ---- immediates ---- */
	TEST_RI	addiu, 0, -1, -1, 40			/* imm 0xffff sign-extends */
	TEST_RI	addiu, 0x7fffffff, 1, 0xffffffff80000000, 41
	TEST_RI	addi, 10, -20, -10, 42
	TEST_RI	slti, -2, -1, 1, 43
	TEST_RI	slti, 0, -32768, 0, 44
	TEST_RI	slti, -32769, -32768, 1, 45
	TEST_RI	sltiu, 5, -1, 1, 46			/* 5 < 0xffff..ffff */
	TEST_RI	sltiu, 0xffffffffffff0000, -1, 1, 47
	TEST_RI	sltiu, -1, -1, 0, 48
	TEST_RI	sltiu, 0xffffffffffff8000, -32768, 0, 49	/* equal */
	TEST_RI	sltiu, 0x7fff, 0x7fff, 0, 50
	TEST_RI	andi, -1, 0xffff, 0xffff, 51		/* zero-extended */
	TEST_RI	andi, 0x123456789abcdef0, 0x8421, 0x8420, 52
	TEST_RI	ori, 0, 0x8000, 0x8000, 53
	TEST_RI	ori, 0xffffffff00000000, 0xffff, 0xffffffff0000ffff, 54
	TEST_RI	xori, -1, 0xffff, 0xffffffffffff0000, 55
	TEST_RI	xori, 0x5555, 0xaaaa, 0xffff, 56
	TEST_RI	daddi, 0, -1, -1, 57
	TEST_RI	daddiu, 0x7fffffffffffffff, 1, 0x8000000000000000, 58
	TEST_RI	daddiu, 0x00000000ffffffff, 1, 0x0000000100000000, 59
	TEST_RI	daddiu, 0, -32768, 0xffffffffffff8000, 60

	lui	$t2, 0x8000
	CHECK_EQ $t2, 0xffffffff80000000, 61
	lui	$t2, 0x7fff
	CHECK_EQ $t2, 0x7fff0000, 62
	lui	$t2, 0xffff
	CHECK_EQ $t2, 0xffffffffffff0000, 63
	LI64	$t2, -1
	lui	$t2, 0				/* lui replaces the whole register */
	CHECK_EQ $t2, 0, 64

	/* ---- r0 is never written; same register as source and dest ---- */
	addiu	$zero, $zero, 5
	daddu	$zero, $t2, $t2
	CHECK_EQ $zero, 0, 70
	LI64	$t3, 21
	daddu	$t3, $t3, $t3
	CHECK_EQ $t3, 42, 71
	LI64	$t3, 0x40000000
	addu	$t3, $t3, $t3
	CHECK_EQ $t3, 0xffffffff80000000, 72

#ifdef CANNON_ONLY
	/* ---- Cannon-only: no overflow traps (real MIPS64 raises an
	 *      Integer Overflow exception for these) ---- */
	TEST_RR	add, 0x7fffffff, 1, 0xffffffff80000000, 100
	TEST_RR	sub, 0xffffffff80000000, 1, 0x7fffffff, 101
	TEST_RI	addi, 0x7fffffff, 1, 0xffffffff80000000, 102
	TEST_RR	dadd, 0x7fffffffffffffff, 1, 0x8000000000000000, 103
	TEST_RR	dsub, 0x8000000000000000, 1, 0x7fffffffffffffff, 104
	TEST_RI	daddi, 0x7fffffffffffffff, 1, 0x8000000000000000, 105
	TEST_RI	daddi, 0x8000000000000000, -1, 0x7fffffffffffffff, 106

	/* ---- Cannon-only: 32-bit ops on operands that are not sign-extended
	 *      words use only the low 32 bits (UNPREDICTABLE on MIPS64) ---- */
	TEST_RR	addu, 0x1234567800000001, 0xabcdef0000000002, 3, 110
	TEST_RR	subu, 0x1234567800000001, 0x0000000100000002, -1, 111
	TEST_RI	addiu, 0x123456787fffffff, 1, 0xffffffff80000000, 112
	TEST_RR	add, 0x00000000ffffffff, 0x00000000ffffffff, -2, 113
#endif

	TEST_PASS
