// Binary state files (spec §11.1): round trips, the upstream vector, and every rejected input.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/hex.h"
#include "runtime/state_file.h"
#include "tests/runtime/test_util.h"

namespace cannonball {
namespace {

namespace fs = std::filesystem;

Thread random_thread(std::mt19937_64& rng) {
  Thread thread;
  thread.thread_id = rng() % 100;
  thread.exit_code = static_cast<uint8_t>(rng());
  thread.exited = rng() % 2;
  thread.pc = rng();
  thread.next_pc = rng();
  thread.lo = rng();
  thread.hi = rng();
  for (auto& reg : thread.regs) reg = rng();
  return thread;
}

State random_state(std::mt19937_64& rng) {
  State state = make_initial_state(rng());
  const int pages = static_cast<int>(rng() % 5);
  for (int i = 0; i < pages; ++i) {
    const Word page = rng() >> PageAddrBits;
    for (int w = 0; w < 4; ++w) state.memory.write_word((page << PageAddrBits) | (rng() & (PageSize - 8)), rng());
  }
  for (auto& b : state.preimage_key) b = static_cast<uint8_t>(rng());
  state.preimage_offset = rng();
  state.heap = rng();
  state.ll_reservation_status = static_cast<uint8_t>(rng() % 3);
  state.ll_address = rng();
  state.ll_owner_thread = rng();
  state.exit_code = static_cast<uint8_t>(rng());
  state.exited = rng() % 2;
  state.step = rng();
  state.steps_since_last_context_switch = rng();
  state.traverse_right = rng() % 2;
  state.next_thread_id = rng();
  state.left_stack.clear();
  for (int i = static_cast<int>(rng() % 4); i > 0; --i) state.left_stack.push_back(random_thread(rng));
  for (int i = static_cast<int>(rng() % 4); i > 0; --i) state.right_stack.push_back(random_thread(rng));
  state.last_hint.resize(rng() % 3 == 0 ? 0 : rng() % 40);
  for (auto& b : state.last_hint) b = static_cast<uint8_t>(rng());
  return state;
}

// One page, a thread on each stack and a short hint: every section of the format is present.
State small_state() {
  State state = make_initial_state(0x1000);
  state.memory.write_word(0x2000, 0x0102'0304'0506'0708);
  state.right_stack.push_back(state.left_stack[0]);
  state.right_stack[0].thread_id = 1;
  state.last_hint = {1, 2, 3};
  return state;
}

using test::TempDir;

void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& bytes, int strategy = Z_DEFAULT_STRATEGY) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, strategy), Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, bytes.size()) + 64);
  zs.next_in = const_cast<uint8_t*>(bytes.data());
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Runs `body`, expecting a StateFileError whose message contains `needle`.
template <typename Body>
void expect_rejected(Body body, const std::string& needle) {
  try {
    body();
    ADD_FAILURE() << "accepted input that should fail with \"" << needle << "\"";
  } catch (const StateFileError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

void expect_bytes_rejected(const std::vector<uint8_t>& bytes, const std::string& needle) {
  expect_rejected([&] { deserialize_state(bytes); }, needle);
}

// Byte offsets inside serialize_state(small_state()).
constexpr size_t OffsetPageCount = 1;
constexpr size_t OffsetFirstPageIndex = 9;
constexpr size_t OffsetAfterPages = 9 + (8 + PageSize);
constexpr size_t OffsetExited = OffsetAfterPages + 32 + 8 + 8 + 1 + 8 + 8 + 1;
constexpr size_t OffsetTraverseRight = OffsetExited + 1 + 8 + 8;

TEST(StateFile, SerializeRoundTripsRandomStates) {
  std::mt19937_64 rng(21);
  for (int round = 0; round < 40; ++round) {
    State state = random_state(rng);
    const auto bytes = serialize_state(state);
    State back = deserialize_state(bytes);
    ASSERT_TRUE(back == state) << "round " << round;
    EXPECT_EQ(back.last_hint, state.last_hint);
    EXPECT_EQ(serialize_state(back), bytes);
    EXPECT_EQ(encode_witness(back), encode_witness(state));
  }
}

TEST(StateFile, ZeroFilledPagesSerializeUnderTheirOwnIndices) {
  // fill_zero makes absent pages one shared zero page; each record still carries its own index.
  State state = small_state();
  state.memory.fill_zero(0x40000, 3 * PageSize);
  state.memory.write_word(0x41008, 5);
  const auto bytes = serialize_state(state);
  State back = deserialize_state(bytes);
  EXPECT_TRUE(back == state);
  for (Word index : {0x40, 0x41, 0x42}) EXPECT_NE(back.memory.find_page(index), nullptr) << index;
  EXPECT_EQ(back.memory.read_word(0x41008), 5u);
  EXPECT_EQ(back.memory.page_count(), state.memory.page_count());
  EXPECT_EQ(serialize_state(back), bytes);
}

TEST(StateFile, AllZeroPagesLoadAsTheSharedZeroPage) {
  // A page record whose bytes are all zero (as about half of an op-program prestate's are) loads
  // as the shared zero page: two states read from the same bytes share it, the root is that of
  // the written pages, a write clones it in one state only, and the bytes written back are the
  // same records.
  State state = small_state();
  for (Word index = 0x80; index < 0x88; ++index) state.memory.allocate_page(index);  // private, all zero
  state.memory.write_word(0x83010, 0x1122);
  state.memory.write_word(0x86ff8, 0x3344);
  const auto bytes = serialize_state(state);
  State a = deserialize_state(bytes);
  State b = deserialize_state(bytes);
  EXPECT_TRUE(a == state);
  EXPECT_EQ(a.memory.page_count(), state.memory.page_count());
  EXPECT_EQ(a.memory.pages_shared_with(b.memory), 6u);  // 0x80..0x87 less the two written
  EXPECT_EQ(a.memory.merkle_root(), state.memory.merkle_root());
  a.memory.write_word(0x84000, 7);
  EXPECT_EQ(b.memory.read_word(0x84000), 0u);
  EXPECT_EQ(a.memory.pages_shared_with(b.memory), 5u);
  state.memory.write_word(0x84000, 7);
  EXPECT_EQ(a.memory.merkle_root(), state.memory.merkle_root());
  EXPECT_EQ(b.memory.merkle_root(), deserialize_state(bytes).memory.merkle_root());
  EXPECT_EQ(serialize_state(b), bytes);
  EXPECT_EQ(serialize_state(a), serialize_state(state));
}

TEST(StateFile, LayoutMatchesSpecFieldOrder) {
  State state = small_state();
  state.next_thread_id = 0x0A0B'0C0D'0E0F'1011;
  state.exited = true;
  state.traverse_right = true;
  const auto bytes = serialize_state(state);
  EXPECT_EQ(bytes[0], 8);
  EXPECT_EQ(load_be64(bytes.data() + OffsetPageCount), 1u);
  EXPECT_EQ(load_be64(bytes.data() + OffsetFirstPageIndex), 2u);
  EXPECT_EQ(load_be64(bytes.data() + OffsetFirstPageIndex + 8), 0x0102'0304'0506'0708u);
  EXPECT_EQ(bytes[OffsetExited], 1);
  EXPECT_EQ(bytes[OffsetTraverseRight], 1);
  EXPECT_EQ(load_be64(bytes.data() + OffsetTraverseRight + 1), 0x0A0B'0C0D'0E0F'1011u);
  EXPECT_EQ(load_be64(bytes.data() + OffsetTraverseRight + 9), 1u);  // left count
  EXPECT_EQ(bytes.size(), OffsetTraverseRight + 9 + 8 + ThreadSize + 8 + ThreadSize + 4 + 3);
}

TEST(StateFile, PlainAndGzipFilesRoundTripRandomStates) {
  TempDir dir;
  std::mt19937_64 rng(22);
  for (int round = 0; round < 10; ++round) {
    const State state = random_state(rng);
    for (const char* name : {"s.bin", "s.bin.gz"}) {
      write_state_file(state, dir.file(name));
      EXPECT_TRUE(read_state_file(dir.file(name)) == state) << name << " round " << round;
    }
    EXPECT_EQ(read_raw(dir.file("s.bin")), serialize_state(state));
    EXPECT_EQ(read_file_maybe_gz(dir.file("s.bin.gz")), serialize_state(state));
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"s.bin", "s.bin.gz"}));
}

TEST(StateFile, UpstreamVersion8VectorReserializesByteForByte) {
#ifndef CANNONBALL_UPSTREAM_STATE_V8
  GTEST_SKIP() << "no upstream vector path configured";
#else
  const std::string path = CANNONBALL_UPSTREAM_STATE_V8;
  if (!fs::exists(path)) GTEST_SKIP() << "upstream vector absent: " << path;
  const auto raw = read_file_maybe_gz(path);
  ASSERT_EQ(raw.size(), 419u);
  State state = read_state_file(path);
  EXPECT_EQ(serialize_state(state), raw);
  // It is the empty initial state of spec §10.
  EXPECT_EQ(to_hex(state_hash(encode_witness(state))),
            "0x035b096e17d7b97f6bbaa13d179958e729b70813e931dc90dbf4193372f3dc71");
#endif
}

TEST(StateFile, RejectsWrongVersionByte) {
  for (uint8_t version : {0, 7, 9, 0xFF}) {
    auto bytes = serialize_state(small_state());
    bytes[0] = version;
    expect_bytes_rejected(bytes, "version");
  }
}

TEST(StateFile, RejectsEveryTruncation) {
  const auto bytes = serialize_state(small_state());
  for (size_t length = 0; length < bytes.size(); ++length) {
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(length));
    try {
      deserialize_state(prefix);
      ADD_FAILURE() << "accepted a prefix of " << length << " bytes";
    } catch (const StateFileError& e) {
      const std::string what = e.what();
      EXPECT_TRUE(what.find("truncated") != std::string::npos ||
                  (length == 0 && what.find("empty") != std::string::npos))
          << "length " << length << ": " << what;
    }
  }
}

TEST(StateFile, RejectsHugeCountsWithoutAllocating) {
  // Counts are not trusted: records are read one by one, so here the tail is read as page
  // records until one is out of order.
  auto bytes = serialize_state(small_state());
  store_be64(bytes.data() + OffsetPageCount, ~Word{0});
  expect_bytes_rejected(bytes, "page ind");
  bytes = serialize_state(small_state());
  store_be64(bytes.data() + OffsetTraverseRight + 9, Word{1} << 60);
  expect_bytes_rejected(bytes, "truncated");
  bytes = serialize_state(small_state());
  store_be32(bytes.data() + bytes.size() - 7, 0xFFFF'FFFF);  // hint length
  expect_bytes_rejected(bytes, "truncated");
}

TEST(StateFile, RejectsTrailingGarbage) {
  auto bytes = serialize_state(small_state());
  bytes.push_back(0);
  expect_bytes_rejected(bytes, "trailing");
}

TEST(StateFile, RejectsExitedFlagTwo) {
  auto bytes = serialize_state(small_state());
  bytes[OffsetExited] = 2;
  expect_bytes_rejected(bytes, "exited");
}

TEST(StateFile, RejectsTraverseRightFlagTwo) {
  auto bytes = serialize_state(small_state());
  bytes[OffsetTraverseRight] = 2;
  expect_bytes_rejected(bytes, "traverseRight");
}

TEST(StateFile, AcceptsAnyNonzeroThreadExitedByte) {
  auto bytes = serialize_state(small_state());
  bytes[OffsetTraverseRight + 17 + 9] = 5;  // exited byte of the left thread
  EXPECT_TRUE(deserialize_state(bytes).left_stack[0].exited);
}

TEST(StateFile, RejectsPageIndicesOutOfOrder) {
  State state = small_state();
  state.memory.write_word(0x5000, 1);
  auto bytes = serialize_state(state);
  const size_t second = OffsetFirstPageIndex + 8 + PageSize;
  ASSERT_EQ(load_be64(bytes.data() + OffsetFirstPageIndex), 2u);
  ASSERT_EQ(load_be64(bytes.data() + second), 5u);
  store_be64(bytes.data() + second, 1);
  expect_bytes_rejected(bytes, "out of order");
}

TEST(StateFile, RejectsRepeatedPageIndex) {
  State state = small_state();
  state.memory.write_word(0x5000, 1);
  auto bytes = serialize_state(state);
  store_be64(bytes.data() + OffsetFirstPageIndex + 8 + PageSize, 2);
  expect_bytes_rejected(bytes, "repeated");
}

TEST(StateFile, RejectsPageIndexBeyondAddressSpace) {
  auto bytes = serialize_state(small_state());
  store_be64(bytes.data() + OffsetFirstPageIndex, Word{1} << 52);
  expect_bytes_rejected(bytes, "page index");
}

TEST(StateFile, RejectsCorruptGzip) {
  TempDir dir;
  const auto packed = gzip(serialize_state(small_state()));
  auto bad_magic = packed;
  bad_magic[0] ^= 0xFF;
  write_raw(dir.file("magic.bin.gz"), bad_magic);
  expect_rejected([&] { read_state_file(dir.file("magic.bin.gz")); }, "corrupt gzip");
  auto bad_crc = packed;
  bad_crc[bad_crc.size() - 6] ^= 0xFF;
  write_raw(dir.file("crc.bin.gz"), bad_crc);
  expect_rejected([&] { read_state_file(dir.file("crc.bin.gz")); }, "corrupt gzip");
  // A plain .bin file named .gz is not gzip.
  write_raw(dir.file("plain.bin.gz"), serialize_state(small_state()));
  expect_rejected([&] { read_state_file(dir.file("plain.bin.gz")); }, "corrupt gzip");
}

TEST(StateFile, RejectsTruncatedGzip) {
  TempDir dir;
  const auto packed = gzip(serialize_state(small_state()));
  const std::vector<uint8_t> short_trailer(packed.begin(), packed.end() - 4);
  write_raw(dir.file("short.bin.gz"), short_trailer);
  expect_rejected([&] { read_state_file(dir.file("short.bin.gz")); }, "truncated gzip");
  // Every shorter prefix fails with a StateFileError.
  for (size_t length = 0; length < packed.size(); ++length) {
    write_raw(dir.file("p.bin.gz"), std::vector<uint8_t>(packed.begin(), packed.begin() + static_cast<long>(length)));
    EXPECT_THROW(read_state_file(dir.file("p.bin.gz")), StateFileError) << "length " << length;
  }
}

TEST(StateFile, RejectsBytesAfterGzipStream) {
  TempDir dir;
  auto packed = gzip(serialize_state(small_state()));
  packed.push_back(0x42);
  write_raw(dir.file("extra.bin.gz"), packed);
  expect_rejected([&] { read_state_file(dir.file("extra.bin.gz")); }, "trailing");
}

TEST(StateFile, RejectsNamesNotEndingInBinOrBinGz) {
  TempDir dir;
  write_raw(dir.file("state.json"), serialize_state(small_state()));
  for (const char* name : {"state.json", "state.gz", "state.bin.txt", "state", "statebin"}) {
    expect_rejected([&] { read_state_file(dir.file(name)); }, ".bin");
    expect_rejected([&] { write_state_file(small_state(), dir.file(name)); }, ".bin");
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"state.json"});
  EXPECT_TRUE(is_binary_state_path("a.bin"));
  EXPECT_TRUE(is_binary_state_path("dir/a.bin.gz"));
  EXPECT_FALSE(is_binary_state_path("a.bin.gz.tmp"));
}

TEST(StateFile, MissingFileIsRejectedWithItsName) {
  TempDir dir;
  expect_rejected([&] { read_state_file(dir.file("absent.bin")); }, "absent.bin");
}

TEST(StateFile, ReadErrorsNameTheFile) {
  TempDir dir;
  auto bytes = serialize_state(small_state());
  bytes[0] = 3;
  write_raw(dir.file("old.bin"), bytes);
  expect_rejected([&] { read_state_file(dir.file("old.bin")); }, "old.bin");
}

TEST(StateFile, WriterLeavesNoTempFileBehind) {
  TempDir dir;
  write_state_file(small_state(), dir.file("a.bin"));
  write_state_file(small_state(), dir.file("a.bin"));  // replace
  write_state_file(small_state(), dir.file("b.bin.gz"));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.bin", "b.bin.gz"}));
}

TEST(StateFile, FailedRenameOntoDirectoryLeavesNoTempFile) {
  TempDir dir;
  fs::create_directory(dir.file("target.bin"));
  EXPECT_THROW(write_state_file(small_state(), dir.file("target.bin")), StateFileError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"target.bin"});
  EXPECT_TRUE(fs::is_directory(dir.file("target.bin")));
}

