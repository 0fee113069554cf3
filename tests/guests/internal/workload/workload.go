// Package workload holds the integer-only compute kernels shared by the
// compute and compute-small guests.
package workload

import "fmt"

// Size scales the three kernels.
type Size struct {
	SieveLimit int // primes below this bound
	HashRounds int // rounds of the 64-bit mixing hash
	MatrixN    int // dimension of the int64 matrices
	MatrixReps int // repeated multiplications
}

// Sieve counts the primes below limit and returns the count and the sum of
// the primes.
func Sieve(limit int) (count int, sum uint64) {
	composite := make([]bool, limit)
	for i := 2; i < limit; i++ {
		if composite[i] {
			continue
		}
		count++
		sum += uint64(i)
		for j := i * i; j < limit; j += i {
			composite[j] = true
		}
	}
	return count, sum
}

// Hash runs a splitmix-style mixing function rounds times and folds the
// outputs together.
func Hash(rounds int) uint64 {
	var acc, z uint64
	for i := 0; i < rounds; i++ {
		z += 0x9E3779B97F4A7C15
		x := z
		x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
		x = (x ^ (x >> 27)) * 0x94D049BB133111EB
		x ^= x >> 31
		acc = (acc<<7 | acc>>57) ^ x
	}
	return acc
}

// Matrix multiplies n×n int64 matrices reps times (C = A·B, then A = C mod p)
// and returns a checksum of the final matrix.
func Matrix(n, reps int) int64 {
	const p = 1_000_000_007
	a := make([]int64, n*n)
	b := make([]int64, n*n)
	c := make([]int64, n*n)
	for i := range a {
		a[i] = int64(i*37+11) % 1000
		b[i] = int64(i*91+7) % 1000
	}
	for r := 0; r < reps; r++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s int64
				for k := 0; k < n; k++ {
					s += a[i*n+k] * b[k*n+j]
				}
				c[i*n+j] = s % p
			}
		}
		a, c = c, a
	}
	var sum int64
	for i, v := range a {
		sum = (sum*31 + v + int64(i)) % p
	}
	return sum
}

// Run executes all kernels at the given size and prints one line each.
func Run(name string, s Size) {
	count, sum := Sieve(s.SieveLimit)
	fmt.Printf("%s: sieve(%d): %d primes, sum %d\n", name, s.SieveLimit, count, sum)
	fmt.Printf("%s: hash(%d): %016x\n", name, s.HashRounds, Hash(s.HashRounds))
	fmt.Printf("%s: matrix(%d, %d): %d\n", name, s.MatrixN, s.MatrixReps, Matrix(s.MatrixN, s.MatrixReps))
}
