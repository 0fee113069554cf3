// Every mprotect call in jit_tests goes through this definition (the executable's symbol comes
// before libc's), so W^X can be checked for mappings that are writable and executable only for a
// moment, which /proc/self/maps never shows. The call itself is passed on unchanged.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "wx_guard.h"

namespace {
std::atomic<int> writable_executable_requests{0};
}

extern "C" int mprotect(void* addr, size_t len, int prot) {
  if ((prot & PROT_WRITE) && (prot & PROT_EXEC)) writable_executable_requests.fetch_add(1);
  return static_cast<int>(syscall(SYS_mprotect, addr, len, prot));
}

int wx_guard_requests() { return writable_executable_requests.load(); }
