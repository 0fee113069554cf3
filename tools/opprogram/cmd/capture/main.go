// Command capture builds an OP Stack chain in memory (an L1 and an op-geth L2 driven by the
// op-e2e action helpers), runs a seeded L2 workload, posts its batches to L1, and captures every
// pre-image op-program needs to check one L2 block: it runs op-program's host with an
// in-process prefetcher that writes a directory key-value store, then replays the valid and an
// invalid claim offline from that store with the program run natively.
//
// The same seed and size give the same chain, the same claims and the same pre-images.
//
// It must run with DISABLE_OP_E2E_LEGACY=true in the environment (op-e2e's config package
// otherwise wants Foundry artifacts at init); tools/opprogram/capture sets it.
package main

import (
	"bytes"
	"context"
	"io"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm/runtime"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/log"
	"github.com/ethereum/go-ethereum/params"

	altda "github.com/ethereum-optimism/optimism/op-alt-da"
	"github.com/ethereum-optimism/optimism/op-chain-ops/genesis"
	"github.com/ethereum-optimism/optimism/op-core/forks"
	"github.com/ethereum-optimism/optimism/op-core/predeploys"
	"github.com/ethereum-optimism/optimism/op-e2e/actions/helpers"
	proofs "github.com/ethereum-optimism/optimism/op-e2e/actions/proofs/helpers"
	"github.com/ethereum-optimism/optimism/op-e2e/bindings"
	"github.com/ethereum-optimism/optimism/op-e2e/e2eutils"
	"github.com/ethereum-optimism/optimism/op-node/rollup"
	"github.com/ethereum-optimism/optimism/op-node/rollup/derive"
	derive_params "github.com/ethereum-optimism/optimism/op-node/rollup/derive/params"
	hostcommon "github.com/ethereum-optimism/optimism/op-program/host/common"
	"github.com/ethereum-optimism/optimism/op-program/host/config"
	"github.com/ethereum-optimism/optimism/op-program/host/kvstore"
	kvtypes "github.com/ethereum-optimism/optimism/op-program/host/types"
	"github.com/ethereum-optimism/optimism/op-service/eth"
	"github.com/ethereum-optimism/optimism/op-service/sources"
)

// Chain parameters. The chain IDs are not in any registry, so op-program treats the chain as
// custom (--l2.custom) and reads its configs through the pre-image oracle.
const (
	l1ChainID      = 911_911
	l2ChainID      = 912_912
	l1BlockTime    = 12
	l2BlockTime    = 2
	l1GenesisTime  = 1_700_000_000
	l2GasLimit     = 60_000_000
	maxFrameSize   = 120_000
	userCount      = 24
	gweiTip        = 1
	channelIDSalt  = "cannonball channel"
	keySaltBatcher = "cannonball batcher"
)

var (
	batchInbox   = common.HexToAddress("0xff00000000000000000000000000000000912912")
	depositAddr  = common.HexToAddress("0x00000000000000000000000000000000d3905170")
	sysConfAddr  = common.HexToAddress("0x0000000000000000000000000000000005c0f160")
	l1FeeAddr    = common.Address{0xCA, 0xFE, 0xBA, 0xBE}
	oneEther     = big.NewInt(params.Ether)
	userBalance  = new(big.Int).Mul(big.NewInt(1_000_000), oneEther)
	errFailNow   = errors.New("capture: fatal")
	invalidSuffx = byte(0x5a)
)

// Size presets: how many workload blocks and transactions per block.
type sizeSpec struct {
	blocks      int // L2 blocks with transactions before the claimed block
	txsPerBlock int // transactions in each of those blocks
	claimTxs    int // transactions in the claimed block itself
}

var sizes = map[string]sizeSpec{
	"tiny":   {blocks: 1, txsPerBlock: 8, claimTxs: 6},
	"medium": {blocks: 4, txsPerBlock: 40, claimTxs: 120},
	"large":  {blocks: 6, txsPerBlock: 60, claimTxs: 800},
}

// ---- a Testing implementation for the action helpers, outside `go test` ----

type runner struct {
	ctx      context.Context
	cleanups []func()
	tmpRoot  string
	tmpN     int
	failed   bool
}

