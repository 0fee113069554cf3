#include "tools/cannonball/slot2_replay.h"

#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"
#include "tools/cannonball/engine_factory.h"

namespace cannonball {

std::vector<uint8_t> RecordingOracle::get_preimage(const Hash32& key) {
  if (!inner_) throw OracleError("no pre-image oracle");
  std::vector<uint8_t> value = inner_->get_preimage(key);
  std::lock_guard<std::mutex> lock(mutex_);
  recorded_[key] = value;
  return value;
}

std::optional<std::vector<uint8_t>> RecordingOracle::lookup(const Hash32& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = recorded_.find(key);
  if (it == recorded_.end()) return std::nullopt;
  return it->second;
}

std::vector<uint8_t> ReplayOracle::get_preimage(const Hash32& key) {
  auto value = recording_.lookup(key);
  if (!value) throw OracleError("replay asked for a pre-image the run never fetched: " + to_hex(key));
  return *value;
}

MemProof replay_slot2(const std::string& input_path, Word clock_step, const RecordingOracle& recording,
                      const std::string& engine_name) {
  State state = read_state_file(input_path);
  if (clock_step == 0 || clock_step <= state.step)
    throw CliError("internal error: cannot replay to clock_gettime step " + std::to_string(clock_step));
  ReplayOracle oracle(recording);
  Vm vm(state);
  if (recording.has_inner()) vm.set_oracle(&oracle);
  vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  auto engine = make_engine(engine_name, vm);
  const Word target = clock_step - 1;  // the pre-step counter of that clock_gettime
  while (state.step < target) {
    const RunResult result = engine->advance(target - state.step, false);
    if (result.exception) throw CliError("replay for proof slot #2 failed: " + result.exception->message());
    if (state.exited) throw CliError("replay for proof slot #2 exited early");
  }
  vm.set_slot2_mode(Vm::Slot2Mode::Eager);
  if (auto e = vm.step()) throw CliError("replay for proof slot #2 failed: " + e->message());
  if (vm.slot2_stale()) throw CliError("internal error: replayed step " + std::to_string(target) + " is not a clock_gettime");
  return vm.slot2();
}

}  // namespace cannonball
