// Hex text for bytes, hashes and words: the one place the project formats and parses hex.
//
// Owns: to_hex (bytes -> "0x" + lowercase pairs), hex_word (a word in minimal "0x..." form) and
// lenient_hex_bytes (upstream cannon's forgiving parse of hex on the command line).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/word.h"

namespace cannonball {

std::string to_hex(const uint8_t* data, size_t size);  // "0x" + lowercase hex
inline std::string to_hex(const Hash32& h) { return to_hex(h.data(), h.size()); }
std::string hex_word(Word value);  // minimal "0x..." form, "0x0" for zero

// Upstream's lenient hex: optional 0x, an odd length padded with a leading 0, stops at the first
// non-hex digit (so it never fails).
std::vector<uint8_t> lenient_hex_bytes(std::string_view text);

}  // namespace cannonball