TEST(StateFile, WriterIntoMissingDirectoryFails) {
  TempDir dir;
  EXPECT_THROW(write_state_file(small_state(), dir.file("no/such/dir.bin")), StateFileError);
  EXPECT_TRUE(dir.entries().empty());
}

// Drops write permission on a directory for the scope: by mode bits, or (as root, where mode
// bits do not apply) by switching the effective user to nobody.
class UnwritableScope {
 public:
  explicit UnwritableScope(const fs::path& dir) : dir_(dir) {
    fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    if (::geteuid() == 0) {
      if (::seteuid(65534) != 0) throw std::runtime_error("seteuid failed");
      dropped_ = true;
    }
  }
  ~UnwritableScope() {
    if (dropped_ && ::seteuid(0) != 0) std::abort();
    fs::permissions(dir_, fs::perms::owner_all);
  }

 private:
  fs::path dir_;
  bool dropped_ = false;
};

TEST(StateFile, WriterDoesNotReplaceTargetInUnwritableDirectory) {
  TempDir dir;
  State original = small_state();
  write_state_file(original, dir.file("keep.bin"));
  const auto before = read_raw(dir.file("keep.bin"));
  {
    UnwritableScope scope(dir.path());
    State other = small_state();
    other.step = 99;
    EXPECT_THROW(write_state_file(other, dir.file("keep.bin")), StateFileError);
    EXPECT_THROW(write_state_file(other, dir.file("new.bin.gz")), StateFileError);
  }
  EXPECT_EQ(read_raw(dir.file("keep.bin")), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.bin"});
}

TEST(StateFile, WrittenFilesHaveMode0755) {
  TempDir dir;
  write_state_file(small_state(), dir.file("m.bin"));
  struct stat info {};
  ASSERT_EQ(::stat(dir.file("m.bin").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0755u);
}

// A state of `pages` pages: the first half random words (do not compress, stored members), the
// rest sparse small values (compressed members), so a file has both kinds and many members.
State large_state(Word pages) {
  State state = small_state();
  std::mt19937_64 rng(11);
  for (Word p = 0; p < pages; ++p)
    for (Word w = 0; w < PageWords; w += (p < pages / 2 ? 1 : 61))
      state.memory.write_word(0x100000 + p * PageSize + w * 8, p < pages / 2 ? rng() : rng() % 7);
  return state;
}

TEST(StateFile, ReadsMultiMemberGzipLikeUpstream) {
  // Two members split at an arbitrary byte, as `cat a.gz b.gz` makes: Go's gzip reader and
  // gzip -d read them as one stream.
  TempDir dir;
  const auto bytes = serialize_state(small_state());
  for (size_t split : {size_t{1}, size_t{9}, size_t{100}, bytes.size() - 1}) {
    auto packed = gzip(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(split)));
    const auto second = gzip(std::vector<uint8_t>(bytes.begin() + static_cast<long>(split), bytes.end()));
    packed.insert(packed.end(), second.begin(), second.end());
    write_raw(dir.file("multi.bin.gz"), packed);
    EXPECT_TRUE(read_state_file(dir.file("multi.bin.gz")) == small_state()) << "split " << split;
    EXPECT_EQ(read_file_maybe_gz(dir.file("multi.bin.gz")), bytes) << "split " << split;
  }
}

TEST(StateFile, LargeStateRoundTripsThroughParallelMembers) {
  TempDir dir;
  const State state = large_state(1024);  // 4 MiB of pages: several members of each kind
  write_state_file(state, dir.file("big.bin.gz"));
  const auto expected = serialize_state(state);
  // zlib's plain stream reading sees the same bytes (the file is ordinary multi-member gzip)...
  EXPECT_EQ(read_file_maybe_gz(dir.file("big.bin.gz")), expected);
  // ...and the parallel reader builds the same state.
  State back = read_state_file(dir.file("big.bin.gz"));
  EXPECT_TRUE(back == state);
  EXPECT_EQ(serialize_state(back), expected);
  const auto file = read_raw(dir.file("big.bin.gz"));
  EXPECT_LT(file.size(), expected.size());      // the sparse half compressed
  EXPECT_GT(file.size(), expected.size() / 3);  // the random half did not
}

// A raw file is written from the pages by gathering writes of at most IOV_MAX pieces each: 1024
// pages are 2049 pieces and more, so several writes, whose seams must not lose or repeat a byte.
TEST(StateFile, LargeRawStateIsWrittenFromThePagesByteForByte) {
  TempDir dir;
  const State state = large_state(1024);
  write_state_file(state, dir.file("big.bin"));
  EXPECT_EQ(read_raw(dir.file("big.bin")), serialize_state(state));
  EXPECT_TRUE(read_state_file(dir.file("big.bin")) == state);
}

TEST(StateFile, CorruptMemberInParallelFileIsRejected) {
  TempDir dir;
  write_state_file(large_state(512), dir.file("big.bin.gz"));
  auto file = read_raw(dir.file("big.bin.gz"));
  file[file.size() / 2] ^= 0x55;
  write_raw(dir.file("bad.bin.gz"), file);
  expect_rejected([&] { read_state_file(dir.file("bad.bin.gz")); }, "corrupt gzip");
}

TEST(StateFile, WrongMemberSizeFieldFallsBackToThePlainStream) {
  // The size field is only a hint: when it does not describe the file, the plain stream (what
  // every other gzip reader sees) decides.
  TempDir dir;
  const State state = large_state(512);
  write_state_file(state, dir.file("big.bin.gz"));
  auto file = read_raw(dir.file("big.bin.gz"));
  ASSERT_EQ(file[12], 'C');
  ASSERT_EQ(file[13], 'B');
  file[16] ^= 0x01;  // first member's size, off by one
  write_raw(dir.file("hint.bin.gz"), file);
  EXPECT_TRUE(read_state_file(dir.file("hint.bin.gz")) == state);
}

// The peak RSS of a child process that runs `body`, in KiB; the child's exit status is 0 when
// body returned true.
template <typename Body>
long child_peak_rss_kib(Body body, int& status) {
  const pid_t pid = ::fork();
  if (pid == 0) _exit(body() ? 0 : 1);
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  return usage.ru_maxrss;
}

TEST(StateFile, GzipBombIsRejectedByItsHeaderBeforeInflating) {
  // 260 MiB of zeros in about 256 KiB of gzip: the version byte (0) is wrong, and the reader
  // must say so without inflating the rest.
  TempDir dir;
  {
    const auto bomb = gzip(std::vector<uint8_t>(size_t{260} << 20, 0), Z_RLE);  // RLE: quick to make
    ASSERT_LE(bomb.size(), size_t{264} << 10);
    write_raw(dir.file("bomb.bin.gz"), bomb);
  }
  expect_rejected([&] { read_state_file(dir.file("bomb.bin.gz")); }, "unsupported state version 0");
  int status = 0;
  const long baseline = child_peak_rss_kib([] { return true; }, status);
  const long rss = child_peak_rss_kib(
      [&] {
        try {
          read_state_file(dir.file("bomb.bin.gz"));
        } catch (const StateFileError&) { return true; }
        return false;
      },
      status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_LT(rss - baseline, 32 * 1024) << "peak RSS " << rss << " KiB, baseline " << baseline << " KiB";
}

TEST(StateFile, KilledWriterLeavesTheOldFileAndNoTemporary) {
  TempDir dir;
  const State old_state = small_state();
  write_state_file(old_state, dir.file("snap.bin.gz"));
  const State big = large_state(16384);  // 64 MiB: the write is still going when killed
  for (int delay_ms : {1, 20, 60}) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (;;) write_state_file(big, dir.file("snap.bin.gz"));
    }
    ::usleep(static_cast<useconds_t>(delay_ms) * 1000);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"snap.bin.gz"}) << "killed after " << delay_ms << " ms";
    const State back = read_state_file(dir.file("snap.bin.gz"));  // complete: old or new
    EXPECT_TRUE(back == old_state || back == big);
  }
}

