// Keccak-256 as Ethereum uses it (original 0x01 padding). Hand-written permutations are used on
// the hot path (merkle hashing of 64-byte node pairs): a scalar one and multi-lane SIMD ones
// (keccak_lanes.h); tests check every kernel against Crypto++.
#pragma once

#include <span>

#include "runtime/word.h"

namespace cannonball {

Hash32 keccak256(const uint8_t* data, size_t size);
inline Hash32 keccak256(std::span<const uint8_t> bytes) { return keccak256(bytes.data(), bytes.size()); }

// keccak(left ‖ right), the merkle node rule.
Hash32 keccak256_pair(const Hash32& left, const Hash32& right);

// Many independent keccak(lefts[i] ‖ rights[i]) -> outs[i] (32-byte halves, 32-byte digests): the
// batch entry point for merkle work. It runs the widest kernel the CPU has (8 lanes with AVX-512F,
// 4 with AVX2, else one at a time), chosen once at first use. Outputs may alias nothing but
// themselves; inputs may repeat.
void keccak256_pairs(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs, size_t count);

// The kernels behind keccak256_pairs, for tests and benchmarks that compare them side by side.
enum class KeccakKernel { Scalar, Avx2, Avx512 };
bool keccak_kernel_supported(KeccakKernel kernel);  // compiled in and the CPU has the features
KeccakKernel keccak_best_kernel();
const char* keccak_kernel_name(KeccakKernel kernel);
// Runs one given kernel; it must be supported.
void keccak256_pairs_with(KeccakKernel kernel, const uint8_t* const* lefts, const uint8_t* const* rights,
                          uint8_t* const* outs, size_t count);

}  // namespace cannonball
