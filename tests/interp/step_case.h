// Shared single-step case infrastructure for every execution engine.
//
// A StepCase is data: a setup (registers, HI/LO, pc, memory words, other state fields), the
// instruction word(s) at pc, and the expected outcome as *changes* to the pre-state (or an
// exception kind). The runner builds a fresh pre-state from one fixed base state, executes one
// step through an Executor, builds the expected state as "pre-state plus the listed changes" and
// compares the FULL post-state: every thread in both stacks (all registers, HI/LO, pc/nextPC, id,
// exit fields), every State field and the memory root.
//
// Defaults that every case gets unless it says otherwise (spec §4, §5.1):
//  - `step` increments (unless the pre-state is exited);
//  - when the case runs an instruction: stepsSinceLastContextSwitch increments and the active
//    thread advances (pc = nextPC, nextPC += 4).
//
// Engines: the same tables run on every EngineKind in `all_engines()`; adding an engine is one
// entry there plus one branch in make_executor().
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "interp/instruction_table.h"
#include "interp/vm.h"
#include "runtime/preimage.h"
#include "runtime/state.h"
#include "runtime/state_diff.h"

namespace cannonball::test {

// ---- Engines -------------------------------------------------------------------------------

enum class EngineKind { Interp, Jit };
const char* engine_name(EngineKind kind);
inline void PrintTo(EngineKind kind, std::ostream* os) { *os << engine_name(kind); }

// Every engine the shared tables run on.
inline auto all_engines() { return ::testing::Values(EngineKind::Interp, EngineKind::Jit); }

// One engine driving one State.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::optional<VmException> step() = 0;
  virtual RunResult run(Word steps) = 0;
};

struct ExecutorEnvironment {
  PreimageOracle* oracle = nullptr;
  OutputSink output;
  StopConditions stop;
};

std::unique_ptr<Executor> make_executor(EngineKind kind, State& state, ExecutorEnvironment environment = {});

// ---- Test doubles --------------------------------------------------------------------------

// An in-memory pre-image oracle that records what the VM asks of it.
class FakeOracle final : public PreimageOracle {
 public:
  FakeOracle() = default;
  explicit FakeOracle(std::map<Hash32, std::vector<uint8_t>> preimages) : preimages_(std::move(preimages)) {}
  std::vector<uint8_t> get_preimage(const Hash32& key) override;
  void hint(const std::vector<uint8_t>& hint) override { hints.push_back(hint); }

  std::vector<std::vector<uint8_t>> hints;
  std::vector<Hash32> requests;

 private:
  std::map<Hash32, std::vector<uint8_t>> preimages_;
};

struct OutputRecord {
  int fd;
  std::vector<uint8_t> bytes;
  bool operator==(const OutputRecord&) const = default;
};

// ---- The base state every case starts from --------------------------------------------------

inline constexpr Word CodeBase = 0x0000'0000'0040'1000ull;  // default pc
inline constexpr Word DataBase = 0x0000'0000'0010'0000ull;  // data word used by most memory cases
inline constexpr Word ActiveThreadId = 4;
inline constexpr Word OtherThreadId = 2;  // on the right stack; used as "some other owner"
inline constexpr Word BaseStep = 0x1234;
inline constexpr Word BaseStepsSinceSwitch = 42;
inline constexpr Word BaseHeap = 0x0000'1000'0000'5000ull;
inline constexpr Word BaseNextThreadId = 5;
inline constexpr Word BaseHi = 0xB1B1'B2B2'B3B3'B4B4ull;
inline constexpr Word BaseLo = 0xC1C1'C2C2'C3C3'C4C4ull;
inline constexpr Word BasePreimageOffset = 0x21;
Hash32 base_preimage_key();
Word base_register(unsigned index);  // the active thread's register pattern (r0 = 0)

// Left stack (bottom -> top): thread 1, thread 4 (active). Right stack: thread 2, thread 3.
// traverseRight = 0, nextThreadID = 5, no LL reservation, not exited.
State base_state();
Thread make_thread(Word id, Word pc);  // a non-active thread with its own register pattern

// ---- Cases ---------------------------------------------------------------------------------

struct Reg {
  unsigned index;
  Word value;
};
struct MemWord {
  Word addr;  // 8-aligned
  Word value;
};

struct StepCase {
  std::string name;

