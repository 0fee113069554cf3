package main

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
)

// asm is a tiny EVM assembler: opcodes, pushes of constants and 2-byte
// pushes of labels, resolved when the program is finished.
type asm struct {
	code   []byte
	labels map[string]int
	fixups map[int]string // offset of a PUSH2 operand -> label
}

func newAsm() *asm {
	return &asm{labels: map[string]int{}, fixups: map[int]string{}}
}

// op appends plain opcodes.
func (a *asm) op(ops ...vm.OpCode) *asm {
	for _, o := range ops {
		a.code = append(a.code, byte(o))
	}
	return a
}

// push appends the shortest PUSHn of v (PUSH1 0 for zero).
func (a *asm) push(v *big.Int) *asm {
	b := v.Bytes()
	if len(b) == 0 {
		b = []byte{0}
	}
	if len(b) > 32 {
		panic("asm: push of more than 32 bytes")
	}
	a.code = append(a.code, byte(vm.PUSH1)+byte(len(b)-1))
	a.code = append(a.code, b...)
	return a
}

func (a *asm) pushU(v uint64) *asm { return a.push(new(big.Int).SetUint64(v)) }

// pushBytes appends PUSHn of exactly len(b) bytes.
func (a *asm) pushBytes(b []byte) *asm {
	if len(b) == 0 || len(b) > 32 {
		panic("asm: bad push length")
	}
	a.code = append(a.code, byte(vm.PUSH1)+byte(len(b)-1))
	a.code = append(a.code, b...)
	return a
}

// pushLabel appends PUSH2 <address of label>.
func (a *asm) pushLabel(name string) *asm {
	a.code = append(a.code, byte(vm.PUSH2), 0, 0)
	a.fixups[len(a.code)-2] = name
	return a
}

// label defines name here and emits a JUMPDEST.
func (a *asm) label(name string) *asm {
	if _, dup := a.labels[name]; dup {
		panic("asm: duplicate label " + name)
	}
	a.labels[name] = len(a.code)
	return a.op(vm.JUMPDEST)
}

func (a *asm) bytes() []byte {
	out := append([]byte(nil), a.code...)
	for off, name := range a.fixups {
		dst, ok := a.labels[name]
		if !ok {
			panic("asm: undefined label " + name)
		}
		out[off] = byte(dst >> 8)
		out[off+1] = byte(dst)
	}
	return out
}

var (
	addrMask         = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 160), big.NewInt(1))
	selTransfer      = crypto.Keccak256([]byte("transfer(address,uint256)"))[:4]
	selBalanceOf     = crypto.Keccak256([]byte("balanceOf(address)"))[:4]
	transferEventSig = crypto.Keccak256([]byte("Transfer(address,address,uint256)"))
)

// balanceSlot turns [addr] into [keccak(addr ‖ 0)], the Solidity layout of
// a mapping at slot 0. Uses memory 0..63.
func (a *asm) balanceSlot() *asm {
	a.pushU(0).op(vm.MSTORE)
	a.pushU(0).pushU(32).op(vm.MSTORE)
	return a.pushU(64).pushU(0).op(vm.KECCAK256)
}

