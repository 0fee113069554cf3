/*
 * unaligned.S - lwl/lwr/ldl/ldr/swl/swr/sdl/sdr at every byte offset
 * k = addr & 7 (spec 5.6). Expected values were derived by hand from the
 * spec formulas; all memory is big-endian.
 *
 * Loads read MEM = 0x0123456789abcdef (word slot 0 = 0x01234567, word
 * slot 4 = 0x89abcdef).
 *   lwl/lwr start from  R  = 0xffffffffa0a1a2a3
 *   ldl/ldr start from  RD = 0xa0a1a2a3a4a5a6a7
 * Stores write V = 0x0123456789abcdef into D = 0xf0f1f2f3f4f5f6f7.
 *
 * Worked derivations:
 *   lwl k=5: w = slot 4 = 0x89abcdef, s = (5&3)*8 = 8,
 *            v = (w << 8) mod 2^32 = 0xabcdef00, m = 0xffffff00,
 *            (R & ~m) | v = 0xabcdefa3 -> s32 = 0xffffffffabcdefa3
 *   lwr k=1: w = 0x01234567, s = 24 - 8 = 16, v = w >> 16 = 0x0123,
 *            m = 0x0000ffff, r32 = (0xa0a1a2a3 & ~m) | v = 0xa0a10123,
 *            k&3 != 3 -> (R & 0xffffffff00000000) | r32 = 0xffffffffa0a10123
 *   lwr k=3 (Cannon-only block, RC = 0x1020304050607080): s = 0, m = ~0,
 *            r32 = 0x01234567, k&3 == 3 -> s32(r32) = 0x0000000001234567
 *   ldr k=2: s = 56 - 16 = 40, MEM >> 40 = 0x012345,
 *            RD & (~0 << 24) = 0xa0a1a2a3a4000000 -> 0xa0a1a2a3a4012345
 *   ldr k=7: s = 0, the rt mask is 0 (shift by 64 gives 0) -> MEM
 *   swl k=6: s = 16, h = 32 - 4*8 = 0, v = (0x89abcdef >> 16) = 0x89ab,
 *            m = 0xffff, new = (D & ~m) | v = 0xf0f1f2f3f4f589ab
 *   swr k=1: w = slot 0 of D = 0xf0f1f2f3, s = 24 - 8 = 16,
 *            r = (w & 0xffff) | (uint32)(V << 16) = 0xcdeff2f3, stored in
 *            word slot 0 -> 0xcdeff2f3f4f5f6f7
 *   sdl k=3: s = 24, (V >> 24) | (D & ~(~0 >> 24)) = 0xf0f1f20123456789
 *   sdr k=4: s = 24, (V << 24) | (D & ~(~0 << 24)) = 0x6789abcdeff5f6f7
 */
#include "check.inc"

/* TEST_LX op, k, rtinit, res, id: $t2 = rtinit; op $t2, k($s0); check */
	.macro	TEST_LX op, k, init, res, id
	LI64	$t2, \init
	\op	$t2, (\k)($s0)
	CHECK_EQ $t2, \res, \id
	.endm

/* TEST_SX op, k, res, id: dst = D; op V, k($s1); check the doubleword */
	.macro	TEST_SX op, k, res, id
	sd	$s2, 0($s1)
	\op	$s3, (\k)($s1)
	CHECK_MEM $s1, 0, \res, \id
	.endm

