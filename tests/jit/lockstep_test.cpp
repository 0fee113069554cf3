// Lockstep: the JIT and the interpreter run the same real program side by side; after every
// advance (a few blocks at most in the first phase) the FULL states must agree: every field,
// every thread of both stacks, memory contents, and periodically the merkle root.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "interp/vm.h"
#include "jit/jit_engine.h"
#include "runtime/elf_loader.h"
#include "runtime/state_diff.h"
#include "runtime/state_file.h"

namespace cannonball {
namespace {

struct LockstepCase {
  const char* dir;  // CANNONBALL_JIT_GUESTS or CANNONBALL_JIT_ASM
  const char* name;
};

void PrintTo(const LockstepCase& c, std::ostream* out) { *out << c.dir << "/" << c.name; }

std::string case_path(const LockstepCase& c) {
  return std::string(std::strcmp(c.dir, "guests") == 0 ? CANNONBALL_JIT_GUESTS : CANNONBALL_JIT_ASM) + "/" + c.name +
         ".elf";
}

class Lockstep : public ::testing::TestWithParam<LockstepCase> {};

TEST_P(Lockstep, JitMatchesInterpreterAfterEveryAdvance) {
  const std::string path = case_path(GetParam());
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path << " (build the guests first)";
  State jit_state = load_elf(read_file_maybe_gz(path));
  State interp_state = jit_state;
  Vm jit_vm(jit_state);
  Vm interp_vm(interp_state);
  std::string jit_out, interp_out;
  jit_vm.set_output([&](int, std::span<const uint8_t> b) { jit_out.append(b.begin(), b.end()); });
  interp_vm.set_output([&](int, std::span<const uint8_t> b) { interp_out.append(b.begin(), b.end()); });
  jit::JitEngine engine(jit_vm);

  // Budgets are random; the seed is printed on failure and CANNONBALL_JIT_LOCKSTEP_SEED replays it.
  const char* seed_text = std::getenv("CANNONBALL_JIT_LOCKSTEP_SEED");
  const unsigned seed = seed_text ? static_cast<unsigned>(std::strtoul(seed_text, nullptr, 0))
                                  : static_cast<unsigned>(std::random_device{}());
  std::mt19937_64 rng(seed);
  // The assembly programs are mostly straight-line code that runs once, so they translate on
  // first sight; half the guest runs do too (the most generated code), half tier like the CLI.
  const bool is_asm = std::strcmp(GetParam().dir, "asm") == 0;
  engine.set_translate_threshold(is_asm || rng() % 2 ? 0 : jit::DefaultTranslateThreshold);
  constexpr Word FinePhaseSteps = 600'000;
  constexpr Word StepLimit = 400'000'000;
  Word rounds = 0;
  while (!interp_state.exited && interp_state.step < StepLimit) {
    const bool fine = interp_state.step < FinePhaseSteps;
    // The first budget covers the longest block: a short program (the 9-step assembly ones) whose
    // first budget is shorter than every block from its start would run wholly in the interpreter,
    // and the check below that the JIT ran at all would fail for that seed (56, for one).
    const Word budget = fine ? (rounds == 0 ? jit::MaxBlockInsns + 2 : 1) + rng() % 512 : 1 + rng() % 1'000'000;
    const Word before = interp_state.step;
    const RunResult jit_result = engine.advance(budget);
    const RunResult interp_result = interp_vm.run(budget);
    ++rounds;
    ASSERT_EQ(jit_result.steps, interp_result.steps) << "seed " << seed << " from step " << before;
    ASSERT_EQ(jit_result.exception.has_value(), interp_result.exception.has_value())
        << "seed " << seed << " from step " << before;
    if (jit_result.exception) {
      EXPECT_EQ(jit_result.exception->kind, interp_result.exception->kind);
      EXPECT_EQ(jit_result.exception->step, interp_result.exception->step);
      EXPECT_EQ(jit_result.exception->pc, interp_result.exception->pc);
    }
    const std::string diff =
        describe_state_differences(jit_state, interp_state, lockstep_diff_options(rounds % 64 == 0));
    ASSERT_EQ(diff, "") << "seed " << seed << ", advance(" << budget << ") from step " << before;
    if (jit_result.exception) break;
  }
  EXPECT_EQ(jit_out, interp_out);
  EXPECT_EQ(describe_state_differences(jit_state, interp_state, lockstep_diff_options(true)), "");
  const auto& stats = engine.stats();
  RecordProperty("jit_steps", std::to_string(stats.jit_steps));
  std::printf("[ lockstep ] %s: %llu steps, %llu by JIT, %llu blocks, %llu rounds\n", GetParam().name,
              static_cast<unsigned long long>(interp_state.step), static_cast<unsigned long long>(stats.jit_steps),
              static_cast<unsigned long long>(stats.blocks_translated), static_cast<unsigned long long>(rounds));
  EXPECT_GT(stats.jit_steps, 0u);
}

const LockstepCase Cases[] = {
    {"guests", "hello"},
    {"guests", "goroutines"},
    {"guests", "alloc"},
    {"guests", "compute-small"},
    {"asm", "alu"},
    {"asm", "shift"},
    {"asm", "muldiv"},
    {"asm", "clz"},
    {"asm", "branch"},
    {"asm", "movcond"},
    {"asm", "loadstore"},
    {"asm", "unaligned"},
    {"asm", "llsc"},
    {"asm", "syscall"},
    {"asm", "delayslot_fault"},
    {"asm", "divzero_fault"},
    {"asm", "divzero_hi_fault"},
};

INSTANTIATE_TEST_SUITE_P(Programs, Lockstep, ::testing::ValuesIn(Cases), [](const auto& info) {
  std::string name = info.param.name;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
});

}  // namespace
}  // namespace cannonball
