// Keccak-f[1600] over several independent states at once, one state per vector lane.
//
// Included by one translation unit per instruction set (keccak_avx2.cpp, keccak_avx512.cpp), each
// compiled with its own -m flags; keccak.cpp picks one at run time from the CPU's features. The
// permutation is written once against a small set of lane operations (`Ops`), so the 4-lane and
// 8-lane kernels cannot drift apart. Every kernel is checked against the scalar permutation and
// Crypto++ in tests/runtime/keccak_test.cpp.
//
// The only job here is the merkle node rule keccak(left ‖ right) on 32-byte halves: one 64-byte
// block, one permutation, 32 bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace cannonball::keccak_lanes {

inline constexpr uint64_t RoundConstants[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull, 0x000000000000808Bull,
    0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008Aull, 0x0000000000000088ull,
    0x0000000080008009ull, 0x000000008000000Aull, 0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull,
    0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull};

// Ops must provide: type V; xor2(a,b); xor3(a,b,c); chi(a,b,c) = a ^ (~b & c); rotl<n>(x);
// broadcast(k); load(const uint64_t*) / store(uint64_t*, V) over Ops::Lanes contiguous words.
template <class Ops>
inline void permute(typename Ops::V a[25]) {
  using V = typename Ops::V;
  for (int round = 0; round < 24; ++round) {
    const V c0 = Ops::xor3(Ops::xor3(a[0], a[5], a[10]), a[15], a[20]);
    const V c1 = Ops::xor3(Ops::xor3(a[1], a[6], a[11]), a[16], a[21]);
    const V c2 = Ops::xor3(Ops::xor3(a[2], a[7], a[12]), a[17], a[22]);
    const V c3 = Ops::xor3(Ops::xor3(a[3], a[8], a[13]), a[18], a[23]);
    const V c4 = Ops::xor3(Ops::xor3(a[4], a[9], a[14]), a[19], a[24]);
    const V d0 = Ops::xor2(c4, Ops::template rotl<1>(c1));
    const V d1 = Ops::xor2(c0, Ops::template rotl<1>(c2));
    const V d2 = Ops::xor2(c1, Ops::template rotl<1>(c3));
    const V d3 = Ops::xor2(c2, Ops::template rotl<1>(c4));
    const V d4 = Ops::xor2(c3, Ops::template rotl<1>(c0));
    const V b0 = Ops::xor2(a[0], d0);
    const V b1 = Ops::template rotl<44>(Ops::xor2(a[6], d1));
    const V b2 = Ops::template rotl<43>(Ops::xor2(a[12], d2));
    const V b3 = Ops::template rotl<21>(Ops::xor2(a[18], d3));
    const V b4 = Ops::template rotl<14>(Ops::xor2(a[24], d4));
    const V b5 = Ops::template rotl<28>(Ops::xor2(a[3], d3));
    const V b6 = Ops::template rotl<20>(Ops::xor2(a[9], d4));
    const V b7 = Ops::template rotl<3>(Ops::xor2(a[10], d0));
    const V b8 = Ops::template rotl<45>(Ops::xor2(a[16], d1));
    const V b9 = Ops::template rotl<61>(Ops::xor2(a[22], d2));
    const V b10 = Ops::template rotl<1>(Ops::xor2(a[1], d1));
    const V b11 = Ops::template rotl<6>(Ops::xor2(a[7], d2));
    const V b12 = Ops::template rotl<25>(Ops::xor2(a[13], d3));
    const V b13 = Ops::template rotl<8>(Ops::xor2(a[19], d4));
    const V b14 = Ops::template rotl<18>(Ops::xor2(a[20], d0));
    const V b15 = Ops::template rotl<27>(Ops::xor2(a[4], d4));
    const V b16 = Ops::template rotl<36>(Ops::xor2(a[5], d0));
    const V b17 = Ops::template rotl<10>(Ops::xor2(a[11], d1));
    const V b18 = Ops::template rotl<15>(Ops::xor2(a[17], d2));
    const V b19 = Ops::template rotl<56>(Ops::xor2(a[23], d3));
    const V b20 = Ops::template rotl<62>(Ops::xor2(a[2], d2));
    const V b21 = Ops::template rotl<55>(Ops::xor2(a[8], d3));
    const V b22 = Ops::template rotl<39>(Ops::xor2(a[14], d4));
    const V b23 = Ops::template rotl<41>(Ops::xor2(a[15], d0));
    const V b24 = Ops::template rotl<2>(Ops::xor2(a[21], d1));
    a[0] = Ops::xor2(Ops::chi(b0, b1, b2), Ops::broadcast(RoundConstants[round]));
    a[1] = Ops::chi(b1, b2, b3);
    a[2] = Ops::chi(b2, b3, b4);
    a[3] = Ops::chi(b3, b4, b0);
    a[4] = Ops::chi(b4, b0, b1);
    a[5] = Ops::chi(b5, b6, b7);
    a[6] = Ops::chi(b6, b7, b8);
    a[7] = Ops::chi(b7, b8, b9);
    a[8] = Ops::chi(b8, b9, b5);
    a[9] = Ops::chi(b9, b5, b6);
    a[10] = Ops::chi(b10, b11, b12);
    a[11] = Ops::chi(b11, b12, b13);
    a[12] = Ops::chi(b12, b13, b14);
    a[13] = Ops::chi(b13, b14, b10);
    a[14] = Ops::chi(b14, b10, b11);
    a[15] = Ops::chi(b15, b16, b17);
    a[16] = Ops::chi(b16, b17, b18);
    a[17] = Ops::chi(b17, b18, b19);
    a[18] = Ops::chi(b18, b19, b15);
    a[19] = Ops::chi(b19, b15, b16);
    a[20] = Ops::chi(b20, b21, b22);
    a[21] = Ops::chi(b21, b22, b23);
    a[22] = Ops::chi(b22, b23, b24);
    a[23] = Ops::chi(b23, b24, b20);
    a[24] = Ops::chi(b24, b20, b21);
  }
}

// keccak(lefts[i] ‖ rights[i]) -> outs[i] for i < count, Ops::Lanes at a time. A short last group
// repeats its first input in the unused lanes and discards their results.
template <class Ops>
inline void hash_pairs(const uint8_t* const* lefts, const uint8_t* const* rights, uint8_t* const* outs, size_t count) {
  constexpr size_t Lanes = Ops::Lanes;
  alignas(64) uint64_t words[8][Lanes];
  alignas(64) uint64_t digest[4][Lanes];
  for (size_t base = 0; base < count; base += Lanes) {
    const size_t active = count - base < Lanes ? count - base : Lanes;
    for (size_t lane = 0; lane < Lanes; ++lane) {
      const size_t i = base + (lane < active ? lane : 0);
      for (int w = 0; w < 4; ++w) {
        std::memcpy(&words[w][lane], lefts[i] + 8 * w, 8);
        std::memcpy(&words[4 + w][lane], rights[i] + 8 * w, 8);
      }
    }
    typename Ops::V a[25];
    for (int w = 0; w < 8; ++w) a[w] = Ops::load(words[w]);
    a[8] = Ops::broadcast(0x01);
    for (int w = 9; w < 25; ++w) a[w] = Ops::broadcast(0);
    a[16] = Ops::broadcast(0x8000000000000000ull);
    permute<Ops>(a);
    for (int w = 0; w < 4; ++w) Ops::store(digest[w], a[w]);
    for (size_t lane = 0; lane < active; ++lane)
      for (int w = 0; w < 4; ++w) std::memcpy(outs[base + lane] + 8 * w, &digest[w][lane], 8);
  }
}

}  // namespace cannonball::keccak_lanes