func (r *runner) Cleanup(f func())            { r.cleanups = append(r.cleanups, f) }
func (r *runner) Error(args ...any)           { r.failed = true; fmt.Fprintln(os.Stderr, append([]any{"error:"}, args...)...) }
func (r *runner) Errorf(f string, args ...any) { r.failed = true; fmt.Fprintf(os.Stderr, "error: "+f+"\n", args...) }
func (r *runner) Fail()                       { r.failed = true }
func (r *runner) FailNow()                    { r.failed = true; panic(errFailNow) }
func (r *runner) Failed() bool                { return r.failed }
func (r *runner) Fatal(args ...any)           { r.Error(args...); r.FailNow() }
func (r *runner) Fatalf(f string, args ...any) { r.Errorf(f, args...); r.FailNow() }
func (r *runner) Helper()                     {}
func (r *runner) Log(args ...any)             {}
func (r *runner) Logf(f string, args ...any)  {}
func (r *runner) Name() string                { return "capture" }
func (r *runner) Setenv(k, v string)          { _ = os.Setenv(k, v) }
func (r *runner) Skip(args ...any)            { r.Fatal(args...) }
func (r *runner) SkipNow()                    { r.FailNow() }
func (r *runner) Skipf(f string, args ...any) { r.Fatalf(f, args...) }
func (r *runner) Skipped() bool               { return false }
func (r *runner) Parallel()                   {}
func (r *runner) Ctx() context.Context        { return r.ctx }
func (r *runner) InvalidAction(f string, args ...any) {
	r.Fatalf("invalid action: "+f, args...)
}
func (r *runner) TempDir() string {
	r.tmpN++
	d := filepath.Join(r.tmpRoot, fmt.Sprintf("t%d", r.tmpN))
	if err := os.MkdirAll(d, 0o755); err != nil {
		r.Fatalf("temp dir: %v", err)
	}
	return d
}
func (r *runner) close() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}

func must(t *runner, err error, what string) {
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ---- keys and contracts ----

func keyFrom(label string, i int) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("%s/%d", label, i))))
	if err != nil {
		panic(err)
	}
	return k
}

// runtimeCode runs creation bytecode in an EVM and returns the deployed runtime code.
func runtimeCode(creation string, chain *params.ChainConfig) []byte {
	code, _, _, err := runtime.Create(common.FromHex(creation), &runtime.Config{
		ChainConfig: chain,
		GasLimit:    100_000_000,
		BlockNumber: big.NewInt(0),
		Time:        l1GenesisTime,
	})
	if err != nil {
		panic(fmt.Sprintf("deploying predeploy code: %v", err))
	}
	return code
}

func mustABI(md interface{ GetAbi() (*abi.ABI, error) }) *abi.ABI {
	a, err := md.GetAbi()
	if err != nil {
		panic(err)
	}
	return a
}

func methodBySig(a *abi.ABI, sig string) abi.Method {
	for _, m := range a.Methods {
		if m.Sig == sig {
			return m
		}
	}
	panic("no method " + sig)
}

func pack(a *abi.ABI, m abi.Method, args ...any) []byte {
	in, err := m.Inputs.Pack(args...)
	if err != nil {
		panic(err)
	}
	return append(append([]byte{}, m.ID...), in...)
}

// ---- the workload ----

type user struct {
	key   *ecdsa.PrivateKey
	addr  common.Address
	nonce uint64
}

type workload struct {
	rng       *rand.Rand
	signer    types.Signer
	users     []*user
	weth      common.Address
	gov       common.Address
	setters   []common.Address
	wethABI   *abi.ABI
	govABI    *abi.ABI
	setterABI *abi.ABI
	passerABI *abi.ABI
	setSlot   abi.Method
	counts    map[string]int
}

func (w *workload) sign(u *user, to *common.Address, value *big.Int, gas uint64, data []byte) *types.Transaction {
	tx := types.MustSignNewTx(u.key, w.signer, &types.DynamicFeeTx{
		ChainID:   big.NewInt(l2ChainID),
		Nonce:     u.nonce,
		GasTipCap: big.NewInt(gweiTip * params.GWei),
		GasFeeCap: big.NewInt(50 * params.GWei),
		Gas:       gas,
		To:        to,
		Value:     value,
		Data:      data,
	})
	u.nonce++
	return tx
}

func (w *workload) pick() *user { return w.users[w.rng.Intn(len(w.users))] }

