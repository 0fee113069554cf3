// Keccak-f[1600] with the Keccak-256 sponge (rate 136 bytes, padding 0x01 ... 0x80).
#include "runtime/keccak.h"

#include <bit>

namespace cannonball {
namespace {

constexpr uint64_t RoundConstants[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull,
    0x000000000000808Bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008Aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000Aull,
    0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull};

constexpr unsigned Rotations[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                    25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

inline void keccak_f1600(uint64_t a[25]) {
  for (int round = 0; round < 24; ++round) {
    uint64_t c[5], d[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
    for (int i = 0; i < 25; ++i) a[i] ^= d[i % 5];
    // rho and pi: b[y, 2x+3y] = rot(a[x, y], r[x, y])
    uint64_t b[25];
    for (int x = 0; x < 5; ++x)
      for (int y = 0; y < 5; ++y)
        b[y + 5 * ((2 * x + 3 * y) % 5)] = std::rotl(a[x + 5 * y], static_cast<int>(Rotations[x + 5 * y]));
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 5; ++x)
        a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
    a[0] ^= RoundConstants[round];
  }
}

constexpr size_t Rate = 136;

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline Hash32 squeeze(const uint64_t a[25]) {
  Hash32 out;
  std::memcpy(out.data(), a, 32);
  return out;
}

}  // namespace

Hash32 keccak256(const uint8_t* data, size_t size) {
  uint64_t a[25] = {};
  while (size >= Rate) {
    for (size_t i = 0; i < Rate / 8; ++i) a[i] ^= load_le64(data + 8 * i);
    keccak_f1600(a);
    data += Rate;
    size -= Rate;
  }
  uint8_t block[Rate] = {};
  if (size) std::memcpy(block, data, size);
  block[size] ^= 0x01;
  block[Rate - 1] ^= 0x80;
  for (size_t i = 0; i < Rate / 8; ++i) a[i] ^= load_le64(block + 8 * i);
  keccak_f1600(a);
  return squeeze(a);
}

Hash32 keccak256_pair(const Hash32& left, const Hash32& right) {
  uint64_t a[25] = {};
  std::memcpy(a, left.data(), 32);
  uint64_t r[4];
  std::memcpy(r, right.data(), 32);
  a[4] = r[0];
  a[5] = r[1];
  a[6] = r[2];
  a[7] = r[3];
  a[8] = 0x01;
  a[16] = 0x8000000000000000ull;
  keccak_f1600(a);
  return squeeze(a);
}

void keccak256_pair_x4(const Hash32* lefts[4], const Hash32* rights[4], Hash32* outs[4]) {
  for (int i = 0; i < 4; ++i) *outs[i] = keccak256_pair(*lefts[i], *rights[i]);
}

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

}  // namespace cannonball
