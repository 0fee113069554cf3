// The hand-written Keccak-256 against Crypto++'s Keccak_256 (Ethereum's 0x01 padding).
#include <cryptopp/keccak.h>
#include <gtest/gtest.h>

#include <random>

#include "runtime/keccak.h"
#include "tests/runtime/test_util.h"

namespace cannonball {
namespace {

Hash32 reference_keccak(const uint8_t* data, size_t size) {
  CryptoPP::Keccak_256 hasher;
  hasher.Update(data, size);
  Hash32 out;
  hasher.Final(out.data());
  return out;
}

TEST(Keccak, EmptyInputMatchesKnownVector) {
  EXPECT_EQ(to_hex(keccak256(nullptr, 0)), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak, MatchesCryptoppAtRateBoundaries) {
  std::mt19937_64 rng(1);
  for (size_t size : {0, 1, 31, 32, 33, 63, 64, 65, 135, 136, 137, 271, 272, 273, 407, 408, 409}) {
    std::vector<uint8_t> data(size);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    EXPECT_EQ(keccak256(data.data(), data.size()), reference_keccak(data.data(), data.size())) << "size " << size;
  }
}

TEST(Keccak, MatchesCryptoppOnRandomLengths) {
  std::mt19937_64 rng(2);
  for (size_t size = 0; size <= 1000; ++size) {
    std::vector<uint8_t> data(size);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    ASSERT_EQ(keccak256(data), reference_keccak(data.data(), data.size())) << "size " << size;
  }
}

TEST(Keccak, AllOnesAndAllZeroInputsMatchCryptopp) {
  for (uint8_t fill : {0x00, 0xFF}) {
    for (size_t size : {135, 136, 137, 271, 272}) {
      std::vector<uint8_t> data(size, fill);
      EXPECT_EQ(keccak256(data), reference_keccak(data.data(), data.size())) << "size " << size;
    }
  }
}

TEST(Keccak, PairEqualsHashOfConcatenation) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    Hash32 left, right;
    for (auto& b : left) b = static_cast<uint8_t>(rng());
    for (auto& b : right) b = static_cast<uint8_t>(rng());
    uint8_t joined[64];
    std::memcpy(joined, left.data(), 32);
    std::memcpy(joined + 32, right.data(), 32);
    ASSERT_EQ(keccak256_pair(left, right), keccak256(joined, 64));
    ASSERT_EQ(keccak256_pair(left, right), reference_keccak(joined, 64));
  }
}

TEST(Keccak, PairOfZeroLeavesIsZ1) {
  EXPECT_EQ(to_hex(keccak256_pair(Hash32{}, Hash32{})),
            "0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5");
}

TEST(Keccak, PairX4MatchesFourSinglePairs) {
  std::mt19937_64 rng(4);
  for (int round = 0; round < 50; ++round) {
    Hash32 lefts[4], rights[4], outs[4];
    for (int i = 0; i < 4; ++i) {
      for (auto& b : lefts[i]) b = static_cast<uint8_t>(rng());
      for (auto& b : rights[i]) b = static_cast<uint8_t>(rng());
    }
    const Hash32* lp[4] = {&lefts[0], &lefts[1], &lefts[2], &lefts[3]};
    const Hash32* rp[4] = {&rights[0], &rights[1], &rights[2], &rights[3]};
    Hash32* op[4] = {&outs[0], &outs[1], &outs[2], &outs[3]};
    keccak256_pair_x4(lp, rp, op);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(outs[i], keccak256_pair(lefts[i], rights[i])) << "lane " << i;
  }
}

}  // namespace
}  // namespace cannonball
