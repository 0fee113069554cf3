// Listeners every front end of the run loop can use: state snapshots and the cross-check.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "runtime/state_file.h"
#include "tools/runloop/cross_check.h"
#include "tools/runloop/machine.h"
#include "tools/runloop/run_loop.h"

namespace cannonball {

// Writes the pre-state of each selected step to `pattern` (printf-style on the step). The file
// is written by a forked child from its copy-on-write image of the state (BackgroundStateWriter)
// while the run goes on; one write is in flight at a time, and each file appears only when
// complete. A failed write ends the run (RunError) at the next snapshot or at `finish`.
//
// A snapshot at the step the run started from, before any step ran, is the start state itself:
// given the file that state was read from (`set_start_file`), the listener copies that file when
// it can (copy_state_file) instead of encoding and compressing the same state again.
// op-challenger's runs from a snapshot meet this every time: `--snapshot-at %1e9` matches their
// first step.
class SnapshotListener final : public RunListener {
 public:
  SnapshotListener(StepMatcher when, std::string pattern)
      : RunListener(std::move(when)), pattern_(std::move(pattern)) {}
  // The state at step `start_step` (the run's first) is the one read from `origin`.
  void set_start_file(StateFileOrigin origin, Word start_step) {
    start_file_ = std::move(origin);
    start_step_ = start_step;
  }
  void before_step(State& state) override;
  // Waits for the write in flight; RunError if it failed.
  void finish();

 private:
  std::string pattern_;
  BackgroundStateWriter writer_;
  std::optional<StateFileOrigin> start_file_;
  Word start_step_ = 0;
};

// Hands the state to a CrossChecker at each selected step; a failed check ends the run with
// RunError. `finish` checks the last segment (to the final state) and waits for it.
class CrossCheckListener final : public RunListener {
 public:
  CrossCheckListener(StepMatcher when, Machine& machine);
  bool fires_at_stop() const override { return true; }
  void before_step(State& state) override;
  void finish(State& state);
  const CrossChecker& checker() const { return checker_; }

 private:
  CrossChecker checker_;
};

}  // namespace cannonball
