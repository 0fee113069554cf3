// Keccak-256 as Ethereum uses it (original 0x01 padding). A hand-written permutation is used on
// the hot path (merkle hashing of 64-byte node pairs); tests check it against Crypto++.
#pragma once

#include <span>

#include "runtime/word.h"

namespace cannonball {

Hash32 keccak256(const uint8_t* data, size_t size);
inline Hash32 keccak256(std::span<const uint8_t> bytes) { return keccak256(bytes.data(), bytes.size()); }

// keccak(left ‖ right), the merkle node rule.
Hash32 keccak256_pair(const Hash32& left, const Hash32& right);

// Four independent keccak(left‖right): the batch entry point for merkle flushes. It hashes them one
// after the other today; an interleaved or SIMD version can replace it behind this signature.
void keccak256_pair_x4(const Hash32* lefts[4], const Hash32* rights[4], Hash32* outs[4]);

}  // namespace cannonball