#define R  0xffffffffa0a1a2a3
#define RC 0x1020304050607080
#define RD 0xa0a1a2a3a4a5a6a7

	TEST_BEGIN
	LA	$s0, src
	LA	$s1, dst
	LI64	$s2, 0xf0f1f2f3f4f5f6f7		/* D */
	LI64	$s3, 0x0123456789abcdef		/* V */

	/* ---- lwl ---- */
	TEST_LX	lwl, 0, R, 0x0000000001234567, 1
	TEST_LX	lwl, 1, R, 0x00000000234567a3, 2
	TEST_LX	lwl, 2, R, 0x000000004567a2a3, 3
	TEST_LX	lwl, 3, R, 0x0000000067a1a2a3, 4
	TEST_LX	lwl, 4, R, 0xffffffff89abcdef, 5
	TEST_LX	lwl, 5, R, 0xffffffffabcdefa3, 6
	TEST_LX	lwl, 6, R, 0xffffffffcdefa2a3, 7
	TEST_LX	lwl, 7, R, 0xffffffffefa1a2a3, 8

	/* ---- lwr (rt is a sign-extended word here, so the kept upper half
	 *      equals the sign extension a real CPU produces) ---- */
	TEST_LX	lwr, 0, R, 0xffffffffa0a1a201, 11
	TEST_LX	lwr, 1, R, 0xffffffffa0a10123, 12
	TEST_LX	lwr, 2, R, 0xffffffffa0012345, 13
	TEST_LX	lwr, 3, R, 0x0000000001234567, 14
	TEST_LX	lwr, 4, R, 0xffffffffa0a1a289, 15
	TEST_LX	lwr, 5, R, 0xffffffffa0a189ab, 16
	TEST_LX	lwr, 6, R, 0xffffffffa089abcd, 17
	TEST_LX	lwr, 7, R, 0xffffffff89abcdef, 18

	/* ---- ldl ---- */
	TEST_LX	ldl, 0, RD, 0x0123456789abcdef, 21
	TEST_LX	ldl, 1, RD, 0x23456789abcdefa7, 22
	TEST_LX	ldl, 2, RD, 0x456789abcdefa6a7, 23
	TEST_LX	ldl, 3, RD, 0x6789abcdefa5a6a7, 24
	TEST_LX	ldl, 4, RD, 0x89abcdefa4a5a6a7, 25
	TEST_LX	ldl, 5, RD, 0xabcdefa3a4a5a6a7, 26
	TEST_LX	ldl, 6, RD, 0xcdefa2a3a4a5a6a7, 27
	TEST_LX	ldl, 7, RD, 0xefa1a2a3a4a5a6a7, 28

	/* ---- ldr ---- */
	TEST_LX	ldr, 0, RD, 0xa0a1a2a3a4a5a601, 31
	TEST_LX	ldr, 1, RD, 0xa0a1a2a3a4a50123, 32
	TEST_LX	ldr, 2, RD, 0xa0a1a2a3a4012345, 33
	TEST_LX	ldr, 3, RD, 0xa0a1a2a301234567, 34
	TEST_LX	ldr, 4, RD, 0xa0a1a20123456789, 35
	TEST_LX	ldr, 5, RD, 0xa0a10123456789ab, 36
	TEST_LX	ldr, 6, RD, 0xa00123456789abcd, 37
	TEST_LX	ldr, 7, RD, 0x0123456789abcdef, 38

	/* ---- swl ---- */
	TEST_SX	swl, 0, 0x89abcdeff4f5f6f7, 41
	TEST_SX	swl, 1, 0xf089abcdf4f5f6f7, 42
	TEST_SX	swl, 2, 0xf0f189abf4f5f6f7, 43
	TEST_SX	swl, 3, 0xf0f1f289f4f5f6f7, 44
	TEST_SX	swl, 4, 0xf0f1f2f389abcdef, 45
	TEST_SX	swl, 5, 0xf0f1f2f3f489abcd, 46
	TEST_SX	swl, 6, 0xf0f1f2f3f4f589ab, 47
	TEST_SX	swl, 7, 0xf0f1f2f3f4f5f689, 48

	/* ---- swr ---- */
	TEST_SX	swr, 0, 0xeff1f2f3f4f5f6f7, 51
	TEST_SX	swr, 1, 0xcdeff2f3f4f5f6f7, 52
	TEST_SX	swr, 2, 0xabcdeff3f4f5f6f7, 53
	TEST_SX	swr, 3, 0x89abcdeff4f5f6f7, 54
	TEST_SX	swr, 4, 0xf0f1f2f3eff5f6f7, 55
	TEST_SX	swr, 5, 0xf0f1f2f3cdeff6f7, 56
	TEST_SX	swr, 6, 0xf0f1f2f3abcdeff7, 57
	TEST_SX	swr, 7, 0xf0f1f2f389abcdef, 58

	/* ---- sdl ---- */
	TEST_SX	sdl, 0, 0x0123456789abcdef, 61
	TEST_SX	sdl, 1, 0xf00123456789abcd, 62
	TEST_SX	sdl, 2, 0xf0f10123456789ab, 63
	TEST_SX	sdl, 3, 0xf0f1f20123456789, 64
	TEST_SX	sdl, 4, 0xf0f1f2f301234567, 65
	TEST_SX	sdl, 5, 0xf0f1f2f3f4012345, 66
	TEST_SX	sdl, 6, 0xf0f1f2f3f4f50123, 67
	TEST_SX	sdl, 7, 0xf0f1f2f3f4f5f601, 68

	/* ---- sdr ---- */
	TEST_SX	sdr, 0, 0xeff1f2f3f4f5f6f7, 71
	TEST_SX	sdr, 1, 0xcdeff2f3f4f5f6f7, 72
	TEST_SX	sdr, 2, 0xabcdeff3f4f5f6f7, 73
	TEST_SX	sdr, 3, 0x89abcdeff4f5f6f7, 74
	TEST_SX	sdr, 4, 0x6789abcdeff5f6f7, 75
	TEST_SX	sdr, 5, 0x456789abcdeff6f7, 76
	TEST_SX	sdr, 6, 0x23456789abcdeff7, 77
	TEST_SX	sdr, 7, 0x0123456789abcdef, 78

	/* the neighbouring doubleword is never touched */
	CHECK_MEM $s1, 8, 0x2222222222222222, 79

	/* ---- lwl with an rt whose upper half is not a sign extension:
	 *      lwl always returns s32 of the merged word ---- */
	TEST_LX	lwl, 0, RC, 0x0000000001234567, 81
	TEST_LX	lwl, 1, RC, 0x0000000023456780, 82
	TEST_LX	lwl, 2, RC, 0x0000000045677080, 83
	TEST_LX	lwl, 3, RC, 0x0000000067607080, 84
	TEST_LX	lwl, 4, RC, 0xffffffff89abcdef, 85
	TEST_LX	lwl, 5, RC, 0xffffffffabcdef80, 86
	TEST_LX	lwl, 6, RC, 0xffffffffcdef7080, 87
	TEST_LX	lwl, 7, RC, 0xffffffffef607080, 88

	/* ---- the usual unaligned idioms ---- */
	/* word at src+1 (bytes 1..4): lwl 1 / lwr 4 -> 0x23456789 */
	LI64	$t2, 0
	lwl	$t2, 1($s0)
	lwr	$t2, 4($s0)
	CHECK_EQ $t2, 0x23456789, 90
	/* word at src+3 (bytes 3..6): lwl 3 / lwr 6 -> s32(0x6789abcd) */
	lwl	$t2, 3($s0)
	lwr	$t2, 6($s0)
	CHECK_EQ $t2, 0x6789abcd, 91
	/* doubleword at src+3 (bytes 3..10): ldl 3 / ldr 10 */
	ldl	$t2, 3($s0)
	ldr	$t2, 10($s0)
	CHECK_EQ $t2, 0x6789abcdeffedcba, 92
	/* store a doubleword at dst+5 with sdl/sdr, then a word at dst+2 */
	sd	$s2, 0($s1)
	sd	$s2, 8($s1)
	sdl	$s3, 5($s1)
	sdr	$s3, 12($s1)
	CHECK_MEM $s1, 0, 0xf0f1f2f3f4012345, 93
	CHECK_MEM $s1, 8, 0x6789abcdeff5f6f7, 94
	sd	$s2, 0($s1)
	swl	$s3, 2($s1)
	swr	$s3, 5($s1)
	CHECK_MEM $s1, 0, 0xf0f189abcdeff6f7, 95
	LI64	$t0, 0x2222222222222222
	sd	$t0, 8($s1)

