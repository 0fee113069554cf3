/*
 * delayslot_fault.S - a branch in a branch delay slot (spec 5.1, 9).
 * The second branch executes while nextPC != pc + 4, which the VM treats
 * as an exception ("branch/jump in delay slot"). Expected outcome: VM
 * exception, no exit. Reaching either exit means the check is missing.
 */
#include "check.inc"

	TEST_BEGIN
	LI64	$t0, 1
	b	.Lfirst
	b	.Lsecond		/* delay slot: must fault */
	EXIT	3
.Lfirst:
	EXIT	1
.Lsecond:
	EXIT	2
	.end	_start
