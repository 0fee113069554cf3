//go:debug decoratemappings=0

// keccak hashes a few fixed inputs with the in-guest Keccak-256 and prints
// the digests in hex.
package main

import (
	"fmt"
	"strings"

	"cannonball/guests/internal/keccak"
)

func main() {
	inputs := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"hello", []byte("hello world!")},
		{"136x'a'", []byte(strings.Repeat("a", 136))}, // exactly one block
		{"1000 bytes", func() []byte {
			b := make([]byte, 1000)
			for i := range b {
				b[i] = byte(i * 31)
			}
			return b
		}()},
	}
	for _, in := range inputs {
		d := keccak.Sum(in.data)
		fmt.Printf("keccak(%s) = %x\n", in.name, d)
	}
	// a hash chain: 200 iterations starting from keccak("")
	d := keccak.Sum(nil)
	for i := 0; i < 200; i++ {
		d = keccak.Sum(d[:])
	}
	fmt.Printf("chain200 = %x\n", d)
}
