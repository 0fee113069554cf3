// Package keccak is a small, dependency-free Keccak-256 (the Ethereum
// variant: original Keccak padding 0x01, not SHA-3's 0x06).
package keccak

import "math/bits"

const rate = 136 // bytes absorbed per permutation for a 256-bit output

var roundConstants = [24]uint64{
	0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
	0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
	0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
	0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
	0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
	0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
}

// rho rotation offsets, indexed by lane x + 5*y
var rotations = [25]int{
	0, 1, 62, 28, 27,
	36, 44, 6, 55, 20,
	3, 10, 43, 25, 39,
	41, 45, 15, 21, 8,
	18, 2, 61, 56, 14,
}

// piDest[i] is where the pi step moves lane i = x + 5*y: to (y, 2x+3y).
var piDest = func() (d [25]int) {
	for x := 0; x < 5; x++ {
		for y := 0; y < 5; y++ {
			d[x+5*y] = y + 5*((2*x+3*y)%5)
		}
	}
	return d
}()

func permute(a *[25]uint64) {
	var b [25]uint64
	for round := 0; round < 24; round++ {
		// theta
		c0 := a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
		c1 := a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
		c2 := a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
		c3 := a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
		c4 := a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
		d := [5]uint64{
			c4 ^ bits.RotateLeft64(c1, 1),
			c0 ^ bits.RotateLeft64(c2, 1),
			c1 ^ bits.RotateLeft64(c3, 1),
			c2 ^ bits.RotateLeft64(c4, 1),
			c3 ^ bits.RotateLeft64(c0, 1),
		}
		// theta applied, then rho and pi in one pass
		for i := 0; i < 25; i++ {
			b[piDest[i]] = bits.RotateLeft64(a[i]^d[i%5], rotations[i])
		}
		// chi
		for y := 0; y < 25; y += 5 {
			b0, b1, b2, b3, b4 := b[y], b[y+1], b[y+2], b[y+3], b[y+4]
			a[y] = b0 ^ (^b1 & b2)
			a[y+1] = b1 ^ (^b2 & b3)
			a[y+2] = b2 ^ (^b3 & b4)
			a[y+3] = b3 ^ (^b4 & b0)
			a[y+4] = b4 ^ (^b0 & b1)
		}
		// iota
		a[0] ^= roundConstants[round]
	}
}

// Hasher is an incremental Keccak-256 state.
type Hasher struct {
	a   [25]uint64
	buf [rate]byte
	n   int
}

// Write absorbs p. It never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := copy(h.buf[h.n:], p)
		h.n += k
		p = p[k:]
		if h.n == rate {
			h.absorb()
		}
	}
	return total, nil
}

func (h *Hasher) absorb() {
	for i := 0; i < rate/8; i++ {
		var w uint64
		for j := 0; j < 8; j++ {
			w |= uint64(h.buf[8*i+j]) << (8 * j) // lanes are little-endian
		}
		h.a[i] ^= w
	}
	permute(&h.a)
	h.n = 0
}

// Sum256 returns the digest of everything written so far without
// changing the hasher's state.
func (h *Hasher) Sum256() [32]byte {
	c := *h
	for i := c.n; i < rate; i++ {
		c.buf[i] = 0
	}
	c.buf[c.n] ^= 0x01
	c.buf[rate-1] ^= 0x80
	c.absorb()
	var out [32]byte
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
			out[8*i+j] = byte(c.a[i] >> (8 * j))
		}
	}
	return out
}

// Sum returns the Keccak-256 digest of data.
func Sum(data []byte) [32]byte {
	var h Hasher
	h.Write(data)
	return h.Sum256()
}
