// Re-creating proof slot #2 after a deferred fast-forward (see Vm::Slot2Mode).
//
// The slot must hold the proof of the last clock_gettime's second word against the memory root
// in the middle of that step. When that clock_gettime ran in Deferred mode, the run loop replays
// the run from its input state up to that step (pre-images come from a record of what the real
// run fetched, so the host is not asked again) and takes the proof there.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "interp/vm.h"

namespace cannonball {

// Forwards to a real oracle (if any) and remembers every pre-image it returned.
class RecordingOracle final : public PreimageOracle {
 public:
  explicit RecordingOracle(PreimageOracle* inner) : inner_(inner) {}
  std::vector<uint8_t> get_preimage(const Hash32& key) override;
  void hint(const std::vector<uint8_t>& hint) override {
    if (inner_) inner_->hint(hint);
  }
  // A pre-image fetched so far (safe to call from another thread while the run goes on).
  std::optional<std::vector<uint8_t>> lookup(const Hash32& key) const;
  bool has_inner() const { return inner_ != nullptr; }

 private:
  PreimageOracle* inner_;
  mutable std::mutex mutex_;
  std::map<Hash32, std::vector<uint8_t>> recorded_;
};

// Serves the pre-images a RecordingOracle has seen; drops hints. For replays.
class ReplayOracle final : public PreimageOracle {
 public:
  explicit ReplayOracle(const RecordingOracle& recording) : recording_(recording) {}
  std::vector<uint8_t> get_preimage(const Hash32& key) override;
  void hint(const std::vector<uint8_t>&) override {}

 private:
  const RecordingOracle& recording_;
};

// Replays `input_path` to the clock_gettime that ran at step counter `clock_step` (post-increment)
// and returns the slot-#2 proof of that step.
MemProof replay_slot2(const std::string& input_path, Word clock_step, const RecordingOracle& recording,
                      const std::string& engine_name);

}  // namespace cannonball
