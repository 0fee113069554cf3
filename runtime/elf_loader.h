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

// The most guest memory the program headers of one ELF may cover together (sum of p_memsz): the
// loader allocates at most this much (plus the 5 stack pages) for any input.
inline constexpr Word MaxElfSegmentBytes = Word{1} << 30;  // 1 GiB
// The most bytes of symbol names one ELF's .symtab may give (names may share string-table bytes,
// so without a bound a small file could name many huge symbols).
inline constexpr Word MaxSymbolNameBytes = Word{64} << 20;  // 64 MiB

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
