#include "runtime/elf_loader.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "runtime/hex.h"
#include "runtime/json_text.h"

namespace cannonball {
namespace {

constexpr uint32_t PT_LOAD = 1;
constexpr uint32_t PT_MIPS_ABIFLAGS = 0x7000'0003;
constexpr uint16_t EM_MIPS = 8;
constexpr uint32_t SHT_SYMTAB = 2;
constexpr uint16_t ProgramHeaderSize = 56;
constexpr uint16_t SectionHeaderSize = 64;

struct Bytes {
  const std::vector<uint8_t>& data;
  void need(Word offset, Word size, const char* what) const {
    if (offset > data.size() || size > data.size() - offset)
      throw ElfError(std::string("truncated ELF: ") + what + " lies outside the file");
  }
  uint16_t u16(Word off) const {
    need(off, 2, "field");
    return static_cast<uint16_t>(data[off] << 8 | data[off + 1]);
  }
  uint32_t u32(Word off) const {
    need(off, 4, "field");
    return load_be32(data.data() + off);
  }
  Word u64(Word off) const {
    need(off, 8, "field");
    return load_be64(data.data() + off);
  }
};

void check_header(const Bytes& in) {
  in.need(0, 64, "ELF header");
  if (std::memcmp(in.data.data(),
                  "\x7f"
                  "ELF",
                  4) != 0)
    throw ElfError("not an ELF file (bad magic)");
  if (in.data[4] != 2) throw ElfError("not a 64-bit ELF file");
  if (in.data[5] != 2) throw ElfError("not a big-endian ELF file");
  const uint16_t machine = in.u16(18);
  if (machine != EM_MIPS) throw ElfError("ELF machine is " + std::to_string(machine) + ", not MIPS (8)");
}

void patch_stack(State& state) {
  Memory& mem = state.memory;
  const Word sp = StackPointerStart;
  mem.allocate_range(sp - 0x4000, 0x5000);
  state.left_stack.back().regs[29] = sp;
  const Word words[][2] = {{0, 1},  {8, sp + 128}, {16, 0},  {24, sp + 96}, {32, 0},
                           {40, 6}, {48, 4096},    {56, 25}, {64, sp + 80}, {72, 0}};
  for (const auto& [offset, value] : words) mem.write_word(sp + offset, value);
  const char random_bytes[] = "4;byfairdiceroll";
  mem.write_bytes(sp + 80, reinterpret_cast<const uint8_t*>(random_bytes), 16);
  uint8_t env[32] = {};
  std::memcpy(env, "GODEBUG=memprofilerate=0", 24);
  mem.write_bytes(sp + 96, env, sizeof env);
  uint8_t argv0[16] = {};
  std::memcpy(argv0, "op-program", 10);
  mem.write_bytes(sp + 128, argv0, sizeof argv0);
}

}  // namespace

State load_elf(const std::vector<uint8_t>& elf) {
  const Bytes in{elf};
  check_header(in);
  State state = make_initial_state(in.u64(24));
  const Word phoff = in.u64(32);
  const uint16_t phentsize = in.u16(54);
  const uint16_t phnum = in.u16(56);
  // Go's debug/elf rejects these too; a zero entry size would make every header the same one.
  if (phnum > 0 && phentsize < ProgramHeaderSize)
    throw ElfError("invalid program header entry size " + std::to_string(phentsize) + " (at least " +
                   std::to_string(ProgramHeaderSize) + ")");
  // Every header is checked before anything is loaded, so a bad one costs no allocation.
  struct Segment {
    Word offset, vaddr, filesz, memsz;
  };
  std::vector<Segment> segments;
  Word loaded = 0;  // bytes of guest memory the segments cover, bounded by MaxElfSegmentBytes
  for (uint16_t i = 0; i < phnum; ++i) {
    const Word ph = phoff + Word{i} * phentsize;
    in.need(ph, ProgramHeaderSize, "program header");
    const uint32_t type = in.u32(ph);
    const Word offset = in.u64(ph + 8);
    const Word vaddr = in.u64(ph + 16);
    const Word filesz = in.u64(ph + 32);
    const Word memsz = in.u64(ph + 40);
    if (type == PT_MIPS_ABIFLAGS) continue;
    if (filesz != memsz && !(type == PT_LOAD && filesz < memsz))
      throw ElfError("program header " + std::to_string(i) + ": file size " + hex_word(filesz) +
                     " differs from memory size " + hex_word(memsz));
    if (memsz == 0) continue;
    const Word last = vaddr + memsz - 1;
    if (last < vaddr || last > 0xFFFF'FFFF'FFFFull || last >= HeapStart)
      throw ElfError("program header " + std::to_string(i) + " at " + hex_word(vaddr) + " (size " + hex_word(memsz) +
                     ") does not fit below " + hex_word(HeapStart));
    in.need(offset, filesz, "segment data");
    if (memsz > MaxElfSegmentBytes - loaded)
      throw ElfError("program header " + std::to_string(i) + " (size " + hex_word(memsz) +
                     ") takes the segments past the loader's limit of " + std::to_string(MaxElfSegmentBytes >> 20) +
                     " MiB of guest memory");
    loaded += memsz;
    segments.push_back({offset, vaddr, filesz, memsz});
  }
  for (const Segment& seg : segments) {
    state.memory.write_bytes(seg.vaddr, elf.data() + seg.offset, seg.filesz);
    state.memory.fill_zero(seg.vaddr + seg.filesz, seg.memsz - seg.filesz);
  }
  patch_stack(state);
  return state;
}

std::vector<Symbol> elf_symbols(const std::vector<uint8_t>& elf) {
  const Bytes in{elf};
  check_header(in);
  const Word shoff = in.u64(40);
  const uint16_t shentsize = in.u16(58);
  const uint16_t shnum = in.u16(60);
  if (shnum > 0 && shentsize < SectionHeaderSize)
    throw ElfError("invalid section header entry size " + std::to_string(shentsize) + " (at least " +
                   std::to_string(SectionHeaderSize) + ")");
  for (uint16_t i = 0; i < shnum; ++i) {
    const Word sh = shoff + Word{i} * shentsize;
    in.need(sh, 64, "section header");
    if (in.u32(sh + 4) != SHT_SYMTAB) continue;
    const Word offset = in.u64(sh + 24);
    const Word size = in.u64(sh + 32);
    const uint32_t link = in.u32(sh + 40);
    const Word entsize = in.u64(sh + 56);
    if (entsize < 24) throw ElfError("symbol table entry size is too small");
    in.need(offset, size, "symbol table");
    const Word strsh = shoff + Word{link} * shentsize;
    in.need(strsh, 64, "string table header");
    const Word stroff = in.u64(strsh + 24);
    const Word strsize = in.u64(strsh + 32);
    in.need(stroff, strsize, "string table");
    std::vector<Symbol> symbols;
    Word name_bytes = 0;  // bounded by MaxSymbolNameBytes: names may overlap in the string table
    const Word count = size / entsize;
    symbols.reserve(count > 0 ? count - 1 : 0);
    for (Word index = 1; index < count; ++index) {
      const Word entry = offset + index * entsize;
      const uint32_t name = in.u32(entry);
      Symbol symbol;
      if (name < strsize) {
        const char* begin = reinterpret_cast<const char*>(elf.data() + stroff + name);
        const size_t length = strnlen(begin, strsize - name);
        if (length > MaxSymbolNameBytes - name_bytes)
          throw ElfError("the symbol names add up to more than the limit of " +
                         std::to_string(MaxSymbolNameBytes >> 20) + " MiB");
        name_bytes += length;
        symbol.name.assign(begin, length);
      }
      symbol.start = in.u64(entry + 8);
      symbol.size = in.u64(entry + 16);
      symbols.push_back(std::move(symbol));
    }
    std::stable_sort(symbols.begin(), symbols.end(),
                     [](const Symbol& a, const Symbol& b) { return a.start < b.start; });
    return symbols;
  }
  throw ElfError("the ELF has no symbol table (.symtab): it was stripped");
}

std::string metadata_json(const std::vector<Symbol>& symbols) {
  Json entries = Json::array();
  for (const Symbol& symbol : symbols)
    entries.push_back({{"name", symbol.name}, {"start", symbol.start}, {"size", symbol.size}});
  return json_file_text(Json{{"symbols", std::move(entries)}});
}

std::string symbol_at(const std::vector<Symbol>& symbols, Word addr) {
  auto it = std::upper_bound(symbols.begin(), symbols.end(), addr, [](Word a, const Symbol& s) { return a < s.start; });
  while (it != symbols.begin()) {
    --it;
    if (addr >= it->start && addr < it->start + std::max<Word>(it->size, 1)) return it->name;
    if (it->size != 0) break;
  }
  return "";
}

namespace {

// nlohmann converts a floating-point or negative number to an integer type without a range check
// (undefined behaviour for 1e30), so the field must already be an unsigned integer.
Word metadata_word(const nlohmann::json& entry, const char* field) {
  const nlohmann::json& value = entry.at(field);
  if (!value.is_number_unsigned())
    throw std::runtime_error(std::string("meta.json: symbol field \"") + field +
                             "\" must be an integer in [0, 2^64), got " + value.dump());
  return value.get<Word>();
}

}  // namespace

std::vector<Symbol> read_metadata_json(const std::string& text) {
  const auto json = nlohmann::json::parse(text);
  std::vector<Symbol> symbols;
  for (const auto& entry : json.at("symbols"))
    symbols.push_back(
        {entry.at("name").get<std::string>(), metadata_word(entry, "start"), metadata_word(entry, "size")});
  std::stable_sort(symbols.begin(), symbols.end(), [](const Symbol& a, const Symbol& b) { return a.start < b.start; });
  return symbols;
}

}  // namespace cannonball
