#include "jit/jit_runtime.h"

#include <algorithm>

namespace cannonball::jit {
namespace {

constexpr size_t CodeCapacity = size_t{64} << 20;
constexpr size_t MinFreeCode = size_t{256} << 10;  // more than any one block needs

void on_code_write(void* ctx, Page& page) { static_cast<JitRuntime*>(ctx)->invalidate_page(page); }

}  // namespace

JitRuntime::JitRuntime(Vm& vm)
    : vm_(vm),
      tlb_(TlbEntries),
      lookup_(LookupEntries),
      zero_page_(std::make_unique<Page>()),
      emitter_(CodeCapacity) {
  ctx_.tlb = tlb_.data();
  ctx_.lookup = lookup_.data();
  ctx_.runtime = this;
  zero_page_->index = InvalidPageIndex;
  std::fill(lookup_.begin(), lookup_.end(), LookupEntry{EmptyLookupPc, nullptr});
  tlb_flush();
}

JitRuntime::~JitRuntime() {
  Memory& memory = vm_.state().memory;
  if (memory.code_write_ctx() == this) {
    for (const auto& [page_index, pcs] : page_blocks_)
      if (Page* page = memory.find_page_mut(page_index)) page->has_code = false;
    memory.set_code_write_hook(nullptr, nullptr);
  }
}

void JitRuntime::prepare() {
  Memory& memory = vm_.state().memory;
  if (memory.code_write_ctx() != this) {
    // First use, or the memory was replaced: nothing translated before can be trusted.
    clear_code();
    memory.set_code_write_hook(&on_code_write, this);
  }
  tlb_flush();
}

void JitRuntime::after_interpreter_step() {
  ++stats_.interp_steps;
  if (vm_.state().memory.page_count() != known_page_count_) tlb_flush();
}

void JitRuntime::tlb_flush() {
  std::fill(tlb_.begin(), tlb_.end(), TlbEntry{InvalidPageIndex, nullptr});
  known_page_count_ = vm_.state().memory.page_count();
}

void JitRuntime::tlb_fill(Word page_index) noexcept {
  Page* page = vm_.state().memory.find_page_mut(page_index);
  tlb_[page_index & (TlbEntries - 1)] = TlbEntry{page_index, page ? page : zero_page_.get()};
  // A store can allocate only the page it writes; keep the count in step so that a later
  // interpreter step does not flush the TLB for it.
  known_page_count_ = vm_.state().memory.page_count();
}

void JitRuntime::invalidate_page(Page& page) noexcept {
  page.has_code = false;
  ctx_.code_invalidated = 1;
  auto it = page_blocks_.find(page.index);
  if (it == page_blocks_.end()) return;
  for (Word pc : it->second) {
    blocks_.erase(pc);
    LookupEntry& entry = lookup_[(pc >> 2) & (LookupEntries - 1)];
    if (entry.pc == pc) entry = LookupEntry{EmptyLookupPc, nullptr};
    ++stats_.blocks_invalidated;
  }
  page_blocks_.erase(it);
}

void JitRuntime::clear_code() {
  Memory& memory = vm_.state().memory;
  for (const auto& [page_index, pcs] : page_blocks_)
    if (Page* page = memory.find_page_mut(page_index)) page->has_code = false;
  blocks_.clear();
  page_blocks_.clear();
  std::fill(lookup_.begin(), lookup_.end(), LookupEntry{EmptyLookupPc, nullptr});
  emitter_.clear();
  ++stats_.code_flushes;
}

const void* JitRuntime::lookup_or_translate(Word pc) {
  LookupEntry& entry = lookup_[(pc >> 2) & (LookupEntries - 1)];
  if (entry.pc == pc) return entry.code;
  if (auto it = blocks_.find(pc); it != blocks_.end()) {
    entry = LookupEntry{pc, it->second.code};
    return entry.code;
  }
  Memory& memory = vm_.state().memory;
  const BlockPlan plan = scan_block(memory, pc);
  if (plan.insns.empty()) return nullptr;
  if (emitter_.remaining() < MinFreeCode) clear_code();
  const void* code = emitter_.emit_block(plan);
  const Word page_index = pc >> PageAddrBits;
  memory.find_page_mut(page_index)->has_code = true;
  blocks_[pc] = BlockInfo{code, page_index};
  page_blocks_[page_index].push_back(pc);
  ++stats_.blocks_translated;
  LookupEntry& slot = lookup_[(pc >> 2) & (LookupEntries - 1)];  // clear_code may have reset it
  slot = LookupEntry{pc, code};
  return code;
}

Word JitRuntime::run_blocks(Word fuel) {
  Thread& thread = vm_.state().current_thread();
  const void* code = lookup_or_translate(thread.pc);
  if (code == nullptr) return 0;
  ctx_.thread = &thread;
  ctx_.fuel = fuel;
  ctx_.exit_pc = thread.pc;
  ctx_.ll_aligned = vm_.state().ll_address & AddressMask;
  ctx_.code_invalidated = 0;
  emitter_.entry()(&ctx_, code);
  ++stats_.block_entries;
  const Word executed = fuel - ctx_.fuel;
  thread.pc = ctx_.exit_pc;
  thread.next_pc = thread.pc + 4;
  stats_.jit_steps += executed;
  return executed;
}

}  // namespace cannonball::jit
