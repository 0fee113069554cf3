#include "runtime/host_oracle.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "runtime/hex.h"
#include "runtime/interrupt.h"

extern char** environ;

namespace cannonball {
namespace {

// A pre-image grows by at most this much ahead of the bytes the host has actually sent, so a
// declared length costs nothing until its payload arrives.
constexpr size_t PreimageReadChunk = size_t{1} << 20;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

HostOracle::HostOracle(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, Stdout host_stdout)
    : timeout_(timeout), name_(argv.empty() ? "" : argv[0]) {
  if (argv.empty()) throw OracleError("empty pre-image host command");
  int hint_req[2], hint_ack[2], key_req[2], preimage_resp[2];
  if (::pipe2(hint_req, O_CLOEXEC) || ::pipe2(hint_ack, O_CLOEXEC) || ::pipe2(key_req, O_CLOEXEC) ||
      ::pipe2(preimage_resp, O_CLOEXEC))
    throw OracleError(std::string("cannot create pipes for the pre-image host: ") + std::strerror(errno));

  std::vector<std::string> env_strings = {"NO_COLOR=1"};
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  // posix_spawn (a vfork-style clone, no copy of this process's page tables): fork would copy
  // the tables of the loaded state (tens of MiB) and make every one of its pages copy-on-write,
  // so the VM's next write to each page took a fault. The four pipe ends go to fds 3..6 through
  // high close-on-exec copies, so moving one never clobbers another.
  int ends[4] = {::fcntl(hint_req[0], F_DUPFD_CLOEXEC, 10), ::fcntl(hint_ack[1], F_DUPFD_CLOEXEC, 10),
                 ::fcntl(key_req[0], F_DUPFD_CLOEXEC, 10), ::fcntl(preimage_resp[1], F_DUPFD_CLOEXEC, 10)};
  posix_spawn_file_actions_t actions;
  int rc = ::posix_spawn_file_actions_init(&actions);
  for (int i = 0; i < 4 && rc == 0; ++i)
    rc = ends[i] < 0 ? errno : ::posix_spawn_file_actions_adddup2(&actions, ends[i], 3 + i);  // clears close-on-exec
  if (rc == 0) rc = ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0 && host_stdout == Stdout::ToStderr) rc = ::posix_spawn_file_actions_adddup2(&actions, 2, 1);
  pid_t child = -1;
  if (rc == 0) rc = ::posix_spawnp(&child, args[0], &actions, nullptr, args.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  for (int fd : ends)
    if (fd >= 0) ::close(fd);
  ::close(hint_req[0]);
  ::close(hint_ack[1]);
  ::close(key_req[0]);
  ::close(preimage_resp[1]);
  hint_out_ = hint_req[1];
  hint_ack_in_ = hint_ack[0];
  key_out_ = key_req[1];
  preimage_in_ = preimage_resp[0];
  if (rc != 0) {  // posix_spawnp reports a failed exec here (the child never ran the host)
    close();
    throw OracleError("cannot start the pre-image host " + name_ + ": " + std::strerror(rc));
  }
  pid_ = child;
}

HostOracle::~HostOracle() { close(); }

std::string HostOracle::host_status() {
  if (pid_ < 0) return "";
  int status = 0;
  // Give a dying host a moment to be reaped so the message can say how it ended.
  for (int i = 0; i < 50; ++i) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return " (the host exited with status " + std::to_string(WEXITSTATUS(status)) + ")";
      if (WIFSIGNALED(status)) return " (the host was killed by signal " + std::to_string(WTERMSIG(status)) + ")";
      return "";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return " (the host is still running)";
}

void HostOracle::fail(const std::string& what) {
  throw OracleError("pre-image host " + name_ + ": " + what + host_status());
}

std::chrono::milliseconds host_timeout_from_seconds(double seconds) {
  // Written so that NaN fails too.
  if (!(seconds >= 0 && seconds <= MaxHostTimeoutSeconds))
    throw std::invalid_argument("--host-timeout must be a number of seconds from 0 (no limit) to " +
                                std::to_string(static_cast<long>(MaxHostTimeoutSeconds)));
  const auto ms = static_cast<long long>(seconds * 1000);
  if (seconds > 0 && ms == 0) return std::chrono::milliseconds(1);
  return std::chrono::milliseconds(ms);
}

HostOracle::HostOracle(const HostFds& fds, std::chrono::milliseconds timeout, std::string name)
    : hint_out_(fds.hint_out),
      hint_ack_in_(fds.hint_ack_in),
      key_out_(fds.key_out),
      preimage_in_(fds.preimage_in),
      timeout_(timeout),
      name_(std::move(name)) {}

void HostOracle::wait_ready(int fd, short events, const char* what) {
  using Clock = std::chrono::steady_clock;
  const bool limited = timeout_.count() > 0;
  const Clock::time_point deadline = Clock::now() + timeout_;
  for (;;) {
    throw_if_interrupted();
    int slice = InterruptPollMs;
    if (limited) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        if (events == POLLOUT) fail(std::string("timed out sending ") + what);
        fail(std::string("no answer within ") + std::to_string(timeout_.count()) + " ms while reading " + what);
      }
      slice = static_cast<int>(std::min<long long>(slice, left));
    }
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, slice);
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR)
      fail(std::string("poll failed ") + (events == POLLOUT ? "sending " : "reading ") + what + ": " +
           std::strerror(errno));
  }
}

