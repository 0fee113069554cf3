/* No-progress trigger: two threads that only yield to each other, forever. */
#include "common.inc"
	.text
	.globl	_start
_start:
	CLONE
spin:
	ori	$v0, $zero, SYS_SCHED_YIELD
	syscall
	b	spin
	nop
