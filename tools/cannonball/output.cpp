#include <unistd.h>

#include <cstdio>

#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {

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
