// ELF loading (spec §10): segments, zero fill, limits, the stack patch, symbols and meta.json.
#include <gtest/gtest.h>

#include "runtime/elf_loader.h"
#include "runtime/hex.h"
#include "tests/runtime/elf_builder.h"

namespace cannonball {
namespace {

using test::ElfImage;
using test::ElfSegment;

constexpr Word Sp = 0x7FFF'FFFF'F000;

std::vector<uint8_t> pattern_bytes(size_t size, uint8_t seed) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i * 13);
  return out;
}

std::string read_string(const Memory& mem, Word addr, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) out += static_cast<char>(mem.read_byte(addr + i));
  return out;
}

void expect_bytes_at(const Memory& mem, Word addr, const std::vector<uint8_t>& bytes) {
  for (size_t i = 0; i < bytes.size(); ++i)
    ASSERT_EQ(mem.read_byte(addr + i), bytes[i]) << "byte at " << hex_word(addr + i);
}

template <typename Body>
void expect_elf_error(Body body, const std::string& needle) {
  try {
    body();
    ADD_FAILURE() << "accepted an ELF that should fail with \"" << needle << "\"";
  } catch (const ElfError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

TEST(ElfLoader, LoadsEveryProgramHeaderTypeExceptMipsAbiflags) {
  ElfImage image;
  image.segments = {
      {test::PT_LOAD, 0x10000, pattern_bytes(40, 1), {}},
      {test::PT_NOTE, 0x20008, pattern_bytes(24, 2), {}},
      {test::PT_MIPS_REGINFO, 0x30000, pattern_bytes(16, 3), {}},
      {0x6000'0001, 0x50000, pattern_bytes(8, 5), {}},  // an OS-specific type
      {test::PT_MIPS_ABIFLAGS, 0x40000, pattern_bytes(24, 4), {}},
  };
  const State state = load_elf(image.build());
  expect_bytes_at(state.memory, 0x10000, pattern_bytes(40, 1));
  expect_bytes_at(state.memory, 0x20008, pattern_bytes(24, 2));
  expect_bytes_at(state.memory, 0x30000, pattern_bytes(16, 3));
  expect_bytes_at(state.memory, 0x50000, pattern_bytes(8, 5));
  EXPECT_EQ(state.memory.find_page(0x40), nullptr);
  EXPECT_EQ(state.memory.read_word(0x40000), 0u);
}

TEST(ElfLoader, MipsAbiflagsIsSkippedEvenWithMismatchedSizes) {
  ElfImage image;
  image.segments = {{test::PT_MIPS_ABIFLAGS, 0xFFFF'0000'0000'0000, pattern_bytes(24, 4), Word{1000}}};
  const State state = load_elf(image.build());
  EXPECT_EQ(state.memory.page_count(), 5u);  // only the stack
}

TEST(ElfLoader, ZeroFillsLoadSegmentWhenFileSizeBelowMemorySize) {
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x10FF0, pattern_bytes(32, 7), Word{0x2100}}};
  const State state = load_elf(image.build());
  expect_bytes_at(state.memory, 0x10FF0, pattern_bytes(32, 7));
  for (Word addr = 0x11010; addr < 0x10FF0 + 0x2100; addr += 8) ASSERT_EQ(state.memory.read_word(addr), 0u);
  // Every page the segment covers is allocated: 0x10, 0x11, 0x12, 0x13.
  for (Word page = 0x10; page <= 0x13; ++page) EXPECT_NE(state.memory.find_page(page), nullptr) << page;
  EXPECT_EQ(state.memory.find_page(0x14), nullptr);
}

TEST(ElfLoader, ZeroFillOverwritesEarlierSegmentBytes) {
  // Upstream writes the fill bytes like file bytes, so a later segment's .bss clears overlap.
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(64, 9), {}},
                    {test::PT_LOAD, 0x10020, pattern_bytes(8, 3), Word{0x40}}};
  const State state = load_elf(image.build());
  const auto first = pattern_bytes(64, 9);
  expect_bytes_at(state.memory, 0x10000, std::vector<uint8_t>(first.begin(), first.begin() + 32));
  expect_bytes_at(state.memory, 0x10020, pattern_bytes(8, 3));
  for (Word addr = 0x10028; addr < 0x10060; addr += 8)
    EXPECT_EQ(state.memory.read_word(addr), 0u) << "addr " << hex_word(addr);
}

TEST(ElfLoader, RejectsMismatchedSizesForNonLoadSegments) {
  ElfImage image;
  image.segments = {{test::PT_NOTE, 0x20000, pattern_bytes(16, 1), Word{32}}};
  expect_elf_error([&] { load_elf(image.build()); }, "differs from memory size");
  image.segments = {{test::PT_NOTE, 0x20000, pattern_bytes(16, 1), Word{8}}};
  expect_elf_error([&] { load_elf(image.build()); }, "differs from memory size");
}

TEST(ElfLoader, RejectsLoadSegmentWithFileSizeAboveMemorySize) {
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x20000, pattern_bytes(16, 1), Word{8}}};
  expect_elf_error([&] { load_elf(image.build()); }, "differs from memory size");
}