// setup returns the transactions that deploy the contracts and hand out tokens.
func (w *workload) setup() []*types.Transaction {
	owner := w.users[0]
	var txs []*types.Transaction
	w.weth = crypto.CreateAddress(owner.addr, owner.nonce)
	txs = append(txs, w.sign(owner, nil, nil, 3_000_000, common.FromHex(bindings.WETH9MetaData.Bin)))
	w.gov = crypto.CreateAddress(owner.addr, owner.nonce)
	txs = append(txs, w.sign(owner, nil, nil, 6_000_000, common.FromHex(bindings.GovernanceTokenMetaData.Bin)))
	w.setters = append(w.setters, crypto.CreateAddress(owner.addr, owner.nonce))
	txs = append(txs, w.sign(owner, nil, nil, 2_000_000, common.FromHex(bindings.StorageSetterMetaData.Bin)))
	mint := methodBySig(w.govABI, "mint(address,uint256)")
	for _, u := range w.users {
		txs = append(txs, w.sign(owner, &w.gov, nil, 300_000, pack(w.govABI, mint, u.addr, new(big.Int).Mul(big.NewInt(1_000_000), oneEther))))
	}
	deposit := methodBySig(w.wethABI, "deposit()")
	for _, u := range w.users {
		txs = append(txs, w.sign(u, &w.weth, new(big.Int).Mul(big.NewInt(1000), oneEther), 100_000, pack(w.wethABI, deposit)))
	}
	return txs
}

func (w *workload) randAmount() *big.Int {
	return new(big.Int).Mul(big.NewInt(int64(1+w.rng.Intn(1000))), big.NewInt(params.GWei))
}

func (w *workload) randAddr() common.Address {
	var a common.Address
	w.rng.Read(a[:])
	return a
}

// next returns one random transaction of the mix.
func (w *workload) next() *types.Transaction {
	u := w.pick()
	other := w.pick().addr
	switch r := w.rng.Intn(100); {
	case r < 20: // ETH transfer, to a user or to a fresh account
		w.counts["eth-transfer"]++
		to := other
		if w.rng.Intn(3) == 0 {
			to = w.randAddr()
		}
		return w.sign(u, &to, w.randAmount(), 21_000, nil)
	case r < 35: // WETH (ERC-20) transfer
		w.counts["weth-transfer"]++
		return w.sign(u, &w.weth, nil, 80_000, pack(w.wethABI, methodBySig(w.wethABI, "transfer(address,uint256)"), other, w.randAmount()))
	case r < 42: // WETH deposit
		w.counts["weth-deposit"]++
		return w.sign(u, &w.weth, w.randAmount(), 80_000, pack(w.wethABI, methodBySig(w.wethABI, "deposit()")))
	case r < 60: // governance token (ERC20Votes) transfer
		w.counts["gov-transfer"]++
		return w.sign(u, &w.gov, nil, 250_000, pack(w.govABI, methodBySig(w.govABI, "transfer(address,uint256)"), other, w.randAmount()))
	case r < 66: // delegate votes: writes checkpoints
		w.counts["gov-delegate"]++
		return w.sign(u, &w.gov, nil, 250_000, pack(w.govABI, methodBySig(w.govABI, "delegate(address)"), other))
	case r < 86: // storage-heavy: many fresh slots in one call, through a multi-call of setBytes32
		w.counts["storage-writes"]++
		setter := w.setters[w.rng.Intn(len(w.setters))]
		var slot, val [32]byte
		w.rng.Read(slot[:])
		w.rng.Read(val[:])
		return w.sign(u, &setter, nil, 60_000, pack(w.setterABI, w.setSlot, slot, val))
	case r < 93: // contract creation
		w.counts["create"]++
		w.setters = append(w.setters, crypto.CreateAddress(u.addr, u.nonce))
		return w.sign(u, nil, nil, 2_000_000, common.FromHex(bindings.StorageSetterMetaData.Bin))
	default: // withdrawal to L1 through the message passer (changes the output root's storage root)
		w.counts["withdrawal"]++
		to := predeploys.L2ToL1MessagePasserAddr
		data := make([]byte, w.rng.Intn(64))
		w.rng.Read(data)
		return w.sign(u, &to, w.randAmount(), 200_000, pack(w.passerABI, methodBySig(w.passerABI, "initiateWithdrawal(address,uint256,bytes)"), other, big.NewInt(100_000), data))
	}
}

// ---- outputs ----

