//go:debug decoratemappings=0

// gethguest executes a synthetic chain of Ethereum blocks with go-ethereum's
// EVM and state code, the way a fault-proof program re-executes L2 blocks
// inside the VM. The genesis is made here: funded accounts with
// deterministic keys, the system contracts, an ERC-20-like token and a
// storage-heavy contract. Each block holds signed value transfers, token
// transfers and storage-heavy calls; it is executed, its state committed to
// an in-memory trie database, and its number, gas, state root and block
// hash are printed, then a final line.
//
// The size is fixed at link time (-X main.blocks=N -X main.txsPerBlock=M
// -X main.slotsPerCall=K). With -X main.useOracle=1 the size comes from the
// pre-image oracle instead (see readOracleParams) and the final state root
// is checked against a claim, as a fault-proof program does.
//
// Natively the same program takes flags (inside the VM argv is always
// ["op-program"], so no flags are ever seen there).
package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"flag"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/holiman/uint256"
)

// Link-time settings (strings, as -X requires).
var (
	blocks       = "3"
	txsPerBlock  = "12"
	slotsPerCall = "8"
	useOracle    = ""
	signTxs      = "1" // "0": unsigned transactions, senders known (no secp256k1)
	forceGC      = ""  // "1": runtime.GC() after each block (see README: hangs in the VM)
)

const (
	numAccounts    = 16
	genesisTime    = 1_700_000_000
	blockGasLimit  = 30_000_000
	tokenSupplyPer = 1_000_000_000_000
)

var (
	chainID       = big.NewInt(901)
	tokenAddr     = common.HexToAddress("0x7070000000000000000000000000000000000001")
	storageAddr   = common.HexToAddress("0x5107000000000000000000000000000000000002")
	coinbaseAddr  = common.HexToAddress("0xc014ba5e00000000000000000000000000000003")
	accountWealth = new(uint256.Int).Mul(uint256.NewInt(1_000_000), uint256.NewInt(params.Ether))
)

// chainConfig: a post-merge chain with Shanghai, Cancun and Prague active
// from genesis.
func chainConfig() *params.ChainConfig {
	zero := uint64(0)
	return &params.ChainConfig{
		ChainID:                 chainID,
		HomesteadBlock:          big.NewInt(0),
		EIP150Block:             big.NewInt(0),
		EIP155Block:             big.NewInt(0),
		EIP158Block:             big.NewInt(0),
		ByzantiumBlock:          big.NewInt(0),
		ConstantinopleBlock:     big.NewInt(0),
		PetersburgBlock:         big.NewInt(0),
		IstanbulBlock:           big.NewInt(0),
		MuirGlacierBlock:        big.NewInt(0),
		BerlinBlock:             big.NewInt(0),
		LondonBlock:             big.NewInt(0),
		ArrowGlacierBlock:       big.NewInt(0),
		GrayGlacierBlock:        big.NewInt(0),
		TerminalTotalDifficulty: big.NewInt(0),
		ShanghaiTime:            &zero,
		CancunTime:              &zero,
		PragueTime:              &zero,
		BlobScheduleConfig: &params.BlobScheduleConfig{
			Cancun: params.DefaultCancunBlobConfig,
			Prague: params.DefaultPragueBlobConfig,
		},
	}
}

type account struct {
	key   *ecdsa.PrivateKey
	addr  common.Address
	nonce uint64
}

