/*
 * clz.S - count leading zeros / ones (SPECIAL2, spec 5.4).
 *   clz/clo look at the low 32 bits only (result 0..32);
 *   dclz/dclo look at all 64 bits (result 0..64).
 */
#include "check.inc"

/* TEST_CL op, a, res, id: op $t2, $t0(=a) */
	.macro	TEST_CL op, a, res, id
	LI64	$t0, \a
	\op	$t2, $t0
	CHECK_EQ $t2, \res, \id
	.endm

	TEST_BEGIN

	TEST_CL	clz, 0, 32, 1
	TEST_CL	clz, -1, 0, 2
	TEST_CL	clz, 1, 31, 3
	TEST_CL	clz, 0xffffffff80000000, 0, 4
	TEST_CL	clz, 0x00010000, 15, 5
	TEST_CL	clz, 0x7fffffff, 1, 6

	TEST_CL	clo, -1, 32, 10
	TEST_CL	clo, 0, 0, 11
	TEST_CL	clo, 0xffffffff80000000, 1, 12
	TEST_CL	clo, 0xfffffffffffffff0, 28, 13
	TEST_CL	clo, 0x7fffffff, 0, 14
	TEST_CL	clo, 0xfffffffffffffffe, 31, 15

	TEST_CL	dclz, 0, 64, 20
	TEST_CL	dclz, -1, 0, 21
	TEST_CL	dclz, 1, 63, 22
	TEST_CL	dclz, 0x8000000000000000, 0, 23
	TEST_CL	dclz, 0x00000000ffffffff, 32, 24
	TEST_CL	dclz, 0x0000000100000000, 31, 25
	TEST_CL	dclz, 0x0000800000000000, 16, 26

	TEST_CL	dclo, -1, 64, 30
	TEST_CL	dclo, 0, 0, 31
	TEST_CL	dclo, 0xffffffff00000000, 32, 32
	TEST_CL	dclo, 0xfffffffffffffffe, 63, 33
	TEST_CL	dclo, 0x8000000000000000, 1, 34
	TEST_CL	dclo, 0x7fffffffffffffff, 0, 35
	TEST_CL	dclo, 0xffffffff7fffffff, 32, 36

	/* r0 as destination stays 0 */
	LI64	$t0, 0
	clz	$zero, $t0
	CHECK_EQ $zero, 0, 40

#ifdef CANNON_ONLY
	/* ---- Cannon-only: clz/clo of a value that is not a sign-extended
	 *      word count within the low 32 bits (UNPREDICTABLE on MIPS64) */
	TEST_CL	clz, 0x1234567800000001, 31, 100
	TEST_CL	clz, 0xffffffff00000000, 32, 101
	TEST_CL	clo, 0x00000000ffff0000, 16, 102
	TEST_CL	clo, 0x7fffffffffffffff, 32, 103
#endif

	TEST_PASS