TEST(ElfLoader, SkipsEmptySegmentsAnywhere) {
  ElfImage image;
  image.segments = {{test::PT_GNU_STACK, 0, {}, {}}, {test::PT_LOAD, 0xFFFF'FFFF'FFFF'0000, {}, {}}};
  const State state = load_elf(image.build());
  EXPECT_EQ(state.memory.page_count(), 5u);
}

TEST(ElfLoader, AcceptsSegmentEndingJustBelowHeapStart) {
  ElfImage image;
  image.segments = {{test::PT_LOAD, HeapStart - 16, pattern_bytes(16, 4), {}}};
  const State state = load_elf(image.build());
  expect_bytes_at(state.memory, HeapStart - 16, pattern_bytes(16, 4));
}

TEST(ElfLoader, RejectsSegmentsReachingHeapStartOrBeyond) {
  ElfImage image;
  for (const ElfSegment& seg : {
           ElfSegment{test::PT_LOAD, HeapStart - 16, pattern_bytes(17, 4), {}},         // last byte at HeapStart
           ElfSegment{test::PT_LOAD, HeapStart, pattern_bytes(8, 4), {}},               // starts there
           ElfSegment{test::PT_LOAD, HeapStart - 8, pattern_bytes(8, 4), Word{0x100}},  // zero fill reaches it
           ElfSegment{test::PT_LOAD, Word{1} << 48, pattern_bytes(8, 4), {}},           // beyond 48 bits
           ElfSegment{test::PT_LOAD, ~Word{0} - 3, pattern_bytes(8, 4), {}},            // wraps
           ElfSegment{test::PT_NOTE, 0x7FFF'0000'0000, pattern_bytes(8, 4), {}},        // any type
       }) {
    image.segments = {seg};
    expect_elf_error([&] { load_elf(image.build()); }, "does not fit");
  }
}

TEST(ElfLoader, RejectsProgramHeaderEntrySizeBelowTheHeader) {
  // A zero entry size makes all 65535 headers the same one (Go's debug/elf rejects it too).
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(8, 1), {}}};
  std::vector<uint8_t> elf = image.build();
  elf[54] = 0, elf[55] = 0;        // e_phentsize
  elf[56] = 0xFF, elf[57] = 0xFF;  // e_phnum
  expect_elf_error([&] { load_elf(elf); }, "program header entry size 0");
  elf[55] = 55;
  expect_elf_error([&] { load_elf(elf); }, "program header entry size 55");
}

TEST(ElfLoader, RejectsSectionHeaderEntrySizeBelowTheHeader) {
  ElfImage image;
  image.symbols = std::vector<test::ElfSymbolEntry>{{"main", 0x10000, 4}};
  std::vector<uint8_t> elf = image.build();
  elf[58] = 0, elf[59] = 0;  // e_shentsize
  expect_elf_error([&] { elf_symbols(elf); }, "section header entry size 0");
}

