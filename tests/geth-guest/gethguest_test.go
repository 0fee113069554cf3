package main

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// testEVM returns an EVM over a fresh state holding the two contracts.
func testEVM(t *testing.T) (*vm.EVM, *state.StateDB) {
	t.Helper()
	st, err := state.New(types.EmptyRootHash, state.NewDatabaseForTesting())
	if err != nil {
		t.Fatal(err)
	}
	st.SetCode(tokenAddr, tokenCode(), tracing.CodeChangeUnspecified)
	st.SetCode(storageAddr, storageCode(), tracing.CodeChangeUnspecified)
	random := common.Hash{1}
	ctx := vm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash:     func(uint64) common.Hash { return common.Hash{} },
		BlockNumber: big.NewInt(77),
		Time:        genesisTime,
		Difficulty:  big.NewInt(0),
		BaseFee:     big.NewInt(0),
		BlobBaseFee: big.NewInt(1),
		GasLimit:    blockGasLimit,
		Random:      &random,
	}
	return vm.NewEVM(ctx, st, chainConfig(), vm.Config{}), st
}

func call(t *testing.T, evm *vm.EVM, from, to common.Address, data []byte) ([]byte, error) {
	t.Helper()
	ret, _, err := evm.Call(from, to, data, vm.NewGasBudget(1_000_000, 0), new(uint256.Int))
	return ret, err
}

func balanceOf(t *testing.T, evm *vm.EVM, who common.Address) uint64 {
	t.Helper()
	ret, err := call(t, evm, who, tokenAddr, balanceOfCalldata(who))
	if err != nil || len(ret) != 32 {
		t.Fatalf("balanceOf(%s): ret %x err %v", who, ret, err)
	}
	return new(big.Int).SetBytes(ret).Uint64()
}

func TestToken(t *testing.T) {
	evm, st := testEVM(t)
	alice := common.HexToAddress("0xa11ce00000000000000000000000000000000001")
	bob := common.HexToAddress("0xb0b0000000000000000000000000000000000002")
	st.SetState(tokenAddr, tokenBalanceSlot(alice), common.BigToHash(big.NewInt(1000)))

	if got := balanceOf(t, evm, alice); got != 1000 {
		t.Fatalf("alice balance %d, want 1000", got)
	}
	if got := balanceOf(t, evm, bob); got != 0 {
		t.Fatalf("bob balance %d, want 0", got)
	}
	st.SetTxContext(common.Hash{1}, 0, 1)
	ret, err := call(t, evm, alice, tokenAddr, transferCalldata(bob, 300))
	if err != nil {
		t.Fatalf("transfer: %v", err)
	}
	if new(big.Int).SetBytes(ret).Uint64() != 1 || len(ret) != 32 {
		t.Fatalf("transfer returned %x, want true", ret)
	}
	if a, b := balanceOf(t, evm, alice), balanceOf(t, evm, bob); a != 700 || b != 300 {
		t.Fatalf("after transfer: alice %d bob %d, want 700 300", a, b)
	}
	logs := st.GetLogs(common.Hash{1}, 0, common.Hash{}, 0)
	if len(logs) != 1 || len(logs[0].Topics) != 3 ||
		logs[0].Topics[0] != common.BytesToHash(transferEventSig) ||
		logs[0].Topics[1] != common.BytesToHash(alice.Bytes()) ||
		logs[0].Topics[2] != common.BytesToHash(bob.Bytes()) ||
		new(big.Int).SetBytes(logs[0].Data).Uint64() != 300 {
		t.Fatalf("bad Transfer log: %+v", logs)
	}
	// Insufficient balance reverts and changes nothing.
	if _, err := call(t, evm, bob, tokenAddr, transferCalldata(alice, 301)); err != vm.ErrExecutionReverted {
		t.Fatalf("overdraft: err %v, want revert", err)
	}
	if a, b := balanceOf(t, evm, alice), balanceOf(t, evm, bob); a != 700 || b != 300 {
		t.Fatalf("after overdraft: alice %d bob %d, want 700 300", a, b)
	}
	// Sending everything, and to oneself, works.
	if _, err := call(t, evm, bob, tokenAddr, transferCalldata(bob, 300)); err != nil {
		t.Fatalf("self transfer: %v", err)
	}
	if _, err := call(t, evm, bob, tokenAddr, transferCalldata(alice, 300)); err != nil {
		t.Fatalf("full transfer: %v", err)
	}
	if a, b := balanceOf(t, evm, alice), balanceOf(t, evm, bob); a != 1000 || b != 0 {
		t.Fatalf("at end: alice %d bob %d, want 1000 0", a, b)
	}
	// Unknown selectors revert.
	if _, err := call(t, evm, alice, tokenAddr, []byte{1, 2, 3, 4}); err != vm.ErrExecutionReverted {
		t.Fatalf("unknown selector: err %v, want revert", err)
	}
}

func TestStorage(t *testing.T) {
	evm, st := testEVM(t)
	caller := common.HexToAddress("0xca11e50000000000000000000000000000000001")
	const n, seed = 5, 9
	if _, err := call(t, evm, caller, storageAddr, storageCalldata(n, seed)); err != nil {
		t.Fatalf("storage call: %v", err)
	}
	for i := uint64(0); i <= n; i++ {
		slot := crypto.Keccak256Hash(common.BigToHash(big.NewInt(seed)).Bytes(), common.BigToHash(new(big.Int).SetUint64(i)).Bytes())
		got := st.GetState(storageAddr, slot)
		want := common.Hash{}
		if i < n {
			want = common.BigToHash(new(big.Int).SetUint64(77 + i + 1))
		}
		if got != want {
			t.Fatalf("slot %d: %s, want %s", i, got, want)
		}
	}
	// n = 0 writes nothing and succeeds.
	if _, err := call(t, evm, caller, storageAddr, storageCalldata(0, 1)); err != nil {
		t.Fatalf("empty storage call: %v", err)
	}
}

// TestChainDeterministic runs a few blocks twice and checks the roots agree
// and every transaction succeeded (run exits on a failed receipt).
func TestChainDeterministic(t *testing.T) {
	p := params_{blocks: 2, txs: 6, slots: 3}
	a, b := run(p), run(p)
	if a != b {
		t.Fatalf("roots differ: %s %s", a, b)
	}
}
