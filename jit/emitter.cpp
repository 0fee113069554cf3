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
#include "jit/emitter.h"

#include "jit/helpers.h"

namespace cannonball::jit {

using namespace Xbyak;

Emitter::Emitter(size_t capacity) : CodeMemory(capacity), CodeGenerator(capacity, write_view()), capacity_(capacity) {
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
  align(16);
}

void Emitter::load_reg(const Reg64& dst, unsigned r) { mov(dst, reg(r)); }

void Emitter::store_reg(unsigned r, const Reg64& src) {
  if (r != 0) mov(reg(r), src);
}

void Emitter::call_helper(const void* fn) {
  mov(rax, reinterpret_cast<uintptr_t>(fn));
  call(rax);
}

Label& Emitter::exit_before(size_t index) {
  cold_exits_.push_back(ColdExit{Label(), index});
  return cold_exits_.back().label;
}

void Emitter::emit_chain(Word target_pc) {
  Label& cell = new_label();
  Label& stub = new_label();
  jmp(qword[rip + cell]);
  pending_chains_.push_back(PendingChain{target_pc, &cell, &stub});
  cold_code_.push_back([this, target_pc, &stub] {
    const uint32_t slot = lookup_offset(target_pc);
    L(stub);
    mov(rax, target_pc);
    cmp(rax, qword[r13 + slot]);
    jne(exit_rax_);
    jmp(qword[r13 + slot + 8]);
  });
}

void Emitter::emit_dispatch_rax() {
  mov(ecx, eax);
  shr(ecx, 2);
  and_(ecx, static_cast<uint32_t>(LookupEntries - 1));
  shl(ecx, 4);
  cmp(rax, qword[r13 + rcx]);
  jne(exit_rax_);
  jmp(qword[r13 + rcx + 8]);
}

void Emitter::emit_interpreter_call(size_t index) {
  const PlannedInsn& in = plan_->insns[index];
  mov(rdi, r14);
  mov(esi, in.insn);
  mov(rdx, r15);
  mov(ecx, static_cast<uint32_t>(plan_->insns.size() - index));
  mov(r8, in.pc);
  call_helper(reinterpret_cast<const void*>(&jit_execute_insn));
  const bool in_delay_slot = plan_->ends_in_branch && index + 1 == plan_->insns.size();
  if (in_delay_slot) return;  // cannot fault (scan_block); the block ends right here anyway
  helper_calls_.push_back(HelperCall{Label(), index});
  test(eax, eax);
  jnz(helper_calls_.back().label, T_NEAR);
}

void Emitter::emit_interpreted(size_t index) { emit_interpreter_call(index); }

const void* Emitter::emit_block(const BlockPlan& plan) {
  plan_ = &plan;
  cold_exits_.clear();
  helper_calls_.clear();
  cold_code_.clear();
  labels_.clear();
  pending_chains_.clear();
  chains_.clear();
  insn_counts_ = {};
  align(16);
  const void* entry = to_exec(getCurr());
  const size_t len = plan.insns.size();

  Label no_fuel;
  sub(r15, static_cast<uint32_t>(len));
  jb(no_fuel, T_NEAR);

  const size_t body_end = plan.ends_in_branch ? len - 2 : len;
  for (size_t i = 0; i < body_end; ++i) emit_insn(i);
  if (plan.ends_in_branch) {
    emit_branch_decision(plan.insns[len - 2]);  // every branch and jump row is Native
    ++insn_counts_.native;
    emit_insn(len - 1);
  }
  emit_block_end();

  // Cold paths.
  for (size_t k = 0; k < cold_code_.size(); ++k) cold_code_[k]();
  L(no_fuel);
  add(r15, static_cast<uint32_t>(len));
  mov(rax, plan.start_pc);
  jmp(exit_rax_);
  for (HelperCall& call : helper_calls_) {
    L(call.label);
    cmp(eax, static_cast<uint32_t>(HelperFault));
    je(exit_before(call.index), T_NEAR);
    jmp(exit_before(call.index + 1), T_NEAR);  // code was invalidated: stop after the store
  }
  for (size_t k = 0; k < cold_exits_.size(); ++k) {  // includes the exits the stubs above added
    ColdExit& exit = cold_exits_[k];
    L(exit.label);
    const size_t given_back = len - exit.index;
    if (given_back != 0) add(r15, static_cast<uint32_t>(given_back));
    mov(rax, exit.index < len ? plan.insns[exit.index].pc : plan.fallthrough_pc());
    jmp(exit_rax_);
  }
  // Chain cells (data), initially pointing at their lookup stubs; the runtime links them. The
  // cells hold execute-view addresses, so they are filled here rather than with putL (which
  // would store the write-view address of the label).
  align(8);
  for (const PendingChain& chain : pending_chains_) {
    L(*chain.cell);
    dq(0);
  }
  for (const PendingChain& chain : pending_chains_) {
    auto** cell = reinterpret_cast<const void**>(const_cast<uint8_t*>(chain.cell->getAddress()));
    const void* stub = to_exec(chain.stub->getAddress());
    *cell = stub;
    chains_.push_back(ChainCell{chain.target_pc, cell, stub});
  }
  pending_chains_.clear();
  plan_ = nullptr;
  cold_exits_.clear();
  helper_calls_.clear();
  cold_code_.clear();
  labels_.clear();
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
