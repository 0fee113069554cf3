// A small logfmt logger for the run loop: `t=... lvl=info msg=... key=value ...` on a stream.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cannonball {

// Thrown when a line cannot be written (a full disk, a closed pipe): the caller's run ends in error.
struct LogWriteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Logger {
 public:
  explicit Logger(FILE* out) : out_(out) {}
  using Fields = std::vector<std::pair<std::string, std::string>>;
  void info(const std::string& msg, const Fields& fields = {}) const { log("info", msg, fields); }
  void warn(const std::string& msg, const Fields& fields = {}) const { log("warn", msg, fields); }
  void log(const char* level, const std::string& msg, const Fields& fields) const;
  static std::string quote(const std::string& value);  // logfmt quoting when needed

 private:
  FILE* out_;
};

}  // namespace cannonball
