// `cannonball disasm`: print guest code with mnemonics from a state file, around a pc or a range.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "interp/instruction_table.h"
#include "runtime/elf_loader.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"
#include "tools/runloop/matcher.h"

namespace cannonball {

int disasm_main(int argc, char** argv) {
  CLI::App app{"Disassemble guest code from a state file or an ELF", "cannonball disasm"};
  std::string input, elf_path, from_text, count_text = "32", meta_path;
  app.add_option("--input", input, "binary state file");
  app.add_option("--elf", elf_path, "ELF file (loaded as load-elf would)");
  app.add_option("--from", from_text, "first address (default: the current thread's pc)");
  app.add_option("--count", count_text, "number of instructions")->capture_default_str();
  app.add_option("--meta", meta_path, "meta.json for symbol names");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) { return parse_error_exit(app, e); }
  if (input.empty() == elf_path.empty()) throw CliError("give exactly one of --input or --elf");
  State state;
  std::vector<Symbol> symbols;
  try {
    if (!input.empty()) {
      state = read_state_file(input);
    } else {
      const auto elf = read_file_maybe_gz(elf_path);
      state = load_elf(elf);
      symbols = elf_symbols(elf);
    }
  } catch (const std::exception& e) { throw CliError(e.what()); }
  Word from = state.active_stack().empty() ? 0 : state.current_thread().pc;
  if (!from_text.empty()) {
    const auto parsed = parse_go_uint(from_text);
    if (!parsed) throw CliError("invalid --from address " + from_text);
    from = *parsed;
  }
  const auto count = parse_go_uint(count_text);
  if (!count) throw CliError("invalid --count " + count_text);
  from &= ~Word{3};
  std::string last_symbol;
  for (Word i = 0; i < *count; ++i) {
    const Word pc = from + 4 * i;
    const std::string symbol = symbol_at(symbols, pc);
    if (!symbol.empty() && symbol != last_symbol) std::printf("%s:\n", symbol.c_str());
    last_symbol = symbol;
    const uint32_t insn = state.memory.read_u32(pc);
    std::printf("  %016llx:  %08x  %s\n", static_cast<unsigned long long>(pc), insn, disassemble(insn, pc).c_str());
  }
  return 0;
}

}  // namespace cannonball
