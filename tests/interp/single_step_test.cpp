// Runs every single-step table on every engine (each memory-writing case multiplied by the
// LL-reservation modifier), and checks that the tables cover every instruction-table row and
// every syscall of spec §7.
#include <algorithm>
#include <set>

#include "interp/syscalls.h"
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

class SingleStep : public ::testing::TestWithParam<std::tuple<EngineKind, StepCase>> {};

TEST_P(SingleStep, MatchesExpectedPostState) { run_step_case(std::get<0>(GetParam()), std::get<1>(GetParam())); }

#define CANNONBALL_STEP_SUITE(group, cases)                                                                    \
  INSTANTIATE_TEST_SUITE_P(group, SingleStep,                                                                  \
                           ::testing::Combine(all_engines(), ::testing::ValuesIn(with_ll_modifiers(cases()))), \
                           case_param_name)

CANNONBALL_STEP_SUITE(Alu, alu_cases);
CANNONBALL_STEP_SUITE(Shift, shift_cases);
CANNONBALL_STEP_SUITE(HiLo, hilo_cases);
CANNONBALL_STEP_SUITE(Branch, branch_cases);
CANNONBALL_STEP_SUITE(Load, load_cases);
CANNONBALL_STEP_SUITE(Store, store_cases);
CANNONBALL_STEP_SUITE(Rmw, rmw_cases);
CANNONBALL_STEP_SUITE(Fault, fault_cases);
CANNONBALL_STEP_SUITE(Syscall, syscall_cases);
CANNONBALL_STEP_SUITE(Io, io_cases);
CANNONBALL_STEP_SUITE(Scheduler, scheduler_cases);

#undef CANNONBALL_STEP_SUITE

TEST(StepCaseTables, EveryInstructionTableRowHasACase) {
  std::set<Op> covered;
  for (const StepCase& c : all_step_cases())
    if (!c.program.empty()) covered.insert(decode(c.program.front()));
  const auto table = instruction_table();
  for (size_t i = 0; i < table.size(); ++i)
    EXPECT_TRUE(covered.count(static_cast<Op>(i))) << "no single-step case for row " << table[i].mnemonic;
}

TEST(StepCaseTables, EverySyscallHasACase) {
  std::set<Word> covered;
  for (const StepCase& c : all_step_cases()) {
    if (c.program.empty() || c.program.front() != SyscallInsn) continue;
    for (const Reg& reg : c.regs)
      if (reg.index == V0) covered.insert(reg.value);
  }
  // Spec §7.2 (implemented) and §7.3 (noops).
  const Word implemented[] = {sys::Read,  sys::Write,     sys::Open,         sys::Mmap,      sys::Brk,     sys::Clone,
                              sys::Exit,  sys::Fcntl,     sys::SchedYield,   sys::Nanosleep, sys::GetTid,  sys::GetPid,
                              sys::Futex, sys::ExitGroup, sys::ClockGetTime, sys::GetRandom, sys::EventFd2};
  for (Word number : implemented) EXPECT_TRUE(covered.count(number)) << "no case for syscall " << number;
  for (Word number : sys::NoopSyscalls) EXPECT_TRUE(covered.count(number)) << "no case for noop syscall " << number;
  // The spec's noop list has 32 entries (31 + prctl).
  EXPECT_EQ(std::size(sys::NoopSyscalls), 32u);
}

TEST(StepCaseTables, CaseNamesAreUnique) {
  std::set<std::string> names;
  for (const StepCase& c : with_ll_modifiers(all_step_cases()))
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
}

// Spec §7.4: every number in 5000..5399 that is neither implemented nor a noop raises.
class UnsupportedSyscalls : public ::testing::TestWithParam<EngineKind> {};

TEST_P(UnsupportedSyscalls, EveryOtherNumberIn5000To5399Raises) {
  const std::set<Word> supported = {5000, 5001, 5002, 5009, 5012, 5055, 5058, 5070, 5023, 5034, 5178, 5038, 5194,
                                    5205, 5222, 5313, 5284, 5011, 5010, 5196, 5027, 5014, 5129, 5013, 5297, 5003,
                                    5016, 5004, 5005, 5225, 5008, 5216, 5220, 5247, 5087, 5257, 5015, 5285, 5287,
                                    5208, 5272, 5061, 5100, 5102, 5026, 5095, 5036, 5217, 5153};
  int raised = 0;
  for (Word number = 5000; number < 5400; ++number) {
    if (supported.count(number)) continue;
    StepCase c = syscall_case("Unsupported" + std::to_string(number), number);
    c.exception = ExceptionKind::UnknownSyscall;
    run_step_case(GetParam(), c);
    ++raised;
  }
  EXPECT_EQ(raised, 400 - 49);
}

INSTANTIATE_TEST_SUITE_P(Engines, UnsupportedSyscalls, all_engines(),
                         [](const auto& info) { return std::string(engine_name(info.param)); });

}  // namespace
}  // namespace cannonball::test
