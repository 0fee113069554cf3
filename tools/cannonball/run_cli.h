// The flags of `cannonball run` (upstream's, plus cannonball's own) into RunOptions.
#pragma once

#include <optional>

#include "tools/runloop/run_options.h"

namespace cannonball {

// Parses and checks the command line, so a bad flag never costs a run. Returns the exit status
// when parsing ends the command (--help: 0, a parser error: 1); throws CliError for a bad value.
std::optional<int> parse_run_options(int argc, char** argv, RunOptions& options);

}  // namespace cannonball
