/*
 * syscall.S - the syscall layer (spec 7, 8).
 * ABI: number in $v0, arguments in $a0..$a2; results in $v0 and $a3.
 * Cannon error convention: $v0 = errno (positive), $a3 = -1; success
 * $a3 = 0. No other register changes.
 * Shared with Linux (qemu): write(1, "ok\n", 3) = 3, read(0, ..) = 0 with
 * stdin at EOF, sched_yield = 0. Everything else is Cannon-specific.
 */
#include "check.inc"

#define EBADF  9
#define EAGAIN 11
#define EINVAL 22

/* SYS num: $v0 = num; syscall ($a3 is first set to a marker so that a
 * success must actively write 0 into it) */
	.macro	SYS num
	LI64	$a3, 0x5a5a
	LI64	$v0, \num
	syscall
	.endm

/* SYS_OK id_v0, v0val, id_a3 / SYS_ERR: result checks */
	.macro	RES_OK val, idv, ida
	CHECK_EQ $v0, \val, \idv
	CHECK_EQ $a3, 0, \ida
	.endm
	.macro	RES_ERR errno, idv, ida
	CHECK_EQ $v0, \errno, \idv
	CHECK_EQ $a3, -1, \ida
	.endm

	TEST_BEGIN
	LA	$s0, buf
	LA	$s1, msg

	/* ---- write(1, "ok\n", 3) = 3 ---- */
	LI64	$a0, 1
	move	$a1, $s1
	LI64	$a2, 3
	SYS	5001
	RES_OK	3, 1, 2

	/* ---- read(0, buf, 8) = 0 (EOF) ---- */
	LI64	$a0, 0
	move	$a1, $s0
	LI64	$a2, 8
	SYS	5000
	RES_OK	0, 3, 4

	/* ---- sched_yield = 0 ---- */
	SYS	5023
	RES_OK	0, 5, 6

