// `cannonball load-elf`: ELF -> initial state file and meta.json (spec §10, §12, §17.5, §17.6).
#include <CLI/CLI.hpp>

#include <optional>

#include "runtime/elf_loader.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {
namespace {

const char* const KnownVersionNames[] = {"singlethreaded",    "multithreaded",     "singlethreaded-2",
                                         "multithreaded64",   "multithreaded64-2", "multithreaded-2",
                                         "multithreaded64-3", "multithreaded64-4", "multithreaded64-5"};

void check_type(const std::string& type) {
  if (type == StateVersionName || type == "latest" || type == "experimental") return;
  for (size_t i = 0; i < std::size(KnownVersionNames); ++i)
    if (type == KnownVersionNames[i])
      throw CliError("unsupported state version: " + std::to_string(i) + " (" + type + "); this VM creates " +
                     StateVersionName);
  throw CliError("unknown state version '" + type + "' (this VM creates " + StateVersionName + ")");
}

std::vector<uint8_t> read_elf(const std::string& path) {
  try {
    return read_file_maybe_gz(path);
  } catch (const StateFileError& e) { throw CliError(std::string("cannot read ELF: ") + e.what()); }
}

}  // namespace

int load_elf_main(int argc, char** argv) {
  CLI::App app{"Load a MIPS64 big-endian ELF into an initial multithreaded64-5 state", "cannonball load-elf"};
  std::string type, path, out = "state.bin.gz", meta = "meta.json";
  app.add_option("--type", type, "VM type of the state to create (multithreaded64-5)")->required();
  app.add_option("--path", path, "path of the 64-bit big-endian MIPS ELF")->required();
  app.add_option("--out", out, "state output path (.bin or .bin.gz); empty = do not write")->capture_default_str();
  app.add_option("--meta", meta, "meta.json output path for symbol lookup; empty = none, '-' = stdout")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) { return parse_error_exit(app, e); }

  check_type(type);
  // Checked before anything is written, so a bad --out leaves no meta.json behind either.
  if (!out.empty() && !is_binary_state_path(out))
    throw CliError("cannot write state to '" + out + "': the name must end in .bin or .bin.gz");

  const std::vector<uint8_t> elf = read_elf(path);
  State state;
  std::vector<Symbol> symbols;
  try {
    // The symbols first: reading them checks the section headers, which costs no guest memory,
    // so a file that is bad there fails before its segments are loaded (up to 1 GiB of them).
    symbols = elf_symbols(elf);
    state = load_elf(elf);
  } catch (const ElfError& e) { throw CliError("failed to load ELF " + path + ": " + e.what()); }
  // Both files appear together or neither does: each is written under a temporary name first,
  // and only when both (and any stdout meta) are complete are they renamed into place.
  std::optional<StagedOutput> staged_state, staged_meta;
  if (!out.empty()) {
    staged_state.emplace(out);
    try {
      write_state_file(state, staged_state->temp_path());
    } catch (const StateFileError& e) { throw CliError("cannot write " + out + ": " + e.what()); }
  }
  if (!meta.empty() && meta != "-") {
    staged_meta.emplace(meta);
    write_text_output(staged_meta->temp_path(), metadata_json(symbols));
  }
  if (meta == "-") write_stdout(metadata_json(symbols), "meta.json");
  if (staged_state) staged_state->commit();
  if (staged_meta) staged_meta->commit();
  return 0;
}

}  // namespace cannonball
