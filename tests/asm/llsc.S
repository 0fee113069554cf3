/*
 * llsc.S - load-linked / store-conditional (spec 6).
 *   ll/lld take a reservation (status 1 / 2, exact address, owner thread)
 *   and load a sign-extended word / a doubleword. sc/scd succeed only if
 *   the reservation matches exactly; success stores, clears the
 *   reservation and sets rt = 1, failure sets rt = 0 and stores nothing.
 *   Any other memory write to the same aligned doubleword clears it.
 * Layout: buf = 4 doublewords, $s0 = buf.
 */
#include "check.inc"

	TEST_BEGIN
	LA	$s0, buf

	/* ---- ll / sc success ---- */
	LI64	$t0, 0x0000000180000000
	sd	$t0, 0($s0)			/* word 0 = 0x00000001, word 4 = 0x80000000 */
	ll	$t2, 4($s0)
	CHECK_EQ $t2, 0xffffffff80000000, 1	/* sign-extended */
	LI64	$t1, 0x1234567899aabbcc
	sc	$t1, 4($s0)
	CHECK_EQ $t1, 1, 2
	CHECK_MEM $s0, 0, 0x0000000199aabbcc, 3	/* only the low word stored */

	/* ---- the reservation is consumed: a second sc fails ---- */
	LI64	$t1, 0x55
	sc	$t1, 4($s0)
	CHECK_EQ $t1, 0, 4
	CHECK_MEM $s0, 0, 0x0000000199aabbcc, 5

	/* ---- sc without any ll fails ---- */
	LI64	$t1, 0x66
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 0, 6

	/* ---- an intervening store to the word breaks the link ---- */
	ll	$t2, 0($s0)
	CHECK_EQ $t2, 1, 10
	LI64	$t0, 7
	sw	$t0, 0($s0)
	LI64	$t1, 0x77
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 0, 11
	CHECK_MEM $s0, 0, 0x0000000799aabbcc, 12

	/* ---- sc to a different address than the ll fails ---- */
	ll	$t2, 0($s0)
	LI64	$t1, 0x88
	sc	$t1, 4($s0)
	CHECK_EQ $t1, 0, 13
	LI64	$t1, 0x88
	sc	$t1, 8($s0)
	CHECK_EQ $t1, 0, 14
	CHECK_MEM $s0, 0, 0x0000000799aabbcc, 15

	/* ---- a second ll replaces the reservation ---- */
	ll	$t2, 0($s0)
	ll	$t3, 8($s0)
	LI64	$t1, 0x99
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 0, 16			/* old reservation gone */
	LI64	$t1, 0x99
	sc	$t1, 8($s0)
	CHECK_EQ $t1, 1, 17			/* new one still valid */
	CHECK_MEM $s0, 8, 0x0000009900000000, 18

	/* ---- a store to another doubleword keeps the reservation ---- */
	ll	$t2, 0($s0)
	sd	$zero, 24($s0)
	LI64	$t1, 0xaa
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 1, 19
	CHECK_MEM $s0, 0, 0x000000aa99aabbcc, 20

	/* ---- an unaligned store (swl) into the ll word breaks the link ---- */
	ll	$t2, 4($s0)
	LI64	$t0, 0x11223344
	swl	$t0, 6($s0)			/* writes bytes 6,7 = 0x11,0x22 */
	LI64	$t1, 0xbb
	sc	$t1, 4($s0)
	CHECK_EQ $t1, 0, 21
	CHECK_MEM $s0, 0, 0x000000aa99aa1122, 22

	/* ---- lld / scd ---- */
	LI64	$t0, 0x8877665544332211
	sd	$t0, 16($s0)
	lld	$t2, 16($s0)
	CHECK_EQ $t2, 0x8877665544332211, 30
	LI64	$t1, 0x0102030405060708
	scd	$t1, 16($s0)
	CHECK_EQ $t1, 1, 31
	CHECK_MEM $s0, 16, 0x0102030405060708, 32
	LI64	$t1, 5
	scd	$t1, 16($s0)
	CHECK_EQ $t1, 0, 33			/* consumed */
	lld	$t2, 16($s0)
	sd	$zero, 16($s0)
	LI64	$t1, 6
	scd	$t1, 16($s0)
	CHECK_EQ $t1, 0, 34			/* broken by the sd */
	CHECK_MEM $s0, 16, 0, 35

	/* ---- a typical atomic-increment loop ---- */
	LI64	$t0, 41
	sw	$t0, 24($s0)
