//go:debug decoratemappings=0

// entry checks what the VM's initial stack patch hands to the Go runtime:
// argv, the environment, and the GODEBUG setting it carries.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	ok := true
	if len(os.Args) != 1 || os.Args[0] != "op-program" {
		fmt.Fprintf(os.Stderr, "bad args: %q\n", os.Args)
		ok = false
	}
	env := os.Environ()
	if len(env) != 1 || env[0] != "GODEBUG=memprofilerate=0" {
		fmt.Fprintf(os.Stderr, "bad env: %q\n", env)
		ok = false
	}
	if runtime.MemProfileRate != 0 {
		fmt.Fprintf(os.Stderr, "bad MemProfileRate: %d\n", runtime.MemProfileRate)
		ok = false
	}
	if !ok {
		fmt.Println("entry: FAIL")
		os.Exit(1)
	}
	fmt.Println("entry: args, env and MemProfileRate ok")
}
