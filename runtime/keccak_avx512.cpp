// The 8-lane merkle pair kernel for CPUs with AVX-512F (built with -mavx512f; called only after
// keccak.cpp has checked the CPU). Ternary logic does theta's column sums and chi in one op each.
// GCC 12's AVX-512 headers start intrinsics from _mm512_undefined_epi32() and then warn about it
// (GCC bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "runtime/keccak_lanes.h"

namespace cannonball {
namespace {

struct Avx512Ops {
  using V = __m512i;
  static constexpr size_t Lanes = 8;
  static V xor2(V a, V b) { return _mm512_xor_si512(a, b); }
  static V xor3(V a, V b, V c) { return _mm512_ternarylogic_epi64(a, b, c, 0x96); }
  static V chi(V a, V b, V c) { return _mm512_ternarylogic_epi64(a, b, c, 0xD2); }
  template <int N>
  static V rotl(V x) {
    return _mm512_rol_epi64(x, N);
  }
  static V broadcast(uint64_t k) { return _mm512_set1_epi64(static_cast<long long>(k)); }
  static V load(const uint64_t* p) { return _mm512_load_si512(p); }
  static void store(uint64_t* p, V v) { _mm512_store_si512(p, v); }
};

}  // namespace

void keccak256_pairs_avx512(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs,
                            size_t count) {
  keccak_lanes::hash_pairs<Avx512Ops>(lefts, rights, outs, count);
}

}  // namespace cannonball
