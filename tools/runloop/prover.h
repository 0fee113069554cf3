// Proven steps, with the proof-slot-2 policy behind them (spec §17.1, Vm::Slot2Mode).
//
// Slot #2 of a proof holds the proof of the last clock_gettime's second word against the memory
// root in the middle of that step, in proof and plain steps alike. Keeping it eagerly costs a
// merkle root per clock_gettime, far too much for a long fast-forward, so the Prover keeps it
// only within EagerSlot2Window steps before a known proof step and defers it elsewhere. A proof
// step whose slot is stale (the last clock_gettime ran deferred, e.g. when a server asks for a
// proof at a step it did not announce) first re-creates the slot by replaying the run from its
// start state to that clock_gettime, with pre-images from the run's record.
//
// What a proof costs beyond the fast-forward: the first merkle root of the whole memory (every
// page is unhashed after loading), taken at the first clock_gettime of the window or at the proof
// step; each later clock_gettime in the window hashes only the pages written since the previous
// one. What bounds a replay: none happens when the guest makes a clock_gettime within the window
// before a known proof step (the Go runtime's scheduler reads the clock far more often than that;
// a guest that never reads it has no slot #2 to replay). Otherwise the replay runs at the
// engine's speed from the run's start state to the guest's last clock_gettime, so its length is
// bounded by that distance, not by a constant: a guest that reads the clock once and then computes
// for 10^10 steps pays a replay of up to the whole run before such a proof.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "interp/vm.h"
#include "tools/runloop/recording_oracle.h"

namespace cannonball {

class Prover {
 public:
  // Within this many steps before a proof step, clock_gettime keeps slot #2 eagerly.
  static constexpr Word EagerSlot2Window = Word{1} << 20;

  // `reload_start` returns the run's start state again (for replays); `engine_name` is the
  // engine replays fast-forward with. Puts the VM in Deferred mode.
  Prover(Vm& vm, const RecordingOracle& recording, std::function<State()> reload_start, std::string engine_name);

  // Before a fast-forward from the current step towards `target` (> current step) when the next
  // proof step is `next_proof`: sets the slot-2 mode and returns where the fast-forward must end
  // (<= target), so that the eager window is entered at a chunk edge.
  Word plan_fast_forward(Word target, std::optional<Word> next_proof);

  // One proven step of the current state, slot #2 replayed first if it is stale. On an
  // exception `out` is incomplete. Throws RunError if a needed replay fails.
  std::optional<VmException> prove_step(StepWitness& out);

 private:
  MemProof replay_slot2(Word clock_step) const;

  Vm& vm_;
  const RecordingOracle& recording_;
  std::function<State()> reload_start_;
  std::string engine_name_;
};

}  // namespace cannonball
