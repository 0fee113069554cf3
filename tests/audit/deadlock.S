/* Deadlock trigger: two threads wait forever on a futex word that nobody changes or wakes.
 * Every turn of both threads is a futex wait whose value matches. Runs until --stop-at. */
#include "common.inc"
	.text
	.globl	_start
_start:
	CLONE
wait:	/* both threads: futex_wait(&word, 0) in a loop */
	lui	$a0, %hi(word)
	daddiu	$a0, $a0, %lo(word)
	ori	$a1, $zero, FUTEX_WAIT_PRIVATE
	daddu	$a2, $zero, $zero
	ori	$v0, $zero, SYS_FUTEX
	syscall
	b	wait
	nop
	.data
	.align	3
word:	.word	0, 0
