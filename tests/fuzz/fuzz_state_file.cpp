// State-file parser: raw bytes (deserialize_state) and gzip files (read_state_file on a .bin.gz),
// both corrupt gzip as given and well-formed single- or multi-member gzip of the input.
// First byte: mode (0 raw, 1 gzip bytes as given, 2 gzip of the rest, 3 two gzip members split
// at a point the second byte picks). A parse either fails with StateFileError or gives a state
// that serializes back to a file that parses to the same serialization.
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/state_file.h"

namespace {

using namespace cannonball;

// The smallest window (512 bytes) and memory level: the member is as valid to the reader (which
// inflates with the largest window whatever the writer used), and setting up the default state
// (a quarter of a MiB allocated, its hash table zeroed, twice for two members) took about a
// seventh of the time of the corpus's inputs in modes 2 and 3.
std::vector<uint8_t> gzip_member(const uint8_t* data, size_t size) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 9 + 16, 1, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<uint8_t> out(deflateBound(&zs, size) + 64);
  zs.next_in = const_cast<uint8_t*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/cannonball-fuzz-state-" + std::to_string(getpid()) + ".bin.gz";
  }();
  // Removed when the fuzzer ends normally (-runs, -max_total_time), so runs leave no file
  // behind; an interrupted or crashing run leaves its one file. Registered after `path` is
  // built, so it runs before `path` is destroyed.
  [[maybe_unused]] static const int cleanup = std::atexit([] { unlink(path.c_str()); });
  return path;
}

void check_round_trip(const State& state) {
  const std::vector<uint8_t> once = serialize_state(state);
  const std::vector<uint8_t> twice = serialize_state(deserialize_state(once));
  if (once != twice) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0] % 4;
  const uint8_t split = data[1];
  data += 2;
  size -= 2;
  if (mode == 0) {
    try {
      check_round_trip(deserialize_state(std::vector<uint8_t>(data, data + size)));
    } catch (const StateFileError&) {}
    return 0;
  }
  std::vector<uint8_t> file;
  if (mode == 1) {
    file.assign(data, data + size);
  } else if (mode == 2) {
    file = gzip_member(data, size);
  } else {
    const size_t cut = size * split / 255;
    file = gzip_member(data, cut);
    const auto second = gzip_member(data + cut, size - cut);
    file.insert(file.end(), second.begin(), second.end());
  }
  FILE* out = std::fopen(scratch_path().c_str(), "wb");
  if (!out) std::abort();
  if (std::fwrite(file.data(), 1, file.size(), out) != file.size() || std::fclose(out) != 0) std::abort();
  try {
    check_round_trip(read_state_file(scratch_path()));
  } catch (const StateFileError&) {}
  return 0;
}
