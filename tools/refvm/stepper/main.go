// stepper drives the upstream Go MT-Cannon VM (the pinned module in ../go.mod) in one process,
// for cannonball's differential tests (tools/difftest). It writes files in exactly the formats
// of the upstream `cannon run` command (the same Proof type and JSON writer, the same binary
// state writer), so they can be compared byte for byte with cannonball's.
//
//	stepper step [-oracle-dir D]
//	    Reads lines "IN<TAB>OUT<TAB>PROOF" on stdin. For each, it loads the state IN, takes one
//	    step with a proof (what `cannon run --input IN --output OUT --proof-at =S --stop-at =S+1
//	    --proof-fmt PROOF` does, in a fresh VM), and prints one line: "ok", "exited" (the input
//	    was exited: no proof, OUT = IN) or "exception <message>" (no files written).
//
//	stepper run -in IN -out OUT [-oracle-dir D] [-proof-at LIST] [-auto-proofs] [-proof-fmt F]
//	            [-events E.json] [-max-steps N]
//	    Runs IN to the exit (or N steps), with a proof at each step of LIST (comma-separated
//	    decimal step numbers), and with -auto-proofs also at interesting steps found by looking
//	    at each instruction before it runs (first syscall, first clone, futex calls, pre-image
//	    reads, clock_gettime, ...). E.json records the proven steps, the event steps, the total
//	    step count and any exception.
//
// The pre-image oracle serves D/<64 hex digits of the key> (the raw pre-image, no length
// prefix); hints are ignored. A missing file is a panic (a VM exception, like a host error).
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/log"

	"github.com/ethereum-optimism/optimism/cannon/cmd"
	"github.com/ethereum-optimism/optimism/cannon/mipsevm"
	"github.com/ethereum-optimism/optimism/cannon/mipsevm/multithreaded"
	"github.com/ethereum-optimism/optimism/cannon/mipsevm/program"
	"github.com/ethereum-optimism/optimism/cannon/mipsevm/versions"
	"github.com/ethereum-optimism/optimism/op-service/ioutil"
	"github.com/ethereum-optimism/optimism/op-service/jsonutil"
	"github.com/ethereum-optimism/optimism/op-service/serialize"
)

const outPerm = 0o755

type dirOracle struct{ dir string }

func (o *dirOracle) Hint(v []byte) {}

func (o *dirOracle) GetPreimage(k [32]byte) []byte {
	if o.dir == "" {
		panic("no pre-image retriever available")
	}
	b, err := os.ReadFile(filepath.Join(o.dir, hex.EncodeToString(k[:])))
	if err != nil {
		panic(fmt.Sprintf("missing pre-image %x: %v", k, err))
	}
	return b
}

func newVM(state *versions.VersionedState, oracleDir string) mipsevm.FPVM {
	logger := log.NewLogger(log.DiscardHandler())
	return state.CreateVM(logger, &dirOracle{oracleDir}, io.Discard, io.Discard, &program.Metadata{})
}

// proofStep takes one step with a proof and writes the proof file like `cannon run` does.
func proofStep(vm mipsevm.FPVM, state mipsevm.FPVMState, path string) error {
	step := state.GetStep()
	wit, err := vm.Step(true)
	if err != nil {
		return err
	}
	_, post := state.EncodeWitness()
	p := &cmd.Proof{Step: step, Pre: wit.StateHash, Post: post, StateData: wit.State, ProofData: wit.ProofData}
	if wit.HasPreimage() {
		p.OracleKey = wit.PreimageKey[:]
		p.OracleValue = wit.PreimageValue
		p.OracleOffset = wit.PreimageOffset
	}
	return jsonutil.WriteJSON(p, ioutil.ToStdOutOrFileOrNoop(path, outPerm))
}

// catch runs fn and turns a Go panic into an error message.
func catch(fn func() error) (exc string, err error) {
	defer func() {
		if r := recover(); r != nil {
			exc = fmt.Sprint(r)
			if exc == "" {
				exc = "panic"
			}
		}
	}()
	return "", fn()
}

