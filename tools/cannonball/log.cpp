#include "tools/cannonball/log.h"

#include <cerrno>
#include <cstring>
#include <ctime>

namespace cannonball {

std::string Logger::quote(const std::string& value) {
  bool needs = value.empty();
  for (unsigned char c : value)
    if (c <= ' ' || c == '"' || c == '=' || c >= 0x7F) needs = true;
  if (!needs) return value;
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < ' ' || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void Logger::log(const char* level, const std::string& msg, const Fields& fields) const {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line = std::string("t=") + stamp + " lvl=" + level + " msg=" + quote(msg);
  for (const auto& [key, value] : fields) line += " " + key + "=" + quote(value);
  line += "\n";
  errno = 0;
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    // A log that cannot be written is lost output like any other: the run ends with exit 1.
    const std::string reason = errno ? std::strerror(errno) : "write error";
    std::clearerr(out_);
    throw LogWriteError("cannot write a log line: " + reason);
  }
}

}  // namespace cannonball
