//go:debug decoratemappings=0

// deadlock blocks every goroutine on a channel; the Go runtime detects it
// and aborts with "all goroutines are asleep - deadlock!" (exit 2).
package main

import (
	"fmt"
	"os"
)

func main() {
	a := make(chan int)
	b := make(chan int)
	go func() { <-a; b <- 1 }()
	go func() { <-b; a <- 1 }()
	fmt.Fprintln(os.Stderr, "deadlock: waiting")
	<-make(chan int)
}