#ifdef CANNON_ONLY
	/* ---- Cannon-only: lwr keeps the upper half of rt unless k&3 == 3
	 *      (a real MIPS64 sign-extends the merged word). ---- */
	TEST_LX	lwr, 0, RC, 0x1020304050607001, 101
	TEST_LX	lwr, 1, RC, 0x1020304050600123, 102
	TEST_LX	lwr, 2, RC, 0x1020304050012345, 103
	TEST_LX	lwr, 3, RC, 0x0000000001234567, 104
	TEST_LX	lwr, 4, RC, 0x1020304050607089, 105
	TEST_LX	lwr, 5, RC, 0x10203040506089ab, 106
	TEST_LX	lwr, 6, RC, 0x102030405089abcd, 107
	TEST_LX	lwr, 7, RC, 0xffffffff89abcdef, 108
	/* lwr keeps rt's upper half even when the merged word has bit 31
	 * clear and rt's upper half is all ones: k=2, rt = 0xffffffff00000000
	 *   w = 0x01234567, s = 8, v = 0x012345, m = 0x00ffffff,
	 *   r32 = 0x00012345 -> 0xffffffff00012345 (real CPU: 0x00012345) */
	TEST_LX	lwr, 2, 0xffffffff00000000, 0xffffffff00012345, 109
#endif

	TEST_PASS

	.data
	.balign	8
src:	.dword	0x0123456789abcdef, 0xfedcba9876543210
dst:	.dword	0, 0x2222222222222222
