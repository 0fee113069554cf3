// ELF loader: load_elf and elf_symbols on arbitrary bytes either fail with ElfError or succeed
// within the stated limits; the symbols then go through meta.json and back.
#include <cstdlib>

#include "runtime/elf_loader.h"

using namespace cannonball;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> elf(data, data + size);
  try {
    const State state = load_elf(elf);
    // The segments (at most MaxElfSegmentBytes) plus the five stack pages, each page counted whole.
    if (state.memory.page_count() > MaxElfSegmentBytes / PageSize + 65535 * 2 + 5) std::abort();
  } catch (const ElfError&) {}
  try {
    const std::vector<Symbol> symbols = elf_symbols(elf);
    const std::vector<Symbol> back = read_metadata_json(metadata_json(symbols));
    if (back.size() != symbols.size()) std::abort();
    for (size_t i = 0; i < back.size(); ++i)
      if (back[i].start != symbols[i].start || back[i].size != symbols[i].size) std::abort();
  } catch (const ElfError&) {}
  return 0;
}
