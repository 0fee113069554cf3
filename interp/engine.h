// The fast-forward contract both engines meet (DESIGN.md "execute exactly N").
//
// `advance(budget)` runs at most `budget` steps and says how many ran and why it stopped
// (StopReason): the budget ran out, the state exited, a step raised a VM exception, or (when the
// VM's stop conditions ask for it) the last step read the pre-image fd. The state afterwards is
// exactly what that many interpreter steps leave. Engines never report Interrupted: that reason
// belongs to the run loop (tools/runloop), which checks for signals between advances.
// Steps that need a proof always go through Vm::step_with_proof.
#pragma once

#include <cassert>

#include "interp/vm.h"

namespace cannonball {

class Engine {
 public:
  explicit Engine(Vm& vm) : vm_(vm) {}
  virtual ~Engine() = default;
  virtual const char* name() const = 0;

  // At most `budget` steps (see above). Debug builds check the step accounting.
  RunResult advance(Word budget) {
    [[maybe_unused]] const Word before = vm_.state().step;
    RunResult result = run_steps(budget);
    assert(result.steps <= budget);
    assert(result.exception.has_value() == (result.reason == StopReason::VmException));
    assert(result.reason != StopReason::Interrupted);
    // A faulting step may have moved the counter before it raised; it is not counted.
    assert(result.exception || vm_.state().step - before == result.steps);
    assert(result.reason != StopReason::Budget || result.steps == budget);
    assert(result.reason != StopReason::Exited || vm_.state().exited);
    return result;
  }

 protected:
  Vm& vm() { return vm_; }

 private:
  // The engine's own loop; `advance` wraps it with the accounting checks.
  virtual RunResult run_steps(Word budget) = 0;

  Vm& vm_;
};

class InterpEngine final : public Engine {
 public:
  explicit InterpEngine(Vm& vm) : Engine(vm) {}
  const char* name() const override { return "interp"; }

 private:
  RunResult run_steps(Word budget) override { return vm().run(budget); }
};

}  // namespace cannonball
