// The audit lens at JIT speed: with a scheduler observer attached, the JIT keeps running blocks,
// and every hook must fire with exactly the arguments and the exact step counters it gets under
// the interpreter. A recording observer logs each call (hook name, state.step,
// steps_since_last_context_switch, current thread, the hook's own arguments); the two logs and
// the final states must be equal, and translated code must have run most of the steps.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "interp/observer.h"
#include "interp/vm.h"
#include "jit/jit_engine.h"
#include "jit/state_diff.h"
#include "runtime/elf_loader.h"
#include "runtime/state_file.h"

namespace cannonball {
namespace {

class RecordingObserver final : public SchedulerObserver {
 public:
  std::vector<std::string> events;

  void on_pop_exited(const State& s, const Thread& t) override { log(s, "pop_exited", {t.thread_id}); }
  void on_forced_preemption(const State& s, const Thread& t) override { log(s, "forced", {t.thread_id}); }
  void on_thread_activated(const State& s, Word id) override { log(s, "activated", {id}); }
  void on_switch(const State& s) override { log(s, "switch", {}); }
  void on_voluntary_preemption(const State& s, const Thread& t, Word syscall) override {
    log(s, "voluntary", {t.thread_id, syscall});
  }
  void on_futex_wait(const State& s, const Thread& t, Word addr, bool matched) override {
    log(s, "futex_wait", {t.thread_id, addr, matched});
  }
  void on_futex_wake(const State& s, const Thread& t, Word addr) override { log(s, "futex_wake", {t.thread_id, addr}); }
  void on_clone(const State& s, const Thread& parent, const Thread& child) override {
    log(s, "clone", {parent.thread_id, child.thread_id});
  }
  void on_exit(const State& s, const Thread& t, bool group) override { log(s, "exit", {t.thread_id, group}); }
  void on_load_linked(const State& s, const Thread& t, Word addr, bool is64) override {
    log(s, "ll", {t.thread_id, addr, is64});
  }
  void on_store_conditional(const State& s, const Thread& t, Word addr, bool is64, bool success) override {
    log(s, "sc", {t.thread_id, addr, is64, success});
  }
  void on_reservation_invalidated(const State& s, Word writer, Word owner, Word addr, uint8_t status) override {
    log(s, "reservation_invalidated", {writer, owner, addr, status});
  }

 private:
  void log(const State& s, const char* hook, std::initializer_list<Word> args) {
    std::ostringstream line;
    line << hook << " step=" << s.step << " since_switch=" << s.steps_since_last_context_switch
         << " thread=" << (s.active_stack().empty() ? ~Word{0} : s.current_thread().thread_id);
    for (Word a : args) line << ' ' << a;
    events.push_back(line.str());
  }
};

struct ObservedCase {
  const char* dir;  // "guests" (CANNONBALL_JIT_GUESTS) or "audit" (CANNONBALL_JIT_AUDIT)
  const char* name;
  Word step_limit;
};
void PrintTo(const ObservedCase& c, std::ostream* out) { *out << c.dir << "/" << c.name; }

class ObservedRun : public ::testing::TestWithParam<ObservedCase> {};

TEST_P(ObservedRun, HooksFireWithTheInterpretersArgumentsAndStepCounters) {
  const ObservedCase& c = GetParam();
  const std::string path = std::string(std::string(c.dir) == "audit" ? CANNONBALL_JIT_AUDIT : CANNONBALL_JIT_GUESTS) +
                           "/" + c.name + ".elf";
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
  const std::string diff = jit::diff_states(jit_state, interp_state, true);
  EXPECT_TRUE(diff.empty()) << diff;
  ASSERT_FALSE(interp_log.events.empty());
  ASSERT_EQ(jit_log.events.size(), interp_log.events.size());
  for (size_t i = 0; i < interp_log.events.size(); ++i)
    ASSERT_EQ(jit_log.events[i], interp_log.events[i]) << "hook call #" << i;
  EXPECT_GT(engine.stats().jit_steps, engine.stats().interp_steps) << "the JIT left most steps to the interpreter";
}

INSTANTIATE_TEST_SUITE_P(Guests, ObservedRun,
                         ::testing::Values(ObservedCase{"guests", "goroutines", 400'000'000},
                                           ObservedCase{"guests", "atomics", 400'000'000},
                                           ObservedCase{"guests", "sync", 400'000'000},
                                           ObservedCase{"guests", "livelock", 10'000'000},
                                           ObservedCase{"audit", "pingpong", 10'000'000},
                                           ObservedCase{"audit", "starvation", 2'000'000},
                                           ObservedCase{"audit", "yield_livelock", 3'000'000}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace cannonball
