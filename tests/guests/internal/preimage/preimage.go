// Package preimage is the guest side of the pre-image oracle protocol:
// keys are written to fd 6 and answers (BE u64 length, then payload) are
// read from fd 5; hints (BE u32 length, then bytes) are written to fd 4
// and acknowledged by one byte read from fd 3.
//
// Every call goes straight to the raw syscalls, looping on short reads and
// writes: inside the VM each syscall moves at most one aligned 8-byte word.
package preimage

import (
	"encoding/binary"
	"fmt"
	"syscall"
)

const (
	FdHintRead      = 3 // hint acks in
	FdHintWrite     = 4 // hints out
	FdPreimageRead  = 5 // pre-image data in
	FdPreimageWrite = 6 // pre-image keys out
)

// Key types (byte 0 of a key).
const (
	TypeLocal     = 1
	TypeKeccak256 = 2
)

// LocalKey returns the local key with index n: 0x01, 23 zero bytes, BE u64 n.
func LocalKey(n uint64) [32]byte {
	var k [32]byte
	k[0] = TypeLocal
	binary.BigEndian.PutUint64(k[24:], n)
	return k
}

// Keccak256Key returns the key of a keccak pre-image: the hash with byte 0
// replaced by the type byte.
func Keccak256Key(hash [32]byte) [32]byte {
	hash[0] = TypeKeccak256
	return hash
}

func writeAll(fd int, p []byte) {
	for len(p) > 0 {
		n, err := syscall.Write(fd, p)
		if err != nil {
			panic(fmt.Sprintf("preimage: write fd %d: %v", fd, err))
		}
		if n <= 0 {
			panic(fmt.Sprintf("preimage: write fd %d returned %d", fd, n))
		}
		p = p[n:]
	}
}

func readFull(fd int, p []byte) {
	for len(p) > 0 {
		n, err := syscall.Read(fd, p)
		if err != nil {
			panic(fmt.Sprintf("preimage: read fd %d: %v", fd, err))
		}
		if n <= 0 {
			panic(fmt.Sprintf("preimage: read fd %d: unexpected end of data", fd))
		}
		p = p[n:]
	}
}

// Get fetches the pre-image for key.
func Get(key [32]byte) []byte {
	writeAll(FdPreimageWrite, key[:])
	var lenBuf [8]byte
	readFull(FdPreimageRead, lenBuf[:])
	size := binary.BigEndian.Uint64(lenBuf[:])
	if size > 1<<30 {
		panic(fmt.Sprintf("preimage: implausible length %d", size))
	}
	data := make([]byte, size)
	readFull(FdPreimageRead, data)
	return data
}

// GetLocal fetches the local pre-image with index n.
func GetLocal(n uint64) []byte { return Get(LocalKey(n)) }

// GetKeccak256 fetches the pre-image of a keccak-256 hash.
func GetKeccak256(hash [32]byte) []byte { return Get(Keccak256Key(hash)) }

// Hint sends one hint and waits for its acknowledgement.
func Hint(h string) {
	msg := make([]byte, 4+len(h))
	binary.BigEndian.PutUint32(msg, uint32(len(h)))
	copy(msg[4:], h)
	writeAll(FdHintWrite, msg)
	var ack [1]byte
	readFull(FdHintRead, ack[:])
}
