// Binary state files (spec §11.1): `.bin`, or gzip when the name ends in `.gz`.
// Readers reject malformed input with a StateFileError naming the problem; writers go through a
// temporary file in the same directory and rename it into place, so no partial file is left.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/state.h"

namespace cannonball {

class StateFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<uint8_t> serialize_state(const State& state);
State deserialize_state(const std::vector<uint8_t>& bytes);

bool is_binary_state_path(const std::string& path);  // ends in .bin or .bin.gz
State read_state_file(const std::string& path);
void write_state_file(const State& state, const std::string& path);

// Where a state was read from: the file as it was when read, and whether it can stand for a file
// this writer would write for that state: its uncompressed bytes are exactly the state's encoding,
// and a .gz file is in this writer's multi-member layout (so it loads as fast as a written one).
struct StateFileOrigin {
  std::string path;
  uint64_t device = 0, inode = 0, size = 0;
  int64_t mtime_ns = 0;
  bool reusable = false;
};
struct StateReadOptions {
  // When set: the memory is not loaded (the state's memory stays empty) and its merkle root is
  // stored here instead, for callers that need nothing of the memory but its root (`witness`).
  // Each page is hashed where its bytes lie in the reader's buffer (for this writer's .bin.gz
  // layout, on the core that inflated them), so no page is allocated, copied or faulted in.
  Hash32* memory_root = nullptr;
};
State read_state_file(const std::string& path, StateFileOrigin& origin, const StateReadOptions& options = {});
// Writes the state read from `origin` to `path` by copying that file (temp file + rename, every
// write checked), instead of encoding and compressing it again, and returns true. Returns false
// having written nothing when the copy could not stand for what write_state_file writes: the file
// changed since it was read, is not `reusable`, or differs from `path` in compression (.bin /
// .bin.gz).
bool copy_state_file(const StateFileOrigin& origin, const std::string& path);

// Writes state files in the background, for snapshots taken while a run goes on: start() forks a
// child that holds a copy-on-write image of the process (the state as it is at that moment,
// whatever the caller does to it afterwards) and writes the file there, on every core, while the
// caller continues. The child dies with the caller (nothing is left: the file appears only when
// complete). At most one write is in flight: start() first waits for the previous one.
class BackgroundStateWriter {
 public:
  BackgroundStateWriter() = default;
  BackgroundStateWriter(const BackgroundStateWriter&) = delete;
  BackgroundStateWriter& operator=(const BackgroundStateWriter&) = delete;
  ~BackgroundStateWriter();  // waits for a write in flight; its error is lost (call wait())

  void start(const State& state, const std::string& path);
  // Waits for the write in flight, if any; throws StateFileError with the child's message when it
  // failed.
  void wait();
  bool busy() const { return child_ > 0; }

 private:
  int child_ = -1;
  int error_pipe_ = -1;
  std::string path_;
};

// Whole-file helpers shared by every writer: gzip chosen by a `.gz` suffix, atomic rename.
std::vector<uint8_t> read_file_maybe_gz(const std::string& path);
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip);
inline bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace cannonball
