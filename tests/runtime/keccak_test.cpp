// The hand-written Keccak-256 against Crypto++'s Keccak_256 (Ethereum's 0x01 padding).
#include <cryptopp/keccak.h>
#include <gtest/gtest.h>

#include <random>

#include "runtime/hex.h"
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

// Every kernel the CPU supports, on batch sizes that exercise full and partial lane groups, with
// repeated and aliased-input pairs, against Crypto++ on the 64-byte concatenation.
TEST(Keccak, EveryPairKernelMatchesCryptopp) {
  std::mt19937_64 rng(4);
  int kernels_run = 0;
  for (KeccakKernel kernel : {KeccakKernel::Scalar, KeccakKernel::Avx2, KeccakKernel::Avx512}) {
    if (!keccak_kernel_supported(kernel)) continue;
    ++kernels_run;
    for (size_t count : {size_t{1}, size_t{3}, size_t{4}, size_t{7}, size_t{8}, size_t{9}, size_t{31}, size_t{64}}) {
      std::vector<Hash32> lefts(count), rights(count), outs(count);
      for (size_t i = 0; i < count; ++i) {
        for (auto& b : lefts[i]) b = static_cast<uint8_t>(rng());
        for (auto& b : rights[i]) b = static_cast<uint8_t>(rng());
      }
      if (count > 2) rights[2] = lefts[2];  // equal halves
      std::vector<const uint8_t*> lp(count), rp(count);
      std::vector<uint8_t*> op(count);
      for (size_t i = 0; i < count; ++i) {
        lp[i] = lefts[i].data();
        rp[i] = rights[i].data();
        op[i] = outs[i].data();
      }
      keccak256_pairs_with(kernel, lp.data(), rp.data(), op.data(), count);
      for (size_t i = 0; i < count; ++i) {
        uint8_t joined[64];
        std::memcpy(joined, lefts[i].data(), 32);
        std::memcpy(joined + 32, rights[i].data(), 32);
        ASSERT_EQ(outs[i], reference_keccak(joined, 64))
            << keccak_kernel_name(kernel) << " count " << count << " item " << i;
      }
    }
  }
  EXPECT_GE(kernels_run, 1);
}

TEST(Keccak, BatchEntryPointUsesTheBestKernelAndAgreesWithPair) {
  std::mt19937_64 rng(5);
  std::vector<Hash32> nodes(40);
  for (auto& h : nodes)
    for (auto& b : h) b = static_cast<uint8_t>(rng());
  std::vector<Hash32> outs(20);
  std::vector<const uint8_t*> lp, rp;
  std::vector<uint8_t*> op;
  for (size_t i = 0; i < 20; ++i) {
    lp.push_back(nodes[2 * i].data());
    rp.push_back(nodes[2 * i + 1].data());
    op.push_back(outs[i].data());
  }
  keccak256_pairs(lp.data(), rp.data(), op.data(), 20);
  for (size_t i = 0; i < 20; ++i) ASSERT_EQ(outs[i], keccak256_pair(nodes[2 * i], nodes[2 * i + 1])) << i;
  EXPECT_TRUE(keccak_kernel_supported(keccak_best_kernel()));
}

}  // namespace
}  // namespace cannonball
