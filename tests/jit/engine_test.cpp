// Targeted JIT engine cases: self-modifying code inside one block, exact budgets at every length,
// the scheduler quantum edge, LL reservations cleared by a JIT store, division by zero inside a
// block. Each runs the JIT and the interpreter from the same state and compares full states.
#include <gtest/gtest.h>

#include <fstream>

#include "interp/instruction_table.h"
#include "interp/observer.h"
#include "interp/vm.h"
#include "jit/jit_engine.h"
#include "runtime/hex.h"
#include "runtime/state_diff.h"
#include "wx_guard.h"

namespace cannonball {
namespace {

constexpr Word Code = 0x10000;
constexpr Word Data = 0x40000;

uint32_t i_type(Op op, unsigned rs, unsigned rt, uint16_t imm) { return encode(op, (rs << 21) | (rt << 16) | imm); }
uint32_t r_type(Op op, unsigned rs, unsigned rt, unsigned rd) {
  return encode(op, (rs << 21) | (rt << 16) | (rd << 11));
}
constexpr uint32_t Nop = 0;
const uint32_t LoopForever = i_type(Op::beq, 0, 0, 0xFFFF);  // beq $0,$0,-1 (with a nop slot)

State make_state(const std::vector<uint32_t>& program) {
  State state;
  std::vector<uint8_t> bytes(program.size() * 4);
  for (size_t i = 0; i < program.size(); ++i) store_be32(bytes.data() + 4 * i, program[i]);
  state.memory.write_bytes(Code, bytes.data(), bytes.size());
  std::vector<uint8_t> data(PageSize, 0x11);
  state.memory.write_bytes(Data, data.data(), data.size());
  Thread t;
  t.pc = Code;
  t.next_pc = Code + 4;
  state.left_stack.push_back(t);
  state.next_thread_id = 1;
  return state;
}

// Runs `steps` on a JIT copy and an interpreter copy of `state`; returns the diff.
std::string run_both(const State& state, Word steps, Word chunk = 0) {
  State a = state;
  State b = state;
  Vm vm_a(a);
  Vm vm_b(b);
  jit::JitEngine engine(vm_a);
  engine.set_translate_threshold(0);
  Word done = 0;
  while (done < steps) {
    const Word n = chunk ? std::min(chunk, steps - done) : steps;
    const RunResult ra = engine.advance(n);
    const RunResult rb = vm_b.run(n);
    if (ra.steps != rb.steps) return "step counts differ";
    if (ra.exception.has_value() != rb.exception.has_value()) return "exception presence differs";
    if (ra.exception && ra.exception->kind != rb.exception->kind) return "exception kind differs";
    const std::string diff = describe_state_differences(a, b, lockstep_diff_options(true));
    if (!diff.empty() || ra.exception || ra.steps < n) return diff;
    done += n;
  }
  return "";
}

TEST(JitEngine, StoreRewritingTheNextInstructionInTheSameBlockTakesEffect) {
  // sw $2, 12($1) overwrites the addiu at +12 with "addiu $3, $0, 7" before it runs.
  State state = make_state({i_type(Op::sw, 1, 2, 12), Nop, Nop, i_type(Op::addiu, 0, 3, 1), LoopForever, Nop});
  state.left_stack[0].regs[1] = Code;
  state.left_stack[0].regs[2] = i_type(Op::addiu, 0, 3, 7);
  EXPECT_EQ(run_both(state, 40), "");
  State a = state;
  Vm vm(a);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  engine.advance(40);
  EXPECT_EQ(a.left_stack[0].regs[3], 7u);
  EXPECT_GT(engine.stats().blocks_invalidated, 0u);
}

TEST(JitEngine, RewrittenInstructionWhereNoBlockCouldStartRunsAsWritten) {
  // The ll at +0 cannot start a block, which the JIT remembers; the sw at +8 then replaces it by
  // "addiu $3, $3, 5" and the loop comes back to it: that must run as written.
  State state = make_state({i_type(Op::ll, 6, 9, 0), i_type(Op::addiu, 4, 4, 1), i_type(Op::sw, 1, 2, 0),
                            i_type(Op::beq, 0, 0, 0xFFFC), Nop});
  state.left_stack[0].regs[1] = Code;
  state.left_stack[0].regs[2] = i_type(Op::addiu, 3, 3, 5);
  state.left_stack[0].regs[6] = Data;
  for (Word chunk : {Word{0}, Word{1}, Word{3}}) EXPECT_EQ(run_both(state, 60, chunk), "") << "chunk " << chunk;
  State a = state;
  Vm vm(a);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  engine.advance(60);
  EXPECT_EQ(a.left_stack[0].regs[3], 5u * 11);  // 12 passes of 5 steps, the first one through the ll
}

TEST(JitEngine, EveryBudgetLengthIsExact) {
  State state = make_state({i_type(Op::addiu, 4, 4, 1), r_type(Op::daddu, 4, 4, 5), i_type(Op::sd, 6, 5, 0),
                            i_type(Op::ld, 6, 7, 0), i_type(Op::bne, 4, 8, 0xFFFB), Nop, LoopForever, Nop});
  state.left_stack[0].regs[6] = Data + 16;
  state.left_stack[0].regs[8] = 50;
  for (Word steps = 1; steps <= 300; ++steps) ASSERT_EQ(run_both(state, steps), "") << steps << " steps";
  EXPECT_EQ(run_both(state, 300, 7), "");
}

TEST(JitEngine, QuantumEdgeAndPreemptionStayExact) {
  State state = make_state({i_type(Op::addiu, 4, 4, 1), i_type(Op::beq, 0, 0, 0xFFFE), Nop});
  Thread other = state.left_stack[0];
  other.thread_id = 1;
  other.regs[4] = 1000;
  state.left_stack.insert(state.left_stack.begin(), other);
  state.next_thread_id = 2;
  for (Word gap = 0; gap < 12; ++gap) {
    state.steps_since_last_context_switch = SchedQuantum - gap;
    ASSERT_EQ(run_both(state, 40), "") << "gap " << gap;
    ASSERT_EQ(run_both(state, 40, 3), "") << "gap " << gap;
  }
}

TEST(JitEngine, JitStoreClearsTheReservationOnItsWord) {
  State state = make_state({i_type(Op::sb, 6, 5, 3), LoopForever, Nop});
  state.left_stack[0].regs[6] = Data + 8;
  for (Word ll = Data; ll < Data + 24; ll += 4) {
    state.ll_reservation_status = 1;
    state.ll_address = ll;
    state.ll_owner_thread = 0;
    ASSERT_EQ(run_both(state, 5), "") << "ll address " << hex_word(ll);
  }
}

TEST(JitEngine, DivisionByZeroInsideABlockRaisesAtTheExactStep) {
  State state = make_state(
      {i_type(Op::addiu, 0, 4, 9), i_type(Op::addiu, 4, 4, 1), r_type(Op::ddivu, 4, 5, 0), LoopForever, Nop});
  EXPECT_EQ(run_both(state, 10), "");
  State a = state;
  Vm vm(a);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  const RunResult r = engine.advance(10);
  ASSERT_TRUE(r.exception.has_value());
  EXPECT_EQ(r.exception->kind, ExceptionKind::DivideByZero);
  EXPECT_EQ(r.steps, 2u);
  EXPECT_EQ(r.exception->pc, Code + 8);
}

TEST(JitEngine, StoresToMerkleCleanPagesKeepTheRootExact) {
  State state = make_state({i_type(Op::sd, 6, 4, 0), i_type(Op::addiu, 4, 4, 1), LoopForever, Nop});
  state.left_stack[0].regs[6] = Data + 64;
  state.memory.merkle_root();  // every page clean
  EXPECT_EQ(run_both(state, 50, 5), "");
}

}  // namespace
}  // namespace cannonball

