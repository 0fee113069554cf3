#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {

int parse_error_exit(const CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "error: %s\nrun with --help for the options\n", error.what());
  return 1;
}

void write_stdout(const std::string& text, const char* what) {
  errno = 0;
  const size_t written = std::fwrite(text.data(), 1, text.size(), stdout);
  if (written != text.size() || std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const std::string reason = errno ? std::strerror(errno) : "write error";
    std::clearerr(stdout);
    throw CliError(std::string("cannot write ") + what + " to stdout: " + reason);
  }
}

StagedOutput::StagedOutput(std::string path) : path_(std::move(path)) {
  static std::atomic<unsigned> counter{0};
  const auto slash = path_.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  // The name keeps its suffix (.bin.gz, .json) at the end, so writers that look at it still work.
  temp_ = dir + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name;
}

StagedOutput::~StagedOutput() {
  if (!committed_) ::unlink(temp_.c_str());
}

void StagedOutput::commit() {
  if (::rename(temp_.c_str(), path_.c_str()) != 0)
    throw CliError("cannot write " + path_ + ": " + std::strerror(errno));
  committed_ = true;
}

void write_text_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    write_stdout(text, "the output");
    return;
  }
  try {
    write_file_atomic(path, std::vector<uint8_t>(text.begin(), text.end()), has_suffix(path, ".gz"));
  } catch (const StateFileError& e) { throw CliError(e.what()); }
}

}  // namespace cannonball
