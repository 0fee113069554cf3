// Pages filled ahead of the parser by the parallel gzip reader (runtime/state_file_sources.h), and
// reads that keep only the memory's root (StateReadOptions::memory_root, memory_root): the bytes,
// states, roots and witnesses must be exactly those of the plain paths.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "runtime/state_file.h"
#include "runtime/keccak.h"
#include "runtime/state_file_sources.h"
#include "tests/runtime/test_util.h"

namespace cannonball {
namespace {

using test::TempDir;

// Random pages, all-zero pages and sparse pages, over enough members (1 MiB each) that page
// records straddle member boundaries many times.
State mixed_state(Word pages) {
  State state = make_initial_state(0x1000);
  std::mt19937_64 rng(7);
  for (Word p = 0; p < pages; ++p) {
    const Word addr = 0x400000 + p * PageSize;
    switch (p % 5) {
      case 0: state.memory.fill_zero(addr, PageSize); break;  // a record of zero bytes
      case 1: state.memory.write_word(addr + 8 * (rng() % PageWords), rng()); break;
      default:
        for (Word w = 0; w < PageWords; ++w) state.memory.write_word(addr + 8 * w, rng());
    }
  }
  state.step = 12345;
  state.last_hint = {9, 8, 7};
  return state;
}

// The descriptor and member list of `path`, as read_state_file opens a parallel source.
struct OpenSource {
  explicit OpenSource(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat info {};
    ::fstat(fd, &info);
    members = state_io::ParallelGzipSource::index(fd, static_cast<uint64_t>(info.st_size));
  }
  ~OpenSource() { ::close(fd); }
  int fd;
  std::vector<state_io::ParallelGzipSource::Member> members;
};

// Reads the whole uncompressed stream through a ParallelGzipSource as a parser would: the header
// plainly, then each record's index plainly and its body taken whole when the source filled it,
// except that every third filled body is read plainly instead (the source must then serve its
// bytes unchanged). Pages taken are appended as their bytes; with `roots_only`, a taken body is
// appended as zeros and its root to `roots` (with its index). Counts the bodies taken.
std::vector<uint8_t> read_through_source(const std::string& path, size_t& taken, bool roots_only = false,
                                         std::vector<PageRoot>* roots = nullptr) {
  OpenSource open(path);
  EXPECT_GE(open.fd, 0);
  EXPECT_GT(open.members.size(), 4u);
  state_io::ParallelGzipSource source(open.fd, path, open.members, roots_only);
  std::vector<uint8_t> out;
  auto read_plain = [&](size_t size) {
    while (size > 0) {
      uint8_t buffer[5000];
      const size_t n = source.read_some(buffer, std::min(size, sizeof buffer));
      if (n == 0) return false;
      out.insert(out.end(), buffer, buffer + n);
      size -= n;
    }
    return true;
  };
  EXPECT_TRUE(read_plain(9));
  const Word count = load_be64(out.data() + 1);
  source.expect_page_records(9, count);
  taken = 0;
  size_t filled_seen = 0;
  for (Word record = 0; record < count; ++record) {
    EXPECT_TRUE(read_plain(8));
    state_io::FilledPage filled;
    if (++filled_seen % 3 != 0 && source.take_filled_page(filled)) {
      ++taken;
      EXPECT_EQ(filled.hashed, roots_only);
      if (filled.hashed) {
        EXPECT_FALSE(filled.page);
        roots->push_back({load_be64(out.data() + out.size() - 8), filled.root});
      }
      if (filled.page)
        out.insert(out.end(), filled.page->bytes, filled.page->bytes + PageSize);
      else
        out.insert(out.end(), PageSize, 0);
    } else {
      EXPECT_TRUE(read_plain(PageSize));
    }
  }
  uint8_t buffer[4096];
  while (const size_t n = source.read_some(buffer, sizeof buffer)) out.insert(out.end(), buffer, buffer + n);
  return out;
}

TEST(ParallelGzipSource, FilledPagesAndPlainReadsGiveTheStreamByteForByte) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  const State state = mixed_state(2000);  // about 8 MiB: 8 members, so two batches and more
  write_state_file(state, path);
  size_t taken = 0;
  EXPECT_EQ(read_through_source(path, taken), serialize_state(state));
  // The first member is read before the page count is known; the rest are filled ahead.
  EXPECT_GT(taken, 1000u);
}

TEST(ParallelGzipSource, ReadsManyMoreMembersThanItLoadsAhead) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  const State state = mixed_state(6000);  // about 24 MiB: 24 members, each slot reused
  write_state_file(state, path);
  size_t taken = 0;
  EXPECT_EQ(read_through_source(path, taken), serialize_state(state));
  EXPECT_GT(taken, 3500u);  // two of every three filled bodies: all but member 0's and the straddlers
  StateFileOrigin origin;
  EXPECT_TRUE(read_state_file(path, origin) == state);
  EXPECT_TRUE(origin.reusable);  // read by the parallel path, not the fallback stream
}

