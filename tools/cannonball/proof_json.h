// Proof JSON of `run --proof-at` (spec §11.2, §17.8): field order step, pre, post, state-data,
// proof-data, then the oracle fields only when the step read fd 5 with a non-zero key.
#pragma once

#include <string>

#include "interp/vm.h"

namespace cannonball {

std::string proof_json(const StepWitness& witness);

}  // namespace cannonball