void HostOracle::write_all(int fd, const uint8_t* data, size_t size, const char* what) {
  while (size > 0) {
    wait_ready(fd, POLLOUT, what);
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fail(std::string("cannot send ") + what + ": " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void HostOracle::read_all(int fd, uint8_t* data, size_t size, const char* what, size_t already, size_t total) {
  size_t done = 0;
  while (done < size) {
    wait_ready(fd, POLLIN, what);
    const ssize_t n = ::read(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fail(std::string("cannot read ") + what + ": " + std::strerror(errno));
    }
    if (n == 0)
      fail(std::string("closed the pipe after ") + std::to_string(already + done) + " of " +
           std::to_string(total ? total : size) + " bytes of " + what);
    done += static_cast<size_t>(n);
  }
}

std::vector<uint8_t> HostOracle::get_preimage(const Hash32& key) {
  if (pid_ < 0 && key_out_ < 0) throw OracleError("pre-image host is closed");
  write_all(key_out_, key.data(), key.size(), "a pre-image key");
  uint8_t len_bytes[8];
  read_all(preimage_in_, len_bytes, 8, "a pre-image length");
  const uint64_t len = load_be64(len_bytes);
  if (len > MaxPreimageSize)
    fail("sent a pre-image length of " + std::to_string(len) + " bytes for key " + to_hex(key) +
         ", over the limit of " + std::to_string(MaxPreimageSize) + " bytes");
  // The buffer grows with the payload, never ahead of it by more than one chunk.
  std::vector<uint8_t> value;
  while (value.size() < len) {
    const size_t have = value.size();
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(len - have, PreimageReadChunk));
    if (value.capacity() < have + chunk)
      value.reserve(
          static_cast<size_t>(std::min<uint64_t>(len, std::max<uint64_t>(2 * value.capacity(), have + chunk))));
    value.resize(have + chunk);
    read_all(preimage_in_, value.data() + have, chunk, "a pre-image", have, static_cast<size_t>(len));
  }
  return value;
}

void HostOracle::hint(const std::vector<uint8_t>& hint) {
  std::vector<uint8_t> message(4 + hint.size());
  store_be32(message.data(), static_cast<uint32_t>(hint.size()));
  std::memcpy(message.data() + 4, hint.data(), hint.size());
  write_all(hint_out_, message.data(), message.size(), "a hint");
  uint8_t ack = 0;
  read_all(hint_ack_in_, &ack, 1, "a hint acknowledgement");
}

void HostOracle::close() {
  close_fd(hint_out_);
  close_fd(hint_ack_in_);
  close_fd(key_out_);
  close_fd(preimage_in_);
  if (pid_ < 0) return;
  auto wait_for = [&](std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  // An interrupted command has 1 s to exit: the host gets a short grace only.
  const bool hurry = interrupt_requested();
  if (!wait_for(std::chrono::milliseconds(hurry ? 100 : 1000))) {
    ::kill(pid_, hurry ? SIGTERM : SIGINT);
    if (!wait_for(std::chrono::milliseconds(hurry ? 200 : 2000))) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {}
    }
  }
  pid_ = -1;
}

}  // namespace cannonball
