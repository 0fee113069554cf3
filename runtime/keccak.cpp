// Keccak-f[1600] with the Keccak-256 sponge (rate 136 bytes, padding 0x01 ... 0x80).
#include "runtime/keccak.h"

#include <bit>

namespace cannonball {
namespace {

constexpr uint64_t RoundConstants[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull, 0x000000000000808Bull,
    0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008Aull, 0x0000000000000088ull,
    0x0000000080008009ull, 0x000000008000000Aull, 0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull,
    0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull};

// Unrolled keccak-f[1600]: theta, rho+pi, chi, iota over 25 named lanes.
inline void keccak_f1600(uint64_t st[25]) {
  uint64_t a0 = st[0];
  uint64_t a1 = st[1];
  uint64_t a2 = st[2];
  uint64_t a3 = st[3];
  uint64_t a4 = st[4];
  uint64_t a5 = st[5];
  uint64_t a6 = st[6];
  uint64_t a7 = st[7];
  uint64_t a8 = st[8];
  uint64_t a9 = st[9];
  uint64_t a10 = st[10];
  uint64_t a11 = st[11];
  uint64_t a12 = st[12];
  uint64_t a13 = st[13];
  uint64_t a14 = st[14];
  uint64_t a15 = st[15];
  uint64_t a16 = st[16];
  uint64_t a17 = st[17];
  uint64_t a18 = st[18];
  uint64_t a19 = st[19];
  uint64_t a20 = st[20];
  uint64_t a21 = st[21];
  uint64_t a22 = st[22];
  uint64_t a23 = st[23];
  uint64_t a24 = st[24];
  for (int round = 0; round < 24; ++round) {
    const uint64_t c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
    const uint64_t c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
    const uint64_t c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
    const uint64_t c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
    const uint64_t c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
    const uint64_t d0 = c4 ^ std::rotl(c1, 1);
    const uint64_t d1 = c0 ^ std::rotl(c2, 1);
    const uint64_t d2 = c1 ^ std::rotl(c3, 1);
    const uint64_t d3 = c2 ^ std::rotl(c4, 1);
    const uint64_t d4 = c3 ^ std::rotl(c0, 1);
    const uint64_t b0 = (a0 ^ d0);
    const uint64_t b1 = std::rotl((a6 ^ d1), 44);
    const uint64_t b2 = std::rotl((a12 ^ d2), 43);
    const uint64_t b3 = std::rotl((a18 ^ d3), 21);
    const uint64_t b4 = std::rotl((a24 ^ d4), 14);
    const uint64_t b5 = std::rotl((a3 ^ d3), 28);
    const uint64_t b6 = std::rotl((a9 ^ d4), 20);
    const uint64_t b7 = std::rotl((a10 ^ d0), 3);
    const uint64_t b8 = std::rotl((a16 ^ d1), 45);
    const uint64_t b9 = std::rotl((a22 ^ d2), 61);
    const uint64_t b10 = std::rotl((a1 ^ d1), 1);
    const uint64_t b11 = std::rotl((a7 ^ d2), 6);
    const uint64_t b12 = std::rotl((a13 ^ d3), 25);
    const uint64_t b13 = std::rotl((a19 ^ d4), 8);
    const uint64_t b14 = std::rotl((a20 ^ d0), 18);
    const uint64_t b15 = std::rotl((a4 ^ d4), 27);
    const uint64_t b16 = std::rotl((a5 ^ d0), 36);
    const uint64_t b17 = std::rotl((a11 ^ d1), 10);
    const uint64_t b18 = std::rotl((a17 ^ d2), 15);
    const uint64_t b19 = std::rotl((a23 ^ d3), 56);
    const uint64_t b20 = std::rotl((a2 ^ d2), 62);
    const uint64_t b21 = std::rotl((a8 ^ d3), 55);
    const uint64_t b22 = std::rotl((a14 ^ d4), 39);
    const uint64_t b23 = std::rotl((a15 ^ d0), 41);
    const uint64_t b24 = std::rotl((a21 ^ d1), 2);
    a0 = b0 ^ (~b1 & b2);
    a1 = b1 ^ (~b2 & b3);
    a2 = b2 ^ (~b3 & b4);
    a3 = b3 ^ (~b4 & b0);
    a4 = b4 ^ (~b0 & b1);
    a5 = b5 ^ (~b6 & b7);
    a6 = b6 ^ (~b7 & b8);
    a7 = b7 ^ (~b8 & b9);
    a8 = b8 ^ (~b9 & b5);
    a9 = b9 ^ (~b5 & b6);
    a10 = b10 ^ (~b11 & b12);
    a11 = b11 ^ (~b12 & b13);
    a12 = b12 ^ (~b13 & b14);
    a13 = b13 ^ (~b14 & b10);
    a14 = b14 ^ (~b10 & b11);
    a15 = b15 ^ (~b16 & b17);
    a16 = b16 ^ (~b17 & b18);
    a17 = b17 ^ (~b18 & b19);
    a18 = b18 ^ (~b19 & b15);
    a19 = b19 ^ (~b15 & b16);
    a20 = b20 ^ (~b21 & b22);
    a21 = b21 ^ (~b22 & b23);
    a22 = b22 ^ (~b23 & b24);
    a23 = b23 ^ (~b24 & b20);
    a24 = b24 ^ (~b20 & b21);
    a0 ^= RoundConstants[round];
  }
  st[0] = a0;
  st[1] = a1;
  st[2] = a2;
  st[3] = a3;
  st[4] = a4;
  st[5] = a5;
  st[6] = a6;
  st[7] = a7;
  st[8] = a8;
  st[9] = a9;
  st[10] = a10;
  st[11] = a11;
  st[12] = a12;
  st[13] = a13;
  st[14] = a14;
  st[15] = a15;
  st[16] = a16;
  st[17] = a17;
  st[18] = a18;
  st[19] = a19;
  st[20] = a20;
  st[21] = a21;
  st[22] = a22;
  st[23] = a23;
  st[24] = a24;
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

#if CANNONBALL_SIMD_KECCAK
void keccak256_pairs_avx2(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs,
                          size_t count);
void keccak256_pairs_avx512(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs,
                            size_t count);
#endif

namespace {

void keccak256_pairs_scalar(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs,
                            size_t count) {
  for (size_t i = 0; i < count; ++i) {
    uint64_t a[25] = {};
    std::memcpy(a, lefts[i], 32);
    std::memcpy(a + 4, rights[i], 32);
    a[8] = 0x01;
    a[16] = 0x8000000000000000ull;
    keccak_f1600(a);
    std::memcpy(outs[i], a, 32);
  }
}

using PairsFn = void (*)(const uint8_t* const*, const uint8_t* const*, uint8_t* const*, size_t);

PairsFn kernel_fn(KeccakKernel kernel) {
  switch (kernel) {
#if CANNONBALL_SIMD_KECCAK
    case KeccakKernel::Avx512: return keccak256_pairs_avx512;
    case KeccakKernel::Avx2: return keccak256_pairs_avx2;
#endif
    default: return keccak256_pairs_scalar;
  }
}

}  // namespace

bool keccak_kernel_supported(KeccakKernel kernel) {
  switch (kernel) {
    case KeccakKernel::Scalar: return true;
#if CANNONBALL_SIMD_KECCAK
    case KeccakKernel::Avx2: return __builtin_cpu_supports("avx2");
    case KeccakKernel::Avx512: return __builtin_cpu_supports("avx512f");
#endif
    default: return false;
  }
}

KeccakKernel keccak_best_kernel() {
  static const KeccakKernel best = keccak_kernel_supported(KeccakKernel::Avx512) ? KeccakKernel::Avx512
                                   : keccak_kernel_supported(KeccakKernel::Avx2) ? KeccakKernel::Avx2
                                                                                 : KeccakKernel::Scalar;
  return best;
}

const char* keccak_kernel_name(KeccakKernel kernel) {
  switch (kernel) {
    case KeccakKernel::Avx512: return "avx512";
    case KeccakKernel::Avx2: return "avx2";
    default: return "scalar";
  }
}

void keccak256_pairs_with(KeccakKernel kernel, const uint8_t* const* lefts, const uint8_t* const* rights,
                          uint8_t* const* outs, size_t count) {
  kernel_fn(kernel)(lefts, rights, outs, count);
}

void keccak256_pairs(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs, size_t count) {
  static const PairsFn best = kernel_fn(keccak_best_kernel());
  if (count == 1) {
    keccak256_pairs_scalar(lefts, rights, outs, 1);
    return;
  }
  best(lefts, rights, outs, count);
}

}  // namespace cannonball
