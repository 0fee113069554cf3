package keccak

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestVectors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
		{"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
	}
	for _, c := range cases {
		got := Sum([]byte(c.in))
		if hex.EncodeToString(got[:]) != c.want {
			t.Errorf("keccak(%q) = %x, want %s", c.in, got, c.want)
		}
	}
	// incremental writes across the block boundary must match one-shot
	long := []byte(strings.Repeat("0123456789", 50))
	var h Hasher
	for i := 0; i < len(long); i += 7 {
		end := min(i+7, len(long))
		h.Write(long[i:end])
	}
	if h.Sum256() != Sum(long) {
		t.Error("incremental and one-shot digests differ")
	}
}