TEST(ElfLoader, RejectsSegmentsPastTheMemoryLimitBeforeAllocating) {
  ElfImage image;
  // Bounded only by the heap start, this zero fill would be about 16 TiB.
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(8, 1), HeapStart - 0x20000}};
  expect_elf_error([&] { load_elf(image.build()); }, "limit of 1024 MiB");
  // The limit is on the sum: two segments of 3/4 of it fail on the second, before any loading.
  const Word big = MaxElfSegmentBytes / 4 * 3;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(8, 1), big},
                    {test::PT_LOAD, 0x1'0000'0000, pattern_bytes(8, 2), big}};
  expect_elf_error([&] { load_elf(image.build()); }, "program header 1 (size");
}

TEST(ElfLoader, LargeZeroFillLoadsWithoutAByteBuffer) {
  ElfImage image;
  const Word memsz = Word{16} << 20;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(8, 1), memsz}};
  const State state = load_elf(image.build());
  EXPECT_EQ(state.memory.page_count(), memsz / PageSize + 5);
  expect_bytes_at(state.memory, 0x10000, pattern_bytes(8, 1));
  EXPECT_EQ(state.memory.read_word(0x10000 + memsz - 8), 0u);
}

TEST(ElfLoader, RejectsNonMipsMachine) {
  ElfImage image;
  image.machine = 62;  // x86-64
  expect_elf_error([&] { load_elf(image.build()); }, "MIPS");
  image.symbols = std::vector<test::ElfSymbolEntry>{};
  expect_elf_error([&] { elf_symbols(image.build()); }, "MIPS");
}

TEST(ElfLoader, RejectsNonElfInput) {
  expect_elf_error([&] { load_elf(std::vector<uint8_t>(100, 0)); }, "magic");
}

TEST(ElfLoader, RejectsEveryTruncation) {
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(40, 1), {}},
                    {test::PT_NOTE, 0x20000, pattern_bytes(8, 2), {}}};
  const auto bytes = image.build();
  ASSERT_NO_THROW(load_elf(bytes));
  for (size_t length = 0; length < bytes.size(); ++length) {
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(length));
    EXPECT_THROW(load_elf(prefix), ElfError) << "length " << length;
  }
}

TEST(ElfLoader, RejectsSegmentDataOutsideFile) {
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(40, 1), {}}};
  auto bytes = image.build();
  store_be64(bytes.data() + 64 + 8, ~Word{0} - 10);  // p_offset near the top: no wrap-around read
  expect_elf_error([&] { load_elf(bytes); }, "truncated");
}

