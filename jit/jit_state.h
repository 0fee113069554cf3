// The JIT's view of the CPU and of memory: one struct that generated code reads and writes, plus
// the layout facts about runtime structs (Thread, Page) that the emitter depends on.
//
// Constraints: every offset the emitter uses is a named constant below with a static_assert, so a
// change to Thread, Page or JitContext that would silently break generated code fails to compile.
// Guest registers are NOT copied: generated code works on the current Thread's `regs`, `hi` and
// `lo` in place through a pointer (rbx). The thread vector only reallocates in the interpreter
// (clone), so the pointer is refreshed on every entry into generated code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/memory.h"
#include "runtime/state.h"

namespace cannonball::jit {

class JitRuntime;

// One software-TLB entry: guest page index -> host bytes of that page (or of a shared zero page
// when the page is absent, so reads of absent pages return 0 without allocating).
// `write_index` equals `page_index` only while a store may write the page directly: the page is
// merkle-dirty, holds no translated code, and is not the page of the LL reservation word (see
// JitRuntime::store_allowed); otherwise it is InvalidPageIndex and stores take the slow path.
struct TlbEntry {
  Word page_index;   // ~0 when empty
  Page* page;        // page->bytes is at offset 0
  Word write_index;  // page_index when fast stores are allowed, else ~0
  Word unused;
};
inline constexpr unsigned TlbBits = 10;
inline constexpr size_t TlbEntries = size_t{1} << TlbBits;
inline constexpr Word InvalidPageIndex = ~Word{0};

// One entry of the direct-mapped pc -> code table used by every block exit.
struct LookupEntry {
  Word pc;           // EmptyLookupPc when empty (code is then the exit stub); an all-zero entry is empty too (JitRuntime)
  const void* code;  // entry of the block translated at `pc`
};
inline constexpr unsigned LookupBits = 16;
inline constexpr size_t LookupEntries = size_t{1} << LookupBits;
inline constexpr Word EmptyLookupPc = 1;
inline constexpr uint32_t lookup_offset(Word pc) {
  return static_cast<uint32_t>(((pc >> 2) & (LookupEntries - 1)) * sizeof(LookupEntry));
}

// The context generated code runs with (r14 points at it).
struct JitContext {
  Thread* thread = nullptr;       // current thread (rbx while in generated code)
  Word fuel = 0;                  // steps blocks may still take (r15 while in generated code)
  Word exit_pc = 0;               // pc to resume at when generated code returns
  TlbEntry* tlb = nullptr;        // r12 while in generated code
  LookupEntry* lookup = nullptr;  // r13 while in generated code
  JitRuntime* runtime = nullptr;
  uint8_t code_invalidated = 0;  // set by the code-write hook while a helper runs
  // Counters at the entry into generated code. A helper computes from them, the fuel it is given
  // and the block position, the exact state.step and steps_since_last_context_switch of the
  // instruction it runs, so anything a helper reaches (observers above all) sees exact counters.
  Word fuel_at_entry = 0;
  Word step_at_entry = 0;
  Word switch_steps_at_entry = 0;
};

// Offsets used by the emitter.
inline constexpr int32_t CtxThread = 0;
inline constexpr int32_t CtxFuel = 8;
inline constexpr int32_t CtxExitPc = 16;
inline constexpr int32_t CtxTlb = 24;
inline constexpr int32_t CtxLookup = 32;
static_assert(offsetof(JitContext, thread) == CtxThread);
static_assert(offsetof(JitContext, fuel) == CtxFuel);
static_assert(offsetof(JitContext, exit_pc) == CtxExitPc);
static_assert(offsetof(JitContext, tlb) == CtxTlb);
static_assert(offsetof(JitContext, lookup) == CtxLookup);

inline constexpr int32_t ThreadRegs = 48;
inline constexpr int32_t ThreadLo = 32;
inline constexpr int32_t ThreadHi = 40;
static_assert(offsetof(Thread, regs) == ThreadRegs);
static_assert(offsetof(Thread, lo) == ThreadLo);
static_assert(offsetof(Thread, hi) == ThreadHi);
static_assert(sizeof(Thread::regs) == 32 * sizeof(Word));

inline constexpr int32_t TlbTag = 0;
inline constexpr int32_t TlbPage = 8;
inline constexpr int32_t TlbWriteTag = 16;
inline constexpr unsigned TlbEntryShift = 5;
static_assert(offsetof(TlbEntry, page_index) == TlbTag && offsetof(TlbEntry, page) == TlbPage);
static_assert(offsetof(TlbEntry, write_index) == TlbWriteTag);
static_assert(sizeof(TlbEntry) == (1u << TlbEntryShift) && sizeof(LookupEntry) == 16);
static_assert(offsetof(LookupEntry, pc) == 0 && offsetof(LookupEntry, code) == 8);

static_assert(offsetof(Page, bytes) == 0);

}  // namespace cannonball::jit
