// Sparse memory and its merkle tree (spec §3), checked against an independent naive tree.
#include <cryptopp/keccak.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "runtime/hex.h"
#include "runtime/keccak.h"
#include "runtime/memory.h"
#include "tests/runtime/test_util.h"

namespace cannonball {
namespace {

using test::hash_from_hex;

// ---- An independent model: a word map and a recursive tree built with Crypto++ ----

Hash32 naive_pair(const Hash32& left, const Hash32& right) {
  CryptoPP::Keccak_256 hasher;
  hasher.Update(left.data(), 32);
  hasher.Update(right.data(), 32);
  Hash32 out;
  hasher.Final(out.data());
  return out;
}

const std::vector<Hash32>& naive_zero_hashes() {
  static const std::vector<Hash32> zeros = [] {
    std::vector<Hash32> z(TreeDepth + 1);
    for (unsigned h = 1; h <= TreeDepth; ++h) z[h] = naive_pair(z[h - 1], z[h - 1]);
    return z;
  }();
  return zeros;
}

// Word-addressed reference memory: absent words are zero.
using WordModel = std::map<Word, Word>;

// The leaves (32-byte chunks) holding at least one non-zero byte, keyed by leaf index.
std::map<Word, Hash32> model_leaves(const WordModel& model) {
  std::map<Word, Hash32> leaves;
  for (const auto& [addr, value] : model) {
    if (value == 0) continue;
    Hash32& leaf = leaves[addr >> 5];
    store_be64(leaf.data() + (addr & 24), value);
  }
  return leaves;
}

// Hash of the subtree of `height` whose first leaf is `first`, over leaves in [begin, end).
Hash32 naive_subtree(unsigned height, Word first, std::map<Word, Hash32>::const_iterator begin,
                     std::map<Word, Hash32>::const_iterator end) {
  if (begin == end) return naive_zero_hashes()[height];
  if (height == 0) return begin->second;
  const Word middle = first + (Word{1} << (height - 1));
  auto split = begin;
  while (split != end && split->first < middle) ++split;
  return naive_pair(naive_subtree(height - 1, first, begin, split), naive_subtree(height - 1, middle, split, end));
}

Hash32 naive_root(const WordModel& model) {
  const auto leaves = model_leaves(model);
  return naive_subtree(TreeDepth, 0, leaves.begin(), leaves.end());
}

// Random sparse pages over the whole 2^52 page range, with some clusters and the extremes.
std::vector<Word> random_page_indices(std::mt19937_64& rng, size_t spread) {
  constexpr Word MaxPage = (Word{1} << (64 - PageAddrBits)) - 1;
  std::set<Word> pages = {0, MaxPage};
  for (size_t i = 0; i < spread; ++i) pages.insert(rng() & MaxPage);
  // Clusters: neighbours of a random page, and pages sharing all but the low bits.
  const Word base = rng() & MaxPage & ~Word{0xFF};
  for (Word i = 0; i < 4; ++i) pages.insert(base + i);
  pages.insert(base + 0x80);
  pages.insert(base ^ (Word{1} << 40));
  return {pages.begin(), pages.end()};
}

// Appends the `count` consecutive page indices from `first` to `pages`.
void append_page_run(std::vector<Word>& pages, Word first, Word count) {
  for (Word i = 0; i < count; ++i) pages.push_back(first + i);
}

void write_both(Memory& mem, WordModel& model, Word addr, Word value) {
  mem.write_word(addr, value);
  model[addr] = value;
}

void fill_random(std::mt19937_64& rng, Memory& mem, WordModel& model, const std::vector<Word>& pages,
                 int words_per_page) {
  for (Word page : pages) {
    for (int i = 0; i < words_per_page; ++i) {
      const Word addr = (page << PageAddrBits) | (rng() & (PageSize - 8));
      write_both(mem, model, addr, rng() % 4 == 0 ? 0 : rng());
    }
  }
}

MemProof flip_byte(MemProof proof, size_t index) {
  proof[index] ^= 0x01;
  return proof;
}

// Every written word (and its neighbours) has a proof that verifies against the root.
void expect_proofs_verify(Memory& mem, const WordModel& model) {
  const Hash32 root = mem.merkle_root();
  for (const auto& [addr, value] : model) {
    for (Word probe : {addr, addr ^ 8, addr ^ 32}) {
      const MemProof proof = mem.merkle_proof(probe);
      ASSERT_TRUE(verify_merkle_proof(root, probe, proof)) << "addr " << hex_word(probe);
      ASSERT_EQ(word_from_proof(probe, proof), mem.read_word(probe)) << "addr " << hex_word(probe);
    }
  }
}

// ---- Tests ----

TEST(Memory, UntouchedReadsReturnZeroAndAllocateNoPage) {
  Memory mem;
  for (Word addr : {Word{0}, Word{0x1000}, Word{0x7FFF'FFFF'F000}, ~Word{7}, Word{0xDEAD'BEEF'0000}}) {
    EXPECT_EQ(mem.read_word(addr), 0u);
    EXPECT_EQ(mem.read_u32(addr), 0u);
    EXPECT_EQ(mem.read_byte(addr + 3), 0u);
    EXPECT_EQ(mem.find_page(addr >> PageAddrBits), nullptr);
  }
  EXPECT_EQ(mem.page_count(), 0u);
  // Roots and proofs of untouched addresses do not allocate either.
  mem.merkle_root();
  mem.merkle_proof(0x1234'5678'0000);
  EXPECT_EQ(mem.page_count(), 0u);
}

TEST(Memory, WriteAllocatesExactlyOnePageEvenWhenWritingZero) {
  Memory mem;
  mem.write_word(0x4000'1238, 0);
  EXPECT_EQ(mem.page_count(), 1u);
  EXPECT_NE(mem.find_page(0x4000'1), nullptr);
  EXPECT_EQ(mem.sorted_page_indices(), std::vector<Word>{0x4000'1});
  mem.write_word(0x4000'1FF8, 7);  // same page
  EXPECT_EQ(mem.page_count(), 1u);
  mem.write_word(0x4000'2000, 7);  // next page
  EXPECT_EQ(mem.page_count(), 2u);
}

TEST(Memory, ReadsBackWrittenWordsBigEndian) {
  Memory mem;
  mem.write_word(0x1008, 0x0102'0304'0506'0708);
  EXPECT_EQ(mem.read_word(0x1008), 0x0102'0304'0506'0708u);
  EXPECT_EQ(mem.read_u32(0x1008), 0x0102'0304u);
  EXPECT_EQ(mem.read_u32(0x100C), 0x0506'0708u);
  for (Word i = 0; i < 8; ++i) EXPECT_EQ(mem.read_byte(0x1008 + i), i + 1);
}

TEST(Memory, EmptyRootIsZ59) {
  Memory mem;
  EXPECT_EQ(to_hex(mem.merkle_root()), "0x14af5385bcbb1e4738bbae8106046e6e2fca42875aa5c000c582587742bcc748");
  EXPECT_EQ(zero_hash(TreeDepth), mem.merkle_root());
}

TEST(Memory, ZeroHashesMatchSpecAndIndependentComputation) {
  EXPECT_EQ(zero_hash(0), Hash32{});
  EXPECT_EQ(to_hex(zero_hash(1)), "0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5");
  EXPECT_EQ(to_hex(zero_hash(7)), "0xffd70157e48063fc33c97a050f7f640233bf646cc98d9524c6b92bcf3ab56f83");
  for (unsigned h = 0; h <= TreeDepth; ++h) EXPECT_EQ(zero_hash(h), naive_zero_hashes()[h]) << "height " << h;
}

TEST(Memory, AllZeroAllocatedPageGivesSameRootAsNoPage) {
  Memory mem;
  const Hash32 empty = mem.merkle_root();
  mem.write_word(0x5000, 0);
  mem.allocate_range(0xABC'0000'0000, 3 * PageSize);
  EXPECT_EQ(mem.page_count(), 4u);
  EXPECT_EQ(mem.merkle_root(), empty);
  // A page that held data and was zeroed again also hashes like an absent page.
  mem.write_word(0x5008, 42);
  EXPECT_NE(mem.merkle_root(), empty);
  mem.write_word(0x5008, 0);
  EXPECT_EQ(mem.merkle_root(), empty);
}

TEST(Memory, SingleWordRootMatchesNaiveTree) {
  for (Word addr : {Word{0}, Word{0x18}, Word{0xFE0}, Word{0x7FFF'FFFF'F000}, ~Word{7}}) {
    Memory mem;
    WordModel model;
    write_both(mem, model, addr, 0x8000'0000'0000'0001);
    EXPECT_EQ(mem.merkle_root(), naive_root(model)) << "addr " << hex_word(addr);
  }
}

TEST(Memory, RandomSparseRootMatchesNaiveTreeBeforeAndAfterFurtherWrites) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    std::mt19937_64 rng(seed);
    Memory mem;
    WordModel model;
    const auto pages = random_page_indices(rng, 12);
    fill_random(rng, mem, model, pages, 6);
    ASSERT_EQ(mem.page_count(), pages.size());
    ASSERT_EQ(mem.merkle_root(), naive_root(model)) << "seed " << seed;
    // Further writes: to existing pages, to new pages, and zeroing existing words.
    fill_random(rng, mem, model, {pages[1], pages[pages.size() / 2]}, 5);
    fill_random(rng, mem, model, random_page_indices(rng, 3), 2);
    for (auto& [addr, value] : model)
      if (rng() % 3 == 0) write_both(mem, model, addr, 0);
    ASSERT_EQ(mem.merkle_root(), naive_root(model)) << "seed " << seed;
  }
}

TEST(Memory, ProofVerifiesAgainstRootForEveryWrittenWord) {
  std::mt19937_64 rng(10);
  Memory mem;
  WordModel model;
  fill_random(rng, mem, model, random_page_indices(rng, 10), 4);
  expect_proofs_verify(mem, model);
}

TEST(Memory, ProofVerifiesAgainstRootAfterWrite) {
  std::mt19937_64 rng(11);
  Memory mem;
  WordModel model;
  const auto pages = random_page_indices(rng, 8);
  fill_random(rng, mem, model, pages, 4);
  expect_proofs_verify(mem, model);
  fill_random(rng, mem, model, pages, 3);
  fill_random(rng, mem, model, random_page_indices(rng, 2), 1);
  expect_proofs_verify(mem, model);
  EXPECT_EQ(mem.merkle_root(), naive_root(model));
}

TEST(Memory, ProofOfUntouchedAddressVerifiesAndHoldsZero) {
  std::mt19937_64 rng(12);
  Memory mem;
  WordModel model;
  fill_random(rng, mem, model, random_page_indices(rng, 5), 3);
  const Hash32 root = mem.merkle_root();
  for (int i = 0; i < 50; ++i) {
    const Word addr = rng() & ~Word{7};
    if (mem.find_page(addr >> PageAddrBits)) continue;
    const MemProof proof = mem.merkle_proof(addr);
    EXPECT_TRUE(verify_merkle_proof(root, addr, proof));
    EXPECT_EQ(word_from_proof(addr, proof), 0u);
  }
  Memory empty;
  EXPECT_TRUE(verify_merkle_proof(empty.merkle_root(), 0x1000, empty.merkle_proof(0x1000)));
}

TEST(Memory, ProofLeafIsTheAlignedThirtyTwoBytes) {
  Memory mem;
  for (Word i = 0; i < 4; ++i) mem.write_word(0x2040 + 8 * i, 0x1111'1111'1111'1111 * (i + 1));
  const MemProof proof = mem.merkle_proof(0x2050);
  for (Word i = 0; i < 4; ++i) EXPECT_EQ(load_be64(proof.data() + 8 * i), mem.read_word(0x2040 + 8 * i));
  for (Word addr = 0x2040; addr < 0x2060; addr += 8) EXPECT_EQ(word_from_proof(addr, proof), mem.read_word(addr));
}

TEST(Memory, TamperedProofOrWrongAddressFailsVerification) {
  std::mt19937_64 rng(13);
  Memory mem;
  WordModel model;
  fill_random(rng, mem, model, random_page_indices(rng, 4), 3);
  const Word addr = model.rbegin()->first;
  const Hash32 root = mem.merkle_root();
  const MemProof proof = mem.merkle_proof(addr);
  ASSERT_TRUE(verify_merkle_proof(root, addr, proof));
  for (size_t index : {size_t{0}, size_t{31}, size_t{32}, size_t{7 * 32 + 5}, MemProofSize - 1})
    EXPECT_FALSE(verify_merkle_proof(root, addr, flip_byte(proof, index))) << "byte " << index;
  EXPECT_FALSE(verify_merkle_proof(root, addr ^ 32, proof));
  EXPECT_FALSE(verify_merkle_proof(root, addr ^ (Word{1} << 63), proof));
  Hash32 other = root;
  other[31] ^= 1;
  EXPECT_FALSE(verify_merkle_proof(other, addr, proof));
}

TEST(Memory, RootAfterWriteEqualsRealRootAfterWriteWord) {
  std::mt19937_64 rng(14);
  Memory mem;
  WordModel model;
  const auto pages = random_page_indices(rng, 6);
  fill_random(rng, mem, model, pages, 3);
  for (int i = 0; i < 60; ++i) {
    // Existing words, untouched words in allocated pages, and words in unallocated pages.
    Word addr;
    switch (i % 3) {
      case 0: addr = std::next(model.begin(), static_cast<long>(rng() % model.size()))->first; break;
      case 1: addr = (pages[rng() % pages.size()] << PageAddrBits) | (rng() & (PageSize - 8)); break;
      default: addr = rng() & ~Word{7}; break;
    }
    const Word value = i % 7 == 0 ? 0 : rng();
    const MemProof proof = mem.merkle_proof(addr);
    const Hash32 predicted = root_after_write(addr, value, proof);
    write_both(mem, model, addr, value);
    ASSERT_EQ(predicted, mem.merkle_root()) << "addr " << hex_word(addr);
    ASSERT_EQ(mem.read_word(addr), value);
  }
  EXPECT_EQ(mem.merkle_root(), naive_root(model));
}

TEST(Memory, RootsTakenBetweenWritesToSamePageStayCorrect) {
  Memory mem;
  WordModel model;
  std::mt19937_64 rng(15);
  const Word page = 0x0000'1234'5600'0000 >> PageAddrBits;
  for (int i = 0; i < 40; ++i) {
    write_both(mem, model, (page << PageAddrBits) | (rng() & (PageSize - 8)), rng());
    if (i % 3 == 0) { ASSERT_EQ(mem.merkle_root(), naive_root(model)) << "write " << i; }
  }
  EXPECT_EQ(mem.merkle_root(), naive_root(model));
}

TEST(Memory, RootsTakenBetweenWritesToDifferentPagesStayCorrect) {
  Memory mem;
  WordModel model;
  std::mt19937_64 rng(16);
  const auto pages = random_page_indices(rng, 6);
  for (int i = 0; i < 60; ++i) {
    const Word page = pages[rng() % pages.size()];
    write_both(mem, model, (page << PageAddrBits) | (rng() & (PageSize - 8)), rng());
    // A proof flushes too; mix both ways of forcing the flush.
    if (i % 4 == 0) { ASSERT_EQ(mem.merkle_root(), naive_root(model)) << "write " << i; }
    if (i % 5 == 0) {
      const Word addr = std::next(model.begin(), static_cast<long>(rng() % model.size()))->first;
      ASSERT_TRUE(verify_merkle_proof(naive_root(model), addr, mem.merkle_proof(addr))) << "write " << i;
    }
  }
  EXPECT_EQ(mem.merkle_root(), naive_root(model));
}

TEST(Memory, RepeatedRootWithoutWritesIsStable) {
  Memory mem;
  mem.write_word(0x8000, 5);
  const Hash32 first = mem.merkle_root();
  EXPECT_EQ(mem.merkle_root(), first);
  mem.write_word(0x8000, 5);  // rewriting the same value keeps the root
  EXPECT_EQ(mem.merkle_root(), first);
}

TEST(Memory, CopyEqualsOriginalAndIsIndependent) {
  std::mt19937_64 rng(17);
  Memory original;
  WordModel model;
  const auto pages = random_page_indices(rng, 5);
  fill_random(rng, original, model, pages, 3);
  const Hash32 root = original.merkle_root();
  // Leave some pages dirty at copy time, so the copy inherits pending work.
  fill_random(rng, original, model, {pages[0]}, 2);
  Memory copy(original);
  EXPECT_TRUE(copy == original);
  EXPECT_EQ(copy.page_count(), original.page_count());
  EXPECT_EQ(copy.merkle_root(), original.merkle_root());
  EXPECT_EQ(copy.merkle_root(), naive_root(model));
  EXPECT_NE(copy.merkle_root(), root);

  const Hash32 before = original.merkle_root();
  copy.write_word(pages[1] << PageAddrBits, 0xFEED);
  copy.write_word(0x0000'0BAD'0000'0000, 1);  // a page the original lacks
  EXPECT_FALSE(copy == original);
  EXPECT_EQ(original.merkle_root(), before);
  EXPECT_EQ(original.read_word(0x0000'0BAD'0000'0000), 0u);
  EXPECT_EQ(original.page_count(), pages.size());
  EXPECT_NE(copy.merkle_root(), before);

  // And the other way round: writes to the original leave the copy alone.
  Memory assigned;
  assigned = original;
  original.write_word(pages[2] << PageAddrBits, 0xBEEF);
  EXPECT_EQ(assigned.merkle_root(), before);
  EXPECT_EQ(assigned.read_word(pages[2] << PageAddrBits), model[pages[2] << PageAddrBits]);
}

TEST(Memory, CopyOfCleanMemorySharesEveryPageAndWritesCloneOnlyTheirPage) {
  std::mt19937_64 rng(31);
  Memory original;
  WordModel model;
  const auto pages = random_page_indices(rng, 6);
  fill_random(rng, original, model, pages, 3);
  const Hash32 root = original.merkle_root();  // flushed: every page is clean
  Memory copy(original);
  EXPECT_EQ(copy.pages_shared_with(original), pages.size());
  EXPECT_EQ(original.pages_shared_with(copy), pages.size());

  WordModel copy_model = model;
  const uint64_t version = copy.layout_version();
  write_both(copy, copy_model, pages[1] << PageAddrBits, 0xC0FFEE);
  EXPECT_NE(copy.layout_version(), version);
  EXPECT_EQ(copy.pages_shared_with(original), pages.size() - 1);
  // A second write to the now private page clones nothing more.
  const uint64_t after_clone = copy.layout_version();
  write_both(copy, copy_model, (pages[1] << PageAddrBits) + 8, 0xDECAF);
  EXPECT_EQ(copy.layout_version(), after_clone);
  EXPECT_EQ(copy.pages_shared_with(original), pages.size() - 1);

  EXPECT_EQ(original.merkle_root(), root);
  EXPECT_EQ(original.merkle_root(), naive_root(model));
  EXPECT_EQ(copy.merkle_root(), naive_root(copy_model));
  expect_proofs_verify(copy, copy_model);
  expect_proofs_verify(original, model);

  // The original writing a page the copy still shares clones it on its side too.
  write_both(original, model, pages[2] << PageAddrBits, 0xABC);
  EXPECT_EQ(copy.read_word(pages[2] << PageAddrBits), copy_model[pages[2] << PageAddrBits]);
  EXPECT_EQ(copy.pages_shared_with(original), pages.size() - 2);
  EXPECT_EQ(original.merkle_root(), naive_root(model));
  EXPECT_EQ(copy.merkle_root(), naive_root(copy_model));
}

TEST(Memory, PagesWithUnflushedWritesAreCopiedNotShared) {
  std::mt19937_64 rng(32);
  Memory original;
  WordModel model;
  const auto pages = random_page_indices(rng, 4);
  fill_random(rng, original, model, pages, 2);
  original.merkle_root();
  write_both(original, model, pages[0] << PageAddrBits, 77);  // pages[0] is dirty again
  Memory copy(original);
  EXPECT_EQ(copy.pages_shared_with(original), pages.size() - 1);
  EXPECT_EQ(copy.merkle_root(), naive_root(model));
  EXPECT_EQ(original.merkle_root(), naive_root(model));
}

// Checkpoints as the prover takes them: before each copy, only the dirty pages unchanged since the
// previous copy are hashed (and then shared); pages written since stay dirty and are copied. The
// live memory, every checkpoint and copies of them keep exact roots and proofs.
TEST(Memory, HashingSettledPagesSharesOnlyThePagesUnchangedSinceThePreviousCopy) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    std::mt19937_64 rng(40 + seed);
    Memory live;
    WordModel model;
    const auto pages = random_page_indices(rng, 10);
    fill_random(rng, live, model, pages, 4);
    live.merkle_root();
    // Checkpoint 1: pages[0] and pages[1] written since the root, and one new page.
    const Word fresh = 0x0000'0ABC'0000'0000 >> PageAddrBits;
    write_both(live, model, pages[0] << PageAddrBits, rng());
    write_both(live, model, (pages[1] << PageAddrBits) | 8, rng());
    write_both(live, model, fresh << PageAddrBits, rng());
    const WordModel model1 = model;
    auto first = std::make_unique<Memory>(live);
    EXPECT_EQ(first->pages_shared_with(live), pages.size() - 2) << "seed " << seed;
    // Before checkpoint 2: pages[0] written again, pages[1] and the new page left alone.
    write_both(live, model, pages[0] << PageAddrBits, rng() | 1);
    const Word epoch = live.clean_epoch();
    live.hash_settled_pages(*first);
    EXPECT_NE(live.clean_epoch(), epoch) << "seed " << seed;
    const Memory second(live);
    const WordModel model2 = model;
    // pages[1] and the new page were hashed and are shared now; pages[0] is still dirty: copied.
    EXPECT_EQ(second.pages_shared_with(live), pages.size()) << "seed " << seed;
    // Nothing settled since: nothing hashed, no store permission revoked.
    const Word epoch2 = live.clean_epoch();
    live.hash_settled_pages(*first);  // pages[0] still differs from the first copy
    EXPECT_EQ(live.clean_epoch(), epoch2) << "seed " << seed;
    // Later writes to the live memory leave the checkpoints alone, and every root is exact.
    write_both(live, model, (pages[2] << PageAddrBits) | 16, rng());
    write_both(live, model, pages[0] << PageAddrBits, 5);
    Memory replay(second);
    EXPECT_EQ(first->merkle_root(), naive_root(model1)) << "seed " << seed;
    EXPECT_EQ(live.merkle_root(), naive_root(model)) << "seed " << seed;
    ASSERT_NO_FATAL_FAILURE(expect_proofs_verify(live, model));
    EXPECT_EQ(replay.merkle_root(), naive_root(model2)) << "seed " << seed;
    ASSERT_NO_FATAL_FAILURE(expect_proofs_verify(replay, model2));
  }
}

TEST(Memory, OwnPageMakesASharedPagePrivateWithoutChangingTheRoot) {
  Memory original;
  original.write_word(0x5000, 9);
  const Hash32 root = original.merkle_root();
  Memory copy(original);
  ASSERT_EQ(copy.pages_shared_with(original), 1u);
  Page* page = copy.own_page(0x5);
  ASSERT_NE(page, nullptr);
  EXPECT_NE(page, original.find_page(0x5));
  EXPECT_EQ(copy.pages_shared_with(original), 0u);
  EXPECT_FALSE(page->merkle_dirty);
  EXPECT_EQ(copy.merkle_root(), root);
  EXPECT_EQ(copy.own_page(0x5), page);  // already private
  EXPECT_EQ(copy.own_page(0x6), nullptr);
}

TEST(Memory, SharedPageCallsTheCodeWriteHookOnItsFirstWrite) {
  // A JIT may have translated a page before a copy shared it, so the clone made by the first
  // write must reach the hook of the memory that writes.
  Memory original;
  original.write_word(0x7000, 1);
  original.merkle_root();
  Memory copy(original);
  int calls = 0;
  copy.set_code_write_hook(
      [](void* ctx, Page& page) {
        ++*static_cast<int*>(ctx);
        page.has_code = false;
      },
      &calls);
  copy.write_word(0x7008, 2);
  EXPECT_EQ(calls, 1);
  copy.write_word(0x7010, 3);
  EXPECT_EQ(calls, 1);
}

TEST(Memory, CopiesOfOneCheckpointWrittenOnManyThreadsStayIndependent) {
  std::mt19937_64 rng(33);
  Memory checkpoint;
  WordModel model;
  const auto pages = random_page_indices(rng, 8);
  fill_random(rng, checkpoint, model, pages, 4);
  const Hash32 root = checkpoint.merkle_root();
  constexpr int Threads = 4;
  std::vector<Hash32> roots(Threads), expected(Threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < Threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 local(100 + t);
      for (int round = 0; round < 20; ++round) {
        Memory copy(checkpoint);
        WordModel local_model = model;
        fill_random(local, copy, local_model, {pages[static_cast<size_t>(round) % pages.size()], pages[0]}, 3);
        roots[t] = copy.merkle_root();
        expected[t] = naive_root(local_model);
        if (roots[t] != expected[t]) return;
      }
    });
  }
  for (auto& w : workers) w.join();
  for (int t = 0; t < Threads; ++t) EXPECT_EQ(roots[t], expected[t]) << "thread " << t;
  EXPECT_EQ(checkpoint.merkle_root(), root);
  EXPECT_EQ(checkpoint.merkle_root(), naive_root(model));
}

TEST(Memory, EqualityComparesContentsAndPageSet) {
  Memory a, b;
  a.write_word(0x1000, 1);
  b.write_word(0x1000, 1);
  EXPECT_TRUE(a == b);
  b.write_word(0x1008, 2);
  EXPECT_FALSE(a == b);
  a.write_word(0x1008, 2);
  EXPECT_TRUE(a == b);
  a.write_word(0x9000, 0);  // same bytes, but one more page
  EXPECT_FALSE(a == b);
}

TEST(Memory, WriteBytesCrossesPageBoundaries) {
  Memory mem;
  std::vector<uint8_t> data(PageSize + 100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);
  const Word base = 0x3000 + PageSize - 50;
  mem.write_bytes(base, data.data(), data.size());
  EXPECT_EQ(mem.page_count(), 3u);
  for (size_t i = 0; i < data.size(); ++i) ASSERT_EQ(mem.read_byte(base + i), data[i]) << "offset " << i;
  WordModel model;
  for (Word addr = 0x3000; addr < 0x6000; addr += 8) model[addr] = mem.read_word(addr);
  EXPECT_EQ(mem.merkle_root(), naive_root(model));
}

TEST(Memory, AllocateRangeAllocatesEveryOverlappingPage) {
  Memory mem;
  mem.allocate_range(0x10FFF, 2);  // straddles one boundary
  EXPECT_EQ(mem.sorted_page_indices(), (std::vector<Word>{0x10, 0x11}));
  mem.allocate_range(0x20000, 0);
  EXPECT_EQ(mem.page_count(), 2u);
  mem.allocate_range(~Word{0} - PageSize - 10, PageSize + 11);  // up to the very last byte
  EXPECT_EQ(mem.page_count(), 4u);
  EXPECT_NE(mem.find_page(~Word{0} >> PageAddrBits), nullptr);
}

TEST(Memory, FillZeroClearsWrittenBytesInRangeAndAllocatesAbsentPages) {
  Memory mem;
  std::vector<uint8_t> data(2 * PageSize);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 5 + 3);
  mem.write_bytes(0x8000, data.data(), data.size());  // pages 8 and 9
  mem.merkle_root();                                   // clean: zeroing must mark them dirty again
  mem.fill_zero(0x8000 + 100, 3 * PageSize);           // the end of page 8, page 9, absent 10 and 11
  EXPECT_EQ(mem.sorted_page_indices(), (std::vector<Word>{8, 9, 10, 11}));
  for (Word addr = 0x8000; addr < 0xC000; ++addr) {
    const bool zeroed = addr >= 0x8000 + 100 && addr < 0x8000 + 100 + 3 * PageSize;
    const uint8_t before = addr < 0xA000 ? data[addr - 0x8000] : 0;
    ASSERT_EQ(mem.read_byte(addr), zeroed ? 0 : before) << std::hex << addr;
  }
  WordModel model;
  for (Word addr = 0x8000; addr < 0xC000; addr += 8) model[addr] = mem.read_word(addr);
  EXPECT_EQ(mem.merkle_root(), naive_root(model));
}

TEST(Memory, ZeroFilledPagesAreOneSharedPageUntilWritten) {
  // A loader's bss: the pages are present (the page set is what state files record) but cost
  // nothing until written, and a write reaches only the page written, in one memory.
  Memory a, b;
  const Word base = 0x100000;
  a.fill_zero(base, 64 * PageSize);
  b.fill_zero(base, 64 * PageSize);
  b.allocate_range(base + 64 * PageSize, 2 * PageSize);
  EXPECT_EQ(a.page_count(), 64u);
  EXPECT_EQ(b.page_count(), 66u);
  EXPECT_EQ(a.pages_shared_with(b), 64u);
  const Hash32 empty = Memory().merkle_root();
  EXPECT_EQ(a.merkle_root(), empty);

  WordModel model;
  for (Word page = 0; page < 64; page += 3) write_both(a, model, base + page * PageSize + 8 * page, page + 1);
  EXPECT_EQ(a.pages_shared_with(b), 64u - 22u);
  EXPECT_EQ(a.merkle_root(), naive_root(model));
  EXPECT_EQ(b.merkle_root(), empty);
  for (Word addr = base; addr < base + 66 * PageSize; addr += 8) {
    ASSERT_EQ(b.read_word(addr), 0u) << std::hex << addr;
    const auto it = model.find(addr);
    ASSERT_EQ(a.read_word(addr), it == model.end() ? 0 : it->second) << std::hex << addr;
  }
  std::vector<Word> expected;
  for (Word page = 0; page < 64; ++page) expected.push_back((base >> PageAddrBits) + page);
  EXPECT_EQ(a.sorted_page_indices(), expected);
  // A copy shares the zero pages too, and the original's writes stay its own.
  Memory c = a;
  write_both(a, model, base + 4 * PageSize, 99);
  EXPECT_EQ(c.read_word(base + 4 * PageSize), 0u);
  EXPECT_EQ(a.merkle_root(), naive_root(model));
}

TEST(Memory, RehashPendingNamesExactlyThePagesWrittenSinceTheLastRoot) {
  Memory mem;
  mem.write_word(0x1000, 1);
  mem.fill_zero(0x2000, PageSize);  // present, but the shared zero page: nothing to rehash
  EXPECT_TRUE(mem.rehash_pending(1));
  EXPECT_FALSE(mem.rehash_pending(2));
  EXPECT_FALSE(mem.rehash_pending(3));  // absent
  mem.merkle_root();
  EXPECT_FALSE(mem.rehash_pending(1));
  mem.write_word(0x2008, 7);  // the zero page is cloned and the clone is written
  EXPECT_TRUE(mem.rehash_pending(2));
  EXPECT_FALSE(mem.rehash_pending(1));
  // A page changed through a raw pointer without mark_dirty is not pending: a checker comparing
  // its bytes with those last hashed finds the change (the root would be stale).
  Page* page = mem.find_page_mut(1);
  page->bytes[0] = 9;
  EXPECT_FALSE(mem.rehash_pending(1));
  // A copy lists its unhashed pages as its own.
  Memory copy = mem;
  EXPECT_TRUE(copy.rehash_pending(2));
  EXPECT_FALSE(copy.rehash_pending(1));
}

// make_page's storage (a slot pool in optimised builds): every page is zero when handed out, even
// in a slot a released page filled, pages never overlap across the pool's chunks, and pages
// released on other threads while this one allocates come back whole.
TEST(Memory, NewPagesAreZeroDistinctAndSurviveReleaseOnOtherThreads) {
  constexpr size_t Count = 3000;  // several 2 MiB chunks of pool slots
  std::vector<std::shared_ptr<Page>> pages;
  for (size_t i = 0; i < Count; ++i) {
    pages.push_back(make_page());
    Page& page = *pages.back();
    ASSERT_EQ(reinterpret_cast<uintptr_t>(page.bytes) % alignof(Page), 0u);
    for (uint8_t byte : page.bytes) ASSERT_EQ(byte, 0);
    EXPECT_EQ(page.index, 0u);
    EXPECT_FALSE(page.merkle_dirty);
    EXPECT_FALSE(page.has_code);
    std::memset(page.bytes, static_cast<int>(i % 251) + 1, PageSize);
    page.index = i;
    page.merkle_dirty = page.has_code = true;
  }
  std::set<const Page*> distinct;
  for (const auto& page : pages) distinct.insert(page.get());
  EXPECT_EQ(distinct.size(), Count);
  // Half of them released on two other threads while this one takes new pages.
  std::vector<std::shared_ptr<Page>> first(pages.begin(), pages.begin() + Count / 4);
  std::vector<std::shared_ptr<Page>> second(pages.begin() + Count / 4, pages.begin() + Count / 2);
  pages.erase(pages.begin(), pages.begin() + Count / 2);
  std::thread a([list = std::move(first)]() mutable { list.clear(); });
  std::thread b([list = std::move(second)]() mutable { list.clear(); });
  std::vector<std::shared_ptr<Page>> fresh;
  for (size_t i = 0; i < Count; ++i) fresh.push_back(make_page());
  a.join();
  b.join();
  for (size_t i = 0; i < Count; ++i) fresh.push_back(make_page());  // now mostly released slots
  for (const auto& page : fresh) {
    ASSERT_EQ(page->index, 0u);
    ASSERT_FALSE(page->merkle_dirty || page->has_code);
    for (uint8_t byte : page->bytes) ASSERT_EQ(byte, 0);
  }
  for (const auto& page : pages) {  // the kept pages were not handed out again or overwritten
    const auto fill = static_cast<uint8_t>(page->index % 251 + 1);
    for (uint8_t byte : page->bytes) ASSERT_EQ(byte, fill);
    ASSERT_TRUE(distinct.count(page.get()));
  }
  std::set<const Page*> all(distinct.begin(), distinct.end());
  size_t reused = 0;
  for (const auto& page : fresh) reused += all.count(page.get());
  EXPECT_LE(reused, Count / 2);  // only the released ones can come back
  for (const auto& page : fresh) all.insert(page.get());
  EXPECT_EQ(all.size(), distinct.size() + fresh.size() - reused);
}

// Hashing on another core (Memory::hash_in_background): pages handed off count as clean, a write
// after the hand-off marks its page dirty again (whatever the helper read of it, hashed before,
// during or after that write), and every root and proof is the naive tree's.
TEST(Memory, BackgroundHashingGivesTheNaiveRootWhenHandedOffPagesAreWrittenAgain) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    Memory mem;
    WordModel model;
    // Many pages in a few clusters, so the helper takes long enough to overlap the writes below.
    std::vector<Word> pages = random_page_indices(rng, 8);
    const Word base = rng() & ((Word{1} << 40) - 1);
    append_page_run(pages, base, 400);
    fill_random(rng, mem, model, pages, 3);
    size_t handed = 0;
    for (int round = 0; round < 6; ++round) {
      if (mem.hash_in_background()) ++handed;
      // Written while the helper may be hashing them: handed-off pages, new pages, zeroed words.
      for (int i = 0; i < 200; ++i) {
        const Word page = pages[rng() % pages.size()];
        write_both(mem, model, (page << PageAddrBits) | (rng() & (PageSize - 8)), rng() % 5 == 0 ? 0 : rng());
      }
      fill_random(rng, mem, model, random_page_indices(rng, 2), 3);
      if (round == 2) {
        ASSERT_EQ(mem.merkle_root(), naive_root(model)) << "round " << round;
      }
    }
    EXPECT_GE(handed, 1u);
    mem.hash_in_background();
    expect_proofs_verify(mem, model);
    ASSERT_EQ(mem.merkle_root(), naive_root(model));
    EXPECT_EQ(mem.background_pages(), 0u);
  }
}

// A written page is pending again after its hand-off, and a page written through a raw pointer
// without mark_dirty would not be (the checkers' contract stays as without the helper).
TEST(Memory, PagesWrittenAfterTheHandOffAreDirtyAgain) {
  Memory mem;
  for (Word page = 1; page <= 64; ++page) mem.write_word(page << PageAddrBits, page);
  const Word epoch = mem.clean_epoch();
  ASSERT_TRUE(mem.hash_in_background());
  EXPECT_EQ(mem.background_pages(), 64u);
  EXPECT_NE(mem.clean_epoch(), epoch);  // the JIT revokes its store permissions
  EXPECT_FALSE(mem.rehash_pending(5));
  EXPECT_FALSE(mem.find_page(5)->merkle_dirty);
  mem.write_word((Word{5} << PageAddrBits) | 8, 99);
  EXPECT_TRUE(mem.rehash_pending(5));
  EXPECT_FALSE(mem.rehash_pending(6));
  mem.finish_background_hash();
  EXPECT_EQ(mem.background_pages(), 0u);
  EXPECT_TRUE(mem.rehash_pending(5));  // the helper's root of page 5 is replaced at the next root
  Memory fresh;
  for (Word page = 1; page <= 64; ++page) fresh.write_word(page << PageAddrBits, page);
  fresh.write_word((Word{5} << PageAddrBits) | 8, 99);
  EXPECT_EQ(mem.merkle_root(), fresh.merkle_root());
}

// Copies, moves and the destructor wait for the helper: a copy taken during a hand-off shares the
// handed-off pages with their nodes installed, and a memory replaced or dropped mid-hand-off
// frees its pages only after the helper is done with them.
TEST(Memory, CopyMoveAndDestructionDuringAHandOffAreSafe) {
  std::mt19937_64 rng(31);
  WordModel model;
  Memory mem;
  std::vector<Word> pages;
  append_page_run(pages, 0x400, 2000);
  fill_random(rng, mem, model, pages, 4);
  const Hash32 expected = naive_root(model);
  ASSERT_TRUE(mem.hash_in_background());
  Memory copy = mem;  // waits for mem's helper
  EXPECT_EQ(mem.background_pages(), 0u);
  EXPECT_EQ(copy.pages_shared_with(mem), pages.size());
  EXPECT_EQ(copy.merkle_root(), expected);
  EXPECT_EQ(mem.merkle_root(), expected);

  Memory moved_from = copy;
  fill_random(rng, moved_from, model, {pages[3], pages[1000]}, 2);
  const Hash32 expected2 = naive_root(model);
  ASSERT_TRUE(moved_from.hash_in_background());
  Memory target = mem;
  target.write_word(0x123000, 5);
  ASSERT_TRUE(target.hash_in_background());
  target = std::move(moved_from);  // drops target's own hand-off, takes over moved_from's
  EXPECT_EQ(target.merkle_root(), expected2);
  {
    Memory dropped = target;
    dropped.write_word(0x999000, 1);
    for (Word page : pages) dropped.write_word((page << PageAddrBits) | 16, page);
    ASSERT_TRUE(dropped.hash_in_background());
  }  // the destructor waits
  EXPECT_EQ(target.merkle_root(), expected2);
}

// A root asked for right after a large hand-off: the waiting thread claims the groups the helper
// has not reached (both hash the one hand-off), and the root is the naive tree's every time.
TEST(Memory, RootRightAfterALargeHandOffIsHashedByBothThreads) {
  std::mt19937_64 rng(47);
  WordModel model;
  Memory mem;
  std::vector<Word> pages;
  append_page_run(pages, 0x7000, 3000);
  for (int round = 0; round < 4; ++round) {
    fill_random(rng, mem, model, pages, 2);
    ASSERT_TRUE(mem.hash_in_background());
    EXPECT_EQ(mem.background_pages(), pages.size());
    ASSERT_EQ(mem.merkle_root(), naive_root(model)) << "round " << round;
    EXPECT_EQ(mem.background_pages(), 0u);
  }
}

TEST(Memory, SortedPageIndicesAreAscending) {
  std::mt19937_64 rng(18);
  Memory mem;
  WordModel model;
  auto pages = random_page_indices(rng, 20);
  std::shuffle(pages.begin(), pages.end(), rng);
  fill_random(rng, mem, model, pages, 1);
  std::sort(pages.begin(), pages.end());
  EXPECT_EQ(mem.sorted_page_indices(), pages);
}

}  // namespace
}  // namespace cannonball
