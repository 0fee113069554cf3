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
class HostOracle final : public PreimageOracle {
 public:
  HostOracle(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);
  ~HostOracle() override;
  HostOracle(const HostOracle&) = delete;
  HostOracle& operator=(const HostOracle&) = delete;

  std::vector<uint8_t> get_preimage(const Hash32& key) override;
  void hint(const std::vector<uint8_t>& hint) override;
  // Closes the pipes and reaps the host (SIGINT, then SIGKILL if it lingers).
  void close();

 private:
  void write_all(int fd, const uint8_t* data, size_t size, const char* what);
  void read_all(int fd, uint8_t* data, size_t size, const char* what);
  [[noreturn]] void fail(const std::string& what);
  std::string host_status();

  pid_t pid_ = -1;
  int hint_out_ = -1;       // our end of the host's fd 3
  int hint_ack_in_ = -1;    // our end of the host's fd 4
  int key_out_ = -1;        // our end of the host's fd 5
  int preimage_in_ = -1;    // our end of the host's fd 6
  std::chrono::milliseconds timeout_;
  std::string name_;
};

// Serves `dir/<64 lowercase hex digits of the key>` files; hints are counted and dropped.
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
