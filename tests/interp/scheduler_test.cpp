// Multi-step scheduler behaviour (spec §4): traversal order under forced preemption, the real
// quantum, reservations across context switches, and the exit edge cases.
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

// A two-instruction loop at CodeBase: beq r0, r0, -1 (target CodeBase); nop.
void write_loop(State& state, Word pc) {
  const uint32_t beq_self = branch_op(Op::beq, R0, R0, -1);
  state.memory.write_word(pc & AddressMask, (Word{beq_self} << 32) | NopInsn);
}

// Threads 0..count-1 on the left stack (thread count-1 on top), all running the loop.
State threads_on_left(unsigned count) {
  State state = make_initial_state(CodeBase);
  state.left_stack.clear();
  for (Word id = 0; id < count; ++id) state.left_stack.push_back(make_thread(id, CodeBase));
  state.next_thread_id = count;
  write_loop(state, CodeBase);
  return state;
}

std::vector<Word> ids(const std::vector<Thread>& stack) {
  std::vector<Word> out;
  for (const Thread& t : stack) out.push_back(t.thread_id);
  return out;
}

class Scheduler : public ::testing::TestWithParam<EngineKind> {};

// left = [0, 1, 2, 3] (3 on top). Each preemption moves the top of the active stack to the top of
// the other stack; when the active stack empties, the traversal flips:
//   active 3 -> right [3];  2 -> right [3, 2];  1 -> [3, 2, 1];  0 -> [3, 2, 1, 0], flip to right;
//   active 0 (top of right) -> left [0]; 1 -> [0, 1]; 2 -> [0, 1, 2]; 3 -> [0, 1, 2, 3], flip; ...
TEST_P(Scheduler, ForcedPreemptionTraversesLeftThenRightInStackOrder) {
  State state = threads_on_left(4);
  auto executor = make_executor(GetParam(), state);
  const Word expected_active[] = {3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0};
  const bool expected_right_after[] = {false, false, false, true, true, true, true, false, false, false, false, true};
  for (size_t i = 0; i < 12; ++i) {
    SCOPED_TRACE("preemption " + std::to_string(i + 1));
    ASSERT_EQ(state.current_thread().thread_id, expected_active[i]);
    state.steps_since_last_context_switch = SchedQuantum;
    const Thread before = state.current_thread();
    const bool was_right = state.traverse_right;
    ASSERT_FALSE(executor->step());
    EXPECT_EQ(state.step, i + 1);
    EXPECT_EQ(state.steps_since_last_context_switch, 0u);
    EXPECT_EQ(state.traverse_right, expected_right_after[i]);
    EXPECT_EQ(state.current_thread().thread_id, expected_active[i + 1]);
    // No instruction ran: the preempted thread is unchanged, now on top of the other stack.
    const auto& destination = was_right ? state.left_stack : state.right_stack;
    EXPECT_EQ(destination.back(), before);
    if (i == 3) {
      EXPECT_TRUE(state.left_stack.empty());
      EXPECT_EQ(ids(state.right_stack), (std::vector<Word>{3, 2, 1, 0}));
    }
    if (i == 7) {
      EXPECT_TRUE(state.right_stack.empty());
      EXPECT_EQ(ids(state.left_stack), (std::vector<Word>{0, 1, 2, 3}));
    }
  }
}

// With real instructions: thread 1 (top) runs 100_000 instructions, is preempted on step 100_001
// without running, then thread 0 runs.
TEST_P(Scheduler, QuantumPreemptsAfterExactly100000Instructions) {
  State state = threads_on_left(2);
  auto executor = make_executor(GetParam(), state);
  RunResult result = executor->run(SchedQuantum);
  ASSERT_FALSE(result.exception);
  EXPECT_EQ(state.current_thread().thread_id, 1u);
  EXPECT_EQ(state.steps_since_last_context_switch, SchedQuantum);
  EXPECT_EQ(state.current_thread().pc, CodeBase);  // an even number of loop instructions

  ASSERT_FALSE(executor->step());
  EXPECT_EQ(state.step, SchedQuantum + 1);
  EXPECT_EQ(state.steps_since_last_context_switch, 0u);
  EXPECT_EQ(ids(state.left_stack), (std::vector<Word>{0}));
  EXPECT_EQ(ids(state.right_stack), (std::vector<Word>{1}));
  EXPECT_EQ(state.right_stack.back().pc, CodeBase);

  ASSERT_FALSE(executor->step());
  EXPECT_EQ(state.steps_since_last_context_switch, 1u);
  EXPECT_EQ(state.current_thread().thread_id, 0u);
  EXPECT_EQ(state.current_thread().pc, CodeBase + 4);
}