// Account i has the key keccak("gethguest account" ‖ BE u64 i); without
// signing its address is the last 20 bytes of that hash instead.
func makeAccounts() []*account {
	accs := make([]*account, numAccounts)
	for i := range accs {
		var idx [8]byte
		binary.BigEndian.PutUint64(idx[:], uint64(i))
		seed := crypto.Keccak256([]byte("gethguest account"), idx[:])
		if signTxs == "0" {
			accs[i] = &account{addr: common.BytesToAddress(seed)}
			continue
		}
		key, err := crypto.ToECDSA(seed)
		if err != nil {
			fatal("account key %d: %v", i, err)
		}
		accs[i] = &account{key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
	}
	return accs
}

func tokenBalanceSlot(a common.Address) common.Hash {
	return crypto.Keccak256Hash(common.LeftPadBytes(a.Bytes(), 32), make([]byte, 32))
}

type params_ struct {
	blocks, txs, slots uint64
}

type chain struct {
	cfg     *params.ChainConfig
	signer  types.Signer
	sdb     state.Database
	statedb *state.StateDB
	headers []*types.Header // by number
	accs    []*account
	txCount uint64
	senders map[common.Hash]common.Address // unsigned mode: tx hash -> sender
}

// knownSigner stands in for the real signer with unsigned transactions:
// the sender is looked up by transaction hash.
type knownSigner struct {
	types.Signer
	senders map[common.Hash]common.Address
}

func (s knownSigner) Sender(tx *types.Transaction) (common.Address, error) {
	from, ok := s.senders[tx.Hash()]
	if !ok {
		return common.Address{}, fmt.Errorf("unknown sender of %s", tx.Hash().Hex())
	}
	return from, nil
}

func (s knownSigner) Equal(other types.Signer) bool {
	_, ok := other.(knownSigner)
	return ok
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gethguest: "+format+"\n", args...)
	os.Exit(1)
}

// newChain commits the genesis state and returns the chain at block 0.
func newChain() *chain {
	c := &chain{cfg: chainConfig(), accs: makeAccounts()}
	c.signer = types.LatestSigner(c.cfg)
	c.senders = map[common.Hash]common.Address{}
	db := rawdb.NewMemoryDatabase()
	c.sdb = state.NewDatabase(triedb.NewDatabase(db, nil), nil)
	st, err := state.New(types.EmptyRootHash, c.sdb)
	if err != nil {
		fatal("genesis state: %v", err)
	}
	for addr, acc := range core.SystemContractAllocs() {
		st.SetNonce(addr, acc.Nonce, tracing.NonceChangeGenesis)
		st.SetCode(addr, acc.Code, tracing.CodeChangeGenesis)
	}
	st.SetCode(tokenAddr, tokenCode(), tracing.CodeChangeGenesis)
	st.SetNonce(tokenAddr, 1, tracing.NonceChangeGenesis)
	st.SetCode(storageAddr, storageCode(), tracing.CodeChangeGenesis)
	st.SetNonce(storageAddr, 1, tracing.NonceChangeGenesis)
	supply := common.BigToHash(big.NewInt(tokenSupplyPer))
	for _, a := range c.accs {
		st.SetBalance(a.addr, accountWealth, tracing.BalanceIncreaseGenesisBalance)
		st.SetState(tokenAddr, tokenBalanceSlot(a.addr), supply)
	}
	rules := c.cfg.Rules(big.NewInt(0), true, genesisTime)
	root, err := st.Commit(rules, 0)
	if err != nil {
		fatal("genesis commit: %v", err)
	}
	zero := uint64(0)
	h := &types.Header{
		Number:           big.NewInt(0),
		Time:             genesisTime,
		GasLimit:         blockGasLimit,
		BaseFee:          big.NewInt(params.InitialBaseFee),
		Difficulty:       big.NewInt(0),
		Root:             root,
		UncleHash:        types.EmptyUncleHash,
		TxHash:           types.EmptyTxsHash,
		ReceiptHash:      types.EmptyReceiptsHash,
		WithdrawalsHash:  &types.EmptyWithdrawalsHash,
		BlobGasUsed:      &zero,
		ExcessBlobGas:    &zero,
		ParentBeaconRoot: &common.Hash{},
		RequestsHash:     &types.EmptyRequestsHash,
	}
	c.headers = []*types.Header{h}
	if c.statedb, err = state.New(root, c.sdb); err != nil {
		fatal("genesis reopen: %v", err)
	}
	return c
}

// makeTxs builds and signs the transactions of the next block.
func (c *chain) makeTxs(n, slots uint64, baseFee *big.Int) []*types.Transaction {
	txs := make([]*types.Transaction, 0, n)
	tip := big.NewInt(params.GWei)
	feeCap := new(big.Int).Add(new(big.Int).Mul(baseFee, big.NewInt(2)), tip)
	for range n {
		g := c.txCount
		c.txCount++
		from := c.accs[g%numAccounts]
		peer := c.accs[(7*g+3)%numAccounts].addr
		tx := &types.DynamicFeeTx{
			ChainID:   chainID,
			Nonce:     from.nonce,
			GasTipCap: tip,
			GasFeeCap: feeCap,
		}
		switch g % 3 {
		case 0: // value transfer, every other one to a fresh account
			to := peer
			if g%2 == 0 {
				var idx [8]byte
				binary.BigEndian.PutUint64(idx[:], g)
				to = common.BytesToAddress(crypto.Keccak256([]byte("gethguest fresh"), idx[:]))
			}
			tx.To = &to
			tx.Gas = params.TxGas
			tx.Value = new(big.Int).SetUint64(1_000_000_000_000_000 + g)
		case 1: // token transfer
			tx.To = &tokenAddr
			tx.Gas = 100_000
			tx.Value = new(big.Int)
			tx.Data = transferCalldata(peer, 1000+g%100)
		case 2: // storage-heavy call
			tx.To = &storageAddr
			tx.Gas = 50_000 + 30_000*slots
			tx.Value = new(big.Int)
			tx.Data = storageCalldata(slots, g%32)
		}
		var signed *types.Transaction
		if signTxs == "0" {
			signed = types.NewTx(tx)
			c.senders[signed.Hash()] = from.addr
		} else {
			var err error
			if signed, err = types.SignNewTx(from.key, c.signer, tx); err != nil {
				fatal("sign: %v", err)
			}
		}
		from.nonce++
		txs = append(txs, signed)
	}
	return txs
}

// buildBlock executes one block on top of the current head and commits it.
func (c *chain) buildBlock(n, slots uint64) *types.Block {
	parent := c.headers[len(c.headers)-1]
	number := new(big.Int).Add(parent.Number, big.NewInt(1))
	time := parent.Time + 12
	excess := eip4844.CalcExcessBlobGas(c.cfg, parent, time)
	zero := uint64(0)
	beaconRoot := crypto.Keccak256Hash([]byte("beacon"), number.Bytes())
	header := &types.Header{
		ParentHash:       parent.Hash(),
		Coinbase:         coinbaseAddr,
		Number:           number,
		Time:             time,
		GasLimit:         blockGasLimit,
		BaseFee:          eip1559.CalcBaseFee(c.cfg, parent),
		Difficulty:       big.NewInt(0),
		MixDigest:        crypto.Keccak256Hash([]byte("randao"), number.Bytes()),
		BlobGasUsed:      &zero,
		ExcessBlobGas:    &excess,
		ParentBeaconRoot: &beaconRoot,
	}
	txs := c.makeTxs(n, slots, header.BaseFee)

	random := header.MixDigest
	blockCtx := vm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash: func(k uint64) common.Hash {
			if k < uint64(len(c.headers)) {
				return c.headers[k].Hash()
			}
			return common.Hash{}
		},
		Coinbase:         coinbaseAddr,
		GasLimit:         header.GasLimit,
		BlockNumber:      new(big.Int).Set(number),
		Time:             time,
		Difficulty:       big.NewInt(0),
		BaseFee:          new(big.Int).Set(header.BaseFee),
		BlobBaseFee:      eip4844.CalcBlobFee(c.cfg, header),
		Random:           &random,
		CostPerStateByte: params.CostPerStateByte,
	}
	ctx := context.Background()
	evm := vm.NewEVM(blockCtx, c.statedb, c.cfg, vm.Config{})
	core.PreExecution(ctx, header.ParentBeaconRoot, parent, c.cfg, evm, number, time)

	gp := core.NewGasPool(header.GasLimit)
	receipts := make([]*types.Receipt, 0, len(txs))
	var logs []*types.Log
	for i, tx := range txs {
		signer := c.signer
		if signTxs == "0" {
			signer = knownSigner{c.signer, c.senders}
		}
		msg, err := core.TransactionToMessage(tx, signer, header.BaseFee)
		if err != nil {
			fatal("block %d tx %d: %v", number, i, err)
		}
		c.statedb.SetTxContext(tx.Hash(), i, uint32(i+1))
		receipt, _, err := core.ApplyTransactionWithEVM(ctx, msg, gp, c.statedb, number, common.Hash{}, time, tx, evm)
		if err != nil {
			fatal("block %d tx %d: %v", number, i, err)
		}
		if receipt.Status != types.ReceiptStatusSuccessful {
			fatal("block %d tx %d: failed (gas used %d)", number, i, receipt.GasUsed)
		}
		receipts = append(receipts, receipt)
		logs = append(logs, receipt.Logs...)
	}
	requests, _, err := core.PostExecution(ctx, c.cfg, number, time, logs, types.Withdrawals{}, evm, uint32(len(txs)+1))
	if err != nil {
		fatal("block %d post-execution: %v", number, err)
	}
	reqHash := types.CalcRequestsHash(requests)
	header.RequestsHash = &reqHash
	header.GasUsed = gp.Used()

	rules := c.cfg.Rules(number, true, time)
	root, err := c.statedb.Commit(rules, number.Uint64())
	if err != nil {
		fatal("block %d commit: %v", number, err)
	}
	header.Root = root
	if c.statedb, err = state.New(root, c.sdb); err != nil {
		fatal("block %d reopen state: %v", number, err)
	}
	block := types.NewBlock(header, &types.Body{Transactions: txs, Withdrawals: types.Withdrawals{}}, receipts, trie.NewStackTrie(nil))
	c.headers = append(c.headers, block.Header())
	return block
}

