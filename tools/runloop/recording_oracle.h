// Pre-image oracles for re-running part of a run: the real run records every pre-image it
// fetched, and replays (proof slot #2, cross-checks) are served from that record, so the host is
// never asked twice.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "runtime/preimage.h"

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

}  // namespace cannonball
