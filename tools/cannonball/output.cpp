#include <unistd.h>

#include <cstdio>

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

void write_text_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  try {
    write_file_atomic(path, std::vector<uint8_t>(text.begin(), text.end()), has_suffix(path, ".gz"));
  } catch (const StateFileError& e) {
    throw CliError(e.what());
  }
}

}  // namespace cannonball
