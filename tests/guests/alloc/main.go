//go:debug decoratemappings=0

// alloc stresses the allocator, mmap-backed heap growth and the garbage
// collector: it keeps a rotating window of live objects of varying sizes,
// drops the rest, and forces collections along the way.
package main

import (
	"fmt"
	"runtime"
)

const (
	rounds   = 40
	perRound = 500
	window   = 256
)

type node struct {
	next *node
	val  uint64
	pad  [5]uint64
}

func main() {
	live := make([][]byte, window)
	var chain *node
	var sum uint64
	allocated := 0
	gcs := 0
	for r := 0; r < rounds; r++ {
		for i := 0; i < perRound; i++ {
			k := r*perRound + i
			size := 64 + (k*7919)%4096
			if k%97 == 0 {
				size = 64 << 10 // an occasional large object
			}
			b := make([]byte, size)
			b[0] = byte(k)
			b[size-1] = byte(k >> 8)
			live[k%window] = b
			allocated += size
			chain = &node{next: chain, val: uint64(k)}
			if k%50 == 0 {
				chain = nil // drop the linked list, making it garbage
			}
		}
		for _, b := range live {
			if b != nil {
				sum += uint64(b[0]) + uint64(b[len(b)-1])
			}
		}
		for n := chain; n != nil; n = n.next {
			sum += n.val
		}
		if r%4 == 3 {
			runtime.GC()
			gcs++
		}
	}
	runtime.GC()
	gcs++
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.NumGC < uint32(gcs) {
		fmt.Printf("alloc: FAIL: NumGC %d < forced %d\n", ms.NumGC, gcs)
		return
	}
	fmt.Printf("alloc: %d objects, %d bytes, %d forced GCs, checksum %d\n",
		rounds*perRound, allocated, gcs, sum)
}
