// The pre-image host protocol reader: HostOracle over pipes whose host side replays the input.
// Input: one byte of operation bits (bit i set: the i-th request is a hint, else a pre-image
// request; 1 + low 3 bits of the second byte = number of requests), then the bytes the "host"
// sends: the first half of the rest goes to the pre-image response pipe, the second half to the
// hint-acknowledgement pipe. Each request either succeeds or fails with OracleError (short
// answer, closed pipe, length over the limit); nothing may hang, crash or allocate ahead of the
// bytes sent. Inputs are capped below a pipe's capacity so the host side never blocks.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "runtime/host_oracle.h"

using namespace cannonball;

namespace {

void write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n <= 0) std::abort();
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::signal(SIGPIPE, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 32768) return 0;
  const uint8_t ops = data[0];
  const unsigned count = 1 + (data[1] & 7);
  data += 2;
  size -= 2;
  int hint[2], ack[2], key[2], resp[2];
  if (::pipe2(hint, O_CLOEXEC) || ::pipe2(ack, O_CLOEXEC) || ::pipe2(key, O_CLOEXEC) || ::pipe2(resp, O_CLOEXEC))
    std::abort();
  const size_t half = size / 2;
  write_all(resp[1], data, half);
  write_all(ack[1], data + half, size - half);
  ::close(resp[1]);
  ::close(ack[1]);
  {
    HostOracle oracle(HostFds{hint[1], ack[0], key[1], resp[0]}, std::chrono::milliseconds(2000), "fuzz-host");
    uint64_t received = 0;
    for (unsigned i = 0; i < count; ++i) {
      try {
        if (ops >> i & 1) {
          oracle.hint(std::vector<uint8_t>(i + 1, static_cast<uint8_t>(i)));
        } else {
          Hash32 k{};
          k[0] = static_cast<uint8_t>(i);
          received += oracle.get_preimage(k).size();
        }
      } catch (const OracleError&) { break; }
    }
    // A pre-image is only as long as the bytes the host sent.
    if (received > half) std::abort();
  }
  ::close(hint[0]);
  ::close(key[0]);
  return 0;
}
