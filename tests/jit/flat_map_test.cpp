// FlatMap (jit/flat_map.h) against std::unordered_map under random inserts, lookups and erases
// (erase's backward shift is where open addressing goes wrong), including growth from a tiny table.
#include "jit/flat_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace cannonball::jit {
namespace {

TEST(FlatMap, AgreesWithUnorderedMapUnderRandomOperations) {
  for (uint64_t key_range : {uint64_t{40}, uint64_t{5000}}) {
    std::mt19937_64 rng(key_range);
    FlatMap<uint64_t> map(4);
    std::unordered_map<uint64_t, uint64_t> reference;
    for (int i = 0; i < 200'000; ++i) {
      const uint64_t key = (rng() % key_range) * 4;  // pcs are 4-aligned
      switch (rng() % 3) {
        case 0: {
          const uint64_t value = rng();
          map.get(key, value) = value;
          reference[key] = value;
          break;
        }
        case 1: ASSERT_EQ(map.erase(key), reference.erase(key) == 1) << i; break;
        default: {
          const uint64_t* found = map.find(key);
          const auto it = reference.find(key);
          ASSERT_EQ(found != nullptr, it != reference.end()) << i;
          if (found) { ASSERT_EQ(*found, it->second) << i; }
        }
      }
      ASSERT_EQ(map.size(), reference.size()) << i;
    }
    size_t seen = 0;
    map.for_each([&](uint64_t key, uint64_t value) {
      ++seen;
      EXPECT_EQ(reference.at(key), value);
    });
    EXPECT_EQ(seen, reference.size());
    map.clear();
    EXPECT_EQ(map.size(), 0u);
    EXPECT_EQ(map.find(4), nullptr);
  }
}

TEST(FlatMap, GetKeepsAnExistingValue) {
  FlatMap<int> map;
  map.get(8, 1) = 5;
  EXPECT_EQ(map.get(8, 1), 5);
  EXPECT_EQ(*map.find(8), 5);
}

}  // namespace
}  // namespace cannonball::jit
