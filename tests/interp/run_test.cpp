// Vm::run(n) through the Executor (spec §4, vm.h): exactly n steps, fewer only on exit or exception.
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

// Program at CodeBase: addiu a0, r0, 7; addiu v0, r0, 5205; syscall (exit_group 7).
State exit_group_program() {
  State state = make_initial_state(CodeBase);
  state.memory.write_word(CodeBase, (Word{i_type(Op::addiu, A0, R0, 7)} << 32) | i_type(Op::addiu, V0, R0, 5205));
  state.memory.write_word(CodeBase + 8, Word{SyscallInsn} << 32);
  return state;
}

// A counting loop: addiu t0, t0, 1; beq r0, r0, -2 (back to CodeBase); nop.
State counting_loop() {
  State state = make_initial_state(CodeBase);
  state.memory.write_word(CodeBase, (Word{i_type(Op::addiu, T0, T0, 1)} << 32) | branch_op(Op::beq, R0, R0, -2));
  state.memory.write_word(CodeBase + 8, Word{NopInsn} << 32);
  return state;
}

class Run : public ::testing::TestWithParam<EngineKind> {};

TEST_P(Run, ExecutesExactlyNSteps) {
  State state = counting_loop();
  auto executor = make_executor(GetParam(), state);
  const RunResult result = executor->run(1000);
  EXPECT_FALSE(result.exception);
  EXPECT_EQ(result.steps, 1000u);
  EXPECT_EQ(state.step, 1000u);
  EXPECT_EQ(state.steps_since_last_context_switch, 1000u);
  // 1000 steps = 333 loop iterations of 3 instructions + 1: t0 incremented 334 times.
  EXPECT_EQ(state.current_thread().regs[T0], 334u);
  EXPECT_EQ(state.current_thread().pc, CodeBase + 4);
}

TEST_P(Run, MatchesRepeatedSingleSteps) {
  State by_run = counting_loop();
  State by_step = counting_loop();
  auto runner = make_executor(GetParam(), by_run);
  auto stepper = make_executor(GetParam(), by_step);
  ASSERT_EQ(runner->run(257).steps, 257u);
  for (int i = 0; i < 257; ++i) ASSERT_FALSE(stepper->step());
  EXPECT_TRUE(state_differences(by_step, by_run, ExpectedVsActual).empty());
}

TEST_P(Run, ZeroStepsDoesNothing) {
  State state = counting_loop();
  auto executor = make_executor(GetParam(), state);
  EXPECT_EQ(executor->run(0).steps, 0u);
  EXPECT_EQ(state.step, 0u);
}

TEST_P(Run, StopsEarlyWhenTheVmExits) {
  State state = exit_group_program();
  auto executor = make_executor(GetParam(), state);
  const RunResult result = executor->run(100);
  EXPECT_FALSE(result.exception);
  EXPECT_EQ(result.steps, 3u);
  EXPECT_TRUE(state.exited);
  EXPECT_EQ(state.exit_code, 7);
  EXPECT_EQ(state.step, 3u);
  EXPECT_EQ(executor->run(100).steps, 0u);  // an exited state runs no steps
  EXPECT_EQ(state.step, 3u);
}

TEST_P(Run, StopsAtAnException) {
  State state = make_initial_state(CodeBase);
  state.memory.write_word(CodeBase, (Word{NopInsn} << 32) | 0x7C00'0000u);  // nop; SPECIAL3 (invalid)
  auto executor = make_executor(GetParam(), state);
  const RunResult result = executor->run(10);
  ASSERT_TRUE(result.exception);
  EXPECT_EQ(result.exception->kind, ExceptionKind::InvalidInstruction);
  EXPECT_EQ(result.steps, 1u);
  EXPECT_EQ(result.exception->step, 1u);
  EXPECT_EQ(result.exception->pc, CodeBase + 4);
}

INSTANTIATE_TEST_SUITE_P(Engines, Run, all_engines(),
                         [](const auto& info) { return std::string(engine_name(info.param)); });

}  // namespace
}  // namespace cannonball::test
