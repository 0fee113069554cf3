// Chooses the fast-forward engine for `run --engine`: the interpreter or the JIT, plus any engine
// a test binary registers (tests/support/corrupting_engine.cpp); production code registers none.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "interp/engine.h"

namespace cannonball {

std::unique_ptr<Engine> make_engine(const std::string& name, Vm& vm);

// Adds an engine `make_engine` answers to by name. For test binaries only.
using EngineMaker = std::function<std::unique_ptr<Engine>(Vm&)>;
void register_engine(const std::string& name, EngineMaker maker);

}  // namespace cannonball
