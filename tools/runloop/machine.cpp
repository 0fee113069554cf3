#include "tools/runloop/machine.h"

#include "tools/runloop/engine_factory.h"

namespace cannonball {

Machine::Machine(State start, MachineConfig config)
    : engine_name_(config.engine),
      state_(std::move(start)),
      recording_(config.oracle),
      vm_(state_),
      engine_(make_engine(config.engine, vm_)),
      prover_(vm_, recording_, std::move(config.reload_start), config.engine) {
  if (config.oracle) vm_.set_oracle(&recording_);
}

}  // namespace cannonball
