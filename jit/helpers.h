// Helpers that generated code calls. All are noexcept plain functions taking the JitContext;
// none lets an exception escape into generated frames.
#pragma once

#include <cstdint>

#include "jit/jit_state.h"

namespace cannonball::jit {

inline constexpr uint32_t HelperOk = 0;
inline constexpr uint32_t HelperFault = 1;            // nothing changed: exit before the insn
inline constexpr uint32_t HelperCodeInvalidated = 2;  // done, but code was invalidated: exit after

// Runs one core instruction on the current thread with the interpreter's own semantics
// (Vm::execute), then resynchronises what generated code caches (LL word, TLB slot).
// `fuel` is the live fuel register and `steps_left_in_block` the block length minus the index of
// the instruction (the block took its whole length from the fuel on entry): with them the helper
// sets state.step and steps_since_last_context_switch to exactly what the interpreter has while
// it executes this instruction (both already counted), so observers and syscall-free semantics
// see the same counters under both engines.
// `pc` is the instruction's address: a load or store sees it as the thread's pc (observers report it).
uint32_t jit_execute_insn(JitContext* ctx, uint32_t insn, Word fuel, uint32_t steps_left_in_block, Word pc) noexcept;
// Maps `page_index` in the TLB (to the shared zero page when the page is absent); 0 when the page
// is watched by an observer (the access must then run through jit_execute_insn), 1 otherwise.
uint32_t jit_tlb_fill(JitContext* ctx, Word page_index) noexcept;
// A store's write-permission miss on `page_index` (JitRuntime::store_fill): 1 when the store may
// retry its fast path, 0 when it must run through jit_execute_insn.
uint32_t jit_store_fill(JitContext* ctx, Word page_index) noexcept;

}  // namespace cannonball::jit
