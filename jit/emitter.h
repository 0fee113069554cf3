// The x86-64 emitter (xbyak): turns a BlockPlan into host code in one executable buffer.
//
// Constraints: generated code runs between the entry trampoline and the shared exit stub only.
// Fixed host registers while in generated code:
//   rbx = Thread* (guest regs/hi/lo in place), r14 = JitContext*, r15 = fuel,
//   r12 = TLB base, r13 = pc->code lookup table, rbp = branch decision across a delay slot.
// rax, rcx, rdx, rsi, rdi, r8-r11 are scratch and do not survive a helper call. Helpers are
// plain noexcept C functions; no C++ exception ever crosses generated frames. Each block
// subtracts its whole length from the fuel on entry (entered only when fuel covers it); an early
// exit gives back the steps it did not run, so the fuel is exact on every exit path.
// The emitter is split by instruction group: emit_alu.cpp, emit_muldiv.cpp, emit_memory.cpp,
// emit_branch.cpp; emitter.cpp holds the block driver, trampolines and exits.
// W^X (code_memory.h): xbyak writes into the write view of a dual mapping, so every in-buffer
// address used while emitting (exit_rax_) is a write-view address, and everything handed out
// (entry(), exit_stub(), block entries, chain-cell contents) is an execute-view address.
#pragma once

#define XBYAK_NO_OP_NAMES
#include <xbyak/xbyak.h>

#include <vector>

#include "jit/block_scan.h"
#include "jit/code_memory.h"
#include "jit/jit_state.h"
#include "jit/raw_x86.h"

namespace cannonball::jit {

using EntryFn = void (*)(JitContext* ctx, const void* code);

// More than the largest block's code (at most MaxBlockInsns + 1 instructions, each at most a
// few hundred bytes with its cold paths); emit_block refuses to start with less room.
inline constexpr size_t MaxBlockBytes = size_t{64} << 10;

// Whether the host has LZCNT, which the native clz/clo/dclz/dclo need (else they use the helper).
bool host_has_lzcnt();
// Whether the host has MOVBE, which loads and stores on cached registers use (else a bswap).
bool host_has_movbe();

class Emitter : private CodeMemory, public Xbyak::CodeGenerator {
 public:
  explicit Emitter(size_t capacity);
  size_t capacity() const { return capacity_; }
  // Drops every block and re-emits the trampolines. Nothing may be running generated code.
  void clear();
  EntryFn entry() const { return entry_; }
  // Code that leaves generated code with rax as the exit pc; empty lookup entries point here, so
  // a jump to a pc equal to the empty marker also just exits.
  const void* exit_stub() const { return to_exec(exit_rax_); }
  size_t remaining() const { return capacity_ - getSize(); }
  // Emits one block; returns its entry. Throws Xbyak::Error when the buffer is full.
  const void* emit_block(const BlockPlan& plan);

  // A direct exit of the last emitted block: `jmp [cell]`, where the cell holds either the
  // target block's entry (linked) or `stub`, which looks the target up in the table.
  struct ChainCell {
    Word target_pc;
    const void** cell;  // write-view address of the cell
    const void* stub;   // execute-view address
  };
  const std::vector<ChainCell>& last_chains() const { return chains_; }
  // How the last emitted block runs its instructions: as host code, or through the interpreter
  // helper (rows the table marks Helper, and Native rows the host cannot emit).
  struct InsnCounts {
    Word native = 0;
    Word helper = 0;
    Word regs_cached = 0;  // guest registers kept in host registers (reg_cache.cpp)
  };
  const InsnCounts& last_insn_counts() const { return insn_counts_; }

