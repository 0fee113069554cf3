// claimdata writes the pre-image directory for the claim guest (built for
// the host, not for the VM): files named by the lowercase hex key holding
// the raw pre-image.
//
//	claimdata [--bad] DIR
package main

import (
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"cannonball/guests/internal/keccak"
	"cannonball/guests/internal/preimage"
)

const (
	s = 0x00FFFFFF00001000
	a = 3
	b = 4
)

func main() {
	bad := flag.Bool("bad", false, "write a wrong claim")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: claimdata [--bad] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	dir := flag.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	state := binary.BigEndian.AppendUint64(nil, s)
	diff := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, a), b)
	claim := uint64(s*a + b)
	if *bad {
		claim++
	}
	stateHash := keccak.Sum(state)
	diffHash := keccak.Sum(diff)

	put := func(key [32]byte, data []byte) {
		p := filepath.Join(dir, hex.EncodeToString(key[:]))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	put(preimage.LocalKey(0), stateHash[:])
	put(preimage.LocalKey(1), diffHash[:])
	put(preimage.LocalKey(2), binary.BigEndian.AppendUint64(nil, claim))
	put(preimage.Keccak256Key(stateHash), state)
	put(preimage.Keccak256Key(diffHash), diff)
}
