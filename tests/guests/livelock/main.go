//go:debug decoratemappings=0

// livelock: two goroutines, each on its own OS thread, each waiting for the other to go first.
// Each spins yielding (the Go scheduler with runtime.Gosched and the VM with sched_yield) until
// it sees the other's flag, and raises its own flag only after that, so both yield forever. It
// never exits; the audit's no-progress detector must flag it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
)

var flags [2]atomic.Int32

func yield() {
	runtime.Gosched()
	syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
}

func polite(me int, entered chan<- int) {
	runtime.LockOSThread()
	other := 1 - me
	for flags[other].Load() == 0 {
		yield()
	}
	flags[me].Store(1)
	entered <- me
}

func main() {
	runtime.GOMAXPROCS(2)
	fmt.Println("livelock: starting two polite goroutines")
	entered := make(chan int)
	go polite(0, entered)
	go polite(1, entered)
	who := <-entered
	fmt.Printf("livelock: goroutine %d went first (unexpected)\n", who)
	os.Exit(0)
}
