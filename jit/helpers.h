// Helpers that generated code calls. All are noexcept plain functions taking the JitContext;
// none lets an exception escape into generated frames.
#pragma once

#include <cstdint>

#include "jit/jit_state.h"

namespace cannonball::jit {

inline constexpr uint32_t HelperOk = 0;
inline constexpr uint32_t HelperFault = 1;            // nothing changed: exit before the insn
inline constexpr uint32_t HelperCodeInvalidated = 2;  // done, but code was invalidated: exit after
inline constexpr uint32_t HelperRetry = 3;            // the TLB slot was filled: run the fast path again

// Runs one core instruction on the current thread with the interpreter's own semantics
// (Vm::execute), then resynchronises what generated code caches (LL word, TLB slot).
// `fuel` is the live fuel register and `steps_left_in_block` the block length minus the index of
// the instruction (the block took its whole length from the fuel on entry): with them the helper
// sets state.step and steps_since_last_context_switch to exactly what the interpreter has while
// it executes this instruction (both already counted), so observers and syscall-free semantics
// see the same counters under both engines.
// `pc` is the instruction's address: a load or store sees it as the thread's pc (observers report it).
uint32_t jit_execute_insn(JitContext* ctx, uint32_t insn, Word fuel, uint32_t steps_left_in_block, Word pc) noexcept;
// The slow paths of a load or store whose TLB probe missed on `page_index` (the emitter's shared
// thunks call them with the live fuel). A load maps the page (JitRuntime::tlb_fill, the shared
// zero page when it is absent), a store asks for write permission (JitRuntime::store_fill); when
// that worked they return HelperRetry and the probe runs again. Otherwise (a page an observer
// watches, a store the fill declined) they run the instruction through jit_execute_insn and
// return what it returns.
uint32_t jit_load_slow(JitContext* ctx, Word page_index, uint32_t insn, Word fuel, uint32_t steps_left_in_block,
                       Word pc) noexcept;
uint32_t jit_store_slow(JitContext* ctx, Word page_index, uint32_t insn, Word fuel, uint32_t steps_left_in_block,
                        Word pc) noexcept;

}  // namespace cannonball::jit