#ifdef CANNON_ONLY
	/* ---- Cannon-only: only $v0 and $a3 change across a syscall ---- */
	LI64	$v1, 0x1111
	LI64	$a0, 0x2222
	LI64	$a1, 0x3333
	LI64	$a2, 0x4444
	LI64	$t0, 0x5555
	LI64	$ra, 0x6666
	SYS	5038				/* getpid */
	RES_OK	0, 10, 11
	CHECK_EQ $v1, 0x1111, 12
	CHECK_EQ $a0, 0x2222, 13
	CHECK_EQ $a1, 0x3333, 14
	CHECK_EQ $a2, 0x4444, 15
	CHECK_EQ $t0, 0x5555, 16
	CHECK_EQ $ra, 0x6666, 17

	/* ---- gettid = 0 (first thread), brk = 0x4000_0000_0000 ---- */
	SYS	5178
	RES_OK	0, 18, 19
	SYS	5012
	RES_OK	0x400000000000, 20, 21

	/* ---- mmap: heap starts at 0x1000_0000_0000, sizes round up to
	 *      4 KiB, a0 != 0 is returned as is ---- */
	LI64	$a0, 0
	LI64	$a1, 0x1000
	SYS	5009
	RES_OK	0x100000000000, 30, 31
	LI64	$a1, 1				/* rounds up to 0x1000 */
	SYS	5009
	RES_OK	0x100000001000, 32, 33
	LI64	$a1, 0x1001			/* rounds up to 0x2000 */
	SYS	5009
	RES_OK	0x100000002000, 34, 35
	LI64	$a0, 0x12345			/* hint honoured, heap unchanged */
	LI64	$a1, 0x1000
	SYS	5009
	RES_OK	0x12345, 36, 37
	LI64	$a0, 0
	LI64	$a1, 0				/* size 0: heap unchanged */
	SYS	5009
	RES_OK	0x100000004000, 38, 39
	LI64	$a1, 0x10
	SYS	5009
	RES_OK	0x100000004000, 40, 41
	/* heap would end at 0x6000_0000_5000 > 0x6000_0000_0000: EINVAL */
	LI64	$a1, 0x500000000000
	SYS	5009
	RES_ERR	EINVAL, 42, 43
	/* size rounding overflows (sz = 0 < a1): EINVAL */
	LI64	$a1, -1
	SYS	5009
	RES_ERR	EINVAL, 44, 45
	/* heap unchanged by the failures */
	LI64	$a1, 0x1000
	SYS	5009
	RES_OK	0x100000005000, 46, 47

	/* ---- clock_gettime ---- */
	LI64	$t0, -1
	sd	$t0, 0($s0)
	sd	$t0, 8($s0)
	sd	$t0, 16($s0)
	LI64	$a0, 0				/* REALTIME: 0 s, 0 ns */
	daddiu	$a1, $s0, 3			/* aligned down to buf */
	SYS	5222
	RES_OK	0, 50, 51
	CHECK_MEM $s0, 0, 0, 52
	CHECK_MEM $s0, 8, 0, 53
	CHECK_MEM $s0, 16, -1, 54
	LI64	$a0, 5				/* unsupported clock */
	move	$a1, $s0
	sd	$t0, 0($s0)
	SYS	5222
	RES_ERR	EINVAL, 55, 56
	CHECK_MEM $s0, 0, -1, 57		/* nothing written */
	/* MONOTONIC: secs = step / 10^7, nsecs = (step % 10^7) * 100.
	 * This program runs far fewer than 10^7 steps, so secs = 0 and
	 * nsecs = 100 * step. Between the two calls below exactly two
	 * instructions run, so the second syscall is 3 steps later. */
	LI64	$a0, 1
	move	$a1, $s0
	LI64	$v0, 5222
	syscall
	ld	$t0, 8($s0)			/* step +1 */
	daddiu	$v0, $zero, 5222		/* step +2 */
	syscall					/* step +3 */
	RES_OK	0, 58, 59
	CHECK_MEM $s0, 0, 0, 60			/* secs */
	ld	$t1, 8($s0)
	dsubu	$t2, $t1, $t0
	CHECK_EQ $t2, 300, 61
	LI64	$t3, 100
	ddivu	$zero, $t1, $t3
	mfhi	$t2
	CHECK_EQ $t2, 0, 62			/* multiple of 100 */
	mflo	$t2				/* = step of the 2nd call */
	sltiu	$t3, $t2, 100			/* we are past step 100 */
	CHECK_EQ $t3, 0, 63

	/* ---- open: EBADF ---- */
	move	$a0, $s1
	LI64	$a1, 0
	SYS	5002
	RES_ERR	EBADF, 70, 71

	/* ---- fcntl ---- */
	.macro	FCNTL fd, cmd
	LI64	$a0, \fd
	LI64	$a1, \cmd
	SYS	5070
	.endm
	FCNTL	0, 1				/* F_GETFD, fd 0..6 -> 0 */
	RES_OK	0, 72, 73
	FCNTL	6, 1
	RES_OK	0, 74, 75
	FCNTL	7, 1
	RES_ERR	EBADF, 76, 77
	FCNTL	100, 1
	RES_ERR	EBADF, 78, 79
	FCNTL	0, 3				/* F_GETFL */
	RES_OK	0, 80, 81
	FCNTL	1, 3
	RES_OK	1, 82, 83
	FCNTL	2, 3
	RES_OK	1, 84, 85
	FCNTL	3, 3
	RES_OK	0, 86, 87
	FCNTL	4, 3
	RES_OK	1, 88, 89
	FCNTL	5, 3
	RES_OK	0, 90, 91
	FCNTL	6, 3
	RES_OK	1, 92, 93
	FCNTL	7, 3
	RES_ERR	EBADF, 94, 95
	FCNTL	100, 3
	RES_ERR	EBADF, 96, 97
	FCNTL	0, 2				/* F_SETFD: other cmd -> EINVAL */
	RES_ERR	EINVAL, 98, 99

	/* ---- noop syscalls: v0 = 0, a3 = 0 ---- */
	LI64	$a0, 0
	LI64	$a1, 0
	SYS	5011				/* munmap */
	RES_OK	0, 100, 101
	SYS	5003				/* close */
	RES_OK	0, 102, 103
	SYS	5010				/* mprotect */
	RES_OK	0, 104, 105

	/* ---- getrandom: count = min(len, 8 - (addr & 7)); the other bytes
	 *      of the doubleword are kept ---- */
	LI64	$t0, 0x1122334455667788
	sd	$t0, 0($s0)
	daddiu	$a0, $s0, 5
	LI64	$a1, 100
	SYS	5313
	RES_OK	3, 110, 111
	lwu	$t2, 0($s0)
	CHECK_EQ $t2, 0x11223344, 112		/* bytes 0..3 kept */
	lbu	$t2, 4($s0)
	CHECK_EQ $t2, 0x55, 113			/* byte 4 kept */
	sd	$t0, 0($s0)
	daddiu	$a0, $s0, 2
	LI64	$a1, 2
	SYS	5313
	RES_OK	2, 114, 115
	lhu	$t2, 0($s0)
	CHECK_EQ $t2, 0x1122, 116
	lwu	$t2, 4($s0)
	CHECK_EQ $t2, 0x55667788, 117
	daddiu	$a0, $s0, 8
	LI64	$a1, 8
	SYS	5313
	RES_OK	8, 118, 119
	move	$a0, $s0
	LI64	$a1, 0
	SYS	5313
	RES_OK	0, 120, 121

	/* ---- eventfd2: EINVAL without EFD_NONBLOCK (0x80), else fd 100 ---- */
	LI64	$a0, 0
	LI64	$a1, 0
	SYS	5284
	RES_ERR	EINVAL, 130, 131
	LI64	$a1, 0x80
	SYS	5284
	RES_OK	100, 132, 133
	LI64	$a1, 0x80880
	SYS	5284
	RES_OK	100, 134, 135

	/* ---- read / write on the other descriptors ---- */
	.macro	RW num, fd, n
	LI64	$a0, \fd
	move	$a1, $s0
	LI64	$a2, \n
	SYS	\num
	.endm
	LI64	$t0, 0x0102030405060708
	sd	$t0, 0($s0)
	RW	5000, 100, 8			/* read eventfd: EAGAIN */
	RES_ERR	EAGAIN, 140, 141
	RW	5000, 1, 8			/* read stdout: EBADF */
	RES_ERR	EBADF, 142, 143
	RW	5000, 3, 16			/* hint response: n, no write */
	RES_OK	16, 144, 145
	CHECK_MEM $s0, 0, 0x0102030405060708, 146
	RW	5001, 2, 0			/* stderr, empty */
	RES_OK	0, 147, 148
	RW	5001, 100, 8			/* write eventfd: EAGAIN */
	RES_ERR	EAGAIN, 149, 150
	RW	5001, 0, 8			/* write stdin: EBADF */
	RES_ERR	EBADF, 151, 152
	RW	5001, 5, 8			/* write preimage-read fd: EBADF */
	RES_ERR	EBADF, 153, 154

	/* ---- futex ---- */
	LI64	$t0, 0x0000000700000000
	sd	$t0, 0($s0)
	daddiu	$a0, $s0, 1			/* aligned down to buf (& ~3) */
	LI64	$a1, 128			/* WAIT_PRIVATE, value differs */
	LI64	$a2, 8
	SYS	5194
	RES_ERR	EAGAIN, 160, 161
	LI64	$a2, 7				/* value matches: 0 + preempt */
	SYS	5194
	RES_OK	0, 162, 163
	LI64	$a1, 129			/* WAKE_PRIVATE */
	SYS	5194
	RES_OK	0, 164, 165
	LI64	$a1, 0				/* FUTEX_WAIT (not private) */
	SYS	5194
	RES_ERR	EINVAL, 166, 167

	/* ---- nanosleep behaves like sched_yield ---- */
	LI64	$a0, 0
	LI64	$a1, 0
	SYS	5034
	RES_OK	0, 168, 169
#endif

	TEST_PASS

	.data
	.balign	8
buf:	.dword	0, 0, 0, 0
msg:	.ascii	"ok\n"
