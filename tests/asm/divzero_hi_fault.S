/*
 * divzero_hi_fault.S - 32-bit division by a divisor whose low 32 bits are
 * zero (spec 5.2: "if (uint32)rt == 0: exception"). rt = 0x1_0000_0000 is
 * non-zero as a 64-bit value but still faults for div/divu. Expected
 * outcome: VM exception; exit status 1 would mean no fault.
 */
#include "check.inc"

	TEST_BEGIN
	LI64	$t0, 100
	LI64	$t1, 0x100000000
	divu	$zero, $t0, $t1		/* must fault */
	EXIT	1
	.end	_start
