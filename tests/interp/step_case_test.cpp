// The step-case harness itself: a wrong expectation in any part of the state must fail, so that a
// green table means the engine matched every field.
#include <gtest/gtest-spi.h>

#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

StepCase addu_case() {
  return {
      .name = "Addu", .program = {r_type(Op::addu, T2, T0, T1)}, .regs = {{T0, 1}, {T1, 2}}, .expect_regs = {{T2, 3}}};
}

StepCase wrong_register() {
  StepCase c = addu_case();
  c.expect_regs = {{T2, 4}};
  return c;
}
StepCase missing_register_change() {
  StepCase c = addu_case();
  c.expect_regs.clear();
  return c;
}
StepCase wrong_pc() {
  StepCase c = addu_case();
  c.expect_next_pc = CodeBase + 12;
  return c;
}
StepCase wrong_memory() {
  StepCase c = addu_case();
  c.expect_writes = {{DataBase, 1}};
  return c;
}
StepCase wrong_state_field() {
  StepCase c = addu_case();
  c.expect = [](State& s) { s.heap += 1; };
  return c;
}
StepCase wrong_other_thread() {
  StepCase c = addu_case();
  c.expect = [](State& s) { s.right_stack[0].regs[5] += 1; };
  return c;
}
StepCase unexpected_exception() {
  StepCase c = addu_case();
  c.exception = ExceptionKind::InvalidInstruction;
  return c;
}
StepCase missing_hint() {
  StepCase c = addu_case();
  c.expect_hints = {{'x'}};
  return c;
}

TEST(StepCaseHarness, PassesACorrectCase) { run_step_case(EngineKind::Interp, addu_case()); }

TEST(StepCaseHarness, FailsOnWrongRegister) {
  EXPECT_NONFATAL_FAILURE(run_step_case(EngineKind::Interp, wrong_register()), "r10");
}
TEST(StepCaseHarness, FailsOnUnlistedRegisterChange) {
  EXPECT_NONFATAL_FAILURE(run_step_case(EngineKind::Interp, missing_register_change()), "r10");
}
TEST(StepCaseHarness, FailsOnWrongNextPc) {
  EXPECT_NONFATAL_FAILURE(run_step_case(EngineKind::Interp, wrong_pc()), "next_pc");
}
TEST(StepCaseHarness, FailsOnWrongMemory) {
  EXPECT_NONFATAL_FAILURE(run_step_case(EngineKind::Interp, wrong_memory()), "memory root");
}
TEST(StepCaseHarness, FailsOnWrongStateField) {
  EXPECT_NONFATAL_FAILURE(run_step_case(EngineKind::Interp, wrong_state_field()), "heap");
}
TEST(StepCaseHarness, FailsOnChangeToAnInactiveThread) {
  EXPECT_NONFATAL_FAILURE(run_step_case(EngineKind::Interp, wrong_other_thread()), "right_stack[0].r5");
}
TEST(StepCaseHarness, FailsWhenAnExpectedExceptionDoesNotHappen) {
  EXPECT_FATAL_FAILURE(run_step_case(EngineKind::Interp, unexpected_exception()), "expected exception");
}
TEST(StepCaseHarness, FailsOnMissingHint) {
  EXPECT_NONFATAL_FAILURE(run_step_case(EngineKind::Interp, missing_hint()), "hints");
}

TEST(LLModifier, AddsClearingAndSurvivingVariantsForEveryWrittenWord) {
  StepCase store = {.name = "Store", .expect_writes = {{DataBase, 1}}};
  StepCase clock = {.name = "Clock", .expect_writes = {{DataBase, 1}, {DataBase + 8, 2}}};
  StepCase load = {.name = "Load"};
  const auto cases = with_ll_modifiers({store, clock, load});
  std::vector<std::string> names;
  for (const StepCase& c : cases) names.push_back(c.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"Store", "Store_ClearsLLReservation", "Store_KeepsLLReservationOnOtherWord",
                                      "Clock", "Clock_ClearsLLReservationOnWord0", "Clock_ClearsLLReservationOnWord1",
                                      "Clock_KeepsLLReservationOnOtherWord", "Load"}));
  // The clearing variant reserves an unaligned address inside the written word for another thread.
  State pre = make_pre_state(cases[1]);
  EXPECT_EQ(pre.ll_reservation_status, 1);
  EXPECT_EQ(pre.ll_address, DataBase + 3);
  EXPECT_EQ(pre.ll_owner_thread, OtherThreadId);
  State expected = make_expected_state(cases[1], pre);
  EXPECT_EQ(expected.ll_reservation_status, 0);
  EXPECT_EQ(expected.ll_address, 0u);
  EXPECT_EQ(expected.ll_owner_thread, 0u);
  State kept = make_pre_state(cases[2]);
  EXPECT_NE(kept.ll_address & AddressMask, DataBase);
  EXPECT_EQ(make_expected_state(cases[2], kept).ll_address, kept.ll_address);
}

}  // namespace
}  // namespace cannonball::test
