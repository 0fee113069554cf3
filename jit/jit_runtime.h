// The code cache and dispatcher behind JitEngine: block lookup/translation, the pc -> code table,
// the software TLB, and invalidation when guest code pages are written.
//
// Constraints: code memory is append-only until clear(); invalidating a page only unlinks its
// blocks (table entries and map), so a block that is running when its page is written keeps
// valid code under it. clear() runs only from C++ between entries into generated code. Pages
// never move or die while a Memory lives, so TLB entries stay valid within one advance(); the
// TLB is flushed at each advance() entry; within it, store permissions are revoked when hashing
// cleared dirty flags (Memory::clean_epoch), zero-page entries are dropped when the interpreter
// allocated a page, and the whole TLB is flushed when it replaced a copy-on-write shared page by
// its clone (Memory::layout_version moved by more than the allocations explain).
#pragma once

#include <algorithm>

#include <memory>
#include <vector>

#include "interp/vm.h"
#include "jit/emitter.h"
#include "jit/flat_map.h"
#include "jit/jit_state.h"
#include "jit/jit_stats.h"

namespace cannonball::jit {

class JitRuntime {
 public:
  explicit JitRuntime(Vm& vm);
  ~JitRuntime();
  JitRuntime(const JitRuntime&) = delete;
  JitRuntime& operator=(const JitRuntime&) = delete;

  Vm& vm() { return vm_; }
  // Longest block to translate (tests use 1 so that single-step cases run as one-step blocks).
  void set_max_block_insns(unsigned max) { max_block_insns_ = max; }
  // Tiering: a pc is translated only after `entries` earlier attempts to enter generated code at
  // it found no block (those steps run in the interpreter); 0 translates on first sight.
  // At most 255 (a heat counter is one byte).
  void set_translate_threshold(unsigned entries) { translate_threshold_ = std::min(entries, 255u); }
  JitStats& stats() { return stats_; }

  // Called at each advance() entry: (re)installs the code-write hook, flushes the TLB.
  void prepare();
  // Called after the interpreter ran a step (it may have allocated pages, moved the LL
  // reservation, or hashed memory); drops exactly the TLB state that may have gone stale.
  void after_interpreter_step();
  // Runs blocks for the current thread from its pc with at most `fuel` steps; updates pc/nextPC,
  // state.step and steps_since_last_context_switch, and returns the steps executed (0 when no
  // block could run).
  Word run_blocks(Word fuel);
  // Whether the last run_blocks that returned 0 declined because its pc was not hot yet
  // (tiering), as opposed to a pc where no block can start.
  bool last_entry_cold() const { return last_entry_cold_; }

  // Maps `page_index` in the TLB; false (and the slot left empty) when an observer watches the
  // page's data accesses, which then run through the interpreter.
  bool tlb_fill(Word page_index) noexcept;
  // A store found no write permission for `page_index`: when the page exists, holds no translated
  // code, is not the LL reservation's page and is not watched, makes it writable exactly as the
  // interpreter's store would (Memory::page_for_write: marks it merkle-dirty, clones a shared
  // page), grants the permission and returns true, so the store retries its fast path. Otherwise
  // false: the store runs through the interpreter helper (allocation, code writes, the LL word).
  bool store_fill(Word page_index) noexcept;
  // Takes fast-store permission away from the page of the LL reservation when it moved.
  void sync_reservation() noexcept;
  void invalidate_page(Page& page) noexcept;
  void clear_code();

 private:
  const void* lookup_or_translate(Word pc);
  void tlb_flush();
  // Zeroes the entry counts (only the slots that were counted).
  void forget_heat();
  bool store_allowed(Word page_index, const Page* page) const;
  void revoke_store(Word page_index) noexcept;

  Vm& vm_;
  unsigned max_block_insns_ = MaxBlockInsns;
  unsigned translate_threshold_ = DefaultTranslateThreshold;
  JitContext ctx_{};
  std::vector<TlbEntry> tlb_;
  // The pc -> code table, LookupEntries entries in an anonymous mapping of their own, so a page
  // of it costs nothing until a pc in it is looked up (see the constructor: zero is empty).
  struct LookupTable {
    LookupTable();
    ~LookupTable();
    LookupTable(const LookupTable&) = delete;
    LookupTable& operator=(const LookupTable&) = delete;
    LookupEntry& operator[](size_t slot) { return entries[slot]; }
    LookupEntry* entries;
  };
  LookupTable lookup_;
  // Entry attempts per heat slot (a hash of the pc, HeatEntries slots). Collisions only make a pc
  // hot sooner, which costs speed, never exactness: any step may run in either engine. An entry
  // attempt checks its heat before the 1 MiB lookup table: cold attempts are at pcs never seen
  // before, whose lookup slot is a cache miss, while the 64 KiB of counters mostly stay cached.
  std::vector<uint8_t> heat_;
  std::vector<uint32_t> heated_;  // the heat_ slots that are not zero (each listed once)
  std::unique_ptr<Page> zero_page_;
  Emitter emitter_;
  // pc -> block entry, or nullptr where no block can start (a syscall, ll/sc, ...): such a pc is
  // scanned once, not on every entry attempt, and forgotten like a block when its page is written.
  FlatMap<const void*> blocks_;
  // Lists kept as nodes in flat pools (next = 0 ends a list; node 0 is unused), so recording a
  // block or a link costs no allocation once the pools have grown. Nodes are dropped by clear_code.
  struct LinkNode {
    const void** cell;  // a chain cell aiming at the list's pc
    const void* stub;   // what the cell holds while no block exists there
    uint32_t next;
  };
  std::vector<LinkNode> link_nodes_;
  FlatMap<uint32_t> links_;  // target pc -> first LinkNode
  struct PcNode {
    Word pc;
    uint32_t next;
  };
  std::vector<PcNode> pc_nodes_;
  FlatMap<uint32_t> page_blocks_;  // page index -> first PcNode (blocks and no-block pcs on it)
  BlockPlan plan_;                 // reused by every scan
  // Marks the page as holding code (cloning a shared page first) and records `pc` on it; false
  // when the page does not exist.
  bool record_on_page(Word pc);
  uint64_t known_layout_version_ = 0;
  size_t known_page_count_ = 0;
  Word known_clean_epoch_ = 0;      // memory.clean_epoch() when store permissions were last valid
  bool zero_page_mapped_ = false;   // some TLB entry maps an absent page to the zero page
  uint64_t known_watch_epoch_ = 0;  // the observer's watch_epoch when the TLB was last flushed
  Word ll_page_ = 0;                // page of state.ll_address when the TLB permissions were last checked
  bool last_entry_cold_ = false;
  JitStats stats_;
};

}  // namespace cannonball::jit
