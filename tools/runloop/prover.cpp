#include "tools/runloop/prover.h"

#include "tools/runloop/engine_factory.h"
#include "tools/runloop/run_error.h"

namespace cannonball {

Prover::Prover(Vm& vm, const RecordingOracle& recording, std::function<State()> reload_start, std::string engine_name)
    : vm_(vm), recording_(recording), reload_start_(std::move(reload_start)), engine_name_(std::move(engine_name)) {
  vm_.set_slot2_mode(Vm::Slot2Mode::Deferred);
}

Word Prover::plan_fast_forward(Word target, std::optional<Word> next_proof) {
  const Word step = vm_.state().step;
  const bool near_proof = next_proof && *next_proof - step <= EagerSlot2Window;
  if (next_proof && !near_proof) target = std::min(target, *next_proof - EagerSlot2Window);
  vm_.set_slot2_mode(near_proof ? Vm::Slot2Mode::Eager : Vm::Slot2Mode::Deferred);
  return target;
}

std::optional<VmException> Prover::prove_step(StepWitness& out) {
  if (vm_.slot2_stale()) vm_.set_slot2(replay_slot2(vm_.deferred_clock_step()));
  return vm_.step_with_proof(out);
}

// Replays the start state to the clock_gettime that ran at step counter `clock_step`
// (post-increment) and returns the slot-2 proof of that step.
MemProof Prover::replay_slot2(Word clock_step) const {
  State state = reload_start_();
  if (clock_step == 0 || clock_step <= state.step)
    throw RunError("internal error: cannot replay to clock_gettime step " + std::to_string(clock_step));
  ReplayOracle oracle(recording_);
  Vm vm(state);
  if (recording_.has_inner()) vm.set_oracle(&oracle);
  vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  auto engine = make_engine(engine_name_, vm);
  const Word target = clock_step - 1;  // the pre-step counter of that clock_gettime
  while (state.step < target) {
    const RunResult result = engine->advance(target - state.step);
    if (result.exception) throw RunError("replay for proof slot #2 failed: " + result.exception->message());
    if (result.reason == StopReason::Exited) throw RunError("replay for proof slot #2 exited early");
  }
  vm.set_slot2_mode(Vm::Slot2Mode::Eager);
  if (auto e = vm.step()) throw RunError("replay for proof slot #2 failed: " + e->message());
  if (vm.slot2_stale())
    throw RunError("internal error: replayed step " + std::to_string(target) + " is not a clock_gettime");
  return vm.slot2();
}

}  // namespace cannonball
