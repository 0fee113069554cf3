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

// addiu $4, $4, 1; beq $0, $0, -2; nop: counts forever. With `exit_after` != 0 the thread runs
// exit_group once $4 reaches it instead.
State counting_state(uint16_t exit_after = 0) {
  std::vector<uint32_t> program = {i_type(Op::addiu, 4, 4, 1), i_type(Op::beq, 0, 0, 0xFFFE), 0};
  if (exit_after) {
    // addiu $4,$4,1; bne $4,$5,-2; nop; addiu $2,$0,5205; syscall
    program = {i_type(Op::addiu, 4, 4, 1), i_type(Op::bne, 4, 5, 0xFFFE), 0, i_type(Op::addiu, 0, 2, 5205), 0x0C};
  }
  State state;
  std::vector<uint8_t> bytes(program.size() * 4);
  for (size_t i = 0; i < program.size(); ++i) store_be32(bytes.data() + 4 * i, program[i]);
  state.memory.write_bytes(Code, bytes.data(), bytes.size());
  Thread t;
  t.pc = Code;
  t.next_pc = Code + 4;
  t.regs[5] = exit_after;
  state.left_stack.push_back(t);
  state.next_thread_id = 1;
  return state;
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

INSTANTIATE_TEST_SUITE_P(Engines, Loop, ::testing::Values("interp", "jit"));

}  // namespace
}  // namespace cannonball
