// Why a run of several steps ends (StopReason, vm.h), the same on every engine: budget, exit,
// VM exception, and a pre-image read when the stop conditions ask for it.
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

Hash32 key() { return hash_from_bytes({0x02, 0x42}, 0x11); }

// A loop of reads from the pre-image fd into DataBase: addiu v0, r0, 5000; syscall;
// beq r0, r0, -3 (back to CodeBase); nop. The key is already written (state.preimage_key), and
// the 20-byte pre-image plus its 8-byte length prefix take reads of 8, 8, 8 and 4 bytes.
State preimage_read_loop() {
  State state = make_initial_state(CodeBase);
  state.memory.write_word(CodeBase, (Word{i_type(Op::addiu, V0, R0, 5000)} << 32) | SyscallInsn);
  state.memory.write_word(CodeBase + 8, (Word{branch_op(Op::beq, R0, R0, -3)} << 32) | NopInsn);
  Thread& t = state.current_thread();
  t.regs[A0] = 5;
  t.regs[A1] = DataBase;
  t.regs[A2] = 8;
  state.preimage_key = key();
  return state;
}

class StopReasons : public ::testing::TestWithParam<EngineKind> {};

TEST_P(StopReasons, BudgetWhenEveryStepRan) {
  State state = preimage_read_loop();
  FakeOracle oracle({{key(), std::vector<uint8_t>(20, 0xAB)}});
  auto executor = make_executor(GetParam(), state, {.oracle = &oracle});
  const RunResult result = executor->run(3);
  EXPECT_EQ(result.reason, StopReason::Budget);
  EXPECT_EQ(result.steps, 3u);
  EXPECT_EQ(state.step, 3u);
}

TEST_P(StopReasons, PreimageReadOnlyWhenAsked) {
  State asked = preimage_read_loop();
  FakeOracle oracle({{key(), std::vector<uint8_t>(20, 0xAB)}});
  auto executor = make_executor(GetParam(), asked, {.oracle = &oracle, .stop = {.after_preimage_read = true}});
  for (Word read = 0; read < 4; ++read) {
    const RunResult result = executor->run(100);
    EXPECT_EQ(result.reason, StopReason::PreimageRead) << "read " << read;
    EXPECT_EQ(result.steps, read == 0 ? 2u : 4u) << "read " << read;  // the step of the syscall ends it
    EXPECT_EQ(asked.step, 2 + 4 * read);
  }
  // Without the stop condition the reads go on until the fifth runs past the end.
  State plain = preimage_read_loop();
  auto plain_executor = make_executor(GetParam(), plain, {.oracle = &oracle});
  const RunResult result = plain_executor->run(100);
  EXPECT_EQ(result.reason, StopReason::VmException);
  ASSERT_TRUE(result.exception);
  EXPECT_EQ(result.exception->kind, ExceptionKind::PreimageOutOfBounds);
  EXPECT_EQ(result.steps, 17u);
}

TEST_P(StopReasons, PreimageReadOnTheLastStepOfTheBudgetIsReported) {
  State state = preimage_read_loop();
  FakeOracle oracle({{key(), std::vector<uint8_t>(20, 0xAB)}});
  auto executor = make_executor(GetParam(), state, {.oracle = &oracle, .stop = {.after_preimage_read = true}});
  const RunResult result = executor->run(2);
  EXPECT_EQ(result.reason, StopReason::PreimageRead);
  EXPECT_EQ(result.steps, 2u);
}

TEST_P(StopReasons, ExitedAndExceptionCarryTheirReason) {
  State exiting = make_initial_state(CodeBase);
  exiting.memory.write_word(CodeBase, (Word{i_type(Op::addiu, A0, R0, 3)} << 32) | i_type(Op::addiu, V0, R0, 5205));
  exiting.memory.write_word(CodeBase + 8, Word{SyscallInsn} << 32);
  auto executor = make_executor(GetParam(), exiting);
  RunResult result = executor->run(10);
  EXPECT_EQ(result.reason, StopReason::Exited);
  EXPECT_EQ(result.steps, 3u);
  result = executor->run(10);
  EXPECT_EQ(result.reason, StopReason::Exited);
  EXPECT_EQ(result.steps, 0u);

  State faulting = make_initial_state(CodeBase);
  faulting.memory.write_word(CodeBase, (Word{NopInsn} << 32) | 0x7C00'0000u);  // nop; SPECIAL3 (invalid)
  auto faulting_executor = make_executor(GetParam(), faulting);
  result = faulting_executor->run(10);
  EXPECT_EQ(result.reason, StopReason::VmException);
  EXPECT_EQ(result.steps, 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, StopReasons, all_engines(),
                         [](const auto& info) { return std::string(engine_name(info.param)); });

}  // namespace
}  // namespace cannonball::test
