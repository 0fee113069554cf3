// The run-loop library (tools/runloop): the event schedule, listener order and the stop step,
// proven steps, the interrupt flag and the exit, on both engines.
#include <gtest/gtest.h>

#include "interp/instruction_table.h"
#include "tools/runloop/event_schedule.h"
#include "tools/runloop/machine.h"
#include "tools/runloop/run_loop.h"

namespace cannonball {
namespace {

constexpr Word Code = 0x10000;

uint32_t i_type(Op op, unsigned rs, unsigned rt, uint16_t imm) { return encode(op, (rs << 21) | (rt << 16) | imm); }

// One thread at the start of `program`, placed at Code.
State program_state(const std::vector<uint32_t>& program) {
  State state;
  std::vector<uint8_t> bytes(program.size() * 4);
  for (size_t i = 0; i < program.size(); ++i) store_be32(bytes.data() + 4 * i, program[i]);
  state.memory.write_bytes(Code, bytes.data(), bytes.size());
  Thread t;
  t.pc = Code;
  t.next_pc = Code + 4;
  state.left_stack.push_back(t);
  state.next_thread_id = 1;
  return state;
}

// addiu $4, $4, 1; beq $0, $0, -2; nop: counts forever. With `exit_after` != 0 the thread runs
// exit_group once $4 reaches it instead.
State counting_state(uint16_t exit_after = 0) {
  std::vector<uint32_t> program = {i_type(Op::addiu, 4, 4, 1), i_type(Op::beq, 0, 0, 0xFFFE), 0};
  if (exit_after) {
    // addiu $4,$4,1; bne $4,$5,-2; nop; addiu $2,$0,5205; syscall
    program = {i_type(Op::addiu, 4, 4, 1), i_type(Op::bne, 4, 5, 0xFFFE), 0, i_type(Op::addiu, 0, 2, 5205), 0x0C};
  }
  State state = program_state(program);
  state.left_stack.back().regs[5] = exit_after;
  return state;
}

// Counts turns in $16 and stores the count to 0x20000 every turn (6 steps); at turn `clock_turn`
// it also calls clock_gettime(CLOCK_MONOTONIC, 0x30000), once, then loops on without the clock.
State clock_once_state(uint32_t clock_turn) {
  const std::vector<uint32_t> program = {
      i_type(Op::lui, 0, 18, 0x2),                  // data word at 0x20000
      i_type(Op::lui, 0, 19, 0x3),                  // timespec at 0x30000
      i_type(Op::lui, 0, 17, static_cast<uint16_t>(clock_turn >> 16)),
      i_type(Op::ori, 17, 17, static_cast<uint16_t>(clock_turn)),
      i_type(Op::addiu, 16, 16, 1),                 // 4: loop
      i_type(Op::sd, 18, 16, 0),
      i_type(Op::bne, 16, 17, 5),                   // to 12
      0,
      i_type(Op::addiu, 0, 2, 5222),                // clock_gettime
      i_type(Op::addiu, 0, 4, 1),                   // CLOCK_MONOTONIC
      i_type(Op::addiu, 19, 5, 0),
      0x0C,                                         // syscall
      i_type(Op::beq, 0, 0, static_cast<uint16_t>(4 - 13)),  // 12: to the loop
      0};
  return program_state(program);
}

uint32_t r_type(Op op, unsigned rd, unsigned rs, unsigned rt, unsigned sa = 0) {
  return encode(op, (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6));
}

// Writes its turn count $16 to 0x20000 + 32 * ($16 mod 16384) every turn, so it keeps rewriting
// the same 128 pages (allocated over the first 16384 turns), and to 0x1000000 + 8 * $16, filling
// fresh pages one after the other, each written over 512 turns and never again; calls
// clock_gettime(CLOCK_MONOTONIC, 0x70000000) every 4096 turns.
State rewriting_state() {
  const std::vector<uint32_t> program = {
      i_type(Op::lui, 0, 18, 0x2),                       // base 0x20000
      i_type(Op::lui, 0, 19, 0x7000),                    // timespec at 0x70000000
      i_type(Op::lui, 0, 20, 0x100),                     // base 0x1000000
      i_type(Op::addiu, 16, 16, 1),                      // 3: loop
      i_type(Op::andi, 16, 8, 0x3FFF),
      r_type(Op::dsll, 8, 0, 8, 5),
      r_type(Op::daddu, 9, 18, 8),
      i_type(Op::sd, 9, 16, 0),
      r_type(Op::dsll, 11, 0, 16, 3),
      r_type(Op::daddu, 12, 20, 11),
      i_type(Op::sd, 12, 16, 0),
      i_type(Op::andi, 16, 10, 0xFFF),
      i_type(Op::bne, 10, 0, static_cast<uint16_t>(3 - 13)),  // to the loop
      0,
      i_type(Op::addiu, 0, 2, 5222),                     // clock_gettime
      i_type(Op::addiu, 0, 4, 1),                        // CLOCK_MONOTONIC
      i_type(Op::addiu, 19, 5, 0),
      0x0C,                                              // syscall
      i_type(Op::beq, 0, 0, static_cast<uint16_t>(3 - 19)),  // to the loop
      0};
  return program_state(program);
}

MachineConfig config(const std::string& engine, const State& start) {
  return MachineConfig{engine, nullptr, [start] { return start; }};
}

// Records the steps it fires at, into a log shared with other listeners.
class Recorder final : public RunListener {
 public:
  Recorder(const char* pattern, char name, bool at_stop, std::string& log)
      : RunListener(StepMatcher::parse(pattern)), name_(name), at_stop_(at_stop), log_(log) {}
  bool fires_at_stop() const override { return at_stop_; }
  void before_step(State& state) override { log_ += name_ + std::to_string(state.step) + " "; }

