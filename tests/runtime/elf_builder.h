// Builds tiny ELF64 big-endian images for loader tests: program headers with their data, and
// optionally a .symtab/.strtab pair. Layout: header, program headers, segment data, then the
// string table, symbol table and section headers.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "runtime/word.h"

namespace cannonball::test {

inline constexpr uint32_t PT_LOAD = 1;
inline constexpr uint32_t PT_NOTE = 4;
inline constexpr uint32_t PT_GNU_STACK = 0x6474'E551;
inline constexpr uint32_t PT_MIPS_REGINFO = 0x7000'0000;
inline constexpr uint32_t PT_MIPS_ABIFLAGS = 0x7000'0003;

struct ElfSegment {
  uint32_t type = PT_LOAD;
  Word vaddr = 0;
  std::vector<uint8_t> data;  // the file bytes (filesz = data.size())
  std::optional<Word> memsz;  // defaults to data.size()
};

struct ElfSymbolEntry {
  std::string name;
  Word value = 0;
  Word size = 0;
};

struct ElfImage {
  Word entry = 0x10000;
  uint16_t machine = 8;  // EM_MIPS
  std::vector<ElfSegment> segments;
  std::optional<std::vector<ElfSymbolEntry>> symbols;  // nullopt = stripped (no .symtab)

  std::vector<uint8_t> build() const {
    // Lay everything out first, then fill one zeroed buffer.
    auto align8 = [](size_t n) { return (n + 7) & ~size_t{7}; };
    size_t size = 64 + 56 * segments.size();
    std::vector<size_t> data_offsets;
    for (const ElfSegment& seg : segments) {
      data_offsets.push_back(size);
      size += seg.data.size();
    }
    size_t strtab = 0, strtab_size = 0, symtab = 0, symtab_size = 0, shdrs = 0;
    std::vector<uint32_t> name_offsets;
    if (symbols) {
      strtab = size;
      strtab_size = 1;
      for (const auto& sym : *symbols) {
        name_offsets.push_back(static_cast<uint32_t>(strtab_size));
        strtab_size += sym.name.size() + 1;
      }
      symtab = align8(strtab + strtab_size);
      symtab_size = 24 * (symbols->size() + 1);
      shdrs = align8(symtab + symtab_size);
      size = shdrs + 64 * 3;
    }

    std::vector<uint8_t> out(size, 0);
    auto put16 = [&](size_t at, uint16_t v) {
      out[at] = static_cast<uint8_t>(v >> 8);
      out[at + 1] = static_cast<uint8_t>(v);
    };
    auto put32 = [&](size_t at, uint32_t v) { store_be32(out.data() + at, v); };
    auto put64 = [&](size_t at, Word v) { store_be64(out.data() + at, v); };
    auto put_bytes = [&](size_t at, const void* data, size_t n) {
      if (n) std::memcpy(out.data() + at, data, n);
    };

    const uint8_t ident[] = {0x7F, 'E', 'L', 'F', 2, 2, 1, 0};
    put_bytes(0, ident, sizeof ident);
    put16(16, 2);  // ET_EXEC
    put16(18, machine);
    put32(20, 1);
    put64(24, entry);
    put64(32, 64);  // phoff
    put16(52, 64);
    put16(54, 56);
    put16(56, static_cast<uint16_t>(segments.size()));
    for (size_t i = 0; i < segments.size(); ++i) {
      const ElfSegment& seg = segments[i];
      const size_t ph = 64 + 56 * i;
      put_bytes(data_offsets[i], seg.data.data(), seg.data.size());
      put32(ph + 0, seg.type);
      put32(ph + 4, 5);  // R+X
      put64(ph + 8, data_offsets[i]);
      put64(ph + 16, seg.vaddr);
      put64(ph + 24, seg.vaddr);
      put64(ph + 32, seg.data.size());
      put64(ph + 40, seg.memsz.value_or(seg.data.size()));
      put64(ph + 48, 0x1000);
    }
    if (!symbols) return out;

    for (size_t i = 0; i < symbols->size(); ++i) {
      const ElfSymbolEntry& sym = (*symbols)[i];
      put_bytes(strtab + name_offsets[i], sym.name.data(), sym.name.size());
      const size_t entry_at = symtab + 24 * (i + 1);  // entry 0 is the null symbol
      put32(entry_at, name_offsets[i]);
      out[entry_at + 4] = 0x12;  // STB_GLOBAL, STT_FUNC
      put16(entry_at + 6, 1);
      put64(entry_at + 8, sym.value);
      put64(entry_at + 16, sym.size);
    }
    // Section headers: null, .symtab (link = 2), .strtab.
    put32(shdrs + 64 + 4, 2);  // SHT_SYMTAB
    put64(shdrs + 64 + 24, symtab);
    put64(shdrs + 64 + 32, symtab_size);
    put32(shdrs + 64 + 40, 2);
    put64(shdrs + 64 + 56, 24);
    put32(shdrs + 128 + 4, 3);  // SHT_STRTAB
    put64(shdrs + 128 + 24, strtab);
    put64(shdrs + 128 + 32, strtab_size);
    put64(40, shdrs);
    put16(58, 64);
    put16(60, 3);
    return out;
  }
};

}  // namespace cannonball::test
