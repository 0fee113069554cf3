// The error the run-loop library throws for anything that ends a run that is not a VM exception:
// bad files, a failed snapshot write, a cross-check mismatch, a replay that cannot be done.
// The command line prints it as "error: <what>" and exits 1.
#pragma once

#include <stdexcept>

namespace cannonball {

class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cannonball
