/*
 * loadstore.S - aligned loads and stores of every size (spec 5.6).
 * Memory is big-endian: the byte at a sits at position a & 7 of the
 * aligned doubleword, position 0 being the most significant byte.
 *   src  = 0x0123456789abcdef, 0xfedcba9876543210
 *   Stores go into a doubleword pre-set to P = 0x1111111111111111 with
 *   the value V = 0x0123456789abcdef (sb keeps 0xef, sh 0xcdef, sw
 *   0x89abcdef, sd all of it).
 * Cannon-only: sub-word addresses that are not size-aligned are silently
 * aligned down to the operand size (a real CPU raises an address error).
 */
#include "check.inc"

#define P 0x1111111111111111
#define V 0x0123456789abcdef

/* TEST_LD op, off, res, id: op $t2, off($s0) with $s0 = src */
	.macro	TEST_LD op, off, res, id
	\op	$t2, (\off)($s0)
	CHECK_EQ $t2, \res, \id
	.endm

/* TEST_ST op, off, res, id: dst := P; op V, off($s1); ld dst == res */
	.macro	TEST_ST op, off, res, id
	sd	$s2, 0($s1)
	\op	$s3, (\off)($s1)
	CHECK_MEM $s1, 0, \res, \id
	.endm

	TEST_BEGIN
	LA	$s0, src
	LA	$s1, dst
	LI64	$s2, P
	LI64	$s3, V

	/* ---- lb / lbu at every byte offset ---- */
	TEST_LD	lb, 0, 0x01, 1
	TEST_LD	lb, 1, 0x23, 2
	TEST_LD	lb, 2, 0x45, 3
	TEST_LD	lb, 3, 0x67, 4
	TEST_LD	lb, 4, 0xffffffffffffff89, 5		/* sign-extended */
	TEST_LD	lb, 5, 0xffffffffffffffab, 6
	TEST_LD	lb, 6, 0xffffffffffffffcd, 7
	TEST_LD	lb, 7, 0xffffffffffffffef, 8
	TEST_LD	lbu, 0, 0x01, 9
	TEST_LD	lbu, 1, 0x23, 10
	TEST_LD	lbu, 2, 0x45, 11
	TEST_LD	lbu, 3, 0x67, 12
	TEST_LD	lbu, 4, 0x89, 13			/* zero-extended */
	TEST_LD	lbu, 5, 0xab, 14
	TEST_LD	lbu, 6, 0xcd, 15
	TEST_LD	lbu, 7, 0xef, 16
	TEST_LD	lb, 8, 0xfffffffffffffffe, 17		/* second doubleword */
	TEST_LD	lbu, 15, 0x10, 18

	/* ---- lh / lhu at every halfword offset ---- */
	TEST_LD	lh, 0, 0x0123, 20
	TEST_LD	lh, 2, 0x4567, 21
	TEST_LD	lh, 4, 0xffffffffffff89ab, 22
	TEST_LD	lh, 6, 0xffffffffffffcdef, 23
	TEST_LD	lhu, 0, 0x0123, 24
	TEST_LD	lhu, 2, 0x4567, 25
	TEST_LD	lhu, 4, 0x89ab, 26
	TEST_LD	lhu, 6, 0xcdef, 27
	TEST_LD	lh, 8, 0xfffffffffffffedc, 28

	/* ---- lw / lwu / ld ---- */
	TEST_LD	lw, 0, 0x01234567, 30
	TEST_LD	lw, 4, 0xffffffff89abcdef, 31
	TEST_LD	lwu, 0, 0x01234567, 32
	TEST_LD	lwu, 4, 0x89abcdef, 33
	TEST_LD	lw, 8, 0xfffffffffedcba98, 34
	TEST_LD	lwu, 12, 0x76543210, 35
	TEST_LD	ld, 0, 0x0123456789abcdef, 36
	TEST_LD	ld, 8, 0xfedcba9876543210, 37

	/* negative displacement */
	daddiu	$t0, $s0, 16
	ld	$t2, -8($t0)
	CHECK_EQ $t2, 0xfedcba9876543210, 38
	lbu	$t2, -9($t0)
	CHECK_EQ $t2, 0xef, 39

	/* ---- sb at every byte offset ---- */
	TEST_ST	sb, 0, 0xef11111111111111, 40
	TEST_ST	sb, 1, 0x11ef111111111111, 41
	TEST_ST	sb, 2, 0x1111ef1111111111, 42
	TEST_ST	sb, 3, 0x111111ef11111111, 43
	TEST_ST	sb, 4, 0x11111111ef111111, 44
	TEST_ST	sb, 5, 0x1111111111ef1111, 45
	TEST_ST	sb, 6, 0x111111111111ef11, 46
	TEST_ST	sb, 7, 0x11111111111111ef, 47

	/* ---- sh / sw / sd ---- */
	TEST_ST	sh, 0, 0xcdef111111111111, 50
	TEST_ST	sh, 2, 0x1111cdef11111111, 51
	TEST_ST	sh, 4, 0x11111111cdef1111, 52
	TEST_ST	sh, 6, 0x111111111111cdef, 53
	TEST_ST	sw, 0, 0x89abcdef11111111, 54
	TEST_ST	sw, 4, 0x1111111189abcdef, 55
	TEST_ST	sd, 0, 0x0123456789abcdef, 56

	/* the neighbouring doubleword is untouched by all of the above */
	CHECK_MEM $s1, 8, 0x2222222222222222, 57

	/* store then reload with other sizes */
	sd	$zero, 0($s1)
	LI64	$t0, 0x80
	sb	$t0, 3($s1)
	lw	$t2, 0($s1)
	CHECK_EQ $t2, 0x00000080, 58
	lb	$t2, 3($s1)
	CHECK_EQ $t2, 0xffffffffffffff80, 59
	LI64	$t0, 0xffff8000
	sw	$t0, 4($s1)
	lh	$t2, 4($s1)
	CHECK_EQ $t2, -1, 60
	lhu	$t2, 6($s1)
	CHECK_EQ $t2, 0x8000, 61
	ld	$t2, 0($s1)
	CHECK_EQ $t2, 0x00000080ffff8000, 62

	/* r0 as load destination stays 0 */
	ld	$zero, 0($s0)
	CHECK_EQ $zero, 0, 63

