// `run --cross-check`: the JIT's state is checked against the interpreter while the run goes on.
//
// At each cross-check step the run loop hands the current state to the checker, which keeps a
// copy as the next checkpoint and, on a worker thread (the other core), re-executes the segment
// since the previous checkpoint in the interpreter and compares state hashes (memory root
// included). On a mismatch the worker bisects the segment, running the fast-forward engine and
// the interpreter side by side from the checkpoint, and names the first step whose post-states
// differ. Pre-images come from the run's record, never from the host.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>

#include "runtime/state.h"
#include "tools/runloop/recording_oracle.h"

namespace cannonball {

class CrossChecker {
 public:
  CrossChecker(const State& start, const RecordingOracle& recording, std::string engine_name);
  ~CrossChecker();
  // The run reached a cross-check step: check the segment that ends here (asynchronously).
  // Returns the failure of the previous segment's check, if it failed.
  std::optional<std::string> checkpoint(State& state);
  // Waits for the outstanding check and returns its failure, if any.
  std::optional<std::string> finish();
  Word segments_checked() const { return segments_; }
  Word steps_checked() const { return steps_; }

 private:
  std::unique_ptr<State> previous_;
  const RecordingOracle& recording_;
  std::string engine_name_;
  std::future<std::optional<std::string>> pending_;
  Word segments_ = 0;
  Word steps_ = 0;
};

}  // namespace cannonball