func cmdStep(args []string) error {
	fs := flag.NewFlagSet("step", flag.ExitOnError)
	oracleDir := fs.String("oracle-dir", "", "pre-image directory")
	_ = fs.Parse(args)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Split(in.Text(), "\t")
		if len(f) != 3 {
			return fmt.Errorf("bad input line %q", in.Text())
		}
		state, err := versions.LoadStateFromFile(f[0])
		if err != nil {
			return fmt.Errorf("load %s: %w", f[0], err)
		}
		result := "ok"
		if state.GetExited() {
			result = "exited"
		} else {
			vm := newVM(state, *oracleDir)
			exc, err := catch(func() error { return proofStep(vm, state.FPVMState, f[2]) })
			if err != nil {
				exc = err.Error()
			}
			if exc != "" {
				result = "exception " + strings.ReplaceAll(exc, "\n", " ")
			}
		}
		if result == "ok" || result == "exited" {
			if err := serialize.Write(f[1], state, outPerm); err != nil {
				return err
			}
		}
		fmt.Fprintln(out, result)
		out.Flush()
	}
	return in.Err()
}

type runReport struct {
	Steps         uint64            `json:"steps"`
	Exited        bool              `json:"exited"`
	ExitCode      uint8             `json:"exit_code"`
	Exception     string            `json:"exception,omitempty"`
	ExceptionStep *uint64           `json:"exception_step,omitempty"`
	Proofs        []uint64          `json:"proofs"`
	Events        map[string]uint64 `json:"events"`
	Counts        map[string]uint64 `json:"counts"`
}

// interesting decides, before a step runs, whether it is worth a proof, and names the event.
type scanner struct {
	rep        *runReport
	lastThread uint64
	haveLast   bool
}

var syscallNames = map[uint64]string{
	5000: "read", 5001: "write", 5009: "mmap", 5012: "brk", 5055: "clone", 5058: "exit",
	5070: "fcntl", 5023: "sched_yield", 5034: "nanosleep", 5178: "gettid", 5038: "getpid",
	5194: "futex", 5222: "clock_gettime", 5313: "getrandom", 5284: "eventfd2", 5205: "exit_group",
}

func (sc *scanner) first(name string, step uint64) bool {
	sc.rep.Counts[name]++
	if _, ok := sc.rep.Events[name]; !ok {
		sc.rep.Events[name] = step
		return true
	}
	return false
}

func decade(n uint64) bool { // 1, 10, 100, ...
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}

func (sc *scanner) look(s *multithreaded.State) (prove bool) {
	step := s.Step
	if len(s.LeftThreadStack) == 0 && len(s.RightThreadStack) == 0 {
		return true
	}
	t := s.GetCurrentThread()
	if sc.haveLast && t.ThreadId != sc.lastThread {
		if sc.first("thread_switch", step) {
			prove = true
		}
	}
	sc.lastThread, sc.haveLast = t.ThreadId, true
	if t.Exited {
		return sc.first("pop_exited_thread", step) || prove
	}
	if s.StepsSinceLastContextSwitch >= 100_000 {
		return sc.first("forced_preemption", step) || prove
	}
	pc := t.Cpu.PC
	if pc&3 != 0 {
		return true
	}
	w := s.Memory.GetWord(pc &^ 7)
	insn := uint32(w >> 32)
	if pc&4 != 0 {
		insn = uint32(w)
	}
	op, fn := insn>>26, insn&0x3f
	if t.Cpu.NextPC != pc+4 && sc.first("delay_slot", step) {
		prove = true
	}
	switch {
	case op == 0 && fn == 0xc:
		num := t.Registers[2]
		if sc.first("syscall", step) {
			prove = true
		}
		name, ok := syscallNames[num]
		if !ok {
			name = "syscall_" + strconv.FormatUint(num, 10)
		}
		if num == 5000 || num == 5001 {
			name += "_fd" + strconv.FormatUint(t.Registers[4], 10)
		}
		if sc.first(name, step) {
			prove = true
		}
		c := sc.rep.Counts[name]
		switch name {
		case "futex", "clock_gettime", "read_fd5", "write_fd6", "write_fd4", "mmap", "sched_yield", "clone", "getrandom":
			if decade(c) {
				prove = true
			}
		case "exit_group", "exit":
			prove = true
		}
		if name == "futex" {
			op := t.Registers[5]
			if op == 128 {
				want := uint32(t.Registers[6])
				cur := uint32(s.Memory.GetWord(t.Registers[4]&^7) >> (32 - 8*(t.Registers[4]&4)))
				if want == cur && sc.first("futex_wait_match", step) {
					prove = true
				}
				if want != cur && sc.first("futex_wait_mismatch", step) {
					prove = true
				}
			}
		}
	case op == 0x30 || op == 0x34:
		if sc.first("ll", step) {
			prove = true
		}
	case op == 0x38 || op == 0x3c:
		if sc.first("sc", step) || decade(sc.rep.Counts["sc"]) {
			prove = true
		}
	}
	return prove
}

