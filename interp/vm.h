// The canonical MT-Cannon v8 step function (spec §4–§9) and the VM that runs it.
//
// Owns: the scheduler, instruction execution, syscalls, the pre-image reader cache, the memory
// access tracker that records proofs, and the per-process proof slots whose stale contents
// upstream's proofs expose (spec §17.1).
// Invariants:
//  - a step either completes and leaves a valid post-state, or returns a VmException (the state is
//    then unusable, as upstream has no post-state for it);
//  - `run(n)` executes exactly n steps unless the state exits, an exception occurs or a stop
//    condition (StopConditions) holds after a step, and reports which (StopReason);
//  - nothing here prints: guest output goes to the output sink, hints to the oracle.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>

#include "runtime/preimage.h"
#include "runtime/state.h"

namespace cannonball {

enum class ExceptionKind : uint8_t {
  InvalidPc,
  InvalidInstruction,
  BranchInDelaySlot,
  DivideByZero,
  UnknownSyscall,
  PreimageOutOfBounds,
  NoPreimageOracle,
  EmptyThreadStack,
  UnexpectedMemoryAccess,
  WrappingMemoryRange,
};
const char* exception_name(ExceptionKind kind);

struct VmException {
  ExceptionKind kind;
  Word pc = 0;
  Word step = 0;  // the step counter of the pre-state
  std::string detail;
  std::string message() const;  // "<kind> at step N, pc 0x...: detail"
};

// Everything one proven step records (spec §2.5, §11.2).
struct StepWitness {
  Word step = 0;
  StateWitness state{};
  Hash32 pre_hash{};
  Hash32 post_hash{};
  std::vector<uint8_t> proof_data;  // 6090 bytes
  bool read_preimage = false;       // the step read fd 5
  Hash32 preimage_key{};
  std::vector<uint8_t> preimage_value;  // with its 8-byte length prefix
  Word preimage_offset = 0;
  bool has_preimage() const;  // read fd 5 with a non-zero key (what the proof JSON shows)
};

// Receives what the guest writes to stdout (fd 1) and stderr (fd 2).
using OutputSink = std::function<void(int fd, std::span<const uint8_t> bytes)>;

class SchedulerObserver;  // audit statistics (tools/ side); null when not asked for

// Why a run of several steps (Vm::run, Engine::advance, the run loop) ended.
enum class StopReason : uint8_t {
  Budget,        // ran every step it was given
  Exited,        // the state exited (a later step has nothing to do)
  VmException,   // a step raised a VM exception (RunResult::exception says which)
  PreimageRead,  // the last step read the pre-image fd and StopConditions asked to stop there
  Interrupted,   // a signal or the caller asked to stop (run loop only; engines never report it)
};
const char* stop_reason_name(StopReason reason);

// The outcome of a run of several steps.
struct RunResult {
  Word steps = 0;  // steps that completed (a step that raised an exception is not counted)
  StopReason reason = StopReason::Budget;
  std::optional<VmException> exception;  // set exactly when reason == VmException
};

// Conditions after a step that end a run early, whatever the engine.
struct StopConditions {
  bool after_preimage_read = false;  // a step that read the pre-image fd (for --stop-at-preimage)
};

class Vm {
 public:
  explicit Vm(State& state);

  State& state() { return state_; }
  const State& state() const { return state_; }
  void set_oracle(PreimageOracle* oracle) { oracle_ = oracle; }
  void set_output(OutputSink sink) { output_ = std::move(sink); }
  void set_observer(SchedulerObserver* observer) { observer_ = observer; }
  SchedulerObserver* observer() const { return observer_; }
  const PreimageCache& preimage_cache() const { return preimage_cache_; }

  // One step (spec §4). Returns the exception if the step has no valid post-state.
  std::optional<VmException> step();
  // One step recording its witness and proof. On an exception `out` is incomplete.
  std::optional<VmException> step_with_proof(StepWitness& out);
  // Exactly `steps` steps, fewer only if the state exits, an exception occurs, or a stop
  // condition holds after a step; the result says which.
  RunResult run(Word steps);
  void set_stop_conditions(StopConditions conditions) { stop_conditions_ = conditions; }
  // Whether the state after the last step ends a run (Exited, PreimageRead), checked by every
  // engine after each step it leaves to the VM.
  std::optional<StopReason> stop_after_step() const {
    if (state_.exited) return StopReason::Exited;
    if (stop_conditions_.after_preimage_read && read_preimage_this_step_) return StopReason::PreimageRead;
    return std::nullopt;
  }
  // Whether the most recent step read fd 5, and the pre-step offset it read at.
  bool last_step_read_preimage() const { return read_preimage_this_step_; }
  Word last_preimage_offset() const { return last_preimage_offset_; }
  // Steps of this Vm that completed a read of the pre-image fd (proof steps included).
  Word preimage_reads() const { return preimage_reads_; }

