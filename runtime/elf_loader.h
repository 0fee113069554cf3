// ELF64 big-endian MIPS loading into a fresh state (spec §10) and the symbol list for meta.json.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/state.h"

namespace cannonball {

class ElfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Symbol {
  std::string name;
  Word start = 0;
  Word size = 0;
};

// Loads every program header as §10 says and applies the stack patch.
State load_elf(const std::vector<uint8_t>& elf);
// The .symtab entries 1..n sorted by value (ties keep table order). Throws if there is no .symtab.
std::vector<Symbol> elf_symbols(const std::vector<uint8_t>& elf);
// meta.json text (2-space indent, HTML escaping off, ends in "}\n\n").
std::string metadata_json(const std::vector<Symbol>& symbols);
// Name of the symbol containing `addr`, or "" (for tracebacks and debug output).
std::string symbol_at(const std::vector<Symbol>& symbols, Word addr);
std::vector<Symbol> read_metadata_json(const std::string& text);

}  // namespace cannonball
