// Scheduler, step driver and instrumented step (spec §4, §2.5, §17.1).
#include "interp/vm.h"

#include <cassert>

#include "interp/instruction_table.h"
#include "interp/observer.h"
#include "runtime/hex.h"

namespace cannonball {

const char* exception_name(ExceptionKind kind) {
  switch (kind) {
    case ExceptionKind::InvalidPc: return "unaligned instruction fetch";
    case ExceptionKind::InvalidInstruction: return "invalid instruction";
    case ExceptionKind::BranchInDelaySlot: return "branch or jump in delay slot";
    case ExceptionKind::DivideByZero: return "division by zero";
    case ExceptionKind::UnknownSyscall: return "unrecognized syscall";
    case ExceptionKind::PreimageOutOfBounds: return "pre-image offset out of bounds";
    case ExceptionKind::NoPreimageOracle: return "no pre-image retriever available";
    case ExceptionKind::EmptyThreadStack: return "active thread stack is empty";
    case ExceptionKind::UnexpectedMemoryAccess: return "unexpected second memory access in one step";
    case ExceptionKind::WrappingMemoryRange: return "memory range wraps around into its first page";
  }
  return "unknown exception";
}

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::Budget: return "budget";
    case StopReason::Exited: return "exited";
    case StopReason::VmException: return "vm-exception";
    case StopReason::PreimageRead: return "preimage-read";
    case StopReason::Interrupted: return "interrupted";
  }
  return "unknown";
}

std::string VmException::message() const {
  std::string text = std::string("VM exception: ") + exception_name(kind) + " at step " + std::to_string(step) +
                     ", pc " + hex_word(pc);
  if (!detail.empty()) text += ": " + detail;
  return text;
}

bool StepWitness::has_preimage() const {
  if (!read_preimage) return false;
  for (uint8_t b : preimage_key)
    if (b) return true;
  return false;
}

Vm::Vm(State& state) : state_(state) {}

void Vm::pop_thread() {
  auto& stack = state_.active_stack();
  stack.pop_back();
  if (stack.empty()) state_.traverse_right = !state_.traverse_right;
  state_.steps_since_last_context_switch = 0;
  if (observer_) observer_->on_switch(state_);
}

void Vm::notify_reservation_invalidated(Word aligned_addr) {
  const Word writer = state_.active_stack().empty() ? ~Word{0} : state_.current_thread().thread_id;
  observer_->on_reservation_invalidated(state_, writer, state_.ll_owner_thread, aligned_addr,
                                        state_.ll_reservation_status);
}

void Vm::preempt_thread() {
  auto& active = state_.active_stack();
  auto& other = state_.inactive_stack();
  other.push_back(active.back());
  active.pop_back();
  if (active.empty()) state_.traverse_right = !state_.traverse_right;
  state_.steps_since_last_context_switch = 0;
  if (observer_) {
    observer_->on_thread_activated(state_, state_.current_thread().thread_id);
    observer_->on_switch(state_);
  }
}

void Vm::push_thread(const Thread& thread) {
  state_.active_stack().push_back(thread);
  state_.steps_since_last_context_switch = 0;
  if (observer_) observer_->on_switch(state_);
}

void Vm::track_access(Word aligned_addr) {
  if (!proof_enabled_ || last_mem_access_ == aligned_addr) return;
  if (last_mem_access_ != ~Word{0})
    throw VmFault{ExceptionKind::UnexpectedMemoryAccess,
                  "second data access at " + hex_word(aligned_addr) + " after " + hex_word(last_mem_access_)};
  last_mem_access_ = aligned_addr;
  mem_proof1_ = state_.memory.merkle_proof(aligned_addr);
}

// The second word of clock_gettime: recorded on every such step, proof or not (spec §17.1).
void Vm::track_access2(Word aligned_addr) {
  if (proof_enabled_ && last_mem_access_ + 8 != aligned_addr)
    throw VmFault{ExceptionKind::UnexpectedMemoryAccess, "clock_gettime second word is not adjacent"};
  if (slot2_mode_ == Slot2Mode::Deferred && !proof_enabled_) {
    slot2_stale_ = true;
    deferred_clock_step_ = state_.step;
    return;
  }
  mem_proof2_ = state_.memory.merkle_proof(aligned_addr);
  slot2_stale_ = false;
}

