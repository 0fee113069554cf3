/*
 * divzero_fault.S - 32-bit division by zero (spec 5.2, 9).
 * div with (uint32)rt == 0 is a VM exception. Expected outcome: VM
 * exception; exit status 1 would mean the division went through.
 */
#include "check.inc"

	TEST_BEGIN
	LI64	$t0, 100
	LI64	$t1, 0
	div	$zero, $t0, $t1		/* must fault */
	EXIT	1
	.end	_start
