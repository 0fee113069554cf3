//go:debug decoratemappings=0

// random exercises the getrandom path (crypto/rand) and the runtime-seeded
// generators of math/rand/v2. The values differ between runs outside the
// VM, so only stable facts are printed.
package main

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	fail := false
	check := func(name string, ok bool) {
		if ok {
			fmt.Printf("%s: ok\n", name)
		} else {
			fmt.Printf("%s: FAIL\n", name)
			fail = true
		}
	}

	buf := make([]byte, 64)
	n, err := crand.Read(buf)
	nonzero := 0
	for _, b := range buf {
		if b != 0 {
			nonzero++
		}
	}
	check("crypto/rand.Read", err == nil && n == len(buf) && nonzero > len(buf)/2)

	a, b, c := rand.Uint64(), rand.Uint64(), rand.Uint64()
	check("math/rand/v2 non-zero", a != 0 && b != 0 && c != 0)
	check("math/rand/v2 distinct", a != b && b != c && a != c)

	// a ChaCha8 generator seeded from crypto/rand
	var seed [32]byte
	crand.Read(seed[:])
	r := rand.New(rand.NewChaCha8(seed))
	x := r.IntN(1000)
	check("ChaCha8 IntN range", x >= 0 && x < 1000)

	if fail {
		os.Exit(1)
	}
}
