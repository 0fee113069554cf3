// Machine: one state being run, with everything around it that a run needs: the VM, the
// fast-forward engine, the record of fetched pre-images (for replays and cross-checks) and the
// Prover. `run` builds one per command; a server can keep one between requests and advance it,
// hash it and prove steps of it at will.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "interp/engine.h"
#include "tools/runloop/prover.h"
#include "tools/runloop/recording_oracle.h"

namespace cannonball {

struct MachineConfig {
  std::string engine = "interp";     // fast-forward engine (engine_factory.h)
  PreimageOracle* oracle = nullptr;  // null: the guest has no pre-images
  // Returns the start state again, for slot-2 replays (Prover); must give the state the
  // Machine was built from.
  std::function<State()> reload_start;
};

class Machine {
 public:
  Machine(State start, MachineConfig config);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  State& state() { return state_; }
  Vm& vm() { return vm_; }
  Engine& engine() { return *engine_; }
  Prover& prover() { return prover_; }
  const RecordingOracle& recording() const { return recording_; }
  const std::string& engine_name() const { return engine_name_; }

  // Fast-forwards at most `budget` steps with the engine (no events; see RunLoop for those).
  RunResult advance(Word budget) { return engine_->advance(budget); }
  // The state hash of the current state (spec §2.4).
  Hash32 state_hash() { return cannonball::state_hash(encode_witness(state_)); }

 private:
  std::string engine_name_;
  State state_;
  RecordingOracle recording_;
  Vm vm_;
  std::unique_ptr<Engine> engine_;
  Prover prover_;
};

}  // namespace cannonball
