// host serves the pre-image oracle protocol to the VM (built for the host,
// not for the VM). It expects the VM's pipes on fixed descriptors:
//
//	fd 3: hints in (BE u32 length ‖ bytes)    fd 4: hint acks out (one 0x00)
//	fd 5: keys in (32 bytes)                  fd 6: answers out (BE u64 length ‖ payload)
//
// Pre-images come from --dir: the file named by the key's 64 lowercase hex
// digits holds the payload. Hints are logged to stderr. The remaining flags
// make the host misbehave so the VM's handling of a broken host can be tested.
package main

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
)

var (
	dir      = flag.String("dir", "", "directory of pre-images, one file per key (required)")
	dieAfter = flag.Int("die-after", -1, "exit with status 3 once N requests (hints and keys) have been answered")
	short    = flag.Bool("short", false, "answer the first key with a length larger than the payload, then exit")
	hang     = flag.Bool("hang", false, "never answer any request")
	garbage  = flag.Bool("garbage", false, "answer the first key with 3 bytes, then exit")
	quiet    = flag.Bool("quiet", false, "do not log hints and keys")

	served atomic.Int64
	mu     sync.Mutex // serialises the request counter check and exit
)

func logf(format string, args ...any) {
	if !*quiet {
		fmt.Fprintf(os.Stderr, "host: "+format+"\n", args...)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "host: "+format+"\n", args...)
	os.Exit(1)
}

// answered counts one finished request and exits if --die-after is reached.
func answered() {
	mu.Lock()
	defer mu.Unlock()
	if n := served.Add(1); *dieAfter >= 0 && n >= int64(*dieAfter) {
		logf("served %d requests, exiting (--die-after)", n)
		os.Exit(3)
	}
}

func serveHints(in io.Reader, out io.Writer) {
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(in, hdr[:]); err != nil {
			if !errors.Is(err, io.EOF) {
				logf("hint read: %v", err)
			}
			return
		}
		msg := make([]byte, binary.BigEndian.Uint32(hdr[:]))
		if _, err := io.ReadFull(in, msg); err != nil {
			logf("hint read: %v", err)
			return
		}
		if *hang {
			logf("hint received, hanging (--hang)")
			select {}
		}
		logf("hint: %s", msg)
		if _, err := out.Write([]byte{0}); err != nil {
			logf("hint ack: %v", err)
			return
		}
		answered()
	}
}

func servePreimages(in io.Reader, out io.Writer) {
	first := true
	for {
		var key [32]byte
		if _, err := io.ReadFull(in, key[:]); err != nil {
			if !errors.Is(err, io.EOF) {
				logf("key read: %v", err)
			}
			return
		}
		name := hex.EncodeToString(key[:])
		if *hang {
			logf("key %s received, hanging (--hang)", name)
			select {}
		}
		data, err := os.ReadFile(filepath.Join(*dir, name))
		if err != nil {
			fatalf("no pre-image for key %s: %v", name, err)
		}
		logf("key %s: %d bytes", name, len(data))
		switch {
		case first && *garbage:
			out.Write([]byte{0xde, 0xad, 0xbe})
			logf("sent 3 garbage bytes, exiting (--garbage)")
			os.Exit(3)
		case first && *short:
			msg := binary.BigEndian.AppendUint64(nil, uint64(len(data))+16)
			out.Write(append(msg, data...))
			logf("sent a short answer, exiting (--short)")
			os.Exit(3)
		}
		first = false
		msg := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(data)), uint64(len(data)))
		if _, err := out.Write(append(msg, data...)); err != nil {
			logf("answer write: %v", err)
			return
		}
		answered()
	}
}

func main() {
	flag.Parse()
	if *dir == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: host --dir D [--die-after N] [--short|--hang|--garbage] [--quiet]")
		os.Exit(2)
	}
	if *dieAfter == 0 {
		logf("exiting before any request (--die-after 0)")
		os.Exit(3)
	}
	for fd := 3; fd <= 6; fd++ {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			fatalf("fd %d is not open: %v (fds 3-6 must be the VM's pipes)", fd, err)
		}
	}
	hintIn := os.NewFile(3, "hint-in")
	hintOut := os.NewFile(4, "hint-out")
	keyIn := os.NewFile(5, "key-in")
	dataOut := os.NewFile(6, "data-out")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); serveHints(hintIn, hintOut) }()
	go func() { defer wg.Done(); servePreimages(keyIn, dataOut) }()
	wg.Wait()
}
