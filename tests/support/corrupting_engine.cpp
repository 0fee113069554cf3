// A deliberately wrong engine for testing the cross-check and the fleet's divergence search:
// the interpreter, except that when the step counter reaches CANNONBALL_TEST_CORRUPT_STEP it
// moves the heap pointer by a page (a lasting difference). Linked only into the test build of
// the CLI (cannonball_test_engines), where `--engine test-corrupt` selects it.
#include <cstdlib>
#include <memory>

#include "tools/runloop/engine_factory.h"
#include "tools/runloop/run_error.h"

namespace cannonball {
namespace {

class CorruptingEngine final : public Engine {
 public:
  CorruptingEngine(Vm& vm, Word corrupt_step) : Engine(vm), corrupt_step_(corrupt_step) {}
  const char* name() const override { return "test-corrupt"; }

 private:
  RunResult run_steps(Word steps) override {
    State& state = vm().state();
    if (state.step >= corrupt_step_ || state.step + steps < corrupt_step_) return vm().run(steps);
    RunResult result = vm().run(corrupt_step_ - state.step);
    if (state.step != corrupt_step_ || result.reason != StopReason::Budget) return result;
    state.heap += PageSize;
    const RunResult rest = vm().run(steps - result.steps);
    return RunResult{result.steps + rest.steps, rest.reason, rest.exception};
  }

  Word corrupt_step_;
};

// Registered before main() runs; this file is linked into the test binary's executable itself.
const bool Registered = [] {
  register_engine("test-corrupt", [](Vm& vm) -> std::unique_ptr<Engine> {
    const char* at = std::getenv("CANNONBALL_TEST_CORRUPT_STEP");
    if (!at) throw RunError("engine test-corrupt needs CANNONBALL_TEST_CORRUPT_STEP");
    return std::make_unique<CorruptingEngine>(vm, std::strtoull(at, nullptr, 10));
  });
  return true;
}();

}  // namespace
}  // namespace cannonball