Word Vm::read_data_word(Word addr) {
  track_access(addr);
  return state_.memory.read_word(addr);
}

void Vm::write_data_word(Word addr, Word value) {
  track_access(addr);
  state_.memory.write_word(addr, value);
  handle_memory_update(addr);
}

void Vm::step_inner() {
  // Spec §4 (with §17.9/§17.10: the exited return still passes the post-check).
  if (!state_.exited) {
    if (state_.active_stack().empty()) throw VmFault{ExceptionKind::EmptyThreadStack, "before the step"};
    state_.step += 1;
    Thread& thread = state_.current_thread();
    if (thread.exited) {
      if (observer_) observer_->on_pop_exited(state_, thread);
      pop_thread();
    } else if (state_.steps_since_last_context_switch >= SchedQuantum) {
      if (observer_) observer_->on_forced_preemption(state_, thread);
      preempt_thread();
    } else {
      state_.steps_since_last_context_switch += 1;
      if (thread.pc & 3) throw VmFault{ExceptionKind::InvalidPc, "pc " + hex_word(thread.pc) + " is not 4-aligned"};
      const uint32_t insn = state_.memory.read_u32(thread.pc);
      execute(insn);  // the function of the word's instruction-table row
    }
  }
  if (state_.active_stack().empty()) throw VmFault{ExceptionKind::EmptyThreadStack, "after the step"};
}

std::optional<VmException> Vm::step() {
  const Word pre_step = state_.step;
  const Word pc = state_.active_stack().empty() ? 0 : state_.current_thread().pc;
  try {
    read_preimage_this_step_ = false;
    last_mem_access_ = ~Word{0};
    step_inner();
    preimage_reads_ += read_preimage_this_step_;
    return std::nullopt;
  } catch (const VmFault& fault) { return VmException{fault.kind, pc, pre_step, fault.detail}; }
}

std::optional<VmException> Vm::step_with_proof(StepWitness& out) {
  out = StepWitness{};
  out.step = state_.step;
  const Word pc = state_.active_stack().empty() ? 0 : state_.current_thread().pc;
  if (state_.active_stack().empty())
    return VmException{ExceptionKind::EmptyThreadStack, pc, state_.step, "cannot encode the thread proof"};
  out.state = encode_witness(state_);
  out.pre_hash = state_hash(out.state);
  const ThreadWitness thread_witness = encode_thread_witness(state_);
  const MemProof insn_proof = state_.memory.merkle_proof(state_.current_thread().pc);
  out.proof_data.assign(thread_witness.begin(), thread_witness.end());
  out.proof_data.insert(out.proof_data.end(), insn_proof.begin(), insn_proof.end());

  proof_enabled_ = true;
  auto exception = step();
  proof_enabled_ = false;
  if (exception) return exception;

  out.proof_data.insert(out.proof_data.end(), mem_proof1_.begin(), mem_proof1_.end());
  out.proof_data.insert(out.proof_data.end(), mem_proof2_.begin(), mem_proof2_.end());
  if (read_preimage_this_step_) {
    out.read_preimage = true;
    out.preimage_key = preimage_cache_.key;
    out.preimage_value = preimage_cache_.value;
    out.preimage_offset = last_preimage_offset_;
  }
  out.post_hash = state_hash(encode_witness(state_));
  return std::nullopt;
}

RunResult Vm::run(Word steps) {
  RunResult result;
  if (state_.exited) {
    result.reason = StopReason::Exited;
    return result;
  }
  while (result.steps < steps) {
    if (auto exception = step()) {
      result.reason = StopReason::VmException;
      result.exception = std::move(exception);
      return result;
    }
    ++result.steps;
    if (auto stop = stop_after_step()) {
      result.reason = *stop;
      return result;
    }
  }
  return result;
}

}  // namespace cannonball
