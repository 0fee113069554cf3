// Word-level helpers and the constants of the MT-Cannon v8 specification.
// Everything in guest state is big-endian; these helpers are the only place that knows it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace cannonball {

using Word = uint64_t;
using Hash32 = std::array<uint8_t, 32>;

inline constexpr Word AddressMask = 0xFFFF'FFFF'FFFF'FFF8ull;
inline constexpr Word ExtMask = 7;
inline constexpr Word WordSize = 8;
inline constexpr unsigned PageAddrBits = 12;
inline constexpr Word PageSize = Word{1} << PageAddrBits;
inline constexpr unsigned MemProofLevels = 60;  // leaf + 59 siblings
inline constexpr size_t MemProofSize = MemProofLevels * 32;
inline constexpr Word SchedQuantum = 100'000;
inline constexpr Word HZ = 10'000'000;
inline constexpr Word ProgramBreak = 0x0000'4000'0000'0000ull;
inline constexpr Word HeapStart = 0x0000'1000'0000'0000ull;
inline constexpr Word HeapEnd = 0x0000'6000'0000'0000ull;
inline constexpr Word StackPointerStart = 0x0000'7FFF'FFFF'F000ull;
inline constexpr Word SysErrorSignal = ~Word{0};
inline constexpr uint8_t StateVersion = 8;
inline constexpr const char* StateVersionName = "multithreaded64-5";

// sext(x, n): sign-extend the low n bits of x (1 <= n <= 64).
constexpr Word sign_extend(Word value, unsigned bits) {
  if (bits >= 64) return value;
  const Word sign = Word{1} << (bits - 1);
  const Word mask = (Word{1} << bits) - 1;
  value &= mask;
  return (value ^ sign) - sign;
}

// s32: sign-extend from bit 31, the rule for every 32-bit result.
constexpr Word s32(Word value) { return sign_extend(value, 32); }

// Go-style shifts: a shift by 64 or more gives zero instead of undefined behaviour (spec §15).
constexpr Word shl(Word value, unsigned amount) { return amount >= 64 ? 0 : value << amount; }
constexpr Word shr(Word value, unsigned amount) { return amount >= 64 ? 0 : value >> amount; }

inline Word load_be64(const uint8_t* p) {
  Word v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline void store_be64(uint8_t* p, Word v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}
inline uint32_t load_be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

}  // namespace cannonball
