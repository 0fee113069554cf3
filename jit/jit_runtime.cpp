#include "jit/jit_runtime.h"

#include <sys/mman.h>

#include <algorithm>
#include <new>

#include "interp/observer.h"

namespace cannonball::jit {
namespace {

constexpr size_t CodeCapacity = size_t{64} << 20;
constexpr size_t MinFreeCode = size_t{256} << 10;  // more than any one block needs
constexpr size_t HeatEntries = size_t{1} << 16;

void on_code_write(void* ctx, Page& page) { static_cast<JitRuntime*>(ctx)->invalidate_page(page); }

}  // namespace

JitRuntime::LookupTable::LookupTable() {
  void* table = ::mmap(nullptr, LookupEntries * sizeof(LookupEntry), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (table == MAP_FAILED) throw std::bad_alloc();
  entries = static_cast<LookupEntry*>(table);
}

JitRuntime::LookupTable::~LookupTable() { ::munmap(entries, LookupEntries * sizeof(LookupEntry)); }

JitRuntime::JitRuntime(Vm& vm)
    : vm_(vm),
      tlb_(TlbEntries),
      heat_(HeatEntries, 0),
      zero_page_(std::make_unique<Page>()),
      emitter_(CodeCapacity) {
  // The maps and pools start small and grow by doubling: the op-program's tens of thousands of
  // blocks cost a few rehashes in all, while a short run (a test, a few steps, a fuzz input)
  // no longer allocates and fills megabytes it never uses.
  link_nodes_.push_back(LinkNode{nullptr, nullptr, 0});
  pc_nodes_.push_back(PcNode{0, 0});
  // The table starts all zero. An entry is only ever compared with pcs that map to its slot, and
  // the only such pc equal to a zero entry's pc is 0, which maps to slot 0: so every other
  // all-zero entry is empty as it is, and slot 0 alone gets the empty marker. Filling the whole
  // megabyte instead cost a short run a first-touch fault per page it never used.
  lookup_[0] = LookupEntry{EmptyLookupPc, emitter_.exit_stub()};
  ctx_.tlb = tlb_.data();
  ctx_.lookup = lookup_.entries;
  ctx_.runtime = this;
  zero_page_->index = InvalidPageIndex;
  tlb_flush();
}

JitRuntime::~JitRuntime() {
  Memory& memory = vm_.state().memory;
  if (memory.code_write_ctx() == this) {
    page_blocks_.for_each([&](Word page_index, uint32_t) {
      if (Page* page = memory.find_page_mut(page_index); page && page->has_code) page->has_code = false;
    });
    memory.set_code_write_hook(nullptr, nullptr);
  }
}

void JitRuntime::prepare() {
  Memory& memory = vm_.state().memory;
  if (memory.code_write_ctx() != this) {
    // First use, or the memory was replaced: nothing translated before can be trusted, and the
    // entry counts were those of another program, so the runtime starts over as a fresh one.
    clear_code();
    forget_heat();
    memory.set_code_write_hook(&on_code_write, this);
  }
  tlb_flush();
}

void JitRuntime::after_interpreter_step() {
  ++stats_.interp_steps;
  // An observer started watching pages (the TLB must not map them): flush.
  if (const SchedulerObserver* observer = vm_.observer(); observer && observer->watch_epoch != known_watch_epoch_) {
    tlb_flush();
    return;
  }
  const Memory& memory = vm_.state().memory;
  // Hashing (clock_gettime's proof of its second word in eager mode) cleared merkle_dirty flags,
  // which fast-store permission depends on: revoke them all; reads stay mapped.
  if (memory.clean_epoch() != known_clean_epoch_) {
    for (TlbEntry& entry : tlb_) entry.write_index = InvalidPageIndex;
    known_clean_epoch_ = memory.clean_epoch();
    ++stats_.tlb_store_revocations;
  }
  if (memory.layout_version() != known_layout_version_) {
    // Within a step the version moves once per allocated page and once per shared page replaced
    // by its private clone. A clone leaves an entry reading the old shared page: flush them all
    // (copies of a memory are rare). A new page may shadow an entry that maps the then-absent
    // page to the zero page: drop only those.
    const uint64_t moves = memory.layout_version() - known_layout_version_;
    const size_t allocated = memory.page_count() - known_page_count_;
    if (moves != allocated) {
      tlb_flush();
      return;
    }
    if (zero_page_mapped_) {
      for (TlbEntry& entry : tlb_)
        if (entry.page == zero_page_.get()) entry = TlbEntry{InvalidPageIndex, nullptr, InvalidPageIndex, 0};
      zero_page_mapped_ = false;
      ++stats_.tlb_zero_page_drops;
    }
    known_layout_version_ = memory.layout_version();
    known_page_count_ = memory.page_count();
  }
  sync_reservation();
}

void JitRuntime::tlb_flush() {
  ++stats_.tlb_flushes;
  std::fill(tlb_.begin(), tlb_.end(), TlbEntry{InvalidPageIndex, nullptr, InvalidPageIndex, 0});
  known_layout_version_ = vm_.state().memory.layout_version();
  known_page_count_ = vm_.state().memory.page_count();
  known_clean_epoch_ = vm_.state().memory.clean_epoch();
  zero_page_mapped_ = false;
  ll_page_ = vm_.state().ll_address >> PageAddrBits;
  if (const SchedulerObserver* observer = vm_.observer()) known_watch_epoch_ = observer->watch_epoch;
}

bool JitRuntime::store_allowed(Word page_index, const Page* page) const {
  return page != nullptr && page->merkle_dirty && !page->has_code && page_index != ll_page_;
}

bool JitRuntime::tlb_fill(Word page_index) noexcept {
  ++stats_.tlb_fills;
  const SchedulerObserver* observer = vm_.observer();
  if (observer && observer->watch_data && observer->watches_page(page_index)) {
    tlb_[page_index & (TlbEntries - 1)] = TlbEntry{InvalidPageIndex, nullptr, InvalidPageIndex, 0};
    return false;
  }
  Page* page = vm_.state().memory.find_page_mut(page_index);
  const Word write_index = store_allowed(page_index, page) ? page_index : InvalidPageIndex;
  tlb_[page_index & (TlbEntries - 1)] = TlbEntry{page_index, page ? page : zero_page_.get(), write_index, 0};
  if (page == nullptr) zero_page_mapped_ = true;
  // A store can allocate or clone only the page it writes; keep the version and the count in
  // step so that a later interpreter step does not flush the TLB for it.
  known_layout_version_ = vm_.state().memory.layout_version();
  known_page_count_ = vm_.state().memory.page_count();
  return true;
}

bool JitRuntime::store_fill(Word page_index) noexcept {
  ++stats_.store_fills;
  const SchedulerObserver* observer = vm_.observer();
  if (observer && observer->watch_data && observer->watches_page(page_index)) return false;
  if (page_index == ll_page_) return false;
  Memory& memory = vm_.state().memory;
  const Page* existing = memory.find_page(page_index);
  if (existing == nullptr || existing->has_code) return false;
  Page& page = memory.page_for_write(page_index);
  tlb_[page_index & (TlbEntries - 1)] = TlbEntry{page_index, &page, page_index, 0};
  // A clone of a shared page moved the layout version (see tlb_fill).
  known_layout_version_ = memory.layout_version();
  known_page_count_ = memory.page_count();
  ++stats_.store_fills_granted;
  return true;
}

void JitRuntime::revoke_store(Word page_index) noexcept {
  TlbEntry& entry = tlb_[page_index & (TlbEntries - 1)];
  if (entry.page_index == page_index) entry.write_index = InvalidPageIndex;
}

void JitRuntime::sync_reservation() noexcept {
  const Word page_index = vm_.state().ll_address >> PageAddrBits;
  if (page_index == ll_page_) return;
  ll_page_ = page_index;
  revoke_store(page_index);
}

void JitRuntime::invalidate_page(Page& page) noexcept {
  page.has_code = false;
  ctx_.code_invalidated = 1;
  const uint32_t* first = page_blocks_.find(page.index);
  if (first == nullptr) return;
  for (uint32_t node = *first; node != 0; node = pc_nodes_[node].next) {
    const Word pc = pc_nodes_[node].pc;
    if (const void** code = blocks_.find(pc); code != nullptr && *code != nullptr) ++stats_.blocks_invalidated;
    blocks_.erase(pc);
    if (const uint32_t* aiming = links_.find(pc))
      for (uint32_t link = *aiming; link != 0; link = link_nodes_[link].next)
        *link_nodes_[link].cell = link_nodes_[link].stub;
    LookupEntry& entry = lookup_[(pc >> 2) & (LookupEntries - 1)];
    if (entry.pc == pc) entry = LookupEntry{EmptyLookupPc, emitter_.exit_stub()};
  }
  page_blocks_.erase(page.index);
}

void JitRuntime::clear_code() {
  Memory& memory = vm_.state().memory;
  page_blocks_.for_each([&](Word page_index, uint32_t) {
    if (Page* page = memory.find_page_mut(page_index); page && page->has_code) page->has_code = false;
  });
  // Every table entry that is not empty holds a pc that is a key of blocks_ (entries are set
  // only for such pcs, and erasing a pc empties its entry), so when few pcs are known only their
  // entries are emptied instead of the whole 64 Ki-entry table.
  const void* old_stub = emitter_.exit_stub();
  emitter_.clear();
  const LookupEntry empty{EmptyLookupPc, emitter_.exit_stub()};
  if (emitter_.exit_stub() != old_stub || blocks_.size() > LookupEntries / 16) {
    std::fill(lookup_.entries, lookup_.entries + LookupEntries, empty);
  } else {
    blocks_.for_each([&](Word pc, const void*) {
      LookupEntry& entry = lookup_[(pc >> 2) & (LookupEntries - 1)];
      if (entry.pc == pc) entry = empty;
    });
  }
  blocks_.clear();
  page_blocks_.clear();
  links_.clear();
  link_nodes_.resize(1);
  pc_nodes_.resize(1);
  ++stats_.code_flushes;
}

void JitRuntime::forget_heat() {
  for (const uint32_t slot : heated_) heat_[slot] = 0;
  heated_.clear();
}

bool JitRuntime::record_on_page(Word pc) {
  const Word page_index = pc >> PageAddrBits;
  // Only a page this memory holds alone may carry has_code (a shared page is cloned first), and
  // the TLB slot is refilled since the clone replaced the page it pointed at.
  Page* page = vm_.state().memory.own_page(page_index);
  if (page == nullptr) return false;
  page->has_code = true;
  tlb_fill(page_index);
  uint32_t& first = page_blocks_.get(page_index, 0);
  pc_nodes_.push_back(PcNode{pc, first});
  first = static_cast<uint32_t>(pc_nodes_.size() - 1);
  return true;
}

const void* JitRuntime::lookup_or_translate(Word pc) {
  // Heat first: a pc gets a table entry (a block, or no block can start there) only once its
  // counter has reached the threshold, and counters only grow until forget_heat, which comes with
  // clear_code; so below the threshold no entry can match (unless the threshold was raised since:
  // then the interpreter runs the step, which is as exact).
  if (uint8_t& heat = heat_[(pc >> 2) & (HeatEntries - 1)]; heat < translate_threshold_) {
    if (heat++ == 0) heated_.push_back(static_cast<uint32_t>((pc >> 2) & (HeatEntries - 1)));
    ++stats_.cold_entries;
    last_entry_cold_ = true;
    return nullptr;
  }
  LookupEntry& entry = lookup_[(pc >> 2) & (LookupEntries - 1)];
  if (entry.pc == pc) return entry.code == emitter_.exit_stub() ? nullptr : entry.code;
  if (const void** known = blocks_.find(pc)) {
    const void* code = *known;
    entry = LookupEntry{pc, code != nullptr ? code : emitter_.exit_stub()};
    return code;
  }
  scan_block(vm_.state().memory, pc, max_block_insns_, plan_);
  if (plan_.insns.empty()) {
    // No block starts here: remember it (the table entry exits at once, like an empty one).
    if (record_on_page(pc)) {
      blocks_.get(pc, nullptr) = nullptr;
      entry = LookupEntry{pc, emitter_.exit_stub()};
    }
    return nullptr;
  }
  if (emitter_.remaining() < MinFreeCode) clear_code();
  const size_t free_before = emitter_.remaining();
  const void* code = emitter_.emit_block(plan_);
  stats_.code_bytes += free_before - emitter_.remaining();
  record_on_page(pc);
  blocks_.get(pc, code) = code;
  // Link this block's direct exits to targets that exist, and every cell aiming at this block.
  for (const Emitter::ChainCell& chain : emitter_.last_chains()) {
    uint32_t& first = links_.get(chain.target_pc, 0);
    link_nodes_.push_back(LinkNode{chain.cell, chain.stub, first});
    first = static_cast<uint32_t>(link_nodes_.size() - 1);
    if (const void** target = blocks_.find(chain.target_pc); target != nullptr && *target != nullptr)
      *chain.cell = *target;
  }
  if (const uint32_t* aiming = links_.find(pc))
    for (uint32_t link = *aiming; link != 0; link = link_nodes_[link].next) *link_nodes_[link].cell = code;
  ++stats_.blocks_translated;
  stats_.insns_native += emitter_.last_insn_counts().native;
  stats_.insns_helper += emitter_.last_insn_counts().helper;
  stats_.regs_cached += emitter_.last_insn_counts().regs_cached;
  LookupEntry& slot = lookup_[(pc >> 2) & (LookupEntries - 1)];  // clear_code may have reset it
  slot = LookupEntry{pc, code};
  return code;
}

Word JitRuntime::run_blocks(Word fuel) {
  Thread& thread = vm_.state().current_thread();
  last_entry_cold_ = false;
  const void* code = lookup_or_translate(thread.pc);
  if (code == nullptr) return 0;
  State& state = vm_.state();
  ctx_.thread = &thread;
  ctx_.fuel = fuel;
  ctx_.exit_pc = thread.pc;
  ctx_.code_invalidated = 0;
  ctx_.fuel_at_entry = fuel;
  ctx_.step_at_entry = state.step;
  ctx_.switch_steps_at_entry = state.steps_since_last_context_switch;
  emitter_.entry()(&ctx_, code);
  ++stats_.block_entries;
  const Word executed = fuel - ctx_.fuel;
  state.step = ctx_.step_at_entry + executed;
  state.steps_since_last_context_switch = ctx_.switch_steps_at_entry + executed;
  thread.pc = ctx_.exit_pc;
  thread.next_pc = thread.pc + 4;
  stats_.jit_steps += executed;
  return executed;
}

}  // namespace cannonball::jit
