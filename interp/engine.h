// The fast-forward contract both engines meet (DESIGN.md "execute exactly N"): advance the VM by
// exactly `steps` steps, or fewer only on exit, exception, or (when asked) right after a step
// that read the pre-image fd. Steps that need a proof always go through Vm::step_with_proof.
#pragma once

#include "interp/vm.h"

namespace cannonball {

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;
  virtual RunResult advance(Word steps, bool stop_after_preimage_read) = 0;
};

class InterpEngine final : public Engine {
 public:
  explicit InterpEngine(Vm& vm) : vm_(vm) {}
  const char* name() const override { return "interp"; }
  RunResult advance(Word steps, bool stop_after_preimage_read) override {
    return vm_.run(steps, stop_after_preimage_read);
  }

 private:
  Vm& vm_;
};

}  // namespace cannonball
