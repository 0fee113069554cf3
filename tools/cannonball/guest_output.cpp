#include "tools/cannonball/guest_output.h"

#include <cerrno>
#include <cstring>

#include "runtime/hex.h"
#include "runtime/word.h"
#include "tools/cannonball/cli_common.h"
#include "tools/cannonball/log.h"

namespace cannonball {
namespace {

void open_file(const std::string& path, FILE*& file) {
  file = std::fopen(path.c_str(), "wb");
  if (!file) throw CliError("cannot open " + path + " for guest output");
}

}  // namespace

GuestOutputLogger::GuestOutputLogger(const std::string& stdout_path, const std::string& stderr_path)
    : paths_{stdout_path, stderr_path} {
  if (!stdout_path.empty()) open_file(stdout_path, files_[0]);
  if (!stderr_path.empty()) open_file(stderr_path, files_[1]);
}

GuestOutputLogger::~GuestOutputLogger() {
  for (FILE* f : files_)
    if (f) std::fclose(f);
}

void GuestOutputLogger::write(int fd, std::span<const uint8_t> bytes) {
  const int index = fd == 1 ? 0 : 1;
  FILE* raw = files_[index];
  if (raw) {
    errno = 0;
    if (std::fwrite(bytes.data(), 1, bytes.size(), raw) != bytes.size() || std::fflush(raw) != 0) {
      const std::string reason = errno ? std::strerror(errno) : "write error";
      throw CliError(std::string("cannot write the guest's ") + (index == 0 ? "stdout" : "stderr") + " to " +
                     paths_[index] + ": " + reason);
    }
    return;
  }
  std::string text(bytes.begin(), bytes.end());
  bool printable = true;
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) printable = false;
  Logger log(stderr);
  const char* stream = fd == 1 ? "stdout" : "stderr";
  if (printable) {
    if (!text.empty() && text.back() == '\n') text.pop_back();
    log.info(text, {{"module", "guest"}, {"stream", stream}});
  } else {
    log.info("guest output", {{"module", "guest"}, {"stream", stream}, {"data", to_hex(bytes.data(), bytes.size())}});
  }
}

}  // namespace cannonball
