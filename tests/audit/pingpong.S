/* Reservation ping-pong trigger: thread A takes a reservation with ll, spins for longer than a
 * scheduler quantum, then tries sc; thread B stores to the reserved word in each of its turns, so
 * A's sc fails every time. */
#include "common.inc"
	.text
	.globl	_start
_start:
	lui	$s0, %hi(word)
	daddiu	$s0, $s0, %lo(word)
	CLONE
	beq	$v0, $zero, writer
	nop
retry:	/* thread A */
	ll	$t0, 0($s0)
	lui	$t1, 0x2		/* 131072 iterations of 3 steps: longer than two quanta */
delay:
	daddiu	$t1, $t1, -1
	bne	$t1, $zero, delay
	nop
	addiu	$t0, $t0, 1
	sc	$t0, 0($s0)
	beq	$t0, $zero, retry
	nop
	ori	$v0, $zero, SYS_EXIT_GROUP	/* the sc succeeded: not expected while B runs */
	ori	$a0, $zero, 7
	syscall
writer:	/* thread B */
	daddiu	$t2, $t2, 1
	sw	$t2, 0($s0)
	b	writer
	nop
	.data
	.align	3
word:	.word	0, 0
