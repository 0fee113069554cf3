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
  // An observer watching data accesses sees them only from the interpreter.
  const bool watching = vm_.observer() != nullptr && vm_.observer()->watch_data;
  return !thread.exited && thread.next_pc == thread.pc + 4 && (thread.pc & 3) == 0 && !watching;
}

RunResult JitEngine::run_steps(Word steps) {
  State& state = vm_.state();
  RunResult result;
  runtime_->prepare();
  while (result.steps < steps && !state.exited) {
    if (can_run_blocks()) {
      const Word fuel = std::min(steps - result.steps, SchedQuantum - state.steps_since_last_context_switch);
      const Word executed = runtime_->run_blocks(fuel);
      if (executed != 0) {  // run_blocks brought the step counters up to date
        result.steps += executed;
        continue;
      }
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
  }
  if (state.exited) result.reason = StopReason::Exited;
  return result;
}

}  // namespace cannonball::jit
