/*
 * shift.S - 32- and 64-bit shifts (spec 5.2).
 *   sll/srl/sra operate on the low 32 bits and sign-extend the result;
 *   sllv/srlv/srav use rs & 31; dsllv/dsrlv/dsrav use rs & 63;
 *   dsll32/dsrl32/dsra32 shift by sa + 32.
 * W = 0xffffffff89abcdef (a valid sign-extended word, bit 31 set)
 * A = 0x8123456789abcdef (64-bit pattern, bit 63 set)
 */
#include "check.inc"

#define W 0xffffffff89abcdef
#define A 0x8123456789abcdef

	TEST_BEGIN

	/* ---- sll / srl / sra, sa = 0, 1, 4, 31 ---- */
	TEST_RI	sll, W, 0, W, 1
	TEST_RI	sll, W, 1, 0x13579bde, 2		/* bit 31 of result 0 */
	TEST_RI	sll, W, 4, 0xffffffff9abcdef0, 3
	TEST_RI	sll, W, 31, 0xffffffff80000000, 4
	TEST_RI	sll, 0x7fffffff, 1, 0xfffffffffffffffe, 5
	TEST_RI	srl, W, 0, W, 6				/* s32 of itself */
	TEST_RI	srl, W, 1, 0x44d5e6f7, 7
	TEST_RI	srl, W, 4, 0x089abcde, 8
	TEST_RI	srl, W, 31, 1, 9
	TEST_RI	sra, W, 0, W, 10
	TEST_RI	sra, W, 1, 0xffffffffc4d5e6f7, 11
	TEST_RI	sra, W, 4, 0xfffffffff89abcde, 12
	TEST_RI	sra, W, 31, -1, 13
	TEST_RI	sra, 0x12345678, 4, 0x01234567, 14
	TEST_RI	sra, 0x12345678, 31, 0, 15
	TEST_RI	srl, 0x12345678, 31, 0, 16

	/* ---- 64-bit immediate shifts ---- */
	TEST_RI	dsll, A, 0, A, 20
	TEST_RI	dsll, A, 1, 0x02468acf13579bde, 21
	TEST_RI	dsll, A, 4, 0x123456789abcdef0, 22
	TEST_RI	dsll, A, 31, 0xc4d5e6f780000000, 23
	TEST_RI	dsrl, A, 0, A, 24
	TEST_RI	dsrl, A, 1, 0x4091a2b3c4d5e6f7, 25
	TEST_RI	dsrl, A, 31, 0x102468acf, 26
	TEST_RI	dsra, A, 0, A, 27
	TEST_RI	dsra, A, 1, 0xc091a2b3c4d5e6f7, 28
	TEST_RI	dsra, A, 31, 0xffffffff02468acf, 29
	TEST_RI	dsra, 0x7123456789abcdef, 4, 0x07123456789abcde, 30
	TEST_RI	dsll32, A, 0, 0x89abcdef00000000, 31	/* shift 32 */
	TEST_RI	dsll32, A, 4, 0x9abcdef000000000, 32	/* shift 36 */
	TEST_RI	dsll32, A, 31, 0x8000000000000000, 33	/* shift 63 */
	TEST_RI	dsrl32, A, 0, 0x81234567, 34
	TEST_RI	dsrl32, A, 4, 0x08123456, 35
	TEST_RI	dsrl32, A, 31, 1, 36
	TEST_RI	dsra32, A, 0, 0xffffffff81234567, 37
	TEST_RI	dsra32, A, 4, 0xfffffffff8123456, 38
	TEST_RI	dsra32, A, 31, -1, 39
	TEST_RI	dsra32, 0x4123456789abcdef, 31, 0, 40

	/* ---- variable shifts: only the low 5 / 6 bits of rs count ---- */
	TEST_RR	sllv, W, 0x24, 0xffffffff9abcdef0, 50		/* 0x24&31 = 4 */
	TEST_RR	srlv, W, 0xffffffffffffffe1, 0x44d5e6f7, 51	/* &31 = 1 */
	TEST_RR	srav, W, 0x3f, -1, 52				/* &31 = 31 */
	TEST_RR	sllv, W, 32, W, 53				/* &31 = 0 */
	TEST_RR	srav, W, 0x104, 0xfffffffff89abcde, 54		/* &31 = 4 */
	TEST_RR	srlv, W, 0, W, 55
	TEST_RR	dsllv, A, 0x44, 0x123456789abcdef0, 56		/* &63 = 4 */
	TEST_RR	dsrlv, A, -1, 1, 57				/* &63 = 63 */
	TEST_RR	dsrav, A, 0x7f, -1, 58				/* &63 = 63 */
	TEST_RR	dsrav, A, 0x60, 0xffffffff81234567, 59		/* &63 = 32 */
	TEST_RR	dsllv, A, 64, A, 60				/* &63 = 0 */
	TEST_RR	dsrlv, A, 0x100000004, 0x08123456789abcde, 61	/* &63 = 4 */
	TEST_RR	dsllv, A, 63, 0x8000000000000000, 62

#ifdef CANNON_ONLY
	/* ---- Cannon-only: 32-bit shifts of a value that is not a
	 *      sign-extended word use the low 32 bits (UNPREDICTABLE on
	 *      MIPS64) ---- */
	TEST_RI	sll, A, 4, 0xffffffff9abcdef0, 100
	TEST_RI	srl, A, 1, 0x44d5e6f7, 101
	TEST_RI	sra, A, 4, 0xfffffffff89abcde, 102
	TEST_RR	srav, 0x7fffffff80000000, 4, 0xfffffffff8000000, 103

	/* ---- Cannon-only: rotate encodings (rs/sa field = 1) are not
	 *      decoded as rotates; they run as the plain logical shift.
	 *      A real MIPS64r2 would rotate: rotr(0x89abcdef, 8) =
	 *      0xef89abcd. ---- */
	LI64	$t0, W
	LI64	$t1, 8
	RAW	(1 << 21) | (12 << 16) | (14 << 11) | (8 << 6) | 0x02	/* rotr t2,t0,8 */
	CHECK_EQ $t2, 0x0089abcd, 104
	RAW	(13 << 21) | (12 << 16) | (14 << 11) | (1 << 6) | 0x06	/* rotrv t2,t0,t1 */
	CHECK_EQ $t2, 0x0089abcd, 105
	LI64	$t0, A
	RAW	(1 << 21) | (12 << 16) | (14 << 11) | (8 << 6) | 0x3a	/* drotr t2,t0,8 */
	CHECK_EQ $t2, 0x008123456789abcd, 106
	RAW	(1 << 21) | (12 << 16) | (14 << 11) | (0 << 6) | 0x3e	/* drotr32 t2,t0,0 */
	CHECK_EQ $t2, 0x81234567, 107
	RAW	(13 << 21) | (12 << 16) | (14 << 11) | (1 << 6) | 0x16	/* drotrv t2,t0,t1 */
	CHECK_EQ $t2, 0x008123456789abcd, 108
#endif

	TEST_PASS
