// The audit lens at JIT speed: with a scheduler observer attached, the JIT keeps running blocks,
// and every hook must fire with exactly the arguments and the exact step counters it gets under
// the interpreter. A recording observer logs each call (hook name, state.step,
// steps_since_last_context_switch, current thread, the hook's own arguments); the two logs and
// the final states must be equal, and translated code must have run most of the steps.
#include <gtest/gtest.h>

#include <filesystem>

#include "interp/vm.h"
#include "jit/jit_engine.h"
#include "runtime/elf_loader.h"
#include "runtime/state_diff.h"
#include "runtime/state_file.h"
#include "tests/jit/recording_observer.h"

namespace cannonball {
namespace {

struct ObservedCase {
  const char* dir;  // "guests" (CANNONBALL_JIT_GUESTS) or "audit" (CANNONBALL_JIT_AUDIT)
  const char* name;
  Word step_limit;
};
void PrintTo(const ObservedCase& c, std::ostream* out) { *out << c.dir << "/" << c.name; }

class ObservedRun : public ::testing::TestWithParam<ObservedCase> {};

TEST_P(ObservedRun, HooksFireWithTheInterpretersArgumentsAndStepCounters) {
  const ObservedCase& c = GetParam();
  const std::string path =
      std::string(std::string(c.dir) == "audit" ? CANNONBALL_JIT_AUDIT : CANNONBALL_JIT_GUESTS) + "/" + c.name + ".elf";
  ASSERT_TRUE(std::filesystem::exists(path)) << "missing " << path << " (run tools/setup.sh)";
  State jit_state = load_elf(read_file_maybe_gz(path));
  State interp_state = jit_state;
  Vm jit_vm(jit_state);
  Vm interp_vm(interp_state);
  jit_vm.set_output([](int, std::span<const uint8_t>) {});
  interp_vm.set_output([](int, std::span<const uint8_t>) {});
  RecordingObserver jit_log, interp_log;
  jit_vm.set_observer(&jit_log);
  interp_vm.set_observer(&interp_log);
  jit::JitEngine engine(jit_vm);

  // Uneven budgets so that block runs stop at many different points between hooks.
  Word budget = 1;
  while (!interp_state.exited && interp_state.step < c.step_limit) {
    budget = budget * 7 % 1'000'003 + 1;
    const RunResult a = engine.advance(budget);
    const RunResult b = interp_vm.run(budget);
    ASSERT_EQ(a.steps, b.steps);
    ASSERT_EQ(a.exception.has_value(), b.exception.has_value());
    if (b.exception) break;
  }
  const std::string diff = describe_state_differences(jit_state, interp_state, lockstep_diff_options(true));
  EXPECT_TRUE(diff.empty()) << diff;
  ASSERT_FALSE(interp_log.events.empty());
  ASSERT_EQ(jit_log.events.size(), interp_log.events.size());
  for (size_t i = 0; i < interp_log.events.size(); ++i)
    ASSERT_EQ(jit_log.events[i], interp_log.events[i]) << "hook call #" << i;
  EXPECT_GT(engine.stats().jit_steps, engine.stats().interp_steps) << "the JIT left most steps to the interpreter";
}

INSTANTIATE_TEST_SUITE_P(
    Guests, ObservedRun,
    ::testing::Values(ObservedCase{"guests", "goroutines", 400'000'000}, ObservedCase{"guests", "atomics", 400'000'000},
                      ObservedCase{"guests", "sync", 400'000'000}, ObservedCase{"guests", "livelock", 10'000'000},
                      ObservedCase{"audit", "pingpong", 10'000'000}, ObservedCase{"audit", "starvation", 2'000'000},
                      ObservedCase{"audit", "yield_livelock", 3'000'000}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace cannonball