// Thread 1 takes a reservation, is preempted, thread 0 runs and is preempted twice, and thread 1's
// sc still succeeds: reservations survive context switches (spec §6).
TEST_P(Scheduler, ReservationSurvivesContextSwitches) {
  State state = threads_on_left(2);
  constexpr Word LlCode = 0x0040'2000;
  Thread& owner = state.left_stack.back();
  owner.pc = LlCode;
  owner.next_pc = LlCode + 4;
  owner.regs[T0] = DataBase;
  owner.regs[T1] = 0;
  owner.regs[T2] = 0xAAAA'BBBB;
  state.memory.write_word(LlCode, (Word{mem_op(Op::ll, T1, T0, 4)} << 32) | mem_op(Op::sc, T2, T0, 4));
  state.memory.write_word(DataBase, DataWord);
  auto executor = make_executor(GetParam(), state);

  ASSERT_FALSE(executor->step());  // thread 1: ll
  EXPECT_EQ(state.ll_reservation_status, 1);
  EXPECT_EQ(state.ll_address, DataBase + 4);
  EXPECT_EQ(state.ll_owner_thread, 1u);
  for (int i = 0; i < 2; ++i) {  // preempt 1, then thread 0 runs one instruction
    if (i == 0) state.steps_since_last_context_switch = SchedQuantum;
    ASSERT_FALSE(executor->step());
  }
  EXPECT_EQ(state.current_thread().thread_id, 0u);
  state.steps_since_last_context_switch = SchedQuantum;
  ASSERT_FALSE(executor->step());  // preempt 0: left empty, flip; top of right is 0
  state.steps_since_last_context_switch = SchedQuantum;
  ASSERT_FALSE(executor->step());  // preempt 0 again: thread 1 is next
  ASSERT_EQ(state.current_thread().thread_id, 1u);
  EXPECT_EQ(state.ll_reservation_status, 1);

  ASSERT_FALSE(executor->step());  // thread 1: sc
  EXPECT_EQ(state.current_thread().regs[T2], 1u);
  EXPECT_EQ(state.memory.read_word(DataBase), 0x8112'2334'AAAA'BBBBull);
  EXPECT_EQ(state.ll_reservation_status, 0);
}

// Spec §4 edge case: an exited but unpopped thread exists when the last live thread calls exit.
// The count is 2, so the VM does not exit; both threads are popped and the post-check raises.
TEST_P(Scheduler, ExitOfLastLiveThreadWithUnpoppedExitedThreadEndsInException) {
  State state = threads_on_left(2);
  state.left_stack[0].exited = true;
  Thread& live = state.left_stack[1];
  live.regs[V0] = 5058;
  live.regs[A0] = 0;
  state.memory.write_word(CodeBase, Word{SyscallInsn} << 32);
  auto executor = make_executor(GetParam(), state);

  ASSERT_FALSE(executor->step());  // exit: only the thread is marked
  EXPECT_FALSE(state.exited);
  EXPECT_TRUE(state.left_stack[1].exited);
  ASSERT_FALSE(executor->step());  // pop thread 1
  EXPECT_EQ(ids(state.left_stack), (std::vector<Word>{0}));
  const auto exception = executor->step();  // pop thread 0: no thread left
  ASSERT_TRUE(exception);
  EXPECT_EQ(exception->kind, ExceptionKind::EmptyThreadStack);
}

TEST_P(Scheduler, ExitOfLastThreadExitsAndLaterStepsAreNoops) {
  State state = threads_on_left(1);
  state.left_stack[0].regs[V0] = 5058;
  state.left_stack[0].regs[A0] = 1;
  state.memory.write_word(CodeBase, Word{SyscallInsn} << 32);
  auto executor = make_executor(GetParam(), state);
  ASSERT_FALSE(executor->step());
  EXPECT_TRUE(state.exited);
  EXPECT_EQ(state.exit_code, 1);
  EXPECT_EQ(state.step, 1u);
  const StateWitness exited_witness = encode_witness(state);
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(executor->step());
  EXPECT_EQ(state.step, 1u);
  EXPECT_EQ(encode_witness(state), exited_witness);
}

// Popping exited threads: each pop is one step and resets the counter; the traversal flips when
// the popped stack empties, and the next live thread then runs.
TEST_P(Scheduler, PopsExitedThreadsThenRunsNextLiveThread) {
  State state = threads_on_left(3);
  state.left_stack[1].exited = true;
  state.left_stack[2].exited = true;
  state.left_stack[0].exited = true;
  state.right_stack.push_back(make_thread(7, CodeBase));
  auto executor = make_executor(GetParam(), state);
  for (int pop = 0; pop < 3; ++pop) {
    state.steps_since_last_context_switch = 55;
    ASSERT_FALSE(executor->step());
    EXPECT_EQ(state.steps_since_last_context_switch, 0u);
    EXPECT_EQ(state.left_stack.size(), 2u - pop);
  }
  EXPECT_TRUE(state.traverse_right);
  ASSERT_FALSE(executor->step());
  EXPECT_EQ(state.current_thread().thread_id, 7u);
  EXPECT_EQ(state.current_thread().pc, CodeBase + 4);
  EXPECT_EQ(state.step, 4u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Scheduler, all_engines(),
                         [](const auto& info) { return std::string(engine_name(info.param)); });

}  // namespace
}  // namespace cannonball::test
