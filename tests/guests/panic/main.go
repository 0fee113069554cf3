//go:debug decoratemappings=0

// panic panics with a fixed message: the Go runtime prints it with a
// goroutine trace and exits 2.
package main

import "fmt"

func main() {
	fmt.Println("about to panic")
	var deep func(int)
	deep = func(n int) {
		if n == 0 {
			panic("guest panic test: something went wrong")
		}
		deep(n - 1)
	}
	deep(3)
}
