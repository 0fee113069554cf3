#include "jit/helpers.h"

#include "interp/instruction_table.h"
#include "jit/jit_runtime.h"

namespace cannonball::jit {

uint32_t jit_execute_insn(JitContext* ctx, uint32_t insn, Word fuel, uint32_t steps_left_in_block, Word pc) noexcept {
  JitRuntime& runtime = *ctx->runtime;
  ctx->code_invalidated = 0;
  // Steps generated code completed before this instruction, then this one (the interpreter counts
  // a step before executing it).
  const Word done = ctx->fuel_at_entry - fuel - steps_left_in_block;
  State& state = runtime.vm().state();
  state.step = ctx->step_at_entry + done + 1;
  state.steps_since_last_context_switch = ctx->switch_steps_at_entry + done + 1;
  const Op op = decode(insn);  // blocks hold rows only (scan_block), so never Op::Invalid here
  const Access access = op == Op::Invalid ? Access::None : info(op).access;
  const Word addr = ctx->thread->regs[(insn >> 21) & 0x1F] + sign_extend(insn & 0xFFFF, 16);
  // Generated code keeps the pc in the block's exit; a memory access reports the thread's pc to
  // observers, so it must hold this instruction's (the block's exit sets it again).
  if (access != Access::None) ctx->thread->pc = pc;
  try {
    runtime.vm().execute(insn);
  } catch (...) {
    // Rows raise before changing anything (a zero divisor; blocks hold no invalid word), so leaving the
    // block before this instruction lets the interpreter raise the same exception exactly.
    return HelperFault;
  }
  runtime.sync_reservation();
  if (access == Access::Write) runtime.tlb_fill(addr >> PageAddrBits);
  return ctx->code_invalidated ? HelperCodeInvalidated : HelperOk;
}

uint32_t jit_load_slow(JitContext* ctx, Word page_index, uint32_t insn, Word fuel, uint32_t steps_left_in_block,
                       Word pc) noexcept {
  if (ctx->runtime->tlb_fill(page_index)) return HelperRetry;
  return jit_execute_insn(ctx, insn, fuel, steps_left_in_block, pc);
}

uint32_t jit_store_slow(JitContext* ctx, Word page_index, uint32_t insn, Word fuel, uint32_t steps_left_in_block,
                        Word pc) noexcept {
  if (ctx->runtime->store_fill(page_index)) return HelperRetry;
  return jit_execute_insn(ctx, insn, fuel, steps_left_in_block, pc);
}

}  // namespace cannonball::jit