 private:
  // A jump whose target is not emitted yet: the buffer offset of its rel32 (or rel8) field.
  using Fixup = uint32_t;
  // Cold paths emitted after the block body, recorded as plain data (no closures, no labels).
  struct ColdStub {
    enum class Kind : uint8_t { LoadMiss, StoreSlow, ChainStub } kind;
    uint32_t index;   // the instruction (LoadMiss, StoreSlow) or pending chain (ChainStub)
    Fixup from;       // the jump into the stub (LoadMiss, StoreSlow)
    uint32_t retry;   // offset of the TLB probe to retry (LoadMiss, StoreSlow)
    uint32_t resume;  // offset to continue at after the instruction (LoadMiss, StoreSlow)
    int8_t base_host = -1;  // host register the probe took a forwarded base from (reload before retry)
  };
  struct ColdExit {
    Fixup from;
    size_t index;  // resume at insns[index] with the fuel of insns[index..] given back
  };
  struct HelperCall {
    Fixup from;    // reached with eax = helper result != 0
    size_t index;  // the instruction the helper ran
  };
  struct PendingChain {
    Word target_pc;
    Fixup cell_disp;  // the disp32 of `jmp [rip + cell]`
    uint32_t stub;    // offset of the lookup stub
  };

  void emit_trampolines();
  void emit_insn(size_t index);
  // A guest register as an operand: its cache host register (below), else its slot in the Thread.
  const Xbyak::Operand& gpr(unsigned r);
  const Xbyak::Operand& gpr32(unsigned r);  // the low 32 bits
  Xbyak::Address hi() { return qword[rbx + ThreadHi]; }
  Xbyak::Address lo() { return qword[rbx + ThreadLo]; }
  // Guest register moves. Registers live in the Thread (every store_reg writes memory), but the
  // host register that was just stored to (or loaded from) a guest register still holds it: when
  // nothing was emitted since, load_reg/load_reg32 use that host register instead of reloading
  // the value through memory (a store-to-load forwarding round trip on the critical path).
  // Validity is by buffer position, so any emission or jump target in between (bind) ends it.
  // Register cache (reg_cache.cpp): up to six guest registers a block uses most live in host
  // registers (rsi, rdi, r8-r11) for the whole block. A cached register is loaded at block entry
  // when its first use reads it, written only to its host register, and written back (those
  // natively written so far) before every exit and every helper call; after a helper call every
  // cached register is reloaded, since the helper may have written any of them and clobbered the
  // host registers. For an uncached register the Thread slot is always current.
  void plan_registers();
  int cached(unsigned r) const { return cache_host_[r]; }
  void write_back(size_t index);  // stores the cached registers insns[0..index) may have written
  void reload_cached();           // loads every cached register from the Thread
  void load_reg(const Xbyak::Reg64& dst, unsigned r);
  void load_reg32(const Xbyak::Reg32& dst, unsigned r);  // zero-extended low 32 bits
  void store_reg(unsigned r, const Xbyak::Reg64& src);    // no-op for r == 0
  // The host register holding guest register r right here (its cache register, or the one the
  // previous emission forwarded), or -1.
  int forwarded(unsigned r) const {
    if (cache_host_[r] >= 0) return cache_host_[r];
    return forward_at_ == getSize() && forward_guest_ == static_cast<int>(r) ? forward_host_ : -1;
  }
  void forward(unsigned r, unsigned host) {
    forward_guest_ = static_cast<int>(r);
    forward_host_ = static_cast<int>(host);
    forward_at_ = getSize();
  }
  void forget_forward() { forward_at_ = ~size_t{0}; }
  void call_helper(const void* fn);
  // call rel32 to one of the shared thunks emitted with the trampolines (a buffer offset).
  void call_thunk(size_t thunk);

  // Raw emission (raw_x86.h): the write cursor, and committing what was written through it.
  uint8_t* cursor() { return top_ + Xbyak::CodeArray::size_; }
  void commit(const uint8_t* end) { Xbyak::CodeArray::size_ = static_cast<size_t>(end - top_); }
  // Forward jumps, bound later to the current position (bind) or to an offset (bind_to).
  Fixup jcc_forward(x86::Cond cond);
  Fixup jmp_forward();
  Fixup jcc_short_forward(x86::Cond cond);  // rel8: the target must lie within 127 bytes
  void bind(Fixup from) { bind_to(from, getSize()); }
  void bind_to(Fixup from, size_t target);
  void bind_short(Fixup from);
  // Jumps to code already emitted (a buffer offset).
  void jcc_to(x86::Cond cond, size_t target);
  void jmp_to(size_t target);
  size_t exit_offset() const { return static_cast<size_t>(static_cast<const uint8_t*>(exit_rax_) - top_); }