// tokenCode is the runtime code of an ERC-20-like token with two functions:
//
//	transfer(address to, uint256 amount) returns (bool)
//	balanceOf(address who) returns (uint256)
//
// Balances live at keccak(addr ‖ 0). transfer reverts on insufficient
// balance and emits Transfer(from, to, amount).
func tokenCode() []byte {
	a := newAsm()
	a.pushU(0).op(vm.CALLDATALOAD).pushU(0xe0).op(vm.SHR) // [sel]
	a.op(vm.DUP1).pushBytes(selTransfer).op(vm.EQ).pushLabel("transfer").op(vm.JUMPI)
	a.op(vm.DUP1).pushBytes(selBalanceOf).op(vm.EQ).pushLabel("balanceOf").op(vm.JUMPI)
	a.pushLabel("fail").op(vm.JUMP)

	a.label("balanceOf")
	a.pushU(4).op(vm.CALLDATALOAD).push(addrMask).op(vm.AND) // [who]
	a.balanceSlot().op(vm.SLOAD)                             // [bal]
	a.pushU(0).op(vm.MSTORE).pushU(32).pushU(0).op(vm.RETURN)

	a.label("transfer")
	a.pushU(0x24).op(vm.CALLDATALOAD)                        // [amt]
	a.op(vm.CALLER).balanceSlot()                            // [amt fslot]
	a.op(vm.DUP1, vm.SLOAD)                                  // [amt fslot fbal]
	a.op(vm.DUP1, vm.DUP4, vm.GT)                            // [amt fslot fbal amt>fbal]
	a.pushLabel("fail").op(vm.JUMPI)                         // [amt fslot fbal]
	a.op(vm.DUP3, vm.SWAP1, vm.SUB)                          // [amt fslot fbal-amt]
	a.op(vm.SWAP1, vm.SSTORE)                                // [amt]
	a.pushU(4).op(vm.CALLDATALOAD).push(addrMask).op(vm.AND) // [amt to]
	a.balanceSlot()                                          // [amt tslot]
	a.op(vm.DUP1, vm.SLOAD, vm.DUP3, vm.ADD)                 // [amt tslot tbal+amt]
	a.op(vm.SWAP1, vm.SSTORE)                                // [amt]
	a.pushU(0).op(vm.MSTORE)                                 // mem[0] = amt
	a.pushU(4).op(vm.CALLDATALOAD).push(addrMask).op(vm.AND) // topic2 = to
	a.op(vm.CALLER)                                          // topic1 = from
	a.pushBytes(transferEventSig)                            // topic0
	a.pushU(32).pushU(0).op(vm.LOG3)
	a.pushU(1).pushU(0).op(vm.MSTORE).pushU(32).pushU(0).op(vm.RETURN)

	a.label("fail")
	a.pushU(0).op(vm.DUP1, vm.REVERT)
	return a.bytes()
}

// storageCode is the runtime code of the storage-heavy contract. Calldata
// is two words, n and seed; it writes n slots keccak(seed ‖ i), i < n, with
// the value NUMBER + i + 1.
func storageCode() []byte {
	a := newAsm()
	a.pushU(0).op(vm.CALLDATALOAD) // [n]
	a.pushU(0)                     // [n i]
	a.label("loop")
	a.op(vm.DUP2, vm.DUP2, vm.LT, vm.ISZERO).pushLabel("done").op(vm.JUMPI)
	a.pushU(32).op(vm.CALLDATALOAD).pushU(0).op(vm.MSTORE) // mem[0] = seed
	a.op(vm.DUP1).pushU(32).op(vm.MSTORE)                  // mem[32] = i
	a.op(vm.DUP1, vm.NUMBER, vm.ADD).pushU(1).op(vm.ADD)   // [n i val]
	a.pushU(64).pushU(0).op(vm.KECCAK256)                  // [n i val slot]
	a.op(vm.SSTORE)                                        // [n i]
	a.pushU(1).op(vm.ADD).pushLabel("loop").op(vm.JUMP)
	a.label("done")
	a.op(vm.STOP)
	return a.bytes()
}

// transferCalldata encodes transfer(to, amount).
func transferCalldata(to [20]byte, amount uint64) []byte {
	data := make([]byte, 4+64)
	copy(data, selTransfer)
	copy(data[4+12:], to[:])
	new(big.Int).SetUint64(amount).FillBytes(data[4+32:])
	return data
}

// balanceOfCalldata encodes balanceOf(who).
func balanceOfCalldata(who [20]byte) []byte {
	data := make([]byte, 4+32)
	copy(data, selBalanceOf)
	copy(data[4+12:], who[:])
	return data
}

// storageCalldata encodes the (n, seed) words of the storage contract.
func storageCalldata(n, seed uint64) []byte {
	data := make([]byte, 64)
	new(big.Int).SetUint64(n).FillBytes(data[:32])
	new(big.Int).SetUint64(seed).FillBytes(data[32:])
	return data
}

func init() {
	if len(selTransfer) != 4 || fmt.Sprintf("%x", selTransfer) != "a9059cbb" {
		panic("bad transfer selector")
	}
}
