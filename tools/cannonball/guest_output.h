// Where `run` sends what the guest writes to stdout and stderr: raw to files when asked
// (--guest-stdout/--guest-stderr), else as logfmt lines on stderr (hex when not printable).
#pragma once

#include <cstdio>
#include <span>
#include <string>

namespace cannonball {

class GuestOutputLogger {
 public:
  // Empty paths log; throws CliError when a file cannot be opened, and write() throws CliError
  // when a file write fails (the run then ends with exit 1 and writes no final state).
  GuestOutputLogger(const std::string& stdout_path, const std::string& stderr_path);
  ~GuestOutputLogger();
  GuestOutputLogger(const GuestOutputLogger&) = delete;
  GuestOutputLogger& operator=(const GuestOutputLogger&) = delete;
  void write(int fd, std::span<const uint8_t> bytes);

 private:
  FILE* files_[2] = {nullptr, nullptr};
  std::string paths_[2];
};

}  // namespace cannonball
