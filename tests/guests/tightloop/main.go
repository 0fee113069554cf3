//go:debug decoratemappings=0

// tightloop: one goroutine spins in a loop with no function calls (so the Go scheduler cannot
// preempt it without signals, which the VM does not deliver) while the others wait for it on a
// channel and a WaitGroup. The VM still preempts the thread every quantum; the waiters only
// wait, which is not a hazard: the program finishes.
package main

import (
	"fmt"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	done := make(chan uint64)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-done
		}()
	}
	go func() {
		var x uint64 = 1
		for i := 0; i < 20_000_000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		for i := 0; i < 3; i++ {
			done <- x
		}
		close(done)
	}()
	wg.Wait()
	fmt.Println("tightloop: the waiters saw the spinning goroutine finish")
}
