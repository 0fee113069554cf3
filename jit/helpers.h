// Helpers that generated code calls. All are noexcept plain functions taking the JitContext;
// none lets an exception escape into generated frames.
#pragma once

#include <cstdint>

#include "jit/jit_state.h"

namespace cannonball::jit {

inline constexpr uint32_t HelperOk = 0;
inline constexpr uint32_t HelperFault = 1;             // nothing changed: exit before the insn
inline constexpr uint32_t HelperCodeInvalidated = 2;   // done, but code was invalidated: exit after

// Runs one core instruction on the current thread with the interpreter's own semantics
// (Vm::execute_core), then resynchronises what generated code caches (LL word, TLB slot).
// `fuel` is the live fuel register and `steps_left_in_block` the block length minus the index of
// the instruction (the block took its whole length from the fuel on entry): with them the helper
// sets state.step and steps_since_last_context_switch to exactly what the interpreter has while
// it executes this instruction (both already counted), so observers and syscall-free semantics
// see the same counters under both engines.
uint32_t jit_execute_insn(JitContext* ctx, uint32_t insn, Word fuel, uint32_t steps_left_in_block) noexcept;
// Maps `page_index` in the TLB (to the shared zero page when the page is absent).
void jit_tlb_fill(JitContext* ctx, Word page_index) noexcept;

}  // namespace cannonball::jit
