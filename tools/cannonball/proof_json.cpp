#include "tools/cannonball/proof_json.h"

#include "runtime/hex.h"

namespace cannonball {

std::string proof_json(const StepWitness& w) {
  std::string out = "{\n";
  out += "  \"step\": " + std::to_string(w.step) + ",\n";
  out += "  \"pre\": \"" + to_hex(w.pre_hash) + "\",\n";
  out += "  \"post\": \"" + to_hex(w.post_hash) + "\",\n";
  out += "  \"state-data\": \"" + to_hex(w.state.data(), w.state.size()) + "\",\n";
  out += "  \"proof-data\": \"" + to_hex(w.proof_data.data(), w.proof_data.size()) + "\"";
  if (w.has_preimage()) {
    out += ",\n  \"oracle-key\": \"" + to_hex(w.preimage_key) + "\"";
    out += ",\n  \"oracle-value\": \"" + to_hex(w.preimage_value.data(), w.preimage_value.size()) + "\"";
    if (w.preimage_offset != 0) out += ",\n  \"oracle-offset\": " + std::to_string(w.preimage_offset);
  }
  out += "\n}\n\n";
  return out;
}

}  // namespace cannonball
