#include "tools/runloop/run_loop.h"

namespace cannonball {

void RunLoop::add_listener(RunListener& listener) {
  listeners_.push_back(&listener);
  schedule_.add(listener.when());
}

void RunLoop::set_proofs(StepMatcher when, ProofSink sink) {
  proofs_ = std::move(when);
  proof_sink_ = std::move(sink);
  schedule_.add(proofs_);
}

void RunLoop::set_preimage_stop(PreimageStop stop) {
  preimage_stop_ = std::move(stop);
  machine_.vm().set_stop_conditions(StopConditions{.after_preimage_read = preimage_stop_.enabled()});
}

RunResult RunLoop::run(std::optional<Word> stop_at) {
  State& state = machine_.state();
  RunResult total;
  total.reason = StopReason::Exited;
  while (!state.exited) {
    if (interrupted()) {
      total.reason = StopReason::Interrupted;
      break;
    }
    const bool stopping = stop_at == state.step;
    notify(stopping);
    if (stopping) {
      total.reason = StopReason::Budget;
      break;
    }
    RunResult event = run_one_event(stop_at);
    total.steps += event.steps;
    if (event.reason == StopReason::VmException || event.reason == StopReason::PreimageRead) {
      total.reason = event.reason;
      total.exception = std::move(event.exception);
      break;
    }
  }
  return total;
}

void RunLoop::notify(bool stopping) {
  State& state = machine_.state();
  for (RunListener* listener : listeners_)
    if (listener->when().matches(state.step) && (!stopping || listener->fires_at_stop())) listener->before_step(state);
}

// One proven step or one fast-forward; PreimageRead only when the stop rule matches its read.
RunResult RunLoop::run_one_event(std::optional<Word> stop_at) {
  RunResult result = proofs_.matches(machine_.state().step) ? prove_step() : fast_forward(stop_at);
  if (result.reason == StopReason::PreimageRead && !preimage_stop_.matches(machine_.vm(), machine_.state().step - 1))
    result.reason = StopReason::Budget;
  return result;
}

RunResult RunLoop::prove_step() {
  StepWitness witness;
  if (auto exception = machine_.prover().prove_step(witness))
    return RunResult{0, StopReason::VmException, std::move(exception)};
  proof_sink_(witness);
  return RunResult{1, machine_.vm().stop_after_step().value_or(StopReason::Budget), std::nullopt};
}

RunResult RunLoop::fast_forward(std::optional<Word> stop_at) {
  const Word step = machine_.state().step;
  const Word target =
      machine_.prover().plan_fast_forward(schedule_.next_stop(step, stop_at), proofs_.next_match(step + 1));
  return machine_.advance(target - step);
}

}  // namespace cannonball
