#include "tools/cannonball/engine_factory.h"

#include "jit/jit_engine.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {

std::unique_ptr<Engine> make_engine(const std::string& name, Vm& vm) {
  if (name == "interp") return std::make_unique<InterpEngine>(vm);
  if (name == "jit") return std::make_unique<jit::JitEngine>(vm);
  throw CliError("unknown engine '" + name + "' (use interp or jit)");
}

}  // namespace cannonball