#ifdef CANNON_ONLY
	/* ---- Cannon-only: misaligned sub-word addresses are aligned down
	 *      to the operand size: i = k & ~(n-1). ---- */
	TEST_LD	lh, 1, 0x0123, 100		/* = lh 0 */
	TEST_LD	lhu, 7, 0xcdef, 101		/* = lhu 6 */
	TEST_LD	lh, 5, 0xffffffffffff89ab, 102	/* = lh 4 */
	TEST_LD	lw, 1, 0x01234567, 103		/* = lw 0 */
	TEST_LD	lw, 2, 0x01234567, 104
	TEST_LD	lw, 3, 0x01234567, 105
	TEST_LD	lw, 5, 0xffffffff89abcdef, 106	/* = lw 4 */
	TEST_LD	lwu, 6, 0x89abcdef, 107		/* = lwu 4 */
	TEST_LD	lwu, 3, 0x01234567, 108		/* = lwu 0 */
	TEST_LD	ld, 3, 0x0123456789abcdef, 109	/* = ld 0 */
	TEST_LD	ld, 15, 0xfedcba9876543210, 110	/* = ld 8 */
	TEST_ST	sh, 1, 0xcdef111111111111, 111	/* = sh 0 */
	TEST_ST	sh, 7, 0x111111111111cdef, 112	/* = sh 6 */
	TEST_ST	sw, 3, 0x89abcdef11111111, 113	/* = sw 0 */
	TEST_ST	sw, 6, 0x1111111189abcdef, 114	/* = sw 4 */
	TEST_ST	sd, 5, 0x0123456789abcdef, 115	/* = sd 0 */
	CHECK_MEM $s1, 8, 0x2222222222222222, 116
#endif

	TEST_PASS

	.data
	.balign	8
src:	.dword	0x0123456789abcdef, 0xfedcba9876543210
dst:	.dword	0, 0x2222222222222222
