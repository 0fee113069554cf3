// BackgroundStateWriter (state_file.h): snapshots written by a forked child from its
// copy-on-write image of the process, while the run goes on.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/state_file.h"

namespace cannonball {
namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

BackgroundStateWriter::~BackgroundStateWriter() {
  try {
    wait();
  } catch (const StateFileError&) {}
}

void BackgroundStateWriter::start(const State& state, const std::string& path) {
  wait();
  if (!is_binary_state_path(path))
    throw StateFileError("unsupported state file " + path + ": the name must end in .bin or .bin.gz");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw StateFileError("cannot start writing " + path + ": " + errno_text());
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const std::string err = errno_text();
    ::close(fds[0]);
    ::close(fds[1]);
    throw StateFileError("cannot start writing " + path + ": " + err);
  }
  if (pid == 0) {
    // The child: die with the parent, take Ctrl-C's default, write, report, _exit (no atexit
    // handlers and no second flush of the parent's stdio buffers).
    ::close(fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(1);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    int status = 0;
    try {
      write_state_file(state, path);
    } catch (const std::exception& e) {
      const std::string message = e.what();
      [[maybe_unused]] const ssize_t n = ::write(fds[1], message.data(), message.size());
      status = 1;
    }
    _exit(status);
  }
  ::close(fds[1]);
  child_ = pid;
  error_pipe_ = fds[0];
  path_ = path;
}

void BackgroundStateWriter::wait() {
  if (child_ <= 0) return;
  std::string message;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(error_pipe_, buf, sizeof buf);
    if (n > 0) {
      message.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(error_pipe_);
  error_pipe_ = -1;
  int status = 0;
  while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {}
  child_ = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (message.empty())
    message = "cannot write " + path_ + ": the writer process " +
              (WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status)) : "failed");
  throw StateFileError(message);
}

}  // namespace cannonball