type caseFile struct {
	Size          string            `json:"size"`
	Seed          int64             `json:"seed"`
	Claim         string            `json:"claim"`
	Prestate      string            `json:"prestate"`
	Meta          string            `json:"meta"`
	HostArgv      []string          `json:"host_argv"`
	ExpectedExit  int               `json:"expected_exit"`
	L2Block       uint64            `json:"l2_block"`
	L1Head        string            `json:"l1_head"`
	L2Head        string            `json:"l2_head"`
	L2OutputRoot  string            `json:"l2_outputroot"`
	L2Claim       string            `json:"l2_claim"`
	Preimages     string            `json:"preimages"`
	PreimageCount int               `json:"preimage_count"`
	PreimageBytes int64             `json:"preimage_bytes"`
	Workload      map[string]int    `json:"workload"`
	Chain         map[string]string `json:"chain"`
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// storeStats counts the pre-images in a directory store and their total size in bytes.
func storeStats(dir string) (int, int64, error) {
	n, total := 0, int64(0)
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() && strings.HasSuffix(p, ".txt") {
			n++
			total += info.Size() / 2 // stored as hex
		}
		return nil
	})
	return n, total, err
}

// ---- main ----

func main() {
	size := flag.String("size", "tiny", "tiny, medium or large")
	seed := flag.Int64("seed", 1, "workload seed")
	out := flag.String("out", "", "output directory (its parent must exist)")
	flag.Parse()
	spec, ok := sizes[*size]
	if !ok || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: capture --size tiny|medium|large --seed N --out DIR")
		os.Exit(2)
	}
	if os.Getenv("DISABLE_OP_E2E_LEGACY") != "true" {
		fmt.Fprintln(os.Stderr, "error: run with DISABLE_OP_E2E_LEGACY=true (use tools/opprogram/capture)")
		os.Exit(1)
	}
	tmpRoot, err := os.MkdirTemp("", "capture-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &runner{ctx: ctx, tmpRoot: tmpRoot}
	code := 0
	func() {
		defer func() {
			if r := recover(); r != nil {
				if r != errFailNow {
					fmt.Fprintf(os.Stderr, "error: panic: %v\n%s", r, debug.Stack())
				}
				code = 1
			}
		}()
		if err := capture(t, *size, spec, *seed, *out); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			code = 1
		}
	}()
	cancel()
	t.close()
	_ = os.RemoveAll(tmpRoot)
	if t.failed {
		code = 1
	}
	os.Exit(code)
}

