//go:debug decoratemappings=0

// atomics: heavy sync/atomic contention (ll/sc loops) from goroutines on several OS threads.
// The final counts are deterministic; the audit must find no hazard.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

func main() {
	runtime.GOMAXPROCS(4)
	var counter atomic.Int64
	var word atomic.Uint32
	var swaps atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				counter.Add(1)
				for {
					old := word.Load()
					if word.CompareAndSwap(old, old+uint32(w)+1) {
						break
					}
				}
				if i%1000 == 0 {
					swaps.Add(1)
					runtime.Gosched()
				}
			}
		}(w)
	}
	wg.Wait()
	fmt.Printf("atomics: counter=%d word=%d swaps=%d\n", counter.Load(), word.Load(), swaps.Load())
}
