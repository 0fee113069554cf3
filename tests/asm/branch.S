/*
 * branch.S - branches and jumps (spec 5.5).
 * Every branch/jump executes its delay slot, taken or not. Links are
 * pc + 8 (the instruction after the delay slot); bltzal/bgezal write $ra
 * whether or not they branch. Conditions compare full 64-bit values.
 */
#include "check.inc"

/* Branch probe: $t3 counts 1 for the delay slot and 0x10 for the
 * fall-through path, so taken => 1, not taken => 0x11. */
	.macro	BR2 op, a, b, taken, id
	LI64	$t0, \a
	LI64	$t1, \b
	daddiu	$t3, $zero, 0
	\op	$t0, $t1, .Lbr_tk\@
	daddiu	$t3, $t3, 1		/* delay slot */
	daddiu	$t3, $t3, 0x10		/* not-taken path */
.Lbr_tk\@:
	.if \taken
	CHECK_EQ $t3, 1, \id
	.else
	CHECK_EQ $t3, 0x11, \id
	.endif
	.endm

	.macro	BR1 op, a, taken, id
	LI64	$t0, \a
	daddiu	$t3, $zero, 0
	\op	$t0, .Lbr_tk\@
	daddiu	$t3, $t3, 1		/* delay slot */
	daddiu	$t3, $t3, 0x10		/* not-taken path */
.Lbr_tk\@:
	.if \taken
	CHECK_EQ $t3, 1, \id
	.else
	CHECK_EQ $t3, 0x11, \id
	.endif
	.endm

/* linking REGIMM branch: also $ra must be the address after the slot */
	.macro	BRL op, a, taken, id, idlink
	LI64	$t0, \a
	LI64	$ra, 0x5a5a
	daddiu	$t3, $zero, 0
	\op	$t0, .Lbr_tk\@
	daddiu	$t3, $t3, 1		/* delay slot */
.Lbr_next\@:
	daddiu	$t3, $t3, 0x10		/* not-taken path */
.Lbr_tk\@:
	.if \taken
	CHECK_EQ $t3, 1, \id
	.else
	CHECK_EQ $t3, 0x11, \id
	.endif
	LA	$t2, .Lbr_next\@
	CHECK_REG $ra, $t2, \idlink
	.endm

	TEST_BEGIN

	/* ---- beq / bne (64-bit equality) ---- */
	BR2	beq, 5, 5, 1, 1
	BR2	beq, 5, 6, 0, 2
	BR2	beq, 0x100000005, 5, 0, 3	/* differs only above bit 31 */
	BR2	bne, 5, 6, 1, 4
	BR2	bne, -1, -1, 0, 5
	BR2	bne, 0x100000005, 5, 1, 6

	/* ---- blez / bgtz / bltz / bgez (64-bit signed) ---- */
	BR1	blez, 0, 1, 10
	BR1	blez, -1, 1, 11
	BR1	blez, 1, 0, 12
	BR1	blez, 0x8000000000000000, 1, 13
	BR1	blez, 0x0000000100000000, 0, 14	/* low word 0, value > 0 */
	BR1	bgtz, 1, 1, 15
	BR1	bgtz, 0, 0, 16
	BR1	bgtz, -5, 0, 17
	BR1	bgtz, 0x00000000ffffffff, 1, 18	/* positive as 64-bit */
	BR1	bltz, -1, 1, 19
	BR1	bltz, 0, 0, 20
	BR1	bltz, 0x00000000ffffffff, 0, 21
	BR1	bltz, 0x8000000000000000, 1, 22
	BR1	bgez, 0, 1, 23
	BR1	bgez, 7, 1, 24
	BR1	bgez, -7, 0, 25
	BR1	bgez, 0x7fffffffffffffff, 1, 26

	/* ---- bltzal / bgezal: $ra = pc + 8 even when not taken ---- */
	BRL	bltzal, -1, 1, 30, 31
	BRL	bltzal, 1, 0, 32, 33
	BRL	bgezal, 0, 1, 34, 35
	BRL	bgezal, -1, 0, 36, 37

	/* bal (= bgezal $zero) */
	LI64	$ra, 0
	bal	.Lbal_tgt
	daddiu	$t3, $zero, 7		/* delay slot */
.Lbal_ret:
	FAIL	40
