#include "tools/cannonball/engine_factory.h"

#include <cstdlib>

#include "jit/jit_engine.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {
namespace {

// A deliberately wrong engine for testing the cross-check: the interpreter, except that when
// the step counter reaches CANNONBALL_TEST_CORRUPT_STEP it moves the heap pointer by a page
// (a lasting difference). Only reachable with --engine test-corrupt.
class CorruptingEngine final : public Engine {
 public:
  CorruptingEngine(Vm& vm, Word corrupt_step) : vm_(vm), corrupt_step_(corrupt_step) {}
  const char* name() const override { return "test-corrupt"; }
  RunResult advance(Word steps, bool stop_after_preimage_read) override {
    State& state = vm_.state();
    if (state.step < corrupt_step_ && state.step + steps >= corrupt_step_) steps = corrupt_step_ - state.step;
    RunResult result = vm_.run(steps, stop_after_preimage_read);
    if (state.step == corrupt_step_) state.heap += PageSize;
    return result;
  }

 private:
  Vm& vm_;
  Word corrupt_step_;
};

}  // namespace

std::unique_ptr<Engine> make_engine(const std::string& name, Vm& vm) {
  if (name == "interp") return std::make_unique<InterpEngine>(vm);
  if (name == "jit") return std::make_unique<jit::JitEngine>(vm);
  if (name == "test-corrupt") {
    const char* at = std::getenv("CANNONBALL_TEST_CORRUPT_STEP");
    if (!at) throw CliError("engine test-corrupt needs CANNONBALL_TEST_CORRUPT_STEP");
    return std::make_unique<CorruptingEngine>(vm, std::strtoull(at, nullptr, 10));
  }
  throw CliError("unknown engine '" + name + "' (use interp or jit)");
}

}  // namespace cannonball
