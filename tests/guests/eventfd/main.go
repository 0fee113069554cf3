//go:debug decoratemappings=0

// eventfd probes the VM's eventfd2 emulation: without EFD_NONBLOCK the call
// fails with EINVAL (r1 = -1); with it the VM hands out fd 100, on which
// read and write fail with EAGAIN.
package main

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

const (
	sysEventfd2 = 5284 // n64 number
	efdNonblock = 0x80
)

func show(what string, r1 uintptr, errno syscall.Errno) {
	fmt.Printf("%s: r1=%d errno=%d", what, int64(r1), uintptr(errno))
	if errno != 0 {
		fmt.Printf(" (%s)", errnoName(errno))
	}
	fmt.Println()
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.EAGAIN:
		return "EAGAIN"
	case syscall.EBADF:
		return "EBADF"
	}
	return e.Error()
}

func main() {
	if syscall.SYS_EVENTFD2 != sysEventfd2 {
		fmt.Println("unexpected SYS_EVENTFD2", syscall.SYS_EVENTFD2)
		os.Exit(1)
	}

	r1, _, e := syscall.Syscall(sysEventfd2, 0, 0, 0)
	show("eventfd2(0, 0)", r1, e)

	fd, _, e := syscall.Syscall(sysEventfd2, 0, efdNonblock, 0)
	show("eventfd2(0, EFD_NONBLOCK)", fd, e)

	var buf [8]byte
	r1, _, e = syscall.Syscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), 8)
	show("read(efd)", r1, e)

	buf[7] = 1
	r1, _, e = syscall.Syscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&buf[0])), 8)
	show("write(efd)", r1, e)

	// a second call gets the same fd in the VM
	fd2, _, e := syscall.Syscall(sysEventfd2, 1, efdNonblock, 0)
	show("eventfd2(1, EFD_NONBLOCK)", fd2, e)

	fmt.Println("done")
}
