// meta.json reading: read_metadata_json either throws (nlohmann parse or type errors) or gives
// symbols that survive a write and a second read unchanged.
#include <cstdlib>
#include <string>

#include "runtime/elf_loader.h"

using namespace cannonball;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<Symbol> symbols;
  try {
    symbols = read_metadata_json(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception&) { return 0; }
  for (Word probe : {Word{0}, Word{0x10000}, ~Word{0}}) (void)symbol_at(symbols, probe);
  std::vector<Symbol> back;
  try {
    back = read_metadata_json(metadata_json(symbols));
  } catch (const std::exception&) {
    // Names that are not UTF-8 are written with U+FFFD; anything else must read back.
    for (const Symbol& s : symbols)
      for (unsigned char c : s.name)
        if (c >= 0x80) return 0;
    std::abort();
  }
  if (back.size() != symbols.size()) std::abort();
  for (size_t i = 0; i < back.size(); ++i)
    if (back[i].start != symbols[i].start || back[i].size != symbols[i].size) std::abort();
  return 0;
}
