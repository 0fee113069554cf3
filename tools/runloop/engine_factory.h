// Chooses the fast-forward engine for `run --engine`.
#pragma once

#include <memory>
#include <string>

#include "interp/engine.h"

namespace cannonball {

std::unique_ptr<Engine> make_engine(const std::string& name, Vm& vm);

}  // namespace cannonball