TEST(ParallelGzipSource, DroppedPartWayItStopsItsLoaders) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  write_state_file(mixed_state(6000), path);
  OpenSource open(path);
  ASSERT_GT(open.members.size(), 16u);
  {
    state_io::ParallelGzipSource unread(open.fd, path, open.members);  // no thread started
  }
  for (size_t stop_after : {size_t{1} << 20, size_t{5} << 20}) {  // in member 1, in member 5
    state_io::ParallelGzipSource source(open.fd, path, open.members);
    uint8_t head[9];
    ASSERT_EQ(source.read_some(head, 9), 9u);
    source.expect_page_records(9, load_be64(head + 1));
    std::vector<uint8_t> buffer(64 << 10);
    for (size_t read = 9; read < stop_after;) {
      const size_t n = source.read_some(buffer.data(), buffer.size());
      ASSERT_GT(n, 0u);
      read += n;
    }
  }  // the destructor stops the loaders waiting for a free slot and joins them
}

TEST(ParallelGzipSource, ACorruptMemberIsFoundWhenTheParserReachesIt) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  const State state = mixed_state(6000);
  write_state_file(state, path);
  OpenSource open(path);
  ASSERT_GT(open.members.size(), 16u);
  // Corrupt the middle of member 12's data: members 0-11 still read, byte for byte.
  const auto& bad = open.members[12];
  {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    uint8_t byte;
    ASSERT_EQ(::pread(fd, &byte, 1, static_cast<off_t>(bad.offset + bad.size / 2)), 1);
    byte ^= 0x55;
    ASSERT_EQ(::pwrite(fd, &byte, 1, static_cast<off_t>(bad.offset + bad.size / 2)), 1);
    ::close(fd);
  }
  uint64_t good_bytes = 0;
  for (size_t m = 0; m < 12; ++m) good_bytes += open.members[m].isize;
  state_io::ParallelGzipSource source(open.fd, path, open.members);
  const auto expected = serialize_state(state);
  std::vector<uint8_t> out;
  bool not_indexed = false;
  try {
    uint8_t buffer[7000];
    while (const size_t n = source.read_some(buffer, sizeof buffer)) out.insert(out.end(), buffer, buffer + n);
  } catch (const state_io::ParallelGzipSource::NotIndexed&) { not_indexed = true; }
  EXPECT_TRUE(not_indexed);
  ASSERT_EQ(out.size(), good_bytes);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), expected.begin()));
}

TEST(ParallelGzipSource, BodiesTakenAsRootsHaveTheRootsOfTheirPages) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  const State state = mixed_state(2000);
  write_state_file(state, path);
  size_t taken = 0;
  std::vector<PageRoot> roots;
  const auto stream = read_through_source(path, taken, true, &roots);
  // Bodies taken as roots read as zeros here; everything else is the stream unchanged.
  auto expected = serialize_state(state);
  ASSERT_EQ(stream.size(), expected.size());
  EXPECT_GT(taken, 1000u);
  ASSERT_EQ(roots.size(), taken);
  for (const PageRoot& taken_root : roots) {
    const Page* page = state.memory.find_page(taken_root.index);
    ASSERT_NE(page, nullptr);
    Hash32 root;
    page_roots(&page, &root, 1);
    EXPECT_EQ(taken_root.root, root) << taken_root.index;
  }
}

TEST(ParallelGzipSource, ClaimsOfMoreRecordsThanTheDataHoldsFillOnlyWhatIsThere) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  const State state = mixed_state(600);
  write_state_file(state, path);
  OpenSource open(path);
  state_io::ParallelGzipSource source(open.fd, path, open.members);
  uint8_t head[9];
  ASSERT_EQ(source.read_some(head, 9), 9u);
  source.expect_page_records(9, ~Word{0} / 8);  // a count no file can hold
  // Everything after the header still reads as the file's bytes, records beyond the real ones
  // (the state's tail) are not taken for page bodies.
  std::vector<uint8_t> rest;
  size_t taken = 0;
  for (;;) {
    state_io::FilledPage filled;
    if (source.take_filled_page(filled)) {
      ++taken;
      if (filled.page)
        rest.insert(rest.end(), filled.page->bytes, filled.page->bytes + PageSize);
      else
        rest.insert(rest.end(), PageSize, 0);
      continue;
    }
    uint8_t buffer[3000];
    const size_t n = source.read_some(buffer, sizeof buffer);
    if (n == 0) break;
    rest.insert(rest.end(), buffer, buffer + n);
  }
  const auto expected = serialize_state(state);
  EXPECT_EQ(rest, std::vector<uint8_t>(expected.begin() + 9, expected.end()));
  EXPECT_GT(taken, 300u);
  EXPECT_LE(taken, 600u);
}

