#include "tools/runloop/listeners.h"

#include "runtime/state_file.h"
#include "tools/runloop/run_error.h"

namespace cannonball {

void SnapshotListener::before_step(State& state) {
  try {
    const std::string path = format_step_pattern(pattern_, state.step);
    if (start_file_ && state.step == start_step_) {
      // Every step advances the counter, so at the start step no step has run yet.
      writer_.wait();  // an earlier write to the same name must not land after this one
      if (copy_state_file(*start_file_, path)) return;
    }
    writer_.start(state, path);
  } catch (const StateFileError& e) { throw RunError(std::string("failed to write state snapshot: ") + e.what()); }
}

void SnapshotListener::finish() {
  try {
    writer_.wait();
  } catch (const StateFileError& e) { throw RunError(std::string("failed to write state snapshot: ") + e.what()); }
}

CrossCheckListener::CrossCheckListener(StepMatcher when, Machine& machine)
    : RunListener(std::move(when)), checker_(machine.state(), machine.recording(), machine.engine_name()) {}

void CrossCheckListener::before_step(State& state) {
  if (auto failure = checker_.checkpoint(state)) throw RunError(*failure);
}

void CrossCheckListener::finish(State& state) {
  if (auto failure = checker_.checkpoint(state)) throw RunError(*failure);
  if (auto failure = checker_.finish()) throw RunError(*failure);
}

}  // namespace cannonball
