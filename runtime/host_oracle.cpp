#include "runtime/host_oracle.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace cannonball {
namespace {

constexpr uint64_t MaxPreimageSize = uint64_t{1} << 32;  // 4 GiB: anything larger is malformed

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

HostOracle::HostOracle(const std::vector<std::string>& argv, std::chrono::milliseconds timeout)
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

  // Report exec failure through a close-on-exec pipe.
  int exec_status[2];
  if (::pipe2(exec_status, O_CLOEXEC)) throw OracleError("cannot create a pipe for the pre-image host");
  pid_ = ::fork();
  if (pid_ < 0) throw OracleError(std::string("cannot start the pre-image host: ") + std::strerror(errno));
  if (pid_ == 0) {
    // Child: move the four pipe ends to fds 3..6 (via high temporaries, so none is clobbered).
    int ends[4] = {::fcntl(hint_req[0], F_DUPFD_CLOEXEC, 10), ::fcntl(hint_ack[1], F_DUPFD_CLOEXEC, 10),
                   ::fcntl(key_req[0], F_DUPFD_CLOEXEC, 10), ::fcntl(preimage_resp[1], F_DUPFD_CLOEXEC, 10)};
    for (int i = 0; i < 4; ++i) ::dup2(ends[i], 3 + i);  // dup2 clears close-on-exec
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvpe(args[0], args.data(), envp.data());
    const int err = errno;
    [[maybe_unused]] ssize_t n = ::write(exec_status[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(exec_status[1]);
  int child_errno = 0;
  const ssize_t n = ::read(exec_status[0], &child_errno, sizeof child_errno);
  ::close(exec_status[0]);
  ::close(hint_req[0]);
  ::close(hint_ack[1]);
  ::close(key_req[0]);
  ::close(preimage_resp[1]);
  hint_out_ = hint_req[1];
  hint_ack_in_ = hint_ack[0];
  key_out_ = key_req[1];
  preimage_in_ = preimage_resp[0];
  if (n == sizeof child_errno) {
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    close();
    throw OracleError("cannot start the pre-image host " + name_ + ": " + std::strerror(child_errno));
  }
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

void HostOracle::write_all(int fd, const uint8_t* data, size_t size, const char* what) {
  while (size > 0) {
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (ready == 0) fail(std::string("timed out sending ") + what);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail(std::string("poll failed sending ") + what + ": " + std::strerror(errno));
    }
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fail(std::string("cannot send ") + what + ": " + std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void HostOracle::read_all(int fd, uint8_t* data, size_t size, const char* what) {
  const size_t wanted = size;
  while (size > 0) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (ready == 0) fail(std::string("no answer within ") + std::to_string(timeout_.count()) + " ms while reading " + what);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail(std::string("poll failed reading ") + what + ": " + std::strerror(errno));
    }
    const ssize_t n = ::read(fd, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fail(std::string("cannot read ") + what + ": " + std::strerror(errno));
    }
    if (n == 0)
      fail(std::string("closed the pipe after ") + std::to_string(wanted - size) + " of " + std::to_string(wanted) +
           " bytes of " + what);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

std::vector<uint8_t> HostOracle::get_preimage(const Hash32& key) {
  if (pid_ < 0 && key_out_ < 0) throw OracleError("pre-image host is closed");
  write_all(key_out_, key.data(), key.size(), "a pre-image key");
  uint8_t len_bytes[8];
  read_all(preimage_in_, len_bytes, 8, "a pre-image length");
  const uint64_t len = load_be64(len_bytes);
  if (len > MaxPreimageSize)
    fail("sent an implausible pre-image length " + std::to_string(len) + " for key " + to_hex(key));
  std::vector<uint8_t> value(len);
  read_all(preimage_in_, value.data(), value.size(), "a pre-image");
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
  if (!wait_for(std::chrono::milliseconds(1000))) {
    ::kill(pid_, SIGINT);
    if (!wait_for(std::chrono::milliseconds(2000))) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_ = -1;
}

}  // namespace cannonball
