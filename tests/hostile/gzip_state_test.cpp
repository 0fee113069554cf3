// Gzip state files as upstream writes and reads them: several members (upstream reads them), and
// a bomb whose first inflated byte is a wrong version (rejected before the rest is inflated).
#include <zlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "runtime/state_file.h"

namespace cannonball {
namespace {

std::vector<uint8_t> gzip_member(const std::vector<uint8_t>& data, int level = 6) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, data.size()) + 64);
  zs.next_in = const_cast<uint8_t*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name)
      : path((std::filesystem::temp_directory_path() / ("cannonball-gzip-" + std::to_string(::getpid()) + "-" + name))
                 .string()) {}
  ~TempFile() { std::filesystem::remove(path); }
  void write(const std::vector<uint8_t>& bytes) const {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
};

State small_state() {
  State state = make_initial_state(0x10000);
  const uint8_t code[] = {1, 2, 3, 4, 5, 6, 7, 8};
  state.memory.write_bytes(0x10000, code, sizeof code);
  state.memory.write_bytes(0x7FFF'0000'0000, code, sizeof code);
  return state;
}

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

TEST(GzipStateFile, ReadsSeveralMembersLikeUpstream) {
  const State state = small_state();
  const std::vector<uint8_t> raw = serialize_state(state);
  std::vector<uint8_t> file;
  // Three members split at arbitrary points, the first holding only the version byte.
  const size_t a = 1, b = raw.size() / 2;
  for (const auto& part :
       {std::vector<uint8_t>(raw.begin(), raw.begin() + a), std::vector<uint8_t>(raw.begin() + a, raw.begin() + b),
        std::vector<uint8_t>(raw.begin() + b, raw.end())}) {
    const auto member = gzip_member(part);
    file.insert(file.end(), member.begin(), member.end());
  }
  TempFile path("multi.bin.gz");
  path.write(file);
  const State back = read_state_file(path.path);
  EXPECT_EQ(serialize_state(back), raw);
}

TEST(GzipStateFile, BombWithAWrongVersionIsRejectedBeforeInflating) {
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.close();
    if (!clear) GTEST_SKIP() << "cannot reset the peak RSS of this process (/proc/self/clear_refs)";
  }
  std::vector<uint8_t> raw(size_t{260} << 20, 0);
  raw[0] = 9;
  const auto bomb = gzip_member(raw, 9);
  raw.clear();
  raw.shrink_to_fit();
  ASSERT_LT(bomb.size(), size_t{300} << 10);
  TempFile path("bomb.bin.gz");
  path.write(bomb);
  std::ofstream("/proc/self/clear_refs") << "5";
  const long before = peak_rss_kib();
  try {
    read_state_file(path.path);
    ADD_FAILURE() << "accepted a version 9 state";
  } catch (const StateFileError& e) {
    EXPECT_NE(std::string(e.what()).find("version 9"), std::string::npos) << e.what();
  }
  const long grown_mib = (peak_rss_kib() - before) / 1024;
  EXPECT_LT(grown_mib, 64) << "the peak RSS grew by " << grown_mib << " MiB";
}

}  // namespace
}  // namespace cannonball