TEST(ElfLoader, InitialThreadRegistersAndStateFields) {
  ElfImage image;
  image.entry = 0x12'3450;
  image.segments = {{test::PT_LOAD, 0x12'3000, pattern_bytes(0x500, 1), {}}};
  const State state = load_elf(image.build());
  ASSERT_EQ(state.left_stack.size(), 1u);
  EXPECT_TRUE(state.right_stack.empty());
  const Thread& thread = state.left_stack[0];
  EXPECT_EQ(thread.thread_id, 0u);
  EXPECT_EQ(thread.pc, 0x12'3450u);
  EXPECT_EQ(thread.next_pc, 0x12'3454u);
  EXPECT_EQ(thread.lo, 0u);
  EXPECT_EQ(thread.hi, 0u);
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(thread.regs[i], i == 29 ? Sp : 0u) << "reg " << i;
  EXPECT_EQ(state.heap, 0x1000'0000'0000u);
  EXPECT_EQ(state.next_thread_id, 1u);
  EXPECT_EQ(state.step, 0u);
  EXPECT_EQ(state.steps_since_last_context_switch, 0u);
  EXPECT_FALSE(state.traverse_right);
  EXPECT_FALSE(state.exited);
  EXPECT_EQ(state.exit_code, 0u);
  EXPECT_EQ(state.ll_reservation_status, 0u);
  EXPECT_EQ(state.ll_address, 0u);
  EXPECT_EQ(state.ll_owner_thread, 0u);
  EXPECT_EQ(state.preimage_offset, 0u);
  EXPECT_EQ(state.preimage_key, Hash32{});
}

TEST(ElfLoader, StackPatchWritesSpecWordsAndStrings) {
  const State state = load_elf(ElfImage{}.build());
  const Memory& mem = state.memory;
  EXPECT_EQ(mem.read_word(Sp + 0), 1u);                 // argc
  EXPECT_EQ(mem.read_word(Sp + 8), 0x7FFF'FFFF'F080u);  // argv0
  EXPECT_EQ(mem.read_word(Sp + 16), 0u);
  EXPECT_EQ(mem.read_word(Sp + 24), 0x7FFF'FFFF'F060u);  // envp0
  EXPECT_EQ(mem.read_word(Sp + 32), 0u);
  EXPECT_EQ(mem.read_word(Sp + 40), 6u);  // AT_PAGESZ
  EXPECT_EQ(mem.read_word(Sp + 48), 4096u);
  EXPECT_EQ(mem.read_word(Sp + 56), 25u);  // AT_RANDOM
  EXPECT_EQ(mem.read_word(Sp + 64), 0x7FFF'FFFF'F050u);
  EXPECT_EQ(mem.read_word(Sp + 72), 0u);
  EXPECT_EQ(read_string(mem, 0x7FFF'FFFF'F050, 16), "4;byfairdiceroll");
  EXPECT_EQ(read_string(mem, 0x7FFF'FFFF'F060, 32), std::string("GODEBUG=memprofilerate=0") + std::string(8, '\0'));
  EXPECT_EQ(read_string(mem, 0x7FFF'FFFF'F080, 16), std::string("op-program") + std::string(6, '\0'));
  // Nothing else in the stack region is written.
  for (Word addr = Sp - 0x4000; addr < Sp + 0x1000; addr += 8) {
    if (addr >= Sp && addr < Sp + 0x90) continue;
    ASSERT_EQ(mem.read_word(addr), 0u) << "addr " << hex_word(addr);
  }
}

TEST(ElfLoader, StackPatchAllocatesFivePages) {
  const State state = load_elf(ElfImage{}.build());
  EXPECT_EQ(state.memory.sorted_page_indices(),
            (std::vector<Word>{0x7FFF'FFFF'B, 0x7FFF'FFFF'C, 0x7FFF'FFFF'D, 0x7FFF'FFFF'E, 0x7FFF'FFFF'F}));
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(16, 1), {}}};
  EXPECT_EQ(load_elf(image.build()).memory.page_count(), 6u);
}

TEST(ElfLoader, SymbolsAreSortedByValueAndSkipTheNullEntry) {
  ElfImage image;
  image.symbols = std::vector<test::ElfSymbolEntry>{
      {"main.main", 0x20000, 0x40}, {"runtime.start", 0x10000, 0x10}, {"file.go", 0, 0},
      {"alias_b", 0x30000, 8},      {"alias_a", 0x30000, 8},          {"", 0x5, 0},
  };
  const auto symbols = elf_symbols(image.build());
  ASSERT_EQ(symbols.size(), 6u);
  const std::vector<std::pair<std::string, Word>> expected = {
      {"file.go", 0},       {"", 0x5},           {"runtime.start", 0x10000}, {"main.main", 0x20000},
      {"alias_b", 0x30000}, {"alias_a", 0x30000}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(symbols[i].name, expected[i].first) << i;
    EXPECT_EQ(symbols[i].start, expected[i].second) << i;
  }
  EXPECT_EQ(symbols[3].size, 0x40u);
}

TEST(ElfLoader, StrippedElfMakesSymbolsThrow) {
  ElfImage image;
  image.segments = {{test::PT_LOAD, 0x10000, pattern_bytes(16, 1), {}}};
  expect_elf_error([&] { elf_symbols(image.build()); }, "symbol table");
  EXPECT_NO_THROW(load_elf(image.build()));
}

// Builds `count` symbols whose entries all name the first symbol's `name`.
std::vector<uint8_t> elf_with_shared_symbol_name(const std::string& name, size_t count) {
  ElfImage image;
  std::vector<test::ElfSymbolEntry> symbols(count, {"a", 0x10000, 4});
  symbols[0].name = name;
  image.symbols = symbols;
  std::vector<uint8_t> elf = image.build();
  const Word shoff = load_be64(elf.data() + 40);
  const Word symtab = load_be64(elf.data() + shoff + 64 + 24);
  for (size_t i = 2; i <= count; ++i) store_be32(elf.data() + symtab + 24 * i, 1);
  return elf;
}

TEST(ElfLoader, RejectsSymbolNamesPastTheLimit) {
  // 100 entries naming one 1 MiB string: 100 MiB of names from a 1 MiB file.
  expect_elf_error([&] { elf_symbols(elf_with_shared_symbol_name(std::string(Word{1} << 20, 'x'), 100)); },
                   "more than the limit of 64 MiB");
  // Within the limit every entry gets the shared name.
  const auto symbols = elf_symbols(elf_with_shared_symbol_name("shared", 10));
  ASSERT_EQ(symbols.size(), 10u);
  for (const Symbol& s : symbols) EXPECT_EQ(s.name, "shared");
}

TEST(ElfLoader, EmptySymbolTableGivesNoSymbols) {
  ElfImage image;
  image.symbols = std::vector<test::ElfSymbolEntry>{};
  EXPECT_TRUE(elf_symbols(image.build()).empty());
}

TEST(ElfLoader, MetadataJsonUsesTwoSpaceIndentAndEndsWithBlankLine) {
  const std::vector<Symbol> symbols = {{"a<b>&c", 0, 0}, {"main.\"q\"", 0x10000, 18446744073709551615ull}};
  EXPECT_EQ(metadata_json(symbols),
            "{\n"
            "  \"symbols\": [\n"
            "    {\n"
            "      \"name\": \"a<b>&c\",\n"
            "      \"start\": 0,\n"
            "      \"size\": 0\n"
            "    },\n"
            "    {\n"
            "      \"name\": \"main.\\\"q\\\"\",\n"
            "      \"start\": 65536,\n"
            "      \"size\": 18446744073709551615\n"
            "    }\n"
            "  ]\n"
            "}\n\n");
  EXPECT_EQ(metadata_json({}), "{\n  \"symbols\": []\n}\n\n");
}

TEST(ElfLoader, MetadataJsonRoundTripsThroughReader) {
  const std::vector<Symbol> symbols = {{"x", 1, 2}, {"y", 0x10000, 0x20}, {"z", ~Word{0}, 3}};
  const auto back = read_metadata_json(metadata_json(symbols));
  ASSERT_EQ(back.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].name, symbols[i].name);
    EXPECT_EQ(back[i].start, symbols[i].start);
    EXPECT_EQ(back[i].size, symbols[i].size);
  }
}

