#include "jit/code_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cannonball::jit {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("JIT code memory: ") + what + ": " + std::strerror(errno));
}

}  // namespace

CodeMemory::CodeMemory(size_t capacity) : size_(capacity) {
  const int fd = memfd_create("cannonball-jit", MFD_CLOEXEC);
  if (fd >= 0) {
    if (ftruncate(fd, static_cast<off_t>(capacity)) != 0) {
      close(fd);
      fail("ftruncate");
    }
    void* write = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void* exec = write == MAP_FAILED ? MAP_FAILED : mmap(nullptr, capacity, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    close(fd);  // the mappings keep the pages
    if (write == MAP_FAILED || exec == MAP_FAILED) {
      if (write != MAP_FAILED) munmap(write, capacity);
      fail("mmap");
    }
    write_ = static_cast<uint8_t*>(write);
    exec_ = static_cast<uint8_t*>(exec);
    return;
  }
  // No memfd: alias a shared anonymous mapping (mremap with old size 0 maps the same pages again).
  void* write = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (write == MAP_FAILED) fail("mmap");
  void* exec = mremap(write, 0, capacity, MREMAP_MAYMOVE);
  if (exec == MAP_FAILED || mprotect(exec, capacity, PROT_READ | PROT_EXEC) != 0) {
    if (exec != MAP_FAILED) munmap(exec, capacity);
    munmap(write, capacity);
    fail("mremap");
  }
  write_ = static_cast<uint8_t*>(write);
  exec_ = static_cast<uint8_t*>(exec);
}

CodeMemory::~CodeMemory() {
  munmap(exec_, size_);
  munmap(write_, size_);
}

}  // namespace cannonball::jit
