#include "runtime/hex.h"

namespace cannonball {

std::string to_hex(const uint8_t* data, size_t size) {
  static constexpr char Digits[] = "0123456789abcdef";
  std::string out = "0x";
  out.resize(2 + 2 * size);
  for (size_t i = 0; i < size; ++i) {
    out[2 + 2 * i] = Digits[data[i] >> 4];
    out[3 + 2 * i] = Digits[data[i] & 15];
  }
  return out;
}

std::string hex_word(Word value) {
  static constexpr char Digits[] = "0123456789abcdef";
  if (value == 0) return "0x0";
  std::string digits;
  while (value) {
    digits.insert(digits.begin(), Digits[value & 15]);
    value >>= 4;
  }
  return "0x" + digits;
}

std::vector<uint8_t> lenient_hex_bytes(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  std::string digits(text);
  if (digits.size() % 2) digits.insert(digits.begin(), '0');
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    const int hi = nibble(digits[i]), lo = nibble(digits[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace cannonball
