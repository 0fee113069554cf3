// Pages filled ahead of the parser by the parallel gzip reader (runtime/state_file_sources.h) and
// loaded with their roots (Memory::load_filled_page): the bytes, states, roots and proofs must be
// exactly those of the plain paths.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "runtime/state_file.h"
#include "runtime/keccak.h"
#include "runtime/state_file_sources.h"

namespace cannonball {
namespace {

namespace fs = std::filesystem;

class TempFile {
 public:
  TempFile() {
    std::string pattern = (fs::temp_directory_path() / "cannonball-sources-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "state.bin.gz").string(); }

 private:
  fs::path dir_;
};

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

// Reads the whole uncompressed stream through a ParallelGzipSource as a parser would: the header
// plainly, then each record's index plainly and its body taken whole when the source filled it,
// except that every third filled body is read plainly instead (the source must then serve its
// bytes unchanged). Pages taken are appended as their bytes. Counts the bodies taken.
std::vector<uint8_t> read_through_source(const std::string& path, size_t& taken, size_t& hashed) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  struct stat info {};
  ::fstat(fd, &info);
  auto members = state_io::ParallelGzipSource::index(fd, static_cast<uint64_t>(info.st_size));
  EXPECT_GT(members.size(), 4u);
  state_io::ParallelGzipSource source(fd, path, std::move(members), true);
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
  taken = hashed = 0;
  size_t filled_seen = 0;
  for (Word record = 0; record < count; ++record) {
    EXPECT_TRUE(read_plain(8));
    state_io::FilledPage filled;
    if (++filled_seen % 3 != 0 && source.take_filled_page(filled)) {
      ++taken;
      if (filled.hashed) ++hashed;
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
  ::close(fd);
  return out;
}

TEST(ParallelGzipSource, FilledPagesAndPlainReadsGiveTheStreamByteForByte) {
  TempFile file;
  const State state = mixed_state(2000);  // about 8 MiB: 8 members, so two batches and more
  write_state_file(state, file.path());
  size_t taken = 0, hashed = 0;
  EXPECT_EQ(read_through_source(file.path(), taken, hashed), serialize_state(state));
  // The first member is read before the page count is known; the rest are filled ahead.
  EXPECT_GT(taken, 1000u);
  EXPECT_GT(hashed, 0u);
  EXPECT_LT(hashed, taken);  // all-zero bodies come as no page, and are not hashed
}

TEST(ParallelGzipSource, ClaimsOfMoreRecordsThanTheDataHoldsFillOnlyWhatIsThere) {
  TempFile file;
  const State state = mixed_state(600);
  write_state_file(state, file.path());
  const int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info {};
  ::fstat(fd, &info);
  state_io::ParallelGzipSource source(fd, file.path(), state_io::ParallelGzipSource::index(fd, info.st_size));
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
  ::close(fd);
  const auto expected = serialize_state(state);
  EXPECT_EQ(rest, std::vector<uint8_t>(expected.begin() + 9, expected.end()));
  EXPECT_GT(taken, 300u);
  EXPECT_LE(taken, 600u);
}

TEST(StateFile, HashedLoadHasTheRootAndProofsOfTheState) {
  TempFile file;
  State state = mixed_state(2000);
  write_state_file(state, file.path());
  StateFileOrigin origin;
  State hashed = read_state_file(file.path(), origin, {.hash_pages = true});
  State plain = read_state_file(file.path(), origin);
  EXPECT_TRUE(hashed == state);
  EXPECT_TRUE(origin.reusable);
  // Most pages arrive hashed (clean); without the option every non-zero page waits for the root.
  size_t pending_hashed = 0, pending_plain = 0, nonzero = 0;
  for (Word index : state.memory.sorted_page_indices()) {
    static constexpr uint8_t Zero[PageSize] = {};
    if (std::memcmp(state.memory.find_page(index)->bytes, Zero, PageSize) == 0) continue;
    ++nonzero;
    pending_hashed += hashed.memory.rehash_pending(index);
    pending_plain += plain.memory.rehash_pending(index);
  }
  EXPECT_EQ(pending_plain, nonzero);
  EXPECT_LT(pending_hashed, nonzero / 5);  // the first member's pages and the straddlers
  // A copy taken before any root links the loaded nodes too.
  Memory copy = hashed.memory;
  const Hash32 root = state.memory.merkle_root();
  EXPECT_EQ(copy.merkle_root(), root);
  EXPECT_EQ(hashed.memory.merkle_root(), root);
  EXPECT_EQ(plain.memory.merkle_root(), root);
  for (Word addr : {Word{0x400000}, Word{0x400000 + 7 * PageSize + 72}, Word{0x400000 + 1999 * PageSize + 4088}})
    EXPECT_EQ(hashed.memory.merkle_proof(addr), state.memory.merkle_proof(addr)) << std::hex << addr;
  EXPECT_EQ(state_hash(encode_witness(hashed)), state_hash(encode_witness(state)));
}

TEST(Memory, FilledPagesLoadedWithRootsGiveTheRootOfWrittenPages) {
  std::mt19937_64 rng(3);
  Memory written, loaded;
  // Pages far apart and next to each other, each loaded with a root, without one, or as zero.
  const Word indices[] = {1, 2, 3, 9, 1000, 1001, Word{1} << 30, (Word{1} << 52) - 1};
  for (size_t i = 0; i < std::size(indices); ++i) {
    auto page = make_page_for_overwrite();
    for (Word w = 0; w < PageWords; ++w) store_be64(page->bytes + 8 * w, i % 3 == 2 ? 0 : rng());
    written.write_bytes(indices[i] << PageAddrBits, page->bytes, PageSize);
    if (i % 3 == 2) {
      loaded.load_filled_page(indices[i], nullptr, nullptr);
    } else if (i % 3 == 0) {
      Hash32 root;
      const Page* pages[1] = {page.get()};
      page_roots(pages, &root, 1);
      loaded.load_filled_page(indices[i], std::move(page), &root);
    } else {
      loaded.load_filled_page(indices[i], std::move(page), nullptr);
    }
  }
  EXPECT_TRUE(loaded == written);
  EXPECT_EQ(loaded.merkle_root(), written.merkle_root());
  for (Word index : indices)
    EXPECT_EQ(loaded.merkle_proof(index << PageAddrBits | 40), written.merkle_proof(index << PageAddrBits | 40));
  // A wrong root is not recomputed: the loader's root is trusted, so it must be the page's.
  Memory wrong;
  auto page = make_page();
  page->bytes[0] = 1;
  const Hash32 bogus{};
  wrong.load_filled_page(5, std::move(page), &bogus);
  Memory right;
  right.write_word(5 << PageAddrBits, Word{1} << 56);
  EXPECT_NE(wrong.merkle_root(), right.merkle_root());
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