 private:
  char name_;
  bool at_stop_;
  std::string& log_;
};

TEST(EventSchedule, NextStopIsTheNearestEventChunkEdgeOrStopStep) {
  const StepMatcher every_ten = StepMatcher::parse("%10"), exact = StepMatcher::parse("=25");
  EventSchedule schedule;
  EXPECT_EQ(schedule.next_stop(7, std::nullopt), 7 + EventSchedule::MaxChunk);
  EXPECT_EQ(schedule.next_stop(7, 9), 9u);
  schedule.add(every_ten);
  schedule.add(exact);
  EXPECT_EQ(schedule.next_stop(0, std::nullopt), 10u);
  EXPECT_EQ(schedule.next_stop(10, std::nullopt), 20u);
  EXPECT_EQ(schedule.next_stop(21, std::nullopt), 25u);
  EXPECT_EQ(schedule.next_stop(21, 23), 23u);
  EXPECT_EQ(schedule.next_stop(~Word{0} - 1, std::nullopt), ~Word{0});  // a chunk past the top wraps
}

class Loop : public ::testing::TestWithParam<const char*> {};

TEST_P(Loop, ListenersFireInOrderAndOnlyAtStopIfTheySaySo) {
  const State start = counting_state();
  Machine machine(start, config(GetParam(), start));
  std::string log;
  Recorder first("%10", 'a', true, log), second("=5,=10,=20", 'b', false, log);
  RunLoop loop(machine);
  loop.add_listener(first);
  loop.add_listener(second);
  const RunResult result = loop.run(20);
  EXPECT_EQ(result.reason, StopReason::Budget);
  EXPECT_EQ(result.steps, 20u);
  EXPECT_EQ(machine.state().step, 20u);
  EXPECT_EQ(log, "a0 b5 a10 b10 a20 ");
}

TEST_P(Loop, ProvenStepsMatchAPlainRunAndTheLoopGoesOn) {
  const State start = counting_state();
  Machine machine(start, config(GetParam(), start));
  std::vector<StepWitness> proofs;
  RunLoop loop(machine);
  loop.set_proofs(StepMatcher::parse("=7,=13"), [&](const StepWitness& w) { proofs.push_back(w); });
  ASSERT_EQ(loop.run(15).reason, StopReason::Budget);
  ASSERT_EQ(proofs.size(), 2u);

  Machine plain(start, config("interp", start));
  for (const StepWitness& w : proofs) {
    ASSERT_EQ(plain.advance(w.step - plain.state().step).reason, StopReason::Budget);
    EXPECT_EQ(w.pre_hash, plain.state_hash()) << "proof at " << w.step;
    ASSERT_EQ(plain.advance(1).steps, 1u);
    EXPECT_EQ(w.post_hash, plain.state_hash()) << "proof at " << w.step;
  }
  plain.advance(15 - plain.state().step);
  EXPECT_EQ(machine.state_hash(), plain.state_hash());
}

TEST_P(Loop, InterruptFlagStopsBeforeTheNextStep) {
  const State start = counting_state();
  Machine machine(start, config(GetParam(), start));
  std::atomic<bool> interrupt{true};
  RunLoop loop(machine);
  loop.set_interrupt_flag(&interrupt);
  const RunResult result = loop.run();
  EXPECT_EQ(result.reason, StopReason::Interrupted);
  EXPECT_EQ(result.steps, 0u);
  EXPECT_EQ(machine.state().step, 0u);
}

TEST_P(Loop, RunsToTheExitWithoutAStopStep) {
  const State start = counting_state(1000);
  Machine machine(start, config(GetParam(), start));
  RunLoop loop(machine);
  const RunResult result = loop.run();
  EXPECT_EQ(result.reason, StopReason::Exited);
  EXPECT_TRUE(machine.state().exited);
  EXPECT_EQ(result.steps, machine.state().step);
  EXPECT_EQ(result.steps, 3u * 1000 + 2);  // 1000 loop turns, then addiu and syscall
}

// The witness of step `step` from an interpreter that keeps slot #2 eagerly at every clock_gettime.
StepWitness eager_witness(const State& start, Word step) {
  State state = start;
  Vm vm(state);
  vm.set_slot2_mode(Vm::Slot2Mode::Eager);
  EXPECT_EQ(vm.run(step).reason, StopReason::Budget);
  StepWitness w;
  EXPECT_FALSE(vm.step_with_proof(w).has_value());
  return w;
}

// A proof far beyond the eager window from the only clock_gettime: the slot-2 replay starts at the
// nearest checkpoint, whatever the distance from the start state, and the proof is the eager one.
TEST_P(Loop, SlotTwoReplayStartsAtTheNearestCheckpoint) {
  constexpr Word Interval = Word{1} << 14;
  for (const uint32_t clock_turn : {3u, 20000u, 40000u}) {
    const State start = clock_once_state(clock_turn);
    Machine machine(start, config(GetParam(), start));
    machine.prover().set_checkpoint_interval(Interval);
    const Word clock_step = 4 + 6 * Word{clock_turn - 1} + 7 + (6 * Word{clock_turn}) / 100000;  // + preemptions
    const Word first = clock_step + Prover::EagerSlot2Window + 5 * Interval + 17;
    const Word second = first + 3 * Interval;  // a second proof, with no clock_gettime between
    std::vector<StepWitness> proofs;
    std::vector<Prover::ReplayStats> stats;
    std::vector<size_t> held;
    RunLoop loop(machine);
    loop.set_proofs(StepMatcher::parse("=" + std::to_string(first) + ",=" + std::to_string(second)),
                    [&](const StepWitness& w) {
                      proofs.push_back(w);
                      stats.push_back(machine.prover().stats());
                      held.push_back(machine.prover().checkpoints_held());
                    });
    ASSERT_EQ(loop.run(second + 1).reason, StopReason::Budget);
    ASSERT_EQ(proofs.size(), 2u);
    for (size_t i = 0; i < proofs.size(); ++i) {
      SCOPED_TRACE("clock turn " + std::to_string(clock_turn) + ", proof at " + std::to_string(proofs[i].step));
      const StepWitness expected = eager_witness(start, proofs[i].step);
      EXPECT_EQ(proofs[i].proof_data, expected.proof_data);
      EXPECT_EQ(proofs[i].pre_hash, expected.pre_hash);
      EXPECT_EQ(proofs[i].post_hash, expected.post_hash);
      EXPECT_EQ(stats[i].replays, 1u);  // the first proof's slot stays valid for the second
      EXPECT_EQ(stats[i].last_from + stats[i].last_steps, stats[i].last_clock + 1);
      EXPECT_LE(stats[i].last_steps, Interval);
      EXPECT_LE(held[i], 2u);
    }
    // One per interval up to the first window, one more after it (none within a window).
    EXPECT_GE(stats.back().checkpoints, (first - Prover::EagerSlot2Window - start.step) / Interval);
  }
}

// Hashing on another core while the guest runs (Memory::hash_in_background), handed off every
// few thousand steps while the guest rewrites the pages it handed off: each proof (its roots and
// both slots) is the eager interpreter's, so no page written after its hand-off was missed.
TEST_P(Loop, ProofsAfterHeavyRewritesMatchWithBackgroundHashing) {
  const State start = rewriting_state();
  const Word first = Prover::EagerSlot2Window + 40'000;
  const Word second = first + Prover::EagerSlot2Window + 12'345;
  const Word third = second + 2 * Prover::EagerSlot2Window + 3;
  const std::string when = "=" + std::to_string(first) + ",=" + std::to_string(second) + ",=" + std::to_string(third);
  // The same proofs from the interpreter hashing only on the calling thread.
  auto proofs_of = [&](const std::string& engine, bool background, bool wait, Word* handoffs, Hash32* final_hash) {
    Machine machine(start, config(engine, start));
    machine.prover().set_background_hashing(background);
    machine.prover().set_background_hash_interval(20011);
    machine.prover().set_background_hash_wait(wait);
    std::vector<StepWitness> proofs;
    RunLoop loop(machine);
    loop.set_proofs(StepMatcher::parse(when), [&](const StepWitness& w) { proofs.push_back(w); });
    EXPECT_EQ(loop.run(third + 1).reason, StopReason::Budget);
    *handoffs = machine.prover().stats().background_handoffs;
    *final_hash = machine.state_hash();
    return proofs;
  };
  Word handoffs = 0, plain_handoffs = 0, racing_handoffs = 0;
  Hash32 final_hash{}, plain_final{}, racing_final{};
  const std::vector<StepWitness> expected = proofs_of("interp", false, false, &plain_handoffs, &plain_final);
  EXPECT_EQ(plain_handoffs, 0u);
  // Hand-offs the guest races (as in real runs; what the helper reads depends on timing).
  const std::vector<StepWitness> racing = proofs_of(GetParam(), true, false, &racing_handoffs, &racing_final);
  EXPECT_GE(racing_handoffs, 1u);
  ASSERT_EQ(racing.size(), 3u);
  for (size_t i = 0; i < racing.size(); ++i) {
    SCOPED_TRACE("racing hand-offs, proof at " + std::to_string(racing[i].step));
    EXPECT_EQ(racing[i].proof_data, expected[i].proof_data);
    EXPECT_EQ(racing[i].pre_hash, expected[i].pre_hash);
    EXPECT_EQ(racing[i].post_hash, expected[i].post_hash);
  }
  EXPECT_EQ(racing_final, plain_final);
  // Hand-offs the helper finishes before the guest goes on: the pages of the second stream
  // filled across a hand-off are hashed half-written and must be found dirty again.
  const std::vector<StepWitness> proofs = proofs_of(GetParam(), true, true, &handoffs, &final_hash);
  // Every 20011 steps of the fast-forward outside the eager windows (over a million) hands off;
  // a page of the second stream filled across a hand-off is finished well before the next one.
  EXPECT_GE(handoffs, Prover::EagerSlot2Window / 20011);
  ASSERT_EQ(proofs.size(), 3u);
  ASSERT_EQ(expected.size(), 3u);
  for (size_t i = 0; i < proofs.size(); ++i) {
    SCOPED_TRACE("proof at " + std::to_string(proofs[i].step));
    EXPECT_EQ(proofs[i].step, expected[i].step);
    EXPECT_EQ(proofs[i].proof_data, expected[i].proof_data);
    EXPECT_EQ(proofs[i].pre_hash, expected[i].pre_hash);
    EXPECT_EQ(proofs[i].post_hash, expected[i].post_hash);
  }
  // The first proof is also the one a fresh eager interpreter makes at that step.
  const StepWitness eager = eager_witness(start, first);
  EXPECT_EQ(proofs[0].proof_data, eager.proof_data);
  EXPECT_EQ(proofs[0].pre_hash, eager.pre_hash);
  EXPECT_EQ(final_hash, plain_final);
}

INSTANTIATE_TEST_SUITE_P(Engines, Loop, ::testing::Values("interp", "jit"));

}  // namespace
}  // namespace cannonball
