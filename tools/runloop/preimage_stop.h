// The pre-image stop rules of `run --stop-at-preimage*` (spec §17.12): which pre-image read ends
// the run. The engines stop after every pre-image read when one is enabled (StopConditions); the
// run loop then asks `matches` whether this read is the one.
#pragma once

#include <string>
#include <vector>

#include "interp/vm.h"

namespace cannonball {

struct PreimageStop {
  bool any = false;
  std::vector<uint8_t> key_prefix;
  Word offset = 0;
  Word min_step = 0;
  Word larger_than = 0;
  bool enabled() const { return any || !key_prefix.empty() || larger_than != 0; }

  // From the flags: `spec` = <key-prefix>[@<offset>[@<step>]] (when `spec_set`), else the type
  // name (local, keccak, sha256, blob, precompile, any, or empty), plus the size limit.
  // Throws RunError for a malformed value.
  static PreimageStop parse(const std::string& spec, bool spec_set, const std::string& type, Word larger_than);

  // Whether the read done by step `step` (the VM's last step) ends the run.
  bool matches(const Vm& vm, Word step) const;
};

}  // namespace cannonball
