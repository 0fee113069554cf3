#include "tools/runloop/recording_oracle.h"

#include "runtime/hex.h"

namespace cannonball {

std::vector<uint8_t> RecordingOracle::get_preimage(const Hash32& key) {
  if (!inner_) throw OracleError("no pre-image oracle");
  std::vector<uint8_t> value = inner_->get_preimage(key);
  std::lock_guard<std::mutex> lock(mutex_);
  recorded_[key] = value;
  return value;
}

std::optional<std::vector<uint8_t>> RecordingOracle::lookup(const Hash32& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = recorded_.find(key);
  if (it == recorded_.end()) return std::nullopt;
  return it->second;
}

std::vector<uint8_t> ReplayOracle::get_preimage(const Hash32& key) {
  auto value = recording_.lookup(key);
  if (!value) throw OracleError("replay asked for a pre-image the run never fetched: " + to_hex(key));
  return *value;
}

}  // namespace cannonball
