// The 4-lane merkle pair kernel for CPUs with AVX2 (built with -mavx2; called only after
// keccak.cpp has checked the CPU).
#include <immintrin.h>

#include "runtime/keccak_lanes.h"

namespace cannonball {
namespace {

struct Avx2Ops {
  using V = __m256i;
  static constexpr size_t Lanes = 4;
  static V xor2(V a, V b) { return _mm256_xor_si256(a, b); }
  static V xor3(V a, V b, V c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static V chi(V a, V b, V c) { return _mm256_xor_si256(a, _mm256_andnot_si256(b, c)); }
  template <int N>
  static V rotl(V x) {
    return _mm256_or_si256(_mm256_slli_epi64(x, N), _mm256_srli_epi64(x, 64 - N));
  }
  static V broadcast(uint64_t k) { return _mm256_set1_epi64x(static_cast<long long>(k)); }
  static V load(const uint64_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(uint64_t* p, V v) { _mm256_store_si256(reinterpret_cast<__m256i*>(p), v); }
};

}  // namespace

void keccak256_pairs_avx2(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs,
                          size_t count) {
  keccak_lanes::hash_pairs<Avx2Ops>(lefts, rights, outs, count);
}

}  // namespace cannonball