  // Setup.
  std::vector<uint32_t> program;  // instruction words at pc & ~3, pc + 4, ...
  Word pc = CodeBase;
  std::optional<Word> next_pc;  // default pc + 4
  std::vector<Reg> regs;
  std::optional<Word> hi, lo;
  std::vector<MemWord> memory;
  std::function<void(State&)> setup;  // any other field; runs after the above
  std::map<Hash32, std::vector<uint8_t>> preimages;

  // Expectations.
  std::optional<ExceptionKind> exception;
  bool runs_instruction = true;  // false: the scheduler acts instead (pop / forced preemption)
  bool advances_pc = true;       // false: exit, exit_group, clone with bad flags
  std::vector<Reg> expect_regs;
  std::optional<Word> expect_hi, expect_lo;
  std::optional<Word> expect_pc, expect_next_pc;  // override the default advance
  // Every word the step writes, including writes of an unchanged value (they count as writes
  // for the LL rule). Drives the LL-reservation modifier.
  std::vector<MemWord> expect_writes;
  std::function<void(State&)> expect;  // other changes, applied last to the expected state
  std::vector<std::vector<uint8_t>> expect_hints;
  std::vector<OutputRecord> expect_output;
  bool ll_modifiers = true;  // false where the case itself owns the reservation (sc/scd)
};

void PrintTo(const StepCase& step_case, std::ostream* os);

// Builds the pre-state of a case, and the expected post-state (pre-state plus its changes).
State make_pre_state(const StepCase& step_case);
State make_expected_state(const StepCase& step_case, const State& pre);

// How step cases compare states (runtime/state_diff.h): a hand-built expected state may lack
// pages the step filled with zeros, so only contents and roots are compared.
inline constexpr StateDiffOptions ExpectedVsActual{
    .a_name = "expected", .b_name = "actual", .compare_page_sets = false};

// Runs one case on one engine and reports every mismatch as a gtest failure.
void run_step_case(EngineKind engine, const StepCase& step_case);

// The LL-reservation modifier (spec §6): every case that writes memory is added twice more, once
// with a reservation (other owner, unaligned address inside a written word) that the write must
// clear, and once with a reservation on a different word that must survive.
std::vector<StepCase> with_ll_modifiers(std::vector<StepCase> cases);

// gtest parameter name: "<engine>_<case name>".
std::string case_param_name(const ::testing::TestParamInfo<std::tuple<EngineKind, StepCase>>& info);

// ---- Instruction encoders (through the instruction table's encode) ----------------------------

inline constexpr uint32_t SyscallInsn = 0x0000'000C;
inline constexpr uint32_t NopInsn = 0x0000'0000;  // sll r0, r0, 0

uint32_t r_type(Op op, unsigned rd, unsigned rs, unsigned rt, unsigned sa = 0);
uint32_t i_type(Op op, unsigned rt, unsigned rs, uint16_t imm);
uint32_t mem_op(Op op, unsigned rt, unsigned base, int16_t offset);
uint32_t branch_op(Op op, unsigned rs, unsigned rt, int16_t offset);  // REGIMM: rt ignored
uint32_t jump_op(Op op, uint32_t index);

// Register names used by the tables.
inline constexpr unsigned R0 = 0, V0 = 2, A0 = 4, A1 = 5, A2 = 6, A3 = 7, T0 = 8, T1 = 9, T2 = 10, T3 = 11, SP = 29,
                          RA = 31;

// A syscall case skeleton: r2 = number, a0..a2 as given.
StepCase syscall_case(std::string name, Word number, Word a0 = 0, Word a1 = 0, Word a2 = 0);
// The expected register results of a syscall.
inline std::vector<Reg> sys_ok(Word v0) { return {{V0, v0}, {A3, 0}}; }
inline std::vector<Reg> sys_err(Word errno_value) { return {{V0, errno_value}, {A3, ~Word{0}}}; }

// Expected-state helpers that spell out a scheduler move on the base layout.
// Moves the active thread (after its own changes) to the top of the other stack (spec §4 preempt).
void expect_active_moved_to_other_stack(State& expected);

// Bytes <-> words for memory setups.
std::vector<MemWord> words_from_bytes(Word addr, const std::vector<uint8_t>& bytes);
Hash32 hash_from_bytes(std::initializer_list<uint8_t> prefix, uint8_t fill);

}  // namespace cannonball::test