func parseList(s string) (map[uint64]bool, error) {
	m := map[uint64]bool{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimPrefix(p, "="), 10, 64)
		if err != nil {
			return nil, err
		}
		m[n] = true
	}
	return m, nil
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	in := fs.String("in", "", "input state (.bin or .bin.gz)")
	outPath := fs.String("out", "", "final state (.bin or .bin.gz); empty = none")
	oracleDir := fs.String("oracle-dir", "", "pre-image directory")
	proofAt := fs.String("proof-at", "", "comma-separated steps to prove")
	auto := fs.Bool("auto-proofs", false, "also prove interesting steps")
	proofFmt := fs.String("proof-fmt", "proof-%d.json", "proof file name pattern")
	events := fs.String("events", "", "report JSON path")
	maxSteps := fs.Uint64("max-steps", 0, "stop before this step (0 = never)")
	maxAuto := fs.Int("max-auto-proofs", 200, "at most this many automatic proofs")
	_ = fs.Parse(args)

	fixed, err := parseList(*proofAt)
	if err != nil {
		return err
	}
	state, err := versions.LoadStateFromFileWithLargeICache(*in)
	if err != nil {
		return err
	}
	mt := state.FPVMState.(*multithreaded.State)
	vm := newVM(&state.VersionedState, *oracleDir)
	rep := &runReport{Events: map[string]uint64{}, Counts: map[string]uint64{}, Proofs: []uint64{}}
	sc := &scanner{rep: rep}
	autoCount := 0
	exc, err := catch(func() error {
		for !state.GetExited() {
			step := state.GetStep()
			if *maxSteps != 0 && step >= *maxSteps {
				break
			}
			prove := fixed[step]
			if *auto && sc.look(mt) && autoCount < *maxAuto {
				autoCount++
				prove = true
			}
			if prove {
				rep.Proofs = append(rep.Proofs, step)
				if err := proofStep(vm, state.FPVMState, fmt.Sprintf(*proofFmt, step)); err != nil {
					return err
				}
			} else if _, err := vm.Step(false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		exc = err.Error()
	}
	rep.Steps, rep.Exited, rep.ExitCode = state.GetStep(), state.GetExited(), state.GetExitCode()
	if exc != "" {
		rep.Exception = exc
		s := state.GetStep() // the step counter was already incremented by the failing step
		rep.ExceptionStep = &s
	} else if *outPath != "" {
		if err := serialize.Write(*outPath, &state.VersionedState, outPerm); err != nil {
			return err
		}
	}
	sort.Slice(rep.Proofs, func(i, j int) bool { return rep.Proofs[i] < rep.Proofs[j] })
	if *events != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*events, append(b, '\n'), 0o644)
	}
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: stepper step|run [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "step":
		err = cmdStep(os.Args[2:])
	case "run":
		err = cmdRun(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
