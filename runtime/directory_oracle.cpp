#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/hex.h"
#include "runtime/host_oracle.h"

namespace cannonball {

std::vector<uint8_t> DirectoryOracle::get_preimage(const Hash32& key) {
  const std::string path = dir_ + "/" + to_hex(key).substr(2);
  auto fail = [&](const std::string& what) -> OracleError {
    return OracleError("pre-image for key " + to_hex(key) + ": " + path + " " + what);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw OracleError("no pre-image for key " + to_hex(key) + " in " + dir_);
    throw fail(std::string("cannot be opened: ") + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    const bool dir = S_ISDIR(info.st_mode);
    ::close(fd);
    throw fail(dir ? "is a directory, not a file" : "is not a regular file");
  }
  if (static_cast<uint64_t>(info.st_size) > MaxPreimageSize) {
    ::close(fd);
    throw fail("holds " + std::to_string(info.st_size) + " bytes, over the limit of " +
               std::to_string(MaxPreimageSize) + " bytes");
  }
  // Sized by fstat, read on to the end in case the file grew since, within the limit.
  std::vector<uint8_t> value;
  value.reserve(static_cast<size_t>(info.st_size));
  uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw fail(std::string("cannot be read: ") + std::strerror(err));
    }
    if (static_cast<uint64_t>(n) > MaxPreimageSize - value.size()) {
      ::close(fd);
      throw fail("grew over the limit of " + std::to_string(MaxPreimageSize) + " bytes");
    }
    value.insert(value.end(), buf, buf + n);
  }
  ::close(fd);
  return value;
}

void DirectoryOracle::hint(const std::vector<uint8_t>&) { ++hints_; }

}  // namespace cannonball