// Everything of the state but its memory, which a root-only read leaves empty.
void expect_same_but_memory(const State& read, const State& state) {
  State expected = state;
  expected.memory = Memory();
  EXPECT_TRUE(read == expected);
}

TEST(StateFile, RootOnlyReadsGiveTheMemoryRootOfEveryLayout) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  State state = mixed_state(2000);
  const Hash32 root = state.memory.merkle_root();
  const StateWitness witness = encode_witness(state);
  // This writer's .bin.gz (bodies hashed where the members are inflated), a plain .bin, and a
  // one-member gzip stream of another writer (every body copied into a batch and hashed there).
  write_state_file(state, dir.file("state.bin.gz"));
  write_state_file(state, dir.file("state.bin"));
  {
    const auto bytes = serialize_state(state);
    gzFile gz = gzopen(dir.file("foreign.bin.gz").c_str(), "wb6");
    ASSERT_NE(gz, nullptr);
    ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(gz), Z_OK);
  }
  for (const char* name : {"state.bin.gz", "state.bin", "foreign.bin.gz"}) {
    StateFileOrigin origin;
    Hash32 read_root{};
    const State read = read_state_file(dir.file(name), origin, {.memory_root = &read_root});
    EXPECT_EQ(read_root, root) << name;
    EXPECT_EQ(read.memory.page_count(), 0u) << name;
    expect_same_but_memory(read, state);
    EXPECT_EQ(encode_witness(read, read_root), witness) << name;
  }
}

TEST(StateFile, RootOnlyReadOfAnEmptyMemoryIsTheEmptyRoot) {
  TempDir dir;
  const std::string path = dir.file("state.bin.gz");
  State state = make_initial_state(0x1000);
  state.memory = Memory();
  write_state_file(state, path);
  StateFileOrigin origin;
  Hash32 root{};
  read_state_file(path, origin, {.memory_root = &root});
  EXPECT_EQ(root, zero_hash(TreeDepth));
  EXPECT_EQ(root, state.memory.merkle_root());
}

TEST(StateFile, RootOnlyReadsRejectWhatFullReadsReject) {
  TempDir dir;
  const State state = mixed_state(300);
  auto bytes = serialize_state(state);
  const std::string path = dir.file("state.bin");
  const auto rejected = [&](const std::vector<uint8_t>& contents) {
    {
      std::FILE* out = std::fopen(path.c_str(), "wb");
      ASSERT_NE(out, nullptr);
      ASSERT_EQ(std::fwrite(contents.data(), 1, contents.size(), out), contents.size());
      ASSERT_EQ(std::fclose(out), 0);
    }
    StateFileOrigin origin;
    Hash32 root{};
    std::string full, roots;
    try {
      read_state_file(path, origin);
    } catch (const StateFileError& e) { full = e.what(); }
    try {
      read_state_file(path, origin, {.memory_root = &root});
    } catch (const StateFileError& e) { roots = e.what(); }
    EXPECT_FALSE(full.empty());
    EXPECT_EQ(roots, full);
  };
  rejected(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 9 + 8 + 100));  // inside a body
  rejected(std::vector<uint8_t>(bytes.begin(), bytes.end() - 3));              // inside the tail
  auto swapped = bytes;  // the first two records' indices swapped: out of order
  std::swap_ranges(swapped.begin() + 9, swapped.begin() + 17, swapped.begin() + 9 + 8 + PageSize);
  rejected(swapped);
  auto trailing = bytes;
  trailing.push_back(0);
  rejected(trailing);
}

