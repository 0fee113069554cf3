//go:debug decoratemappings=0

// compute-small runs the compute kernels at a size of about 30 million
// VM steps.
package main

import "cannonball/guests/internal/workload"

func main() {
	workload.Run("compute-small", workload.Size{
		SieveLimit: 200_000,
		HashRounds: 500_000,
		MatrixN:    40,
		MatrixReps: 5,
	})
}