// run executes p.blocks blocks, printing one line per block and a final
// line, and returns the final state root.
func run(p params_) common.Hash {
	c := newChain()
	fmt.Printf("genesis root %s hash %s\n", c.headers[0].Root.Hex(), c.headers[0].Hash().Hex())
	var totalGas uint64
	for range p.blocks {
		b := c.buildBlock(p.txs, p.slots)
		totalGas += b.GasUsed()
		fmt.Printf("block %d txs %d gas %d root %s hash %s\n",
			b.NumberU64(), len(b.Transactions()), b.GasUsed(), b.Root().Hex(), b.Hash().Hex())
		if forceGC == "1" {
			runtime.GC()
		}
	}
	head := c.headers[len(c.headers)-1]
	fmt.Printf("final blocks %d txs %d gas %d root %s hash %s\n",
		p.blocks, c.txCount, totalGas, head.Root.Hex(), head.Hash().Hex())
	return head.Root
}

func mustUint(name, s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		fatal("bad %s %q: %v", name, s, err)
	}
	return v
}

// Oracle layout: local 0 = BE u64 number of blocks; local 1 = keccak hash
// of the parameter pre-image (BE u64 txs per block ‖ BE u64 slots per
// call); local 2 = the claimed final state root (32 bytes).
func paramsPreimage(p params_) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[:8], p.txs)
	binary.BigEndian.PutUint64(b[8:], p.slots)
	return b
}