TEST(Memory, FilledPagesLoadAsWrittenPages) {
  std::mt19937_64 rng(3);
  Memory written, loaded;
  // Pages far apart and next to each other, loaded filled or as zero (a null page).
  const Word indices[] = {1, 2, 3, 9, 1000, 1001, Word{1} << 30, (Word{1} << 52) - 1};
  for (size_t i = 0; i < std::size(indices); ++i) {
    auto page = make_page_for_overwrite();
    for (Word w = 0; w < PageWords; ++w) store_be64(page->bytes + 8 * w, i % 3 == 2 ? 0 : rng());
    written.write_bytes(indices[i] << PageAddrBits, page->bytes, PageSize);
    loaded.load_filled_page(indices[i], i % 3 == 2 ? nullptr : std::move(page));
  }
  EXPECT_TRUE(loaded == written);
  EXPECT_EQ(loaded.merkle_root(), written.merkle_root());
  for (Word index : indices)
    EXPECT_EQ(loaded.merkle_proof(index << PageAddrBits | 40), written.merkle_proof(index << PageAddrBits | 40));
}

// The page roots of a memory's present pages, in index order.
std::vector<PageRoot> roots_of(const Memory& memory) {
  std::vector<PageRoot> roots;
  for (Word index : memory.sorted_page_indices()) {
    const Page* page = memory.find_page(index);
    roots.push_back({index, {}});
    page_roots(&page, &roots.back().root, 1);
  }
  return roots;
}

TEST(Memory, RootOfPageRootsIsTheRootOfTheMemory) {
  std::mt19937_64 rng(11);
  // Siblings on both sides, lone even and odd pages, the first and the last page of the address
  // space, zero pages among them, and random sparse sets.
  std::vector<std::vector<Word>> sets = {
      {},
      {0},
      {1},
      {(Word{1} << 52) - 1},
      {0, 1},
      {1, 2},
      {0, (Word{1} << 52) - 1},
      {4, 5, 6, 7, 8, 11, 12, 1000, 1001, 1003, Word{1} << 40, (Word{1} << 40) + 1},
  };
  for (int r = 0; r < 20; ++r) {
    std::vector<Word> set;
    const Word span = Word{1} << (rng() % 52 + 1);
    for (int i = 0; i < 1 + static_cast<int>(rng() % 300); ++i) set.push_back(rng() % span);
    sets.push_back(set);
  }
  for (const auto& set : sets) {
    Memory memory;
    for (Word index : set) {
      if (rng() % 4 == 0) {
        memory.fill_zero(index << PageAddrBits, PageSize);
      } else {
        for (int w = 0; w < 3; ++w) memory.write_word(index << PageAddrBits | 8 * (rng() % PageWords), rng());
      }
    }
    EXPECT_EQ(memory_root(roots_of(memory)), memory.merkle_root()) << set.size() << " pages";
  }
}

TEST(Memory, PageRootsOfUnalignedBodiesMatchThoseOfPages) {
  std::mt19937_64 rng(9);
  std::vector<uint8_t> buffer(11 * (8 + PageSize) + 1);
  for (auto& byte : buffer) byte = static_cast<uint8_t>(rng() % 3 == 0 ? rng() : 0);
  std::vector<const uint8_t*> bodies;
  std::vector<std::shared_ptr<Page>> pages;
  std::vector<const Page*> raw;
  for (size_t i = 0; i < 11; ++i) {  // as records lie in a buffer: 8 bytes of index before each
    bodies.push_back(buffer.data() + 1 + i * (8 + PageSize) + 8);
    pages.push_back(make_page());
    std::memcpy(pages.back()->bytes, bodies.back(), PageSize);
    raw.push_back(pages.back().get());
  }
  std::vector<Hash32> from_bodies(11), from_pages(11);
  page_roots(bodies.data(), from_bodies.data(), bodies.size());
  page_roots(raw.data(), from_pages.data(), raw.size());
  EXPECT_EQ(from_bodies, from_pages);
}

TEST(Memory, PageRootsMatchTheRootOfAMemoryHoldingOnlyThatPage) {
  std::mt19937_64 rng(5);
  std::vector<std::shared_ptr<Page>> pages;
  std::vector<const Page*> raw;
  for (int i = 0; i < 11; ++i) {  // more than one group of eight, and a short last group
    pages.push_back(make_page());
    for (Word w = 0; w < PageWords; w += (i % 2 ? 1 : 37)) store_be64(pages.back()->bytes + 8 * w, rng());
    raw.push_back(pages.back().get());
  }
  std::vector<Hash32> roots(raw.size());
  page_roots(raw.data(), roots.data(), raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    Memory alone;
    alone.write_bytes(0, raw[i]->bytes, PageSize);
    Hash32 node = roots[i];
    for (unsigned height = PageHeight; height < TreeDepth; ++height) node = keccak256_pair(node, zero_hash(height));
    EXPECT_EQ(node, alone.merkle_root()) << i;
  }
}

}  // namespace
}  // namespace cannonball
