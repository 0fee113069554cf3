// Proven steps, with the proof-slot-2 policy behind them (spec §17.1, Vm::Slot2Mode).
//
// Slot #2 of a proof holds the proof of the last clock_gettime's second word against the memory
// root in the middle of that step, in proof and plain steps alike. Keeping it eagerly costs a
// merkle root per clock_gettime, far too much for a long fast-forward, so the Prover keeps it
// only within EagerSlot2Window steps before a known proof step and defers it elsewhere. A proof
// step whose slot is stale (the last clock_gettime ran deferred: the guest made none within the
// window, or a server asks for a proof at a step it did not announce) first re-creates the slot
// by replaying from a checkpoint to that clock_gettime, with pre-images from the run's record.
//
// Checkpoints: while a proof step lies ahead beyond the window, the fast-forward stops every
// `checkpoint_interval()` steps and keeps a copy of the state there (clean pages shared page by
// page, copy-on-write, with the live state; dirty pages copied). The interval is max(2^29, 16384 x
// the pages of memory) unless set. A checkpoint's cost grows with the memory: the first hashes the
// whole memory, later ones only the pages written before the previous checkpoint and not since
// (Memory::hash_settled_pages; a page the guest rewrites every interval is copied at each
// checkpoint and hashed once, by the proof), a copy of the page table and the cached merkle
// nodes, a copy of each dirty page, a copy-on-write clone of each shared page written after it,
// and dropping an older copy. Before the settled-page rule every checkpoint hashed all pages
// written since the previous one (see bench/results/proof_far.md for the difference). On the
// go-ethereum guest (16k pages, a proof at step 3*10^9 from step 0; single runs, CPU seconds) that
// was 2.41 s with no checkpoints, 2.65 s every 2^27 steps, 2.53 s every 2^29: about 0.7 us a page
// per checkpoint, so 16384 steps a page keeps the checkpoints near 5 % of the fast-forward at the
// JIT's 1-2*10^9 steps/s. At most two are held: the newest, and the newest one at or before the
// pending deferred clock_gettime; the run's start state (read again through `reload_start`) is
// the first.
//
// What bounds a replay: it starts at the newest checkpoint at or before the clock_gettime, so it
// runs fewer than `checkpoint_interval()` steps (2^29 up to 32768 pages = 128 MiB of memory;
// 2^32 at 1 GiB), plus the proven steps that ran between two checkpoint chances (a proven step
// keeps its slot eagerly, so none in practice), whatever the distance from the input state. Its
// cost beyond those steps is one copy of a checkpoint's page table and cached merkle nodes, and
// the hashing of the pages written between the checkpoint and the clock_gettime. No replay
// happens when the guest makes a clock_gettime within the window before a known proof step (the
// Go runtime's scheduler reads the clock far more often than that).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interp/vm.h"
#include "tools/runloop/recording_oracle.h"

namespace cannonball {

class Prover {
 public:
  // Within this many steps before a proof step, clock_gettime keeps slot #2 eagerly.
  static constexpr Word EagerSlot2Window = Word{1} << 20;
  // Steps between checkpoints while a proof step lies beyond the window: at least this many, and
  // at least CheckpointStepsPerPage per page of memory, unless set_checkpoint_interval was called.
  static constexpr Word MinCheckpointInterval = Word{1} << 29;
  static constexpr Word CheckpointStepsPerPage = 16384;
  // While a proof step lies beyond the window, the fast-forward stops this often to hand the
  // pages written since the last hand-off to the background hasher (Memory::hash_in_background),
  // so that the proof's merkle root finds most of memory hashed on another core while the guest
  // ran. A page written again after its hand-off is hashed again: a longer interval wastes less
  // on pages the guest keeps rewriting and leaves more for the proof step itself.
  static constexpr Word BackgroundHashInterval = Word{1} << 27;

  // What the slot-2 replays did (for logs, benchmarks and tests).
  struct ReplayStats {
    Word replays = 0;      // replays made
    Word last_from = 0;    // the step the last replay started from (a checkpoint)
    Word last_clock = 0;   // the pre-step counter of the clock_gettime it replayed to
    Word last_steps = 0;   // steps it ran, the clock_gettime included
    double last_seconds = 0;  // its wall time, the copy of the checkpoint included
    Word max_steps = 0;    // the longest replay
    Word checkpoints = 0;  // checkpoints taken
    Word background_handoffs = 0;  // hand-offs to the background hasher
  };

  // `reload_start` returns the run's start state again (for replays); `engine_name` is the
  // engine replays fast-forward with. Puts the VM in Deferred mode.
  Prover(Vm& vm, const RecordingOracle& recording, std::function<State()> reload_start, std::string engine_name);

  // A fixed number of steps between checkpoints (at least 1); set before the run.
  void set_checkpoint_interval(Word steps);
  Word checkpoint_interval() const;
  // Whether to hash in the background (default: when the machine has more than one core), and
  // how many steps apart (default BackgroundHashInterval; at least 1).
  void set_background_hashing(bool on) { background_hashing_ = on; }
  void set_background_hash_interval(Word steps) { background_interval_ = std::max<Word>(steps, 1); }
  // For tests: every hand-off waits until the helper is done (so the guest's writes after it
  // always come after the helper read the page), and hand-offs happen at fixed steps whatever the
  // machine's load.
  void set_background_hash_wait(bool on) { wait_for_background_ = on; }
  const ReplayStats& stats() const { return stats_; }
  // Checkpoints held (the start state counts while it is one).
  size_t checkpoints_held() const { return checkpoints_.size(); }

  // Before a fast-forward from the current step towards `target` (> current step) when the next
  // proof step is `next_proof`: takes a checkpoint if one is due, sets the slot-2 mode and returns
  // where the fast-forward must end (<= target), so that the eager window is entered and the
  // next checkpoint taken at a chunk edge.
  Word plan_fast_forward(Word target, std::optional<Word> next_proof);

  // One proven step of the current state, slot #2 replayed first if it is stale. On an
  // exception `out` is incomplete. Throws RunError if a needed replay fails.
  std::optional<VmException> prove_step(StepWitness& out);

 private:
  struct Checkpoint {
    Word step = 0;
    std::shared_ptr<const State> state;  // null: the start state, through reload_start_
  };
  void checkpoint_if_due(Word step);
  const Checkpoint& checkpoint_for(Word step) const;
  MemProof replay_slot2(Word clock_step);

  Vm& vm_;
  const RecordingOracle& recording_;
  std::function<State()> reload_start_;
  std::string engine_name_;
  Word interval_ = 0;  // 0: from the page count
  bool background_hashing_ = false;
  bool wait_for_background_ = false;
  Word background_interval_ = BackgroundHashInterval;
  Word next_handoff_ = 0;  // the step of the next hand-off to the background hasher
  std::vector<Checkpoint> checkpoints_;  // ascending steps; never empty
  ReplayStats stats_;
};

}  // namespace cannonball
