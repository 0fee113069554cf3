// The pre-image oracle as the VM sees it (spec §8, §13), and the reader cache that sits in front
// of it: the VM fetches a pre-image only when the key changes and caches the last one.
#pragma once

#include <functional>
#include <stdexcept>
#include <vector>

#include "runtime/word.h"

namespace cannonball {

// A failure of the oracle itself (host died, malformed answer, missing pre-image): not a VM
// exception but an environment error that ends the run.
class OracleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PreimageOracle {
 public:
  virtual ~PreimageOracle() = default;
  // The raw pre-image for `key` (without the length prefix). Throws OracleError on failure.
  virtual std::vector<uint8_t> get_preimage(const Hash32& key) = 0;
  // One complete hint (without its length prefix). Throws OracleError on failure.
  virtual void hint(const std::vector<uint8_t>& hint) = 0;
};

// Cache of the last pre-image, stored with its 8-byte big-endian length prefix. It starts with an
// all-zero key and an empty value, so a read with the zero key before any fetch is out of bounds.
struct PreimageCache {
  Hash32 key{};
  std::vector<uint8_t> value;  // length prefix ‖ data
};

}  // namespace cannonball