func readOracleParams(o oracle) (params_, common.Hash) {
	var p params_
	nb := o.get(localKey(0))
	if len(nb) != 8 {
		fatal("local 0 (blocks) has length %d, want 8", len(nb))
	}
	p.blocks = binary.BigEndian.Uint64(nb)
	o.hint(fmt.Sprintf("blocks %d", p.blocks))
	ph := o.get(localKey(1))
	if len(ph) != 32 {
		fatal("local 1 (params hash) has length %d, want 32", len(ph))
	}
	hash := common.BytesToHash(ph)
	o.hint("params " + hash.Hex())
	pre := o.get(keccakKey(hash))
	if crypto.Keccak256Hash(pre) != hash {
		fatal("params pre-image does not hash to %s", hash.Hex())
	}
	if len(pre) != 16 {
		fatal("params pre-image has length %d, want 16", len(pre))
	}
	p.txs = binary.BigEndian.Uint64(pre[:8])
	p.slots = binary.BigEndian.Uint64(pre[8:])
	claim := o.get(localKey(2))
	if len(claim) != 32 {
		fatal("local 2 (claim) has length %d, want 32", len(claim))
	}
	return p, common.BytesToHash(claim)
}

func runOracle(o oracle) {
	p, claim := readOracleParams(o)
	fmt.Printf("oracle blocks %d txs-per-block %d slots-per-call %d\n", p.blocks, p.txs, p.slots)
	root := run(p)
	if root != claim {
		fmt.Printf("claim %s is bad! (correct: %s)\n", claim.Hex(), root.Hex())
		os.Exit(1)
	}
	fmt.Printf("claim %s is good!\n", claim.Hex())
}

// writePreimages runs the chain natively and writes the oracle directory.
func writePreimages(dir string, p params_, bad bool) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatal("%v", err)
	}
	devnull, _ := os.Open(os.DevNull)
	stdout := os.Stdout
	os.Stdout = devnull
	root := run(p)
	os.Stdout = stdout
	if bad {
		root[31] ^= 1
	}
	pre := paramsPreimage(p)
	hash := crypto.Keccak256Hash(pre)
	var nb [8]byte
	binary.BigEndian.PutUint64(nb[:], p.blocks)
	for _, e := range []struct {
		key  [32]byte
		data []byte
	}{
		{localKey(0), nb[:]},
		{localKey(1), hash.Bytes()},
		{keccakKey(hash), pre},
		{localKey(2), root.Bytes()},
	} {
		if err := writePreimage(dir, e.key, e.data); err != nil {
			fatal("%v", err)
		}
	}
}

func main() {
	p := params_{
		blocks: mustUint("blocks", blocks),
		txs:    mustUint("txsPerBlock", txsPerBlock),
		slots:  mustUint("slotsPerCall", slotsPerCall),
	}
	if len(os.Args) <= 1 || os.Args[0] == "op-program" {
		// Inside the VM (or natively without flags): link-time settings.
		if useOracle != "" {
			runOracle(fdOracle{})
			return
		}
		run(p)
		return
	}
	fs := flag.NewFlagSet("gethguest", flag.ExitOnError)
	fs.Uint64Var(&p.blocks, "blocks", p.blocks, "number of blocks")
	fs.Uint64Var(&p.txs, "txs", p.txs, "transactions per block")
	fs.Uint64Var(&p.slots, "slots", p.slots, "storage slots written per storage call")
	oracleDir := fs.String("oracle-dir", "", "run in oracle mode, reading pre-images from this directory")
	writeDir := fs.String("write-preimages", "", "write the oracle pre-image directory for -blocks/-txs/-slots and exit")
	bad := fs.Bool("bad", false, "with -write-preimages: write a wrong claim")
	fs.Parse(os.Args[1:])
	switch {
	case *writeDir != "":
		writePreimages(*writeDir, p, *bad)
	case *oracleDir != "":
		runOracle(dirOracle{*oracleDir})
	default:
		run(p)
	}
}