  // Proof slot #2 (spec §17.1) holds the proof of the last clock_gettime's second word, taken
  // mid-step, in proof and plain steps alike. Computing it needs a fresh merkle root, which is
  // far too costly to do on every clock_gettime of a fast-forward. In Deferred mode a plain
  // clock_gettime only records its step and marks the slot stale; the Prover
  // (tools/runloop/prover.h) re-creates the slot (by replay) before a proof step that would
  // expose it. Eager is the default.
  enum class Slot2Mode : uint8_t { Eager, Deferred };
  void set_slot2_mode(Slot2Mode mode) { slot2_mode_ = mode; }
  Slot2Mode slot2_mode() const { return slot2_mode_; }
  bool slot2_stale() const { return slot2_stale_; }
  // The step counter (after its increment) of the last clock_gettime whose slot was deferred.
  Word deferred_clock_step() const { return deferred_clock_step_; }
  const MemProof& slot2() const { return mem_proof2_; }
  void set_slot2(const MemProof& proof) {
    mem_proof2_ = proof;
    slot2_stale_ = false;
  }

  // Counters of the pre-image traffic (for --debug-info).
  Word preimage_requests() const { return preimage_requests_; }
  Word total_preimage_size() const { return total_preimage_size_; }

  // One step's instruction part, after the scheduler has decided to run `insn` on the current
  // thread: the function its instruction-table row names (interp/execute.cpp), shared with the
  // JIT's helper. Throws VmFault.
  void execute(uint32_t insn);
  // The syscall row's function (spec §7).
  void execute_syscall();

  // Memory accessors used by the step: they record proof slot #1 and apply the LL rule.
  Word read_data_word(Word addr);
  void write_data_word(Word addr, Word value);
  void handle_memory_update(Word aligned_addr) {
    if (aligned_addr != (state_.ll_address & AddressMask)) return;
    if (observer_) notify_reservation_invalidated(aligned_addr);
    clear_ll_reservation();
  }
  void clear_ll_reservation() {
    state_.ll_reservation_status = 0;
    state_.ll_address = 0;
    state_.ll_owner_thread = 0;
  }

  // Scheduler primitives (spec §4).
  void preempt_thread();
  void pop_thread();
  void push_thread(const Thread& thread);

 private:
  void step_inner();
  void notify_reservation_invalidated(Word aligned_addr);
  void track_access(Word aligned_addr);
  void track_access2(Word aligned_addr);
  void handle_sys_read(Word fd, Word addr, Word count, Word& v0, Word& v1);
  void handle_sys_write(Word fd, Word addr, Word count, Word& v0, Word& v1);
  void read_preimage_chunk(Word offset, uint8_t chunk[32], Word& chunk_len);
  void forward_hints();

  State& state_;
  PreimageOracle* oracle_ = nullptr;
  OutputSink output_;
  SchedulerObserver* observer_ = nullptr;
  PreimageCache preimage_cache_;
  StopConditions stop_conditions_;
  Word preimage_requests_ = 0;
  Word total_preimage_size_ = 0;

  // Proof tracking. Slots #1 and #2 live as long as the VM (spec §17.1).
  bool proof_enabled_ = false;
  Word last_mem_access_ = ~Word{0};
  MemProof mem_proof1_{};
  MemProof mem_proof2_{};
  Slot2Mode slot2_mode_ = Slot2Mode::Eager;
  bool slot2_stale_ = false;
  Word deferred_clock_step_ = 0;
  bool read_preimage_this_step_ = false;
  Word last_preimage_offset_ = 0;
  Word preimage_reads_ = 0;
};

// A VM exception thrown inside a step; Vm::step turns it into a VmException.
struct VmFault {
  ExceptionKind kind;
  std::string detail;
};

// Sub-word helpers of spec §5.6, shared with the JIT's helpers and the tests.
Word select_subword(Word addr, Word mem, unsigned size, bool sign_extend);
Word update_subword(Word addr, Word mem, unsigned size, Word value);
Word splitmix64(Word seed);

}  // namespace cannonball
