// Pre-image oracles: a host process over pipes (spec §13) and a directory of pre-image files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "runtime/preimage.h"

namespace cannonball {

// Starts `argv` with fd 3 = hint requests in, fd 4 = hint acks out, fd 5 = pre-image requests in,
// fd 6 = pre-image responses out, stdin /dev/null and NO_COLOR=1 before the inherited environment.
// Every failure of the host (exit, closed pipe, short or malformed answer, no answer within the
// timeout) becomes an OracleError naming what happened.
// The longest pre-image a host may declare; a longer length prefix is rejected before any payload
// is read. Payload memory grows with the bytes actually received (one 1 MiB chunk ahead at most).
inline constexpr uint64_t MaxPreimageSize = uint64_t{1} << 32;  // 4 GiB

// The parent's ends of the four host pipes (for a host started elsewhere, and for tests).
struct HostFds {
  int hint_out = -1;     // hint requests to the host (its fd 3)
  int hint_ack_in = -1;  // hint acknowledgements from it (its fd 4)
  int key_out = -1;      // pre-image keys to the host (its fd 5)
  int preimage_in = -1;  // pre-image responses from it (its fd 6)
};

// `timeout` bounds each wait for the host to accept or send bytes; zero or less waits without a
// limit. Every wait also ends within InterruptPollMs of an interrupt request (throws Interrupted).
class HostOracle final : public PreimageOracle {
 public:
  // Where the host's stdout goes: ours (as upstream cannon does), or our stderr when our stdout
  // carries something a client parses (`serve` prints its address there).
  enum class Stdout : uint8_t { Inherit, ToStderr };
  HostOracle(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
             Stdout host_stdout = Stdout::Inherit);
  // Talks over pipes that are already open (takes ownership of them); there is no process to reap.
  HostOracle(const HostFds& fds, std::chrono::milliseconds timeout, std::string name);
  ~HostOracle() override;
  HostOracle(const HostOracle&) = delete;
  HostOracle& operator=(const HostOracle&) = delete;

  std::vector<uint8_t> get_preimage(const Hash32& key) override;
  void hint(const std::vector<uint8_t>& hint) override;
  // Closes the pipes and reaps the host (SIGINT, then SIGKILL if it lingers).
  void close();

 private:
  void wait_ready(int fd, short events, const char* what);
  void write_all(int fd, const uint8_t* data, size_t size, const char* what);
  // `already` and `total` let a short read of a chunk name its place in the whole message.
  void read_all(int fd, uint8_t* data, size_t size, const char* what, size_t already = 0, size_t total = 0);
  [[noreturn]] void fail(const std::string& what);
  std::string host_status();

  pid_t pid_ = -1;
  int hint_out_ = -1;     // our end of the host's fd 3
  int hint_ack_in_ = -1;  // our end of the host's fd 4
  int key_out_ = -1;      // our end of the host's fd 5
  int preimage_in_ = -1;  // our end of the host's fd 6
  std::chrono::milliseconds timeout_;
  std::string name_;
};

// Parses a --host-timeout value in seconds into the oracle's timeout: finite, 0 (no limit) up to
// MaxHostTimeoutSeconds. Throws std::invalid_argument naming the rule otherwise.
inline constexpr double MaxHostTimeoutSeconds = 86400;
std::chrono::milliseconds host_timeout_from_seconds(double seconds);

// Serves `dir/<64 lowercase hex digits of the key>` files; hints are counted and dropped. A
// missing, unreadable or non-regular file, or one over MaxPreimageSize, is an OracleError naming
// the key and the path.
class DirectoryOracle final : public PreimageOracle {
 public:
  explicit DirectoryOracle(std::string dir) : dir_(std::move(dir)) {}
  std::vector<uint8_t> get_preimage(const Hash32& key) override;
  void hint(const std::vector<uint8_t>& hint) override;
  size_t hints_received() const { return hints_; }

 private:
  std::string dir_;
  size_t hints_ = 0;
};

}  // namespace cannonball