TEST(ElfLoader, MetadataJsonRejectsNumbersThatAreNotWords) {
  // Found by fuzz_meta: a start of 8.9e49 was converted to an integer with undefined behaviour.
  for (const char* bad : {"88888888888888888888888888888888888888888888831200", "18446744073709551616", "-1", "1.5",
                          "1e3", "\"16\"", "null"}) {
    const std::string text = std::string("{\"symbols\": [{\"name\": \"x\", \"start\": ") + bad + ", \"size\": 8}]}";
    EXPECT_THROW(read_metadata_json(text), std::exception) << bad;
    const std::string sized = std::string("{\"symbols\": [{\"name\": \"x\", \"start\": 8, \"size\": ") + bad + "}]}";
    EXPECT_THROW(read_metadata_json(sized), std::exception) << bad;
  }
  const auto edge =
      read_metadata_json("{\"symbols\": [{\"name\": \"x\", \"start\": 18446744073709551615, \"size\": 0}]}");
  ASSERT_EQ(edge.size(), 1u);
  EXPECT_EQ(edge[0].start, ~Word{0});
}

TEST(ElfLoader, SymbolAtFindsTheContainingSymbol) {
  const std::vector<Symbol> symbols = {{"a", 0x100, 0x10}, {"b", 0x200, 0x100}, {"c", 0x300, 0}};
  EXPECT_EQ(symbol_at(symbols, 0x100), "a");
  EXPECT_EQ(symbol_at(symbols, 0x10F), "a");
  EXPECT_EQ(symbol_at(symbols, 0x110), "");
  EXPECT_EQ(symbol_at(symbols, 0x2FF), "b");
  EXPECT_EQ(symbol_at(symbols, 0x300), "c");
  EXPECT_EQ(symbol_at(symbols, 0x50), "");
}

}  // namespace
}  // namespace cannonball
