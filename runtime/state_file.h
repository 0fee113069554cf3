// Binary state files (spec §11.1): `.bin`, or gzip when the name ends in `.gz`.
// Readers reject malformed input with a StateFileError naming the problem; writers go through a
// temporary file in the same directory and rename it into place, so no partial file is left.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/state.h"

namespace cannonball {

class StateFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<uint8_t> serialize_state(const State& state);
State deserialize_state(const std::vector<uint8_t>& bytes);

bool is_binary_state_path(const std::string& path);  // ends in .bin or .bin.gz
State read_state_file(const std::string& path);
void write_state_file(const State& state, const std::string& path);

// Whole-file helpers shared by every writer: gzip chosen by a `.gz` suffix, atomic rename.
std::vector<uint8_t> read_file_maybe_gz(const std::string& path);
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip);
inline bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace cannonball
