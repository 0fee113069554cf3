// `cannonball witness`: print the witness JSON of a state file; optionally write the raw witness.
#include <CLI/CLI.hpp>

#include "runtime/hex.h"
#include "runtime/json_text.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {

int witness_main(int argc, char** argv) {
  CLI::App app{"Print the 188-byte witness and the state hash of a binary state file", "cannonball witness"};
  std::string input, output;
  app.add_option("--input", input, "binary state file (.bin or .bin.gz)")->required();
  app.add_option("--output", output, "path to write the raw 188-byte witness to");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) { return parse_error_exit(app, e); }
  State state;
  Hash32 memory_root;
  try {
    StateFileOrigin origin;
    state = read_state_file(input, origin, {.memory_root = &memory_root});  // the root, not the pages
  } catch (const StateFileError& e) { throw CliError(std::string("invalid input state: ") + e.what()); }
  const StateWitness witness = encode_witness(state, memory_root);
  if (!output.empty()) {
    try {
      write_file_atomic(output, std::vector<uint8_t>(witness.begin(), witness.end()), false);
    } catch (const StateFileError& e) { throw CliError(e.what()); }
  }
  const Json json = {{"stateVersion", StateVersion},
                     {"witnessHash", to_hex(state_hash(witness))},
                     {"witness", to_hex(witness.data(), witness.size())},
                     {"step", state.step},
                     {"exited", state.exited},
                     {"exitCode", state.exit_code}};
  write_stdout(json_file_text(json), "the witness");
  return 0;
}

}  // namespace cannonball
