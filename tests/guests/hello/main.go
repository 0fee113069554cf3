//go:debug decoratemappings=0

// hello prints a greeting and exits 0. It is the bundled default guest.
package main

import "os"

func main() {
	os.Stdout.WriteString("hello world!\n")
}
