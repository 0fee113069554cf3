package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// oracle answers pre-image requests by 32-byte key and takes hints.
type oracle interface {
	get(key [32]byte) []byte
	hint(h string)
}

// Pre-image key types (byte 0 of a key).
const (
	keyTypeLocal     = 1
	keyTypeKeccak256 = 2
)

func localKey(n uint64) [32]byte {
	var k [32]byte
	k[0] = keyTypeLocal
	binary.BigEndian.PutUint64(k[24:], n)
	return k
}

func keccakKey(hash [32]byte) [32]byte {
	hash[0] = keyTypeKeccak256
	return hash
}

// fdOracle speaks the guest side of the protocol: keys to fd 6, answers
// (BE u64 length, payload) from fd 5, hints (BE u32 length, bytes) to fd 4
// and a one-byte ack from fd 3. In the VM each read or write moves at most
// one aligned 8-byte word, so every transfer loops.
type fdOracle struct{}

const (
	fdHintRead      = 3
	fdHintWrite     = 4
	fdPreimageRead  = 5
	fdPreimageWrite = 6
)

func writeAll(fd int, p []byte) {
	for len(p) > 0 {
		n, err := syscall.Write(fd, p)
		if err != nil || n <= 0 {
			panic(fmt.Sprintf("oracle: write fd %d: n=%d err=%v", fd, n, err))
		}
		p = p[n:]
	}
}

func readFull(fd int, p []byte) {
	for len(p) > 0 {
		n, err := syscall.Read(fd, p)
		if err != nil || n <= 0 {
			panic(fmt.Sprintf("oracle: read fd %d: n=%d err=%v", fd, n, err))
		}
		p = p[n:]
	}
}

func (fdOracle) get(key [32]byte) []byte {
	writeAll(fdPreimageWrite, key[:])
	var lenBuf [8]byte
	readFull(fdPreimageRead, lenBuf[:])
	size := binary.BigEndian.Uint64(lenBuf[:])
	if size > 1<<30 {
		panic(fmt.Sprintf("oracle: implausible pre-image length %d", size))
	}
	data := make([]byte, size)
	readFull(fdPreimageRead, data)
	return data
}

func (fdOracle) hint(h string) {
	msg := make([]byte, 4+len(h))
	binary.BigEndian.PutUint32(msg, uint32(len(h)))
	copy(msg[4:], h)
	writeAll(fdHintWrite, msg)
	var ack [1]byte
	readFull(fdHintRead, ack[:])
}

// dirOracle serves pre-images from files DIR/<hex key without 0x>, the
// layout of the VM's --preimage-dir; used by the native build.
type dirOracle struct{ dir string }

func (d dirOracle) get(key [32]byte) []byte {
	data, err := os.ReadFile(filepath.Join(d.dir, hex.EncodeToString(key[:])))
	if err != nil {
		panic(fmt.Sprintf("oracle: no pre-image for key %x: %v", key, err))
	}
	return data
}

func (dirOracle) hint(string) {}

// writePreimage stores one pre-image as DIR/<hex key>.
func writePreimage(dir string, key [32]byte, data []byte) error {
	return os.WriteFile(filepath.Join(dir, hex.EncodeToString(key[:])), data, 0o644)
}
