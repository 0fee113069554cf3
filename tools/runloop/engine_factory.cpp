#include "tools/runloop/engine_factory.h"

#include <map>

#include "jit/jit_engine.h"
#include "tools/runloop/run_error.h"

namespace cannonball {
namespace {

std::map<std::string, EngineMaker>& registered_engines() {
  static std::map<std::string, EngineMaker> engines;
  return engines;
}

}  // namespace

void register_engine(const std::string& name, EngineMaker maker) { registered_engines()[name] = std::move(maker); }

std::unique_ptr<Engine> make_engine(const std::string& name, Vm& vm) {
  if (name == "interp") return std::make_unique<InterpEngine>(vm);
  if (name == "jit") return std::make_unique<jit::JitEngine>(vm);
  const auto registered = registered_engines().find(name);
  if (registered != registered_engines().end()) return registered->second(vm);
  throw RunError("unknown engine '" + name + "' (use interp or jit)");
}

}  // namespace cannonball
