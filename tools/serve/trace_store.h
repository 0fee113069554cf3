// The trace behind `cannonball serve`: one fast-forward pass over a prestate's execution that
// keeps checkpoints, then exact answers about any step of that trace from the nearest one.
//
// Owns: the checkpoints (states whose memory pages are shared copy-on-write between them, every
// `interval` steps; the interval doubles whenever they outgrow the memory budget, and the dropped
// ones go to snapshot files when a snapshot directory is given), the record of every pre-image
// the pass fetched (replays never ask the host again), and the per-checkpoint facts queries need
// (pre-image reads before it, the last clock_gettime before it, for proof slot #2).
// Invariants:
//  - after build() the checkpoint list is immutable, so queries run on any number of threads
//    without locks; each query works on its own copy of a checkpoint's state;
//  - every answer equals what `cannonball run --stop-at =N` / `--proof-at =N` gives for step N
//    (a fresh VM at the checkpoint, the same slot-#2 rule: the proof of the last clock_gettime
//    before N, re-created by replaying to it);
//  - nothing here knows about HTTP: failures are QueryError with an HTTP-like status.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "interp/vm.h"
#include "tools/runloop/recording_oracle.h"

namespace cannonball {

// A query the trace cannot answer: `status` is 400 (malformed), 404 (no such position) or 422
// (the trace ends in a VM exception before that step).
class QueryError : public std::runtime_error {
 public:
  QueryError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

struct TraceOptions {
  std::string input_path;
  std::string engine = "jit";
  uint64_t memory_budget = uint64_t{1} << 30;  // bytes of checkpoint memory
  Word initial_interval = Word{1} << 22;       // steps between checkpoints before any thinning
  Word max_steps = ~Word{0};                   // the pass stops here if the guest has not exited
  std::string snapshot_dir;                    // empty = dropped checkpoints are forgotten
};

struct StateAnswer {
  Word step = 0;
  StateWitness witness{};
  Hash32 hash{};
  bool exited = false;
  uint8_t exit_code = 0;
};

struct TraceStatus {
  size_t checkpoints_in_memory = 0;
  size_t checkpoints_on_disk = 0;
  Word interval = 0;
  uint64_t checkpoint_bytes = 0;
  uint64_t memory_budget = 0;
};

class TraceStore {
 public:
  // `source` serves pre-images during the first pass (host or directory; null = none).
  TraceStore(TraceOptions options, PreimageOracle* source);
  ~TraceStore();

  // The first pass. `progress(step)` is called now and then. Throws CliError on bad input and
  // OracleError when the pre-image source fails.
  void build(const std::function<void(Word)>& progress = {});

  Word start_step() const { return start_step_; }
  Word end_step() const { return end_step_; }  // last step of the trace (its final state)
  bool exited() const { return final_->exited; }
  const std::optional<VmException>& end_exception() const { return end_exception_; }
  bool truncated() const { return !final_->exited && !end_exception_; }  // cut at max_steps
  Word preimage_reads() const { return preimage_reads_; }
  double build_seconds() const { return build_seconds_; }
  Word jit_steps_per_second() const { return jit_rate_; }
  TraceStatus status() const;

  // Queries (thread-safe). Each throws QueryError when the trace cannot answer.
  StateAnswer state_at(Word step) const;
  std::string proof_at(Word step) const;  // the exact text `run --proof-at =N --proof-fmt -` prints
  Word preimage_read_step(Word k) const;  // the step of the k-th (1-based) pre-image read
  // The first step >= `after` (and < after + limit) that executes a syscall with that number,
  // or that executes the instruction at `pc`.
  Word first_syscall(Word number, Word after, Word limit) const;
  Word first_pc(Word pc, Word after, Word limit) const;

 private:
  struct Checkpoint {
    Word step = 0;
    std::shared_ptr<const State> state;  // null when only on disk
    std::string file;                    // snapshot file, empty when none
    Word last_clock_step = 0;            // step counter after the last clock_gettime before it (0 = none)
    Word preimage_reads_before = 0;
    uint64_t bytes = 0;  // memory this checkpoint holds beyond the previous one in memory
  };
  class Cursor;
  class CheckpointListener;

  void add_checkpoint(State& live, const Vm& vm);
  void thin_checkpoints();
  uint64_t account(const Checkpoint& cp, const Checkpoint* previous) const;
  std::string snapshot_path(Word step) const;
  void scan_existing_snapshots();
  // The checkpoint a replay to `step` should start from (the cheapest, memory or disk).
  const Checkpoint& checkpoint_for(Word step) const;
  std::unique_ptr<Cursor> cursor_at(Word step) const;  // a private VM at exactly `step`
  void check_step(Word step, bool need_executable) const;
  MemProof slot2_for_clock(Word clock_step) const;
  Word scan(Word after, Word limit, const std::function<bool(const State&)>& match, const char* what) const;

  TraceOptions options_;
  PreimageOracle* source_;
  RecordingOracle recording_;
  std::string prestate_prefix_;          // hex of the prestate hash, naming snapshot files
  std::vector<Checkpoint> checkpoints_;  // ascending steps
  std::map<Word, std::string> existing_snapshots_;
  Word interval_ = 0;
  Word start_step_ = 0;
  Word end_step_ = 0;
  std::shared_ptr<const State> final_;
  std::optional<VmException> end_exception_;
  Word preimage_reads_ = 0;
  double build_seconds_ = 0;
  Word jit_rate_ = 0;
  double disk_load_seconds_ = 1.0;  // measured when a snapshot is first read back
  mutable std::mutex slot2_mutex_;
  mutable std::map<Word, MemProof> slot2_cache_;
};

}  // namespace cannonball
