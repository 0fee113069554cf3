// Small helpers shared by the runtime tests: hex parsing and a seeded random source.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/word.h"

namespace cannonball::test {

inline std::vector<uint8_t> from_hex(std::string text) {
  if (text.rfind("0x", 0) == 0) text = text.substr(2);
  if (text.size() % 2) throw std::invalid_argument("odd hex length");
  std::vector<uint8_t> out(text.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(std::stoul(text.substr(2 * i, 2), nullptr, 16));
  return out;
}

inline Hash32 hash_from_hex(const std::string& text) {
  const auto bytes = from_hex(text);
  if (bytes.size() != 32) throw std::invalid_argument("not a 32-byte hash");
  Hash32 out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

}  // namespace cannonball::test
