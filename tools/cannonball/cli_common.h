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

// Writes `text` to `path` ("-" = stdout) atomically; a ".gz" suffix gzips it.
void write_text_output(const std::string& path, const std::string& text);

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
