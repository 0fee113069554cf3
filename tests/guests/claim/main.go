//go:debug decoratemappings=0

// claim is a miniature fault-proof program. It reads three local inputs
// from the pre-image oracle (0: keccak hash of the pre-state, 1: keccak
// hash of the state diff, 2: the claimed result as a BE u64), hints the
// host and fetches the two keccak pre-images, computes s*a+b and checks the
// claim. Data format: state = BE u64 s; diff = BE u64 a ‖ BE u64 b.
package main

import (
	"encoding/binary"
	"fmt"
	"os"

	"cannonball/guests/internal/keccak"
	"cannonball/guests/internal/preimage"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func fetch(kind string, hashBytes []byte) []byte {
	if len(hashBytes) != 32 {
		fail("local %s hash has length %d, want 32", kind, len(hashBytes))
	}
	var hash [32]byte
	copy(hash[:], hashBytes)
	preimage.Hint(fmt.Sprintf("fetch-%s 0x%x", kind, hash))
	data := preimage.GetKeccak256(hash)
	if keccak.Sum(data) != hash {
		fail("%s pre-image does not hash to 0x%x", kind, hash)
	}
	return data
}

func main() {
	fmt.Fprintln(os.Stderr, "started!")

	stateHash := preimage.GetLocal(0)
	diffHash := preimage.GetLocal(1)
	claimBytes := preimage.GetLocal(2)
	if len(claimBytes) != 8 {
		fail("claim has length %d, want 8", len(claimBytes))
	}
	claim := binary.BigEndian.Uint64(claimBytes)

	state := fetch("state", stateHash)
	diff := fetch("diff", diffHash)
	if len(state) != 8 || len(diff) != 16 {
		fail("bad pre-image sizes: state %d, diff %d", len(state), len(diff))
	}
	s := binary.BigEndian.Uint64(state)
	a := binary.BigEndian.Uint64(diff[:8])
	b := binary.BigEndian.Uint64(diff[8:])

	fmt.Printf("computing %d * %d + %d\n", s, a, b)
	result := s*a + b
	if result != claim {
		fmt.Printf("claim %d is bad! (correct: %d)\n", claim, result)
		os.Exit(1)
	}
	fmt.Printf("claim %d is good!\n", claim)
}
