#include "tools/runloop/cross_check.h"

#include "runtime/hex.h"
#include "runtime/interrupt.h"
#include "tools/runloop/engine_factory.h"

namespace cannonball {
namespace {

// Steps between the worker's looks at the interrupt request (a few ms in either engine).
constexpr Word InterruptCheckSteps = Word{1} << 18;

struct Outcome {
  Hash32 hash{};
  std::optional<VmException> exception;
};

// Runs `steps` steps of a copy of `start` on the named engine and returns the state hash.
Outcome run_copy(const State& start, Word steps, const RecordingOracle& recording, const std::string& engine) {
  State state = start;
  ReplayOracle oracle(recording);
  Vm vm(state);
  vm.set_oracle(&oracle);
  vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  auto runner = make_engine(engine, vm);
  Outcome outcome;
  Word done = 0;
  while (done < steps) {
    throw_if_interrupted();  // ends the worker promptly; the run loop then exits 130
    const RunResult r = runner->advance(std::min(steps - done, InterruptCheckSteps));
    done += r.steps;
    if (r.reason == StopReason::Exited) break;
    if (r.exception) {
      outcome.exception = r.exception;
      break;
    }
  }
  outcome.hash = state_hash(encode_witness(state));
  return outcome;
}

std::optional<std::string> check_segment(std::unique_ptr<State> start, Word steps, Hash32 expected,
                                         const RecordingOracle& recording, std::string engine) {
  const Outcome interp = run_copy(*start, steps, recording, "interp");
  if (interp.hash == expected && !interp.exception) return std::nullopt;
  // Bisect for the first step after which the engine and the interpreter disagree.
  Word good = 0, bad = steps;
  while (bad - good > 1) {
    const Word mid = good + (bad - good) / 2;
    const Outcome a = run_copy(*start, mid, recording, engine);
    const Outcome b = run_copy(*start, mid, recording, "interp");
    if (a.hash == b.hash)
      good = mid;
    else
      bad = mid;
  }
  const Word first = start->step + bad - 1;
  return "cross-check failed: the " + engine + " engine and the interpreter diverge at step " + std::to_string(first) +
         " (segment " + std::to_string(start->step) + ".." + std::to_string(start->step + steps) + ", expected hash " +
         to_hex(expected) + ", interpreter " + to_hex(interp.hash) +
         (interp.exception ? ", interpreter exception: " + interp.exception->message() : "") + ")";
}

}  // namespace

CrossChecker::CrossChecker(const State& start, const RecordingOracle& recording, std::string engine_name)
    : previous_(std::make_unique<State>(start)), recording_(recording), engine_name_(std::move(engine_name)) {}

CrossChecker::~CrossChecker() {
  if (pending_.valid()) pending_.wait();
}

std::optional<std::string> CrossChecker::checkpoint(State& state) {
  auto failure = finish();
  if (failure) return failure;
  const Word steps = state.step - previous_->step;
  if (steps == 0) return std::nullopt;
  const Hash32 expected = state_hash(encode_witness(state));
  auto next = std::make_unique<State>(state);
  std::unique_ptr<State> start = std::move(previous_);
  previous_ = std::move(next);
  segments_ += 1;
  steps_ += steps;
  pending_ = std::async(std::launch::async, check_segment, std::move(start), steps, expected, std::cref(recording_),
                        engine_name_);
  return std::nullopt;
}

std::optional<std::string> CrossChecker::finish() {
  if (!pending_.valid()) return std::nullopt;
  return pending_.get();
}

}  // namespace cannonball
