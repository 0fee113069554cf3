/* Starvation trigger: the main thread starts a victim thread, then clones short-lived children
 * forever. Every clone pushes the child on the active stack and resets the quantum counter, and
 * every pop of the exited child resets it again, so the main thread is never preempted and the
 * victim, parked on the other stack after its first quantum, never runs again. */
#include "common.inc"
	.text
	.globl	_start
_start:
	CLONE
	beq	$v0, $zero, victim
	nop
storm:
	CLONE
	beq	$v0, $zero, child
	nop
	b	storm
	nop
child:
	ori	$v0, $zero, SYS_EXIT
	syscall
victim:
	daddiu	$t0, $t0, 1
	b	victim
	nop
