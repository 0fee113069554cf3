//go:debug decoratemappings=0

// bigmem fills 1 GiB of guest memory with pseudo-random words and prints a
// checksum: the benchmark guest for state files, snapshots and merkle roots at
// GiB scale (its final state has 2^18 pages that do not compress).
package main

import "fmt"

const words = 1 << 27 // 1 GiB of uint64

func main() {
	mem := make([]uint64, words)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range mem {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		mem[i] = x
	}
	var sum uint64
	for i := 0; i < words; i += 4096 {
		sum ^= mem[i]
	}
	fmt.Printf("bigmem: %d words, checksum %016x\n", words, sum)
}