// A state file this writer wrote stands for the state read from it: copied, the copy reads back as
// the same state and holds the same bytes. Any other file is written afresh (copy_state_file says
// no and writes nothing).
TEST(StateFile, CopyOfAReadFileStandsForItsState) {
  TempDir dir;
  const State state = large_state(64);
  for (const std::string name : {"in.bin", "in.bin.gz"}) {
    write_state_file(state, dir.file(name));
    StateFileOrigin origin;
    EXPECT_TRUE(read_state_file(dir.file(name), origin) == state) << name;
    EXPECT_TRUE(origin.reusable) << name;
    const std::string out = dir.file("copy-" + name);
    ASSERT_TRUE(copy_state_file(origin, out)) << name;
    EXPECT_EQ(read_raw(out), read_raw(dir.file(name))) << name;
    EXPECT_TRUE(read_state_file(out) == state) << name;
    // Over the very file it was read from, too (op-challenger's snapshot at its start step): that
    // file already holds the state and is left as it is, not rewritten (the same inode, not a new
    // file renamed over it), under its own name and under another link to it.
    struct stat before {}, after {};
    ASSERT_EQ(::stat(dir.file(name).c_str(), &before), 0);
    EXPECT_TRUE(copy_state_file(origin, dir.file(name))) << name;
    ASSERT_EQ(::link(dir.file(name).c_str(), dir.file("link-" + name).c_str()), 0);
    EXPECT_TRUE(copy_state_file(origin, dir.file("link-" + name))) << name;
    ASSERT_EQ(::stat(dir.file(name).c_str(), &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino) << name;
    EXPECT_EQ(after.st_nlink, 2u) << name;
    EXPECT_TRUE(read_state_file(dir.file(name)) == state) << name;
    // Not across compression: a .bin.gz name gets gzip from the writer, not raw bytes.
    const std::string other = has_suffix(name, ".gz") ? dir.file("x.bin") : dir.file("x.bin.gz");
    EXPECT_FALSE(copy_state_file(origin, other)) << name;
    EXPECT_FALSE(fs::exists(other)) << name;
  }
}

TEST(StateFile, FilesTheWriterWouldNotWriteAreNotReused) {
  TempDir dir;
  StateFileOrigin origin;
  // Another writer's gzip layout (one zlib stream, as upstream writes).
  write_raw(dir.file("up.bin.gz"), gzip(serialize_state(small_state())));
  EXPECT_TRUE(read_state_file(dir.file("up.bin.gz"), origin) == small_state());
  EXPECT_FALSE(origin.reusable);
  EXPECT_FALSE(copy_state_file(origin, dir.file("snap.bin.gz")));
  // A thread exited byte the encoder never writes: the state re-encodes to other bytes.
  auto bytes = serialize_state(small_state());
  bytes[OffsetTraverseRight + 17 + 9] = 5;
  write_raw(dir.file("odd.bin"), bytes);
  read_state_file(dir.file("odd.bin"), origin);
  EXPECT_FALSE(origin.reusable);
  EXPECT_FALSE(copy_state_file(origin, dir.file("snap.bin")));
  // A file changed since it was read (same size, new contents and time) is not copied.
  write_state_file(small_state(), dir.file("moved.bin"));
  read_state_file(dir.file("moved.bin"), origin);
  EXPECT_TRUE(origin.reusable);
  State other = small_state();
  other.step = 99;
  ::usleep(20000);  // a later modification time even on coarse clocks
  write_state_file(other, dir.file("moved.bin"));
  EXPECT_FALSE(copy_state_file(origin, dir.file("snap.bin")));
  EXPECT_FALSE(fs::exists(dir.file("snap.bin")));
}

TEST(StateFile, BackgroundWriterWritesTheStateAsItWasAtStart) {
  TempDir dir;
  State state = large_state(256);
  const auto expected = serialize_state(state);
  BackgroundStateWriter writer;
  writer.start(state, dir.file("snap.bin.gz"));
  EXPECT_TRUE(writer.busy());
  // The caller goes on changing the state; the file holds it as it was at start().
  state.memory.write_word(0x100000, 0xdead);
  state.step += 5;
  writer.wait();
  EXPECT_FALSE(writer.busy());
  EXPECT_EQ(read_file_maybe_gz(dir.file("snap.bin.gz")), expected);
  // A second write waits for nothing and sees the new state.
  writer.start(state, dir.file("snap2.bin"));
  writer.wait();
  EXPECT_EQ(read_raw(dir.file("snap2.bin")), serialize_state(state));
}

TEST(StateFile, BackgroundWriterReportsTheChildsError) {
  TempDir dir;
  BackgroundStateWriter writer;
  writer.start(small_state(), dir.file("no/such/dir.bin.gz"));
  expect_rejected([&] { writer.wait(); }, "no/such/dir.bin.gz");
  EXPECT_THROW(writer.start(small_state(), dir.file("x.json")), StateFileError);
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace cannonball
