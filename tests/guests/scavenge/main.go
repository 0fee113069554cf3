//go:debug decoratemappings=0

// scavenge checks that memory the Go runtime hands back to the OS reads as
// zero when it is allocated again. It fills a 256 KiB byte slice and a 256 KiB
// pointer slice, drops them, collects, returns all free memory to the OS
// (debug.FreeOSMemory: madvise(MADV_DONTNEED) on Linux) and allocates both
// again: Go promises zeroed slices. Since Go 1.26 the runtime skips zeroing a
// span whose pages were all scavenged (the kernel refills them with zeros on
// the next touch), so the result depends on what madvise really does.
//
// It prints one line per slice and exits 0 when both fresh slices are all
// zero, 1 otherwise.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"unsafe"
)

const size = 256 << 10

type node struct{ v uint64 }

var (
	keep      = &node{v: 42}
	sinkBytes []byte
	sinkPtrs  []*node
)

func fill() (uintptr, uintptr) {
	b := make([]byte, size)
	for i := range b {
		b[i] = 0xA5
	}
	p := make([]*node, size/8)
	for i := range p {
		p[i] = keep
	}
	sinkBytes, sinkPtrs = b, p
	return uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&p[0]))
}

func main() {
	oldB, oldP := fill()
	sinkBytes, sinkPtrs = nil, nil
	runtime.GC()
	debug.FreeOSMemory()

	b := make([]byte, size)
	staleBytes, firstByte := 0, -1
	for i, v := range b {
		if v != 0 {
			if firstByte < 0 {
				firstByte = i
			}
			staleBytes++
		}
	}
	p := make([]*node, size/8)
	stalePtrs := 0
	for _, q := range p {
		if q != nil {
			stalePtrs++
		}
	}
	reusedB := uintptr(unsafe.Pointer(&b[0])) == oldB
	reusedP := uintptr(unsafe.Pointer(&p[0])) == oldP
	fmt.Printf("bytes: %d of %d non-zero (first at %d), same address as the freed slice: %v\n",
		staleBytes, len(b), firstByte, reusedB)
	fmt.Printf("pointers: %d of %d non-nil, same address as the freed slice: %v\n",
		stalePtrs, len(p), reusedP)
	runtime.KeepAlive(b)
	runtime.KeepAlive(p)
	if staleBytes != 0 || stalePtrs != 0 {
		os.Exit(1)
	}
}
