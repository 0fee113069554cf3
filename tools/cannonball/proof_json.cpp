#include "tools/cannonball/proof_json.h"

#include "runtime/hex.h"
#include "runtime/json_text.h"

namespace cannonball {

std::string proof_json(const StepWitness& w) {
  Json proof = {{"step", w.step},
                {"pre", to_hex(w.pre_hash)},
                {"post", to_hex(w.post_hash)},
                {"state-data", to_hex(w.state.data(), w.state.size())},
                {"proof-data", to_hex(w.proof_data.data(), w.proof_data.size())}};
  if (w.has_preimage()) {
    proof["oracle-key"] = to_hex(w.preimage_key);
    proof["oracle-value"] = to_hex(w.preimage_value.data(), w.preimage_value.size());
    if (w.preimage_offset != 0) proof["oracle-offset"] = w.preimage_offset;
  }
  return json_file_text(proof);
}

}  // namespace cannonball
