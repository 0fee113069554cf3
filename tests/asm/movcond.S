/*
 * movcond.S - conditional moves and sync (spec 5.2).
 *   movz rd, rs, rt: if rt == 0 (64-bit) then rd = rs
 *   movn rd, rs, rt: if rt != 0 (64-bit) then rd = rs
 *   sync: no effect on state (for rd = 0)
 */
#include "check.inc"

/* TEST_MV op, rdinit, rsval, rtval, res, id */
	.macro	TEST_MV op, init, a, b, res, id
	LI64	$t2, \init
	LI64	$t0, \a
	LI64	$t1, \b
	\op	$t2, $t0, $t1
	CHECK_EQ $t2, \res, \id
	.endm

	TEST_BEGIN

	TEST_MV	movz, 0x1111, 0x123456789abcdef0, 0, 0x123456789abcdef0, 1
	TEST_MV	movz, 0x1111, 0x123456789abcdef0, 1, 0x1111, 2
	TEST_MV	movz, 0x1111, 0x2222, 0x100000000, 0x1111, 3	/* 64-bit test */
	TEST_MV	movz, 0x1111, 0x2222, 0x8000000000000000, 0x1111, 4
	TEST_MV	movn, 0x1111, 0x123456789abcdef0, 0, 0x1111, 5
	TEST_MV	movn, 0x1111, 0x123456789abcdef0, -1, 0x123456789abcdef0, 6
	TEST_MV	movn, 0x1111, 0x2222, 0x100000000, 0x2222, 7	/* 64-bit test */
	TEST_MV	movz, -1, 0, 0, 0, 8				/* moves a zero */

	/* rt = $zero: movz always moves, movn never does */
	LI64	$t2, 1
	LI64	$t0, 0xabc
	movz	$t2, $t0, $zero
	CHECK_EQ $t2, 0xabc, 9
	LI64	$t2, 1
	movn	$t2, $t0, $zero
	CHECK_EQ $t2, 1, 10

	/* destination equal to the condition register */
	LI64	$t0, 0x77
	LI64	$t1, 5
	movn	$t1, $t0, $t1
	CHECK_EQ $t1, 0x77, 11

	/* movz to r0 is discarded */
	movz	$zero, $t0, $zero
	CHECK_EQ $zero, 0, 12

	/* ---- sync: no visible effect ---- */
	LI64	$t0, 0x55
	LI64	$t2, 0x66
	sync
	CHECK_EQ $t0, 0x55, 20
	CHECK_EQ $t2, 0x66, 21

#ifdef CANNON_ONLY
	/* ---- Cannon-only: sync ignores its should-be-zero fields and
	 *      writes R[rs] into R[rd] when rd != 0 ---- */
	RAW	(12 << 21) | (14 << 11) | 0x0f		/* "sync" rs=t0, rd=t2 */
	CHECK_EQ $t2, 0x55, 100
	CHECK_EQ $t0, 0x55, 101
#endif

	TEST_PASS