namespace cannonball {
namespace {

// The pc -> code table starts all zero (an all-zero entry is empty except in slot 0, which pc 0
// maps to). A block elsewhere jumps to pc 0 before anything used slot 0, then blocks at 0 and at
// 0x80000 (the same slot) take turns in it: generated code and C++ look pc 0 up, replace its
// entry and find it again.
TEST(JitEngine, BlocksAtPcZeroAndInItsLookupSlotRunExactly) {
  State state;
  auto put = [&](Word addr, const std::vector<uint32_t>& words) {
    std::vector<uint8_t> bytes(words.size() * 4);
    for (size_t i = 0; i < words.size(); ++i) store_be32(bytes.data() + 4 * i, words[i]);
    state.memory.write_bytes(addr, bytes.data(), bytes.size());
  };
  put(Code, {i_type(Op::addiu, 4, 4, 1), r_type(Op::jr, 0, 0, 0), Nop});                          // to 0
  put(0, {i_type(Op::addiu, 1, 1, 1), i_type(Op::lui, 0, 2, 8), r_type(Op::jr, 2, 0, 0), Nop});  // to 0x80000
  put(0x80000, {i_type(Op::addiu, 3, 3, 1), i_type(Op::lui, 0, 5, 1), r_type(Op::jr, 5, 0, 0), Nop});  // to Code
  Thread t;
  t.pc = Code;
  t.next_pc = Code + 4;
  state.left_stack.push_back(t);
  state.next_thread_id = 1;
  for (Word chunk : {Word{0}, Word{1}, Word{5}, Word{13}}) EXPECT_EQ(run_both(state, 3000, chunk), "") << chunk;
  State a = state;
  Vm vm(a);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  ASSERT_FALSE(engine.advance(11000).exception);  // 11 steps a round
  for (unsigned r : {1u, 3u, 4u}) EXPECT_EQ(a.left_stack[0].regs[r], 1000u) << r;
  EXPECT_GT(engine.stats().jit_steps, 10000u);
}

TEST(JitEngine, ClearingTheCodeCacheBetweenRunsKeepsResultsExact) {
  State state = make_state({i_type(Op::addiu, 4, 4, 1), i_type(Op::sw, 6, 4, 0), i_type(Op::lw, 6, 7, 0),
                            i_type(Op::bne, 4, 8, 0xFFFC), Nop, LoopForever, Nop});
  state.left_stack[0].regs[6] = Data + 32;
  state.left_stack[0].regs[8] = 500;
  State a = state;
  State b = state;
  Vm vm_a(a);
  Vm vm_b(b);
  jit::JitEngine engine(vm_a);
  engine.set_translate_threshold(0);
  for (int round = 0; round < 50; ++round) {
    ASSERT_EQ(engine.advance(37).steps, vm_b.run(37).steps);
    ASSERT_EQ(describe_state_differences(a, b, lockstep_diff_options(true)), "") << "round " << round;
    if (round % 3 == 0) engine.clear_code();
  }
  EXPECT_GT(engine.stats().code_flushes, 1u);
}

// W^X: after translating and running code (and linking blocks), no mapping of the process is
// writable and executable at once (/proc/self/maps permission column, e.g. "rwxp"), and no
// mprotect call of this process so far asked for both (wx_guard.cpp counts them: a mapping that
// is both only while something is assembled never shows in the maps).
TEST(JitEngine, NoMappingIsWritableAndExecutable) {
  const std::vector<uint32_t> program = {
      i_type(Op::addiu, 1, 1, 1), i_type(Op::sw, 0, 1, 0x0100), i_type(Op::bne, 1, 0, 0xFFFD), Nop, LoopForever, Nop};
  State state = make_state(program);
  Vm vm(state);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  ASSERT_FALSE(engine.advance(10'000).exception);
  ASSERT_GT(engine.stats().jit_steps, 0u);
  std::ifstream maps("/proc/self/maps");
  ASSERT_TRUE(maps.good());
  std::string line;
  int executable = 0;
  while (std::getline(maps, line)) {
    const std::string perms = line.substr(line.find(' ') + 1, 4);
    if (perms[2] == 'x') ++executable;
    EXPECT_FALSE(perms[1] == 'w' && perms[2] == 'x') << line;
  }
  EXPECT_GT(executable, 0);
  EXPECT_EQ(wx_guard_requests(), 0);
}

// Forwarding (Emitter::load_reg): the next instruction takes a loaded or computed value from the
// host register it is in. When the load ran in the interpreter instead (its page is watched), or
// the load's TLB miss called out to fill the TLB (clobbering the host register its base came
// from), the value must still be the right one.
TEST(JitEngine, ForwardedValuesSurviveInterpretedLoadsAndTlbFills) {
  const std::vector<uint32_t> program = {
      i_type(Op::lui, 0, 1, Data >> 16),         // $1 = Data
      i_type(Op::ld, 1, 7, 8),                   // $7 = 0x1111...: the watched page's load
      r_type(Op::daddu, 7, 0, 8),                // $8 = $7 (from the load's host register)
      i_type(Op::daddiu, 1, 2, PageSize + 16),   // $2 = a pointer into the next page
      i_type(Op::ld, 2, 9, 0),                   // TLB miss on a base from a host register
      r_type(Op::daddu, 9, 8, 10),               // $10 = $9 + $8
      LoopForever,
      Nop};
  struct WatchDataPage final : SchedulerObserver {
    bool watches_page(Word page_index) const override { return watch_data && page_index == Data >> PageAddrBits; }
  };
  for (const bool watched : {false, true}) {
    State a = make_state(program);
    std::vector<uint8_t> next_page(PageSize, 0x22);
    a.memory.write_bytes(Data + PageSize, next_page.data(), next_page.size());
    State b = a;
    Vm vm_a(a);
    Vm vm_b(b);
    WatchDataPage watch_a, watch_b;
    watch_a.watch_data = watch_b.watch_data = watched;
    vm_a.set_observer(&watch_a);
    vm_b.set_observer(&watch_b);
    jit::JitEngine engine(vm_a);
    engine.set_translate_threshold(0);
    ASSERT_EQ(engine.advance(40).steps, 40u);
    ASSERT_EQ(vm_b.run(40).steps, 40u);
    EXPECT_EQ(a.left_stack[0].regs[8], Word{0x1111111111111111}) << "watched=" << watched;
    EXPECT_EQ(a.left_stack[0].regs[10], Word{0x3333333333333333}) << "watched=" << watched;
    EXPECT_EQ(describe_state_differences(a, b, lockstep_diff_options(true)), "");
    EXPECT_GT(engine.stats().jit_steps, 30u);
  }
}

// Register cache: $8 and $9 live in host registers through the block. The interpreter helper's
// lwl merges memory into $8, so it must read the value the block computed (written back before
// the call), and the rows after it must see the merged value (reloaded after the call); the
// zero divisor leaves the block before the ddivu, and $9, written only in its host register,
// must reach the Thread on that exit. Every budget stops somewhere else in the block.
TEST(JitEngine, CachedRegistersReachTheThreadAtHelperCallsAndExits) {
  const std::vector<uint32_t> program = {
      i_type(Op::lui, 0, 1, Data >> 16),  // $1 = Data
      i_type(Op::daddiu, 0, 8, 5),        // $8 = 5
      r_type(Op::daddu, 8, 8, 8),         // $8 = 10
      r_type(Op::daddu, 8, 8, 8),         // $8 = 20
      i_type(Op::lwl, 1, 8, 1),           // helper: $8 = sign-extended 0x11111114
      r_type(Op::daddu, 8, 8, 9),         // $9 = 2 * $8
      r_type(Op::daddu, 9, 8, 9),         // $9 = 3 * $8
      r_type(Op::dsll, 0, 9, 10) | (1u << 6),  // $10 = $9 << 1
      r_type(Op::ddivu, 9, 0, 0),         // zero divisor: leaves the block before it
      LoopForever,
      Nop};
  for (Word budget = 1; budget <= 12; ++budget) EXPECT_EQ(run_both(make_state(program), 12, budget), "") << budget;
  State a = make_state(program);
  Vm vm(a);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  const RunResult r = engine.advance(20);
  ASSERT_TRUE(r.exception.has_value());
  EXPECT_EQ(r.exception->kind, ExceptionKind::DivideByZero);
  EXPECT_EQ(r.steps, 8u);
  EXPECT_EQ(a.left_stack[0].regs[8], Word{0x11111114});
  EXPECT_EQ(a.left_stack[0].regs[9], Word{3 * 0x11111114});
  EXPECT_EQ(a.left_stack[0].regs[10], Word{6 * 0x11111114});
  EXPECT_GE(engine.stats().regs_cached, 2u);
  EXPECT_EQ(engine.stats().insns_helper, 1u);
}

// Tiering: a loop runs in the interpreter until its head has been entered DefaultTranslateThreshold
// times, then in generated code; the state stays exact at every budget on the way.
TEST(JitEngine, ColdCodeRunsInTheInterpreterUntilItIsHot) {
  const std::vector<uint32_t> program = {
      i_type(Op::addiu, 1, 1, 1), i_type(Op::sw, 0, 1, 0x0100), i_type(Op::bne, 1, 0, 0xFFFD), Nop, LoopForever, Nop};
  EXPECT_EQ(run_both(make_state(program), 5000, 7), "");
  State state = make_state(program);
  Vm vm(state);
  jit::JitEngine engine(vm);
  ASSERT_FALSE(engine.advance(5000).exception);
  // While cold, only the loop head (where the branch lands) is an entry attempt: after a declined
  // entry the interpreter runs on through sw and bne and its delay slot without asking again.
  EXPECT_EQ(engine.stats().cold_entries, jit::DefaultTranslateThreshold);
  EXPECT_EQ(engine.stats().interp_steps, 4 * jit::DefaultTranslateThreshold);
  EXPECT_EQ(engine.stats().blocks_translated, 1u);
  EXPECT_GT(engine.stats().jit_steps, 4000u);
}

// sync is R[rd] = R[rs] (spec §5): Go's barriers (rd = 0) emit no code, other forms are moves
// between cached and uncached registers, in place, from $0, and in a delay slot; all native.
TEST(JitEngine, SyncRunsNativelyAsAMove) {
  const std::vector<uint32_t> program = {
      i_type(Op::daddiu, 0, 1, 7),     // $1 = 7
      r_type(Op::sync, 0, 0, 0),       // the barrier form
      r_type(Op::sync, 1, 0, 2),       // $2 = $1
      r_type(Op::daddu, 2, 2, 2),      // $2 = 14 ($2 is used often enough to be cached)
      r_type(Op::daddu, 2, 2, 2),      // $2 = 28
      r_type(Op::sync, 2, 0, 3),       // $3 = $2, from its cache register
      r_type(Op::sync, 0, 0, 4),       // $4 = $0
      r_type(Op::sync, 2, 0, 2),       // in place
      r_type(Op::sync, 3, 0, 5) | (0x10u << 6),  // a nonzero stype field changes nothing
      i_type(Op::beq, 0, 0, 0xFFFF),   // loop here, with a sync in the delay slot
      r_type(Op::sync, 1, 0, 6)};      // $6 = $1
  State state = make_state(program);
  state.left_stack[0].regs[4] = 99;
  for (Word budget = 1; budget <= 14; ++budget) EXPECT_EQ(run_both(state, 30, budget), "") << budget;
  State a = state;
  Vm vm(a);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  ASSERT_FALSE(engine.advance(30).exception);
  const Thread& t = a.left_stack[0];
  EXPECT_EQ(t.regs[2], 28u);
  EXPECT_EQ(t.regs[3], 28u);
  EXPECT_EQ(t.regs[4], 0u);
  EXPECT_EQ(t.regs[5], 28u);
  EXPECT_EQ(t.regs[6], 7u);
  EXPECT_EQ(engine.stats().insns_helper, 0u);
  EXPECT_GT(engine.stats().jit_steps, 25u);
}

// The slow paths of loads and stores share one thunk each (jit_load_slow, jit_store_slow), with
// registers cached across them: a load's TLB fill and retry, a load from an absent page (the
// zero page), a store granted write permission and retried, a store the fill declines (on the
// page of the LL word) run through the interpreter, both kinds of store in a delay slot. Every
// budget stops somewhere else; the counters show each path was taken.
TEST(JitEngine, LoadAndStoreSlowPathsThroughTheSharedThunksStayExact) {
  const std::vector<uint32_t> program = {
      i_type(Op::lui, 0, 1, Data >> 16),       // $1 = Data (the LL word's page)
      i_type(Op::daddiu, 1, 2, PageSize),      // $2 = the next page
      i_type(Op::daddiu, 0, 8, 3),             // $8 = 3
      r_type(Op::daddu, 8, 8, 8),              // $8 = 6
      i_type(Op::ld, 1, 9, 16),                // TLB miss, fill, retry
      r_type(Op::daddu, 9, 8, 9),              // $9 += $8
      i_type(Op::sd, 1, 9, 24),                // declined: runs in the interpreter
      i_type(Op::sd, 2, 8, 16),                // write permission, retry
      i_type(Op::lui, 0, 3, 8),                // $3 = 0x80000 (no page there)
      i_type(Op::ld, 3, 10, 0),                // the zero page
      r_type(Op::daddu, 10, 9, 10),            // $10 = $9
      r_type(Op::daddu, 8, 10, 8),             // $8 += $10
      i_type(Op::bne, 8, 0, 3),                // taken: skips the first loop
      i_type(Op::sd, 2, 8, 32),                // delay slot: permission, retry
      i_type(Op::beq, 0, 0, 0xFFFF),           // (not reached)
      Nop,
      i_type(Op::beq, 0, 0, 0xFFFF),           // loop here
      i_type(Op::sd, 1, 8, 40)};               // delay slot: declined, the interpreter
  State state = make_state(program);
  std::vector<uint8_t> next_page(PageSize, 0x22);
  state.memory.write_bytes(Data + PageSize, next_page.data(), next_page.size());
  state.ll_reservation_status = 1;
  state.ll_address = Data + 0x200;
  state.ll_owner_thread = 0;
  for (Word budget = 1; budget <= 24; ++budget) EXPECT_EQ(run_both(state, 60, budget), "") << budget;
  State a = state;
  Vm vm(a);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);
  ASSERT_FALSE(engine.advance(60).exception);
  const Thread& t = a.left_stack[0];
  EXPECT_EQ(t.regs[9], Word{0x1111111111111111} + 6);
  EXPECT_EQ(t.regs[8], Word{0x1111111111111111} + 12);
  EXPECT_EQ(a.memory.read_word(Data + 24), t.regs[9]);
  EXPECT_EQ(a.memory.read_word(Data + PageSize + 16), 6u);
  EXPECT_EQ(a.memory.read_word(Data + 40), t.regs[8]);
  EXPECT_EQ(a.ll_reservation_status, 1u);
  EXPECT_GE(engine.stats().tlb_fills, 2u);
  EXPECT_GE(engine.stats().store_fills_granted, 1u);
  EXPECT_GT(engine.stats().store_fills, engine.stats().store_fills_granted);
  EXPECT_EQ(engine.stats().insns_helper, 0u);
  EXPECT_GT(engine.stats().jit_steps, 50u);
}

}  // namespace
}  // namespace cannonball