.Lretry:
	ll	$t2, 24($s0)
	daddiu	$t2, $t2, 1
	sc	$t2, 24($s0)
	beqz	$t2, .Lretry
	nop
	lw	$t2, 24($s0)
	CHECK_EQ $t2, 42, 36

#ifdef CANNON_ONLY
	/* ---- Cannon-only: invalidation is per aligned doubleword and does
	 *      not look at the value: a store to another byte of the same
	 *      doubleword, or a store of the unchanged value, breaks the link.
	 *      (qemu compares the linked value and would let these succeed.) */
	sd	$zero, 0($s0)
	ll	$t2, 0($s0)
	sb	$zero, 7($s0)			/* other word of the same dword */
	LI64	$t1, 1
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 0, 100
	ll	$t2, 0($s0)
	sw	$t2, 0($s0)			/* same value */
	LI64	$t1, 1
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 0, 101
	CHECK_MEM $s0, 0, 0, 102

	/* ---- Cannon-only: the size must match (status 1 vs 2) ---- */
	lld	$t2, 0($s0)
	LI64	$t1, 3
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 0, 103
	ll	$t2, 0($s0)
	LI64	$t1, 3
	scd	$t1, 0($s0)
	CHECK_EQ $t1, 0, 104
	CHECK_MEM $s0, 0, 0, 105

	/* ---- Cannon-only: ll to $zero still takes the reservation ---- */
	ll	$zero, 0($s0)
	LI64	$t1, 0x5a
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 1, 106
	CHECK_EQ $zero, 0, 107
	CHECK_MEM $s0, 0, 0x0000005a00000000, 108

	/* ---- Cannon-only: the reservation address is compared exactly
	 *      (not aligned), while the access itself is aligned down ---- */
	ll	$t2, 1($s0)			/* loads the word at 0 */
	CHECK_EQ $t2, 0x5a, 109
	LI64	$t1, 0x77
	sc	$t1, 0($s0)			/* 0 != 1: fails */
	CHECK_EQ $t1, 0, 110
	ll	$t2, 1($s0)
	LI64	$t1, 0x77
	sc	$t1, 1($s0)			/* same address: stores at 0 */
	CHECK_EQ $t1, 1, 111
	CHECK_MEM $s0, 0, 0x0000007700000000, 112

	/* ---- Cannon-only: syscall memory writes break the link: getrandom
	 *      with a count of 0 still rewrites the word (spec 6, 7.2) ---- */
	ll	$t2, 0($s0)
	daddiu	$a0, $s0, 4
	LI64	$a1, 0
	LI64	$v0, 5313			/* getrandom(buf+4, 0) */
	syscall
	CHECK_EQ $v0, 0, 113
	LI64	$t1, 0x78
	sc	$t1, 0($s0)
	CHECK_EQ $t1, 0, 114
	CHECK_MEM $s0, 0, 0x0000007700000000, 115

	/* clock_gettime writes two doublewords: the second (nsecs) one hits
	 * the reserved doubleword at buf+8 */
	ll	$t2, 12($s0)
	LI64	$a0, 0				/* CLOCK_REALTIME */
	move	$a1, $s0
	LI64	$v0, 5222
	syscall
	CHECK_EQ $v0, 0, 116
	LI64	$t1, 0x79
	sc	$t1, 12($s0)
	CHECK_EQ $t1, 0, 117
#endif

	TEST_PASS

	.data
	.balign	8
buf:	.dword	0, 0, 0, 0
