// Shared pieces of the command line: the error type that becomes "error: ..." and exit 1, and
// the JSON/file conventions every writer follows (2-space JSON, "\n\n" ending, temp + rename).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/word.h"

namespace cannonball {

class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes `text` to `path` ("-" = stdout) atomically; a ".gz" suffix gzips it. Any failure,
// stdout's included, is a CliError.
void write_text_output(const std::string& path, const std::string& text);
// Writes all of `text` to stdout and flushes it; a short write or a flush error is a CliError
// ("cannot write <what> to stdout: ...").
void write_stdout(const std::string& text, const char* what);

// An output that must appear together with others or not at all: write it (with any writer) to
// temp_path(), a hidden name beside `path` that ends in the same suffix, then commit() renames it
// into place. Dropped uncommitted (an error, an interrupt), the temporary file is removed and
// `path` is left as it was.
class StagedOutput {
 public:
  explicit StagedOutput(std::string path);
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;
  const std::string& temp_path() const { return temp_; }
  const std::string& path() const { return path_; }
  void commit();

 private:
  std::string path_, temp_;
  bool committed_ = false;
};

// The exit status for a command line the parser stopped on: 0 after printing --help, else 1 with
// "error: <what>" on stderr.
int parse_error_exit(const CLI::App& app, const CLI::ParseError& error);

// Subcommands. Each returns the process exit status.
int load_elf_main(int argc, char** argv);
int witness_main(int argc, char** argv);
int run_main(int argc, char** argv);
int disasm_main(int argc, char** argv);
int lockstep_main(int argc, char** argv);
int serve_main(int argc, char** argv);  // tools/serve

}  // namespace cannonball
