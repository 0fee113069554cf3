// Block driver, trampolines, exits and chaining (see emitter.h for the register conventions).
//
// Block shape:
//   entry:  sub r15, len ; jb no_fuel        (no_fuel gives the fuel back and exits at start_pc)
//           body, one instruction after another; a branch sets ebp before its delay slot
//           chain to the next block: jmp [cell] (direct) or a table probe (jr/jalr)
//   cold:   early exits (fault before an instruction, code invalidated after a store), TLB misses
// Direct exits jump through an 8-byte chain cell placed after the block's cold code; the runtime
// stores the target block's entry there once it exists, and resets the cell to its lookup stub
// when that block is invalidated. Only these data cells are ever rewritten, never instructions,
// and a block whose page was written while it ran finishes (or exits early) in code that stays
// mapped until the next clear().
// Translation cost: jumps into code not emitted yet are rel32 fields patched by buffer offset
// (Fixup), cold paths are plain records emitted after the body, and the forms every block repeats
// are written by raw_x86.h; xbyak assembles the rest. No label maps, closures or per-block heap
// allocations.
#include "jit/emitter.h"

#include "jit/helpers.h"

namespace cannonball::jit {

using namespace Xbyak;

Emitter::Emitter(size_t capacity) : CodeMemory(capacity), CodeGenerator(capacity, write_view()), capacity_(capacity) {
  for (int r = 0; r < 32; ++r) {
    mem64_.push_back(qword[rbx + ThreadRegs + 8 * r]);
    mem32_.push_back(dword[rbx + ThreadRegs + 8 * r]);
  }
  emit_trampolines();
}

void Emitter::clear() {
  reset();
  emit_trampolines();
}

void Emitter::emit_trampolines() {
  // void entry(JitContext* ctx /*rdi*/, const void* code /*rsi*/)
  entry_ = reinterpret_cast<EntryFn>(const_cast<uint8_t*>(to_exec(getCurr())));
  push(rbx);
  push(rbp);
  push(r12);
  push(r13);
  push(r14);
  push(r15);
  sub(rsp, 8);  // keep rsp 16-byte aligned at helper calls
  mov(r14, rdi);
  mov(rbx, qword[r14 + CtxThread]);
  mov(r12, qword[r14 + CtxTlb]);
  mov(r13, qword[r14 + CtxLookup]);
  mov(r15, qword[r14 + CtxFuel]);
  jmp(rsi);

  align(16);
  exit_rax_ = getCurr();
  mov(qword[r14 + CtxExitPc], rax);
  mov(qword[r14 + CtxFuel], r15);
  add(rsp, 8);
  pop(r15);
  pop(r14);
  pop(r13);
  pop(r12);
  pop(rbp);
  pop(rbx);
  ret();

  // The shared thunks (emitter.h). A block calls them with rsp 16-byte aligned, so the helper is
  // entered as if the block had called it directly.
  align(16);
  interp_thunk_ = getSize();
  mov(rdi, r14);
  mov(rdx, r15);
  mov(rax, reinterpret_cast<uintptr_t>(&jit_execute_insn));
  jmp(rax);
  for (const bool load : {true, false}) {
    align(16);
    (load ? load_thunk_ : store_thunk_) = getSize();
    mov(rsi, rcx);  // the page index the probe computed
    mov(rcx, r15);
    mov(rdi, r14);
    mov(rax, load ? reinterpret_cast<uintptr_t>(&jit_load_slow) : reinterpret_cast<uintptr_t>(&jit_store_slow));
    jmp(rax);
  }
  align(16);
}

void Emitter::load_reg(const Reg64& dst, unsigned r) {
  const int host = forwarded(r);
  if (host == dst.getIdx()) return;
  if (cached(r) >= 0) {
    commit(x86::mov_rr(cursor(), dst.getIdx(), static_cast<unsigned>(host)));
    return;
  }
  if (host >= 0)
    commit(x86::mov_rr(cursor(), dst.getIdx(), static_cast<unsigned>(host)));
  else
    commit(x86::rm_rbx(cursor(), true, 0x8B, dst.getIdx(), ThreadRegs + 8 * static_cast<int>(r)));
  if (r != 0) forward(r, dst.getIdx());
}

void Emitter::load_reg32(const Reg32& dst, unsigned r) {
  const int host = forwarded(r);
  if (host >= 0)
    mov(dst, Reg32(host));  // also when host == dst: clears the upper half, as the load would
  else
    mov(dst, dword[rbx + ThreadRegs + 8 * static_cast<int>(r)]);
}

void Emitter::store_reg(unsigned r, const Reg64& src) {
  if (r == 0) return;
  if (const int host = cached(r); host >= 0) {
    if (host != src.getIdx()) commit(x86::mov_rr(cursor(), static_cast<unsigned>(host), src.getIdx()));
    return;
  }
  commit(x86::rm_rbx(cursor(), true, 0x89, src.getIdx(), ThreadRegs + 8 * static_cast<int>(r)));
  forward(r, src.getIdx());
}

void Emitter::call_helper(const void* fn) {
  uint8_t* p = x86::mov_r64_imm64(cursor(), x86::RAX, reinterpret_cast<uintptr_t>(fn));
  commit(x86::call_r64(p, x86::RAX));
}

void Emitter::call_thunk(size_t thunk) {
  commit(x86::call_rel32(cursor()));
  bind_to(static_cast<Fixup>(getSize() - 4), thunk);
}

Emitter::Fixup Emitter::jcc_forward(x86::Cond cond) {
  commit(x86::jcc_rel32(cursor(), cond));
  return static_cast<Fixup>(getSize() - 4);
}

Emitter::Fixup Emitter::jmp_forward() {
  commit(x86::jmp_rel32(cursor()));
  return static_cast<Fixup>(getSize() - 4);
}

Emitter::Fixup Emitter::jcc_short_forward(x86::Cond cond) {
  uint8_t* p = cursor();
  *p++ = static_cast<uint8_t>(0x70 | cond);
  *p++ = 0;
  commit(p);
  return static_cast<Fixup>(getSize() - 1);
}

void Emitter::bind_to(Fixup from, size_t target) {
  forget_forward();  // a jump may land here (or anywhere): no host register is known to hold a guest one
  const auto rel = static_cast<int32_t>(static_cast<int64_t>(target) - static_cast<int64_t>(from + 4));
  x86::put32(top_ + from, static_cast<uint32_t>(rel));
}

void Emitter::bind_short(Fixup from) {
  forget_forward();
  const int64_t rel = static_cast<int64_t>(getSize()) - static_cast<int64_t>(from + 1);
  if (rel > 127) throw Xbyak::Error(Xbyak::ERR_LABEL_IS_TOO_FAR);
  top_[from] = static_cast<uint8_t>(rel);
}

void Emitter::jcc_to(x86::Cond cond, size_t target) { bind_to(jcc_forward(cond), target); }

void Emitter::jmp_to(size_t target) { bind_to(jmp_forward(), target); }

void Emitter::emit_chain(Word target_pc) {
  commit(x86::jmp_rip_indirect(cursor()));  // jmp [rip + cell]; the cell follows the cold code
  pending_chains_.push_back(PendingChain{target_pc, static_cast<Fixup>(getSize() - 4), 0});
  cold_stubs_.push_back(
      ColdStub{ColdStub::Kind::ChainStub, static_cast<uint32_t>(pending_chains_.size() - 1), 0, 0, 0});
}

void Emitter::emit_chain_stub(size_t chain) {
  PendingChain& pending = pending_chains_[chain];
  const auto slot = static_cast<int32_t>(lookup_offset(pending.target_pc));
  pending.stub = static_cast<uint32_t>(getSize());
  uint8_t* p = x86::mov_imm(cursor(), x86::RAX, pending.target_pc);
  commit(x86::rm_base(p, true, 0x3B, x86::RAX, x86::R13, slot));  // cmp rax, [r13 + slot]
  jcc_to(x86::CondNE, exit_offset());
  commit(x86::rm_base(cursor(), false, 0xFF, 4, x86::R13, slot + 8));  // jmp [r13 + slot + 8]
}

void Emitter::emit_dispatch_rax() {
  mov(ecx, eax);
  shr(ecx, 2);
  and_(ecx, static_cast<uint32_t>(LookupEntries - 1));
  shl(ecx, 4);
  cmp(rax, qword[r13 + rcx]);
  jcc_to(x86::CondNE, exit_offset());
  jmp(qword[r13 + rcx + 8]);
}

void Emitter::emit_interpreter_call(size_t index) {
  const PlannedInsn& in = plan_->insns[index];
  write_back(index);  // the helper reads registers in the Thread, and the call clobbers the cache
  uint8_t* p = x86::mov_imm(cursor(), x86::RSI, in.insn);      // mov esi, insn
  p = x86::mov_imm(p, x86::RCX, plan_->insns.size() - index);  // mov ecx, steps left
  commit(x86::mov_imm(p, x86::R8, in.pc));
  call_thunk(interp_thunk_);
  reload_cached();  // leaves eax and the flags alone
  check_helper_result(index);
}

void Emitter::check_helper_result(size_t index) {
  const bool in_delay_slot = plan_->ends_in_branch && index + 1 == plan_->insns.size();
  if (in_delay_slot) return;  // cannot fault (scan_block); the block ends right here anyway
  commit(x86::test_eax(cursor()));
  helper_calls_.push_back(HelperCall{jcc_forward(x86::CondNE), index});
}

void Emitter::emit_interpreted(size_t index) { emit_interpreter_call(index); }

void Emitter::emit_exit(size_t given_back, Word pc) {
  uint8_t* p = cursor();
  if (given_back != 0) p = x86::alu_imm(p, true, 0, x86::R15, static_cast<uint32_t>(given_back));  // add r15, n
  commit(x86::mov_imm(p, x86::RAX, pc));
  jmp_to(exit_offset());
}

void Emitter::emit_cold_stub(const ColdStub& stub) {
  switch (stub.kind) {
    case ColdStub::Kind::ChainStub: emit_chain_stub(stub.index); return;
    case ColdStub::Kind::LoadMiss:
    case ColdStub::Kind::StoreSlow: {
      // rcx = the page index (the probe). A load maps the page, a store asks for write
      // permission; then the probe retries (HelperRetry), or the helper has run the access
      // through the interpreter (a watched page, a store the fill declined). One shared thunk
      // does the call's common part (jit_load_slow / jit_store_slow).
      const bool load = stub.kind == ColdStub::Kind::LoadMiss;
      const PlannedInsn& in = plan_->insns[stub.index];
      bind(stub.from);
      write_back(stub.index);  // the call clobbers the cached registers: reloaded below
      uint8_t* p = x86::mov_imm(cursor(), x86::RDX, in.insn);
      p = x86::mov_imm(p, x86::R8, plan_->insns.size() - stub.index);
      commit(x86::mov_imm(p, 9, in.pc));  // r9
      call_thunk(load ? load_thunk_ : store_thunk_);
      reload_cached();  // the probe may take its base from one of them
      commit(x86::alu_imm(cursor(), false, 7, x86::RAX, HelperRetry));  // cmp eax, HelperRetry
      if (stub.base_host < 0) {
        jcc_to(x86::CondE, stub.retry);
      } else {  // the probe takes its base from a host register the call clobbered: reload it
        const Fixup done = jcc_short_forward(x86::CondNE);
        const unsigned rs = (in.insn >> 21) & 0x1F;
        commit(x86::rm_rbx(cursor(), true, 0x8B, static_cast<unsigned>(stub.base_host), ThreadRegs + 8 * static_cast<int>(rs)));
        jmp_to(stub.retry);
        bind_short(done);
      }
      check_helper_result(stub.index);
      // The fast path leaves the loaded value in rcx, and code after `resume` may use it from there
      // (a cached destination was reloaded after the call).
      if (const unsigned rt = (in.insn >> 16) & 0x1F; load && rt != 0 && cached(rt) < 0)
        commit(x86::rm_rbx(cursor(), true, 0x8B, x86::RCX, ThreadRegs + 8 * static_cast<int>(rt)));
      jmp_to(stub.resume);
      return;
    }
  }
}

const void* Emitter::emit_block(const BlockPlan& plan) {
  // Raw emission does not check the buffer end: make sure the largest block fits.
  if (remaining() < MaxBlockBytes) throw Xbyak::Error(Xbyak::ERR_CODE_IS_TOO_BIG);
  plan_ = &plan;
  cold_stubs_.clear();
  cold_exits_.clear();
  helper_calls_.clear();
  pending_chains_.clear();
  chains_.clear();
  insn_counts_ = {};
  align(16);
  forget_forward();
  fused_ = false;
  plan_registers();
  const void* entry = to_exec(getCurr());
  const size_t len = plan.insns.size();

  commit(x86::alu_imm(cursor(), true, 5, x86::R15, static_cast<uint32_t>(len)));  // sub r15, len
  const Fixup no_fuel = jcc_forward(x86::CondB);
  if (live_in_mask_ != 0) {  // cached registers the block reads before writing them
    uint8_t* p = cursor();
    for (unsigned r = 1; r < 32; ++r)
      if ((live_in_mask_ >> r) & 1)
        p = x86::rm_rbx(p, true, 0x8B, static_cast<unsigned>(cached(r)), ThreadRegs + 8 * static_cast<int>(r));
    commit(p);
  }

  const size_t body_end = plan.ends_in_branch ? len - 2 : len;
  for (size_t i = 0; i < body_end; ++i) emit_insn(i);
  if (plan.ends_in_branch) {
    // A delay slot that is the canonical nop (sll $0, $0, 0) emits no code, so the branch's
    // compare flags survive to the block end.
    emit_branch_decision(plan.insns[len - 2], plan.insns[len - 1].insn == 0);  // every branch and jump row is Native
    ++insn_counts_.native;
    emit_insn(len - 1);
  }
  emit_block_end();

  // Cold paths.
  for (size_t k = 0; k < cold_stubs_.size(); ++k) emit_cold_stub(cold_stubs_[k]);
  bind(no_fuel);
  emit_exit(len, plan.start_pc);
  for (size_t k = 0; k < helper_calls_.size(); ++k) {
    const HelperCall call = helper_calls_[k];
    bind(call.from);
    commit(x86::alu_imm(cursor(), false, 7, x86::RAX, HelperFault));  // cmp eax, HelperFault
    exit_before(call.index, jcc_forward(x86::CondE));
    exit_before(call.index + 1, jmp_forward());  // code was invalidated: stop after the store
  }
  exit_stubs_.assign(len + 1, 0);
  for (size_t k = 0; k < cold_exits_.size(); ++k) {  // includes the exits the stubs above added
    const ColdExit exit = cold_exits_[k];
    // Exits at the same instruction share one stub (a store's slow path and the next one's).
    uint32_t& stub = exit_stubs_[exit.index];
    if (stub != 0) {
      bind_to(exit.from, stub);
      continue;
    }
    bind(exit.from);
    stub = static_cast<uint32_t>(getSize());
    write_back(exit.index);
    emit_exit(len - exit.index, exit.index < len ? plan.insns[exit.index].pc : plan.fallthrough_pc());
  }
  // Chain cells (data), initially pointing at their lookup stubs; the runtime links them. The
  // cells hold execute-view addresses of the stubs.
  align(8);
  for (const PendingChain& chain : pending_chains_) {
    const size_t cell_offset = getSize();
    bind_to(chain.cell_disp, cell_offset);
    dq(0);
    auto** cell = reinterpret_cast<const void**>(top_ + cell_offset);
    const void* stub = to_exec(top_ + chain.stub);
    *cell = stub;
    chains_.push_back(ChainCell{chain.target_pc, cell, stub});
  }
  plan_ = nullptr;
  for (unsigned r = 0; r < 32; ++r) cache_host_[r] = -1;
  return entry;
}

void Emitter::emit_insn(size_t index) {
  const PlannedInsn& in = plan_->insns[index];
  // Blocks hold rows the table marks Native or Helper (scan_block); a Native row the host cannot
  // emit (the clz family without LZCNT) runs through the helper as well.
  if (info(in.op).jit == JitStatus::Native && (emit_alu(in) || emit_muldiv(in, index) || emit_memory(in, index))) {
    ++insn_counts_.native;
    return;
  }
  ++insn_counts_.helper;
  emit_interpreted(index);
}

}  // namespace cannonball::jit
