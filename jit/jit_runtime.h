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

#include <memory>
#include <unordered_map>
#include <vector>

#include "interp/vm.h"
#include "jit/emitter.h"
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
  void set_translate_threshold(unsigned entries) { translate_threshold_ = entries; }
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

  // Maps `page_index` in the TLB; false (and the slot left empty) when an observer watches the
  // page's data accesses, which then run through the interpreter.
  bool tlb_fill(Word page_index) noexcept;
  // Takes fast-store permission away from the page of the LL reservation when it moved.
  void sync_reservation() noexcept;
  void invalidate_page(Page& page) noexcept;
  void clear_code();

 private:
  struct BlockInfo {
    const void* code;
    Word page_index;
  };
  const void* lookup_or_translate(Word pc);
  void tlb_flush();
  bool store_allowed(Word page_index, const Page* page) const;
  void revoke_store(Word page_index) noexcept;

  Vm& vm_;
  unsigned max_block_insns_ = MaxBlockInsns;
  unsigned translate_threshold_ = DefaultTranslateThreshold;
  JitContext ctx_{};
  std::vector<TlbEntry> tlb_;
  std::vector<LookupEntry> lookup_;
  // Entry attempts per lookup slot (pc hash, like the lookup table). Collisions only make a pc
  // hot sooner, which costs speed, never exactness: any step may run in either engine.
  std::vector<uint16_t> heat_;
  std::unique_ptr<Page> zero_page_;
  Emitter emitter_;
  static constexpr size_t InitialBlockCapacity = size_t{1} << 16;
  std::unordered_map<Word, BlockInfo> blocks_;
  std::unordered_map<Word, std::vector<Word>> page_blocks_;
  struct Link {
    const void** cell;
    const void* stub;
  };
  std::unordered_map<Word, std::vector<Link>> links_;  // target pc -> chain cells aiming at it
  uint64_t known_layout_version_ = 0;
  size_t known_page_count_ = 0;
  Word known_clean_epoch_ = 0;      // memory.clean_epoch() when store permissions were last valid
  bool zero_page_mapped_ = false;   // some TLB entry maps an absent page to the zero page
  uint64_t known_watch_epoch_ = 0;  // the observer's watch_epoch when the TLB was last flushed
  Word ll_page_ = 0;                // page of state.ll_address when the TLB permissions were last checked
  JitStats stats_;
};

}  // namespace cannonball::jit