  // Leaves the block before insns[index] (giving back its fuel) when `from` is taken.
  void exit_before(size_t index, Fixup from) { cold_exits_.push_back(ColdExit{from, index}); }
  void emit_chain(Word target_pc);  // jump to the block at a constant pc (or exit)
  void emit_chain_stub(size_t chain);
  // add r15, given_back (when non-zero); rax = pc; leave generated code.
  void emit_exit(size_t given_back, Word pc);
  void emit_dispatch_rax();  // jump to the block at pc rax (or exit)
  // Runs the instruction through the interpreter's semantics (helpers.cpp).
  void emit_interpreted(size_t index);
  // Calls jit_execute_insn for insns[index]; falls through on success, leaves the block through
  // an exit stub on a fault (before the instruction) or a code invalidation (after it).
  void emit_interpreter_call(size_t index);
  // After a helper call that ran insns[index] (eax = its result, cached registers reloaded):
  // records the exits a fault or a code invalidation take (none in a delay slot).
  void check_helper_result(size_t index);
  // Computes the effective address of a load/store in rax; rcx = page index, rdx = TLB slot
  // offset. Jumps (the returned fixup) to a miss stub when the TLB entry's read (or write) tag
  // does not match, else leaves rdx = Page*.
  // `base_host` >= 0: the base register's value came from that host register (forwarded).
  Fixup emit_address_and_tlb(const PlannedInsn& in, bool is_store, int base_host);
  void emit_cold_stub(const ColdStub& stub);

  // Groups (one file each).
  bool emit_alu(const PlannedInsn& in);
  bool emit_muldiv(const PlannedInsn& in, size_t index);
  bool emit_memory(const PlannedInsn& in, size_t index);
  // Sets ebp = taken and writes the link; with `fuse` (the delay slot emits no code) a conditional
  // branch leaves its compare's flags for the block end's jcc instead (fused_cond_).
  void emit_branch_decision(const PlannedInsn& in, bool fuse);
  void emit_block_end();

  size_t capacity_;
  EntryFn entry_ = nullptr;
  const void* exit_rax_ = nullptr;  // (write view) stores rax as exit pc, saves fuel, returns to C++
  // Shared thunks (buffer offsets) that complete a helper call's arguments from the fixed
  // registers and tail-jump into the helper, which returns straight to the calling block:
  // every call site then carries only what differs between them (instruction, steps left, pc).
  //   interp_thunk_:     jit_execute_insn(ctx, esi = insn, fuel, ecx = steps left, r8 = pc)
  //   load/store_thunk_: jit_load_slow / jit_store_slow(ctx, page index from the probe's rcx,
  //                      edx = insn, fuel, r8d = steps left, r9 = pc)
  size_t interp_thunk_ = 0;
  size_t load_thunk_ = 0;
  size_t store_thunk_ = 0;
  const BlockPlan* plan_ = nullptr;
  // Per-block records; cleared (capacity kept) for every block, so translating allocates nothing
  // once they have grown.
  std::vector<ColdStub> cold_stubs_;
  std::vector<ColdExit> cold_exits_;
  std::vector<HelperCall> helper_calls_;
  std::vector<PendingChain> pending_chains_;
  std::vector<ChainCell> chains_;
  std::vector<uint32_t> exit_stubs_;  // per instruction index: its exit stub's offset, 0 = none yet
  InsnCounts insn_counts_;
  bool fused_ = false;  // the last branch decision left its condition in the flags
  x86::Cond fused_cond_ = x86::CondNE;
  // Register cache of the block being emitted: host register of each guest register (-1 = not
  // cached), the cached ones, those loaded at entry, and per instruction index the cached ones
  // natively written before it (what an exit or a helper call there writes back).
  int8_t cache_host_[32] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                            -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  uint32_t cached_mask_ = 0;
  uint32_t live_in_mask_ = 0;
  std::vector<uint32_t> dirty_before_;
  Xbyak::Reg64 cache_reg64_[32];
  Xbyak::Reg32 cache_reg32_[32];
  std::vector<Xbyak::Address> mem64_, mem32_;  // qword/dword [rbx + slot of r]
  int forward_guest_ = -1;
  int forward_host_ = -1;
  size_t forward_at_ = ~size_t{0};
};

}  // namespace cannonball::jit
