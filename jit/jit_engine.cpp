#include "jit/jit_engine.h"

#include <algorithm>

#include "interp/observer.h"
#include "jit/jit_runtime.h"

namespace cannonball::jit {

JitEngine::JitEngine(Vm& vm) : Engine(vm), vm_(vm), runtime_(std::make_unique<JitRuntime>(vm)) {}
JitEngine::~JitEngine() = default;

void JitEngine::clear_code() { runtime_->clear_code(); }
void JitEngine::set_max_block_insns(unsigned max) { runtime_->set_max_block_insns(max); }
void JitEngine::set_translate_threshold(unsigned entries) { runtime_->set_translate_threshold(entries); }
const JitStats& JitEngine::stats() const { return runtime_->stats(); }

bool JitEngine::can_run_blocks() const {
  const State& state = vm_.state();
  if (state.exited || state.active_stack().empty()) return false;
  if (state.steps_since_last_context_switch >= SchedQuantum) return false;
  const Thread& thread = state.current_thread();
  // An observer watching data accesses sees those to its pages from the interpreter: the TLB
  // never maps a watched page (JitRuntime::tlb_fill).
  return !thread.exited && thread.next_pc == thread.pc + 4 && (thread.pc & 3) == 0;
}

RunResult JitEngine::run_steps(Word steps) {
  State& state = vm_.state();
  RunResult result;
  runtime_->prepare();
  // After an entry was declined because its pc is not hot yet, the interpreter keeps the thread
  // until control leaves straight-line code (a branch, a jump, a thread switch): asking again at
  // every step of run-once code would cost a table lookup and a heat count per step, and heat
  // would pile up on pcs in the middle of blocks. Which engine runs a step never changes the
  // state, only the speed.
  bool cold_run = false;
  Word run_thread = 0;
  Word run_pc = 0;
  while (result.steps < steps && !state.exited) {
    if (!cold_run && can_run_blocks()) {
      const Word fuel = std::min(steps - result.steps, SchedQuantum - state.steps_since_last_context_switch);
      const Word executed = runtime_->run_blocks(fuel);
      if (executed != 0) {  // run_blocks brought the step counters up to date
        result.steps += executed;
        continue;
      }
      cold_run = runtime_->last_entry_cold();
    }
    if (cold_run) {
      const Thread& thread = state.current_thread();
      run_thread = thread.thread_id;
      run_pc = thread.pc;
    }
    if (auto exception = vm_.step()) {
      result.reason = StopReason::VmException;
      result.exception = std::move(exception);
      return result;
    }
    ++result.steps;
    runtime_->after_interpreter_step();
    if (auto stop = vm_.stop_after_step()) {
      result.reason = *stop;
      return result;
    }
    if (cold_run) cold_run = still_straight_line(run_thread, run_pc);
  }
  if (state.exited) result.reason = StopReason::Exited;
  return result;
}

bool JitEngine::still_straight_line(Word thread_id, Word pc) const {
  const State& state = vm_.state();
  if (state.exited || state.active_stack().empty()) return false;
  const Thread& thread = state.current_thread();
  return thread.thread_id == thread_id && !thread.exited && thread.pc == pc + 4 && thread.next_pc == pc + 8;
}

}  // namespace cannonball::jit