func capture(t *runner, size string, spec sizeSpec, seed int64, outDir string) error {
	start := time.Now()
	logger := log.NewLogger(log.NewTerminalHandlerWithLevel(os.Stderr, log.LevelWarn, false))
	zero := hexutil.Uint64(0)

	// L1 genesis: Cancun from genesis, the EIP-4788 beacon-roots contract, a funded batcher.
	batcherKey := keyFrom(keySaltBatcher, 0)
	batcherAddr := crypto.PubkeyToAddress(batcherKey.PublicKey)
	l1Gen, err := genesis.NewL1GenesisMinimal(&genesis.DevL1DeployConfigMinimal{
		DevL1DeployConfig: genesis.DevL1DeployConfig{
			L1BlockTime:             l1BlockTime,
			L1GenesisBlockTimestamp: hexutil.Uint64(l1GenesisTime),
			L1GenesisBlockGasLimit:  hexutil.Uint64(30_000_000),
		},
		L1ChainID: eth.ChainIDFromUInt64(l1ChainID),
	})
	must(t, err, "L1 genesis")
	l1Gen.Alloc = types.GenesisAlloc{
		batcherAddr:                          {Balance: userBalance},
		predeploys.EIP4788ContractAddr:       {Balance: new(big.Int), Nonce: 1, Code: predeploys.EIP4788ContractCode},
		predeploys.EIP4788ContractDeployer:   {Balance: new(big.Int), Nonce: 1},
	}
	l1Block := l1Gen.ToBlock()

	// L2 genesis: every fork up to Jovian at genesis; real runtime code for the predeploys the
	// L1-info deposit and the fee logic touch, and the message passer that withdrawals use.
	dc := &genesis.DeployConfig{}
	dc.L2ChainID = l2ChainID
	dc.L1ChainID = l1ChainID
	dc.L2BlockTime = l2BlockTime
	dc.L2GenesisBlockGasLimit = hexutil.Uint64(l2GasLimit)
	dc.EIP1559Elasticity = 6
	dc.EIP1559Denominator = 50
	dc.EIP1559DenominatorCanyon = 250
	dc.L2GenesisRegolithTimeOffset = &zero
	dc.ActivateForkAtGenesis(forks.Jovian)
	l1Ref := eth.BlockRefFromHeader(l1Block.Header())
	l2Gen, err := genesis.NewL2Genesis(dc, l1Ref)
	must(t, err, "L2 genesis")
	l2Gen.Alloc[predeploys.EIP4788ContractAddr] = types.Account{Balance: new(big.Int), Nonce: 1, Code: predeploys.EIP4788ContractCode}
	l2Gen.Alloc[predeploys.L1BlockAddr] = types.Account{Balance: new(big.Int), Code: runtimeCode(bindings.L1BlockMetaData.Bin, l2Gen.Config)}
	l2Gen.Alloc[predeploys.GasPriceOracleAddr] = types.Account{Balance: new(big.Int), Code: runtimeCode(bindings.GasPriceOracleMetaData.Bin, l2Gen.Config),
		// isEcotone, isFjord, isIsthmus flags of the oracle (slot 0, packed bools), as the upgrade transactions would set them.
		Storage: map[common.Hash]common.Hash{{}: common.HexToHash("0x01010101")}}
	l2Gen.Alloc[predeploys.L2ToL1MessagePasserAddr] = types.Account{Balance: new(big.Int), Code: runtimeCode(bindings.L2ToL1MessagePasserMetaData.Bin, l2Gen.Config),
		// msgNonce starts non-zero so the account has storage (the output root commits to its storage root).
		Storage: map[common.Hash]common.Hash{{}: common.BigToHash(big.NewInt(1))}}

	rng := rand.New(rand.NewSource(seed))
	w := &workload{
		rng:       rng,
		signer:    types.LatestSigner(l2Gen.Config),
		wethABI:   mustABI(bindings.WETH9MetaData),
		govABI:    mustABI(bindings.GovernanceTokenMetaData),
		setterABI: mustABI(bindings.StorageSetterMetaData),
		passerABI: mustABI(bindings.L2ToL1MessagePasserMetaData),
		counts:    map[string]int{},
	}
	w.setSlot = methodBySig(w.setterABI, "setBytes32(bytes32,bytes32)")
	for i := 0; i < userCount; i++ {
		k := keyFrom(fmt.Sprintf("cannonball user seed %d", seed), i)
		u := &user{key: k, addr: crypto.PubkeyToAddress(k.PublicKey)}
		w.users = append(w.users, u)
		l2Gen.Alloc[u.addr] = types.Account{Balance: userBalance}
	}
	l2GenBlock := l2Gen.ToBlock()

	rollupCfg := &rollup.Config{
		Genesis: rollup.Genesis{
			L1:     eth.BlockID{Hash: l1Block.Hash(), Number: 0},
			L2:     eth.BlockID{Hash: l2GenBlock.Hash(), Number: 0},
			L2Time: l1GenesisTime,
			SystemConfig: eth.SystemConfig{
				BatcherAddr: batcherAddr,
				// Ecotone scalar encoding: version 1, blob base fee scalar 810949, base fee scalar 1368.
				Scalar:   eth.Bytes32(common.HexToHash("0x01000000000000000000000000000000000000000000000000000c5fc500000558")),
				GasLimit: l2GasLimit,
			},
		},
		BlockTime:              l2BlockTime,
		MaxSequencerDrift:      600,
		SeqWindowSize:          3600,
		ChannelTimeoutBedrock:  300,
		L1ChainID:              big.NewInt(l1ChainID),
		L2ChainID:              big.NewInt(l2ChainID),
		BatchInboxAddress:      batchInbox,
		DepositContractAddress: depositAddr,
		L1SystemConfigAddress:  sysConfAddr,
		RegolithTime:           dc.RegolithTime(l1GenesisTime),
		CanyonTime:             dc.CanyonTime(l1GenesisTime),
		DeltaTime:              dc.DeltaTime(l1GenesisTime),
		EcotoneTime:            dc.EcotoneTime(l1GenesisTime),
		FjordTime:              dc.FjordTime(l1GenesisTime),
		GraniteTime:            dc.GraniteTime(l1GenesisTime),
		HoloceneTime:           dc.HoloceneTime(l1GenesisTime),
		IsthmusTime:            dc.IsthmusTime(l1GenesisTime),
		JovianTime:             dc.JovianTime(l1GenesisTime),
		ChainOpConfig: &params.OptimismConfig{
			EIP1559Elasticity:        dc.EIP1559Elasticity,
			EIP1559Denominator:       dc.EIP1559Denominator,
			EIP1559DenominatorCanyon: &dc.EIP1559DenominatorCanyon,
		},
	}
	must(t, rollupCfg.Check(), "rollup config")

	// Actors.
	miner := helpers.NewL1Miner(t, logger.New("role", "l1"), l1Gen)
	l1Cl, err := sources.NewL1Client(miner.RPCClient(), logger, nil, sources.L1ClientDefaultConfig(rollupCfg, false, sources.RPCKindStandard))
	must(t, err, "L1 client")
	engine := helpers.NewL2Engine(t, logger.New("role", "l2"), l2Gen, e2eutils.WriteDefaultJWT(t))
	engCl, err := sources.NewEngineClient(engine.RPCClient(), logger, nil, sources.EngineClientDefaultConfig(rollupCfg))
	must(t, err, "engine client")
	seq := helpers.NewL2Sequencer(t, logger.New("role", "sequencer"), l1Cl, miner.BlobStore(), altda.Disabled, engCl, rollupCfg, l1Gen.Config, nil, 0)
	miner.ActL1SetFeeRecipient(l1FeeAddr)
	seq.ActL2PipelineFull(t)

	// One L1 block so the L2 chain has an origin to build on.
	miner.ActL1StartBlock(l1BlockTime)(t)
	miner.ActL1EndBlock(t)
	seq.ActL1HeadSignal(t)

	buildBlock := func(txs []*types.Transaction) eth.L2BlockRef {
		seq.ActL2StartBlock(t)
		for _, tx := range txs {
			from, err := types.Sender(w.signer, tx)
			must(t, err, "sender")
			if _, err := engine.EngineApi.IncludeTx(tx, from); err != nil {
				t.Fatalf("include tx %d of %d: %v", tx.Nonce(), len(txs), err)
			}
		}
		return seq.ActL2EndBlock(t)
	}
	batches := 0
	// postBatches puts every unsafe L2 block since the last safe head into one span-batch channel
	// with a fixed channel ID, posts its frames to L1 as calldata, and derives them back.
	postBatches := func() {
		status := seq.SyncStatus()
		co, err := derive.NewSpanChannelOut(maxFrameSize*8, derive.Zlib, rollup.NewChainSpec(rollupCfg))
		must(t, err, "channel")
		for n := status.SafeL2.Number + 1; n <= status.UnsafeL2.Number; n++ {
			blk, err := engine.EthClient().BlockByNumber(t.Ctx(), new(big.Int).SetUint64(n))
			must(t, err, "L2 block")
			_, err = co.AddBlock(rollupCfg, blk)
			must(t, err, "add block to channel")
		}
		must(t, co.Close(), "close channel")
		var id [16]byte
		copy(id[:], crypto.Keccak256([]byte(channelIDSalt), big.NewInt(seed).Bytes(), binary.BigEndian.AppendUint32(nil, uint32(batches))))
		batches++
		miner.ActL1StartBlock(l1BlockTime)(t)
		nonce, err := miner.EthClient().PendingNonceAt(t.Ctx(), batcherAddr)
		must(t, err, "batcher nonce")
		head := miner.L1Chain().CurrentBlock()
		for {
			frame := new(bytes.Buffer)
			frame.WriteByte(derive_params.DerivationVersion0)
			_, ferr := co.OutputFrame(frame, maxFrameSize)
			if ferr != nil && !errors.Is(ferr, io.EOF) {
				t.Fatalf("output frame: %v", ferr)
			}
			data := frame.Bytes()
			copy(data[1:17], id[:]) // the frame starts with the channel ID
			gas, err := core.IntrinsicGas(data, nil, nil, false, true, true, false)
			must(t, err, "intrinsic gas")
			tip := big.NewInt(2 * params.GWei)
			tx := types.MustSignNewTx(batcherKey, types.LatestSignerForChainID(big.NewInt(l1ChainID)), &types.DynamicFeeTx{
				ChainID: big.NewInt(l1ChainID), Nonce: nonce, To: &batchInbox, GasTipCap: tip,
				GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2))), Gas: gas, Data: data,
			})
			nonce++
			miner.IncludeTx(t, tx)
			if errors.Is(ferr, io.EOF) {
				break
			}
		}
		miner.ActL1EndBlock(t)
		seq.ActL1HeadSignal(t)
		seq.ActL2PipelineFull(t)
		st := seq.SyncStatus()
		if st.SafeL2 != st.UnsafeL2 {
			t.Fatalf("batches not derived: safe %v unsafe %v", st.SafeL2, st.UnsafeL2)
		}
	}

	// Setup block (contracts, tokens), then the workload blocks, posted to L1, then the claimed
	// block in its own batch.
	buildBlock(w.setup())
	for b := 0; b < spec.blocks; b++ {
		txs := make([]*types.Transaction, spec.txsPerBlock)
		for i := range txs {
			txs[i] = w.next()
		}
		buildBlock(txs)
	}
	postBatches()
	txs := make([]*types.Transaction, spec.claimTxs)
	for i := range txs {
		txs[i] = w.next()
	}
	claimRef := buildBlock(txs)
	buildBlock(nil) // one more block in the same channel, as a batcher would post it
	postBatches()
	claimBlock := claimRef.Number

	// Receipts must all be successful: a failing transaction means the workload is wrong.
	blk, err := engine.EthClient().BlockByNumber(t.Ctx(), new(big.Int).SetUint64(claimBlock))
	must(t, err, "claimed block")
	gasUsed := blk.GasUsed()
	for _, tx := range blk.Transactions() {
		rec, err := engine.EthClient().TransactionReceipt(t.Ctx(), tx.Hash())
		must(t, err, "receipt")
		if rec.Status != types.ReceiptStatusSuccessful && tx.Type() != types.DepositTxType {
			t.Fatalf("transaction %s in block %d failed", tx.Hash(), claimBlock)
		}
	}

	// The workload's contracts must exist (a call to an empty account would succeed trivially).
	for _, a := range []common.Address{w.weth, w.gov, w.setters[0]} {
		code, err := engine.EthClient().CodeAt(t.Ctx(), a, nil)
		must(t, err, "code")
		if len(code) == 0 {
			t.Fatalf("workload contract %s has no code", a)
		}
	}
	txCounts := []string{}
	for n := uint64(1); n <= claimBlock; n++ {
		b, err := engine.EthClient().BlockByNumber(t.Ctx(), new(big.Int).SetUint64(n))
		must(t, err, "block")
		txCounts = append(txCounts, fmt.Sprint(len(b.Transactions())))
	}

	rc := seq.RollupClient()
	pre, err := rc.OutputAtBlock(t.Ctx(), claimBlock-1)
	must(t, err, "agreed output")
	post, err := rc.OutputAtBlock(t.Ctx(), claimBlock)
	must(t, err, "claimed output")
	l1Head := miner.L1Chain().CurrentBlock().Hash()
	validClaim := common.Hash(post.OutputRoot)
	invalidClaim := validClaim
	invalidClaim[31] ^= invalidSuffx

	// Files the host reads.
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	rollupPath := filepath.Join(outDir, "rollup.json")
	l2GenPath := filepath.Join(outDir, "l2-genesis.json")
	l1CfgPath := filepath.Join(outDir, "l1-chain-config.json")
	must(t, writeJSON(rollupPath, rollupCfg), "rollup.json")
	must(t, writeJSON(l2GenPath, l2Gen), "l2-genesis.json")
	must(t, writeJSON(l1CfgPath, l1Gen.Config), "l1-chain-config.json")
	storeDir := filepath.Join(outDir, "preimages")
	if err := os.RemoveAll(storeDir); err != nil {
		return err
	}

	l2Source := &proofs.FaultProofProgramL2Source{Node: seq.L2Verifier, Engine: engine, ChainConfig: engine.L2Chain().Config()}
	inputs := &proofs.FixtureInputs{
		L2BlockNumber: claimBlock,
		L2Claim:       validClaim,
		L2Head:        pre.BlockRef.Hash,
		L2OutputRoot:  common.Hash(pre.OutputRoot),
		L2ChainID:     eth.ChainIDFromUInt64(l2ChainID),
		L1Head:        l1Head,
		L2Sources:     []*proofs.FaultProofProgramL2Source{l2Source},
	}
	hostCfg := func(claim common.Hash) *config.Config {
		c := proofs.NewOpProgramCfg(&proofs.FixtureInputs{
			L2BlockNumber: inputs.L2BlockNumber, L2Claim: claim, L2Head: inputs.L2Head,
			L2OutputRoot: inputs.L2OutputRoot, L1Head: l1Head, L2Sources: inputs.L2Sources,
		})
		c.DataDir = storeDir
		c.DataFormat = kvtypes.DataFormatDirectory
		return c
	}

	// 1. Online: the in-process prefetcher fetches from the devnet and fills the store while
	//    the program runs natively.
	fetchStart := time.Now()
	online := hostcommon.WithPrefetcher(func(ctx context.Context, lg log.Logger, kv kvstore.KV, cfg *config.Config) (hostcommon.Prefetcher, error) {
		return proofs.CreateInprocessPrefetcher(t, ctx, lg, miner, kv, cfg, inputs)
	})
	if err := hostcommon.FaultProofProgram(t.Ctx(), logger, hostCfg(validClaim), online); err != nil {
		return fmt.Errorf("capturing pre-images (valid claim): %w", err)
	}
	fetchTime := time.Since(fetchStart)
	// 2. Offline: the same program from the store alone, valid claim accepted...
	offline := hostcommon.WithPrefetcher(func(context.Context, log.Logger, kvstore.KV, *config.Config) (hostcommon.Prefetcher, error) {
		return nil, nil
	})
	if err := hostcommon.FaultProofProgram(t.Ctx(), logger, hostCfg(validClaim), offline); err != nil {
		return fmt.Errorf("offline replay of the valid claim failed: %w", err)
	}
	// ... and the invalid claim rejected (and nothing else goes wrong).
	err = hostcommon.FaultProofProgram(t.Ctx(), logger, hostCfg(invalidClaim), offline)
	if err == nil || !strings.Contains(err.Error(), "claim") {
		return fmt.Errorf("offline replay of the invalid claim: want a claim mismatch, got %v", err)
	}

	count, nbytes, err := storeStats(storeDir)
	must(t, err, "store stats")
	chain := map[string]string{
		"l1_chain_id": fmt.Sprint(l1ChainID), "l2_chain_id": fmt.Sprint(l2ChainID),
		"hardfork": "jovian", "l2_block_gas_used": fmt.Sprint(gasUsed),
		"l2_block_txs": fmt.Sprint(len(blk.Transactions())),
		"batch_channels": fmt.Sprint(batches),
	}
	counts := map[string]int{}
	for k, v := range w.counts {
		counts[k] = v
	}
	for _, c := range []struct {
		name  string
		claim common.Hash
		exit  int
	}{{"valid", validClaim, 0}, {"invalid", invalidClaim, 1}} {
		cf := caseFile{
			Size: size, Seed: seed, Claim: c.name,
			Prestate: "../prestate.bin.gz", Meta: "../meta.json",
			HostArgv: []string{
				"../op-program-host", "--server",
				"--datadir", "../" + size + "/preimages",
				"--l1.head", l1Head.Hex(),
				"--l2.claim", c.claim.Hex(),
				"--l2.blocknumber", fmt.Sprint(claimBlock),
				"--l2.head", pre.BlockRef.Hash.Hex(),
				"--l2.outputroot", common.Hash(pre.OutputRoot).Hex(),
				"--rollup.config", "../" + size + "/rollup.json",
				"--l2.genesis", "../" + size + "/l2-genesis.json",
				"--log.level", "INFO",
				"--l2.custom",
				"--l1.chainconfig", "../" + size + "/l1-chain-config.json",
			},
			ExpectedExit: c.exit, L2Block: claimBlock,
			L1Head: l1Head.Hex(), L2Head: pre.BlockRef.Hash.Hex(), L2OutputRoot: common.Hash(pre.OutputRoot).Hex(),
			L2Claim: c.claim.Hex(), Preimages: "../" + size + "/preimages",
			PreimageCount: count, PreimageBytes: nbytes, Workload: counts, Chain: chain,
		}
		caseDir := filepath.Join(filepath.Dir(outDir), size+"-"+c.name)
		if err := os.MkdirAll(caseDir, 0o755); err != nil {
			return err
		}
		must(t, writeJSON(filepath.Join(caseDir, "case.json"), cf), "case.json")
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var mix []string
	for _, k := range keys {
		mix = append(mix, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	fmt.Printf("capture: size=%s seed=%d l2_block=%d txs=%d gas_used=%d preimages=%d bytes=%d fetch=%.1fs total=%.1fs\n",
		size, seed, claimBlock, len(blk.Transactions()), gasUsed, count, nbytes, fetchTime.Seconds(), time.Since(start).Seconds())
	fmt.Printf("capture: workload %s; transactions per L2 block 1..%d: %s\n", strings.Join(mix, " "), claimBlock, strings.Join(txCounts, ","))
	fmt.Printf("capture: l1_head=%s l2_head=%s valid_claim=%s invalid_claim=%s\n", l1Head, pre.BlockRef.Hash, validClaim, invalidClaim)
	return nil
}
