//go:debug decoratemappings=0

// compute is a long compute-bound run (about 1 billion VM steps)
// for throughput measurements. The size is fixed because the VM's argv is.
package main

import "cannonball/guests/internal/workload"

func main() {
	workload.Run("compute", workload.Size{
		SieveLimit: 5_000_000,
		HashRounds: 10_000_000,
		MatrixN:    100,
		MatrixReps: 18,
	})
}