.Lbal_tgt:
	CHECK_EQ $t3, 7, 41
	LA	$t2, .Lbal_ret
	CHECK_REG $ra, $t2, 42

	/* ---- backward branch loop: 5 iterations, delay slot each time ---- */
	LI64	$t0, 5
	LI64	$t1, 0
.Lloop:
	daddiu	$t0, $t0, -1
	bgtz	$t0, .Lloop
	daddiu	$t1, $t1, 1		/* delay slot */
	CHECK_EQ $t1, 5, 45
	CHECK_EQ $t0, 0, 46

	/* ---- j ---- */
	daddiu	$t3, $zero, 0
	j	.Lj_tgt
	daddiu	$t3, $t3, 1		/* delay slot */
	FAIL	50
.Lj_tgt:
	CHECK_EQ $t3, 1, 51

	/* ---- jal: $ra = pc + 8 ---- */
	daddiu	$t3, $zero, 0
	jal	.Ljal_tgt
	daddiu	$t3, $t3, 1		/* delay slot */
.Ljal_ret:
	FAIL	52
.Ljal_tgt:
	CHECK_EQ $t3, 1, 53
	LA	$t2, .Ljal_ret
	CHECK_REG $ra, $t2, 54

	/* ---- jr ---- */
	LA	$t0, .Ljr_tgt
	daddiu	$t3, $zero, 0
	jr	$t0
	daddiu	$t3, $t3, 1		/* delay slot */
	FAIL	55
.Ljr_tgt:
	CHECK_EQ $t3, 1, 56

	/* ---- jalr (rd = $ra implied) ---- */
	LA	$t0, .Ljalr_tgt
	daddiu	$t3, $zero, 0
	jalr	$t0
	daddiu	$t3, $t3, 1		/* delay slot */
.Ljalr_ret:
	FAIL	57
.Ljalr_tgt:
	CHECK_EQ $t3, 1, 58
	LA	$t2, .Ljalr_ret
	CHECK_REG $ra, $t2, 59

	/* ---- jalr with an explicit link register ---- */
	LA	$t0, .Ljalr2_tgt
	LI64	$ra, 0x1234
	jalr	$t1, $t0
	nop
.Ljalr2_ret:
	FAIL	60
.Ljalr2_tgt:
	LA	$t2, .Ljalr2_ret
	CHECK_REG $t1, $t2, 61
	CHECK_EQ $ra, 0x1234, 62		/* $ra untouched */

	/* ---- call and return through a subroutine ---- */
	LI64	$t3, 0
	jal	.Lsub
	nop
	CHECK_EQ $t3, 0x101, 63
	jal	.Lsub
	nop
	CHECK_EQ $t3, 0x202, 64

	/* ---- branch to the next instruction (offset 0 after the slot) and
	 *      beq $zero,$zero (b) ---- */
	LI64	$t3, 0
	b	.Lb_tgt
	daddiu	$t3, $t3, 1
.Lb_tgt:
	CHECK_EQ $t3, 1, 65

#ifdef CANNON_ONLY
	/* ---- Cannon-only: a REGIMM rt value with no meaning (here 5) is an
	 *      untaken branch, not an exception (reserved on MIPS64). rs = $t0
	 *      is negative and the offset points at a failure exit. ---- */
	LI64	$t0, -1
	LI64	$t3, 0
	RAW	(1 << 26) | (12 << 21) | (5 << 16) | 3	/* regimm t0, rt=5, +3 */
	daddiu	$t3, $t3, 1			/* next instruction runs */
	b	.Lregimm_ok
	nop
	FAIL	100				/* target if "taken" */
.Lregimm_ok:
	CHECK_EQ $t3, 1, 101

	/* ---- Cannon-only: jalr with rd == rs jumps to the old value and
	 *      then writes the link (UNPREDICTABLE on MIPS64) ---- */
	LA	$t2, .Ljalr_same_tgt
	RAW	(14 << 21) | (14 << 11) | 0x09	/* jalr t2, t2 */
	nop
.Ljalr_same_ret:
	FAIL	102
.Ljalr_same_tgt:
	LA	$t0, .Ljalr_same_ret
	CHECK_REG $t2, $t0, 103
#endif

	TEST_PASS

/* subroutine: $t3 += 0x101, returns through $ra */
.Lsub:
	jr	$ra
	daddiu	$t3, $t3, 0x101		/* delay slot */
