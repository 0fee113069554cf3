#include "tools/runloop/prover.h"

#include <chrono>
#include <thread>

#include "runtime/parallel.h"

#include "tools/runloop/engine_factory.h"
#include "tools/runloop/run_error.h"

namespace cannonball {

Prover::Prover(Vm& vm, const RecordingOracle& recording, std::function<State()> reload_start, std::string engine_name)
    : vm_(vm), recording_(recording), reload_start_(std::move(reload_start)), engine_name_(std::move(engine_name)) {
  vm_.set_slot2_mode(Vm::Slot2Mode::Deferred);
  checkpoints_.push_back(Checkpoint{vm_.state().step, nullptr});
  background_hashing_ = worker_count() > 1;
  next_handoff_ = vm_.state().step;
}

void Prover::set_checkpoint_interval(Word steps) { interval_ = std::max<Word>(steps, 1); }

Word Prover::checkpoint_interval() const {
  if (interval_) return interval_;
  const Word pages = vm_.state().memory.page_count();
  return std::max(MinCheckpointInterval, pages > (~Word{0} / CheckpointStepsPerPage) ? ~Word{0} : pages * CheckpointStepsPerPage);
}

Word Prover::plan_fast_forward(Word target, std::optional<Word> next_proof) {
  const Word step = vm_.state().step;
  const bool near_proof = next_proof && *next_proof - step <= EagerSlot2Window;
  if (next_proof && !near_proof) {
    target = std::min(target, *next_proof - EagerSlot2Window);
    checkpoint_if_due(step);
    const Word edge = checkpoints_.back().step + checkpoint_interval();
    if (edge > step) target = std::min(target, edge);  // (no edge past the top of the step range)
    if (background_hashing_) {
      if (step >= next_handoff_) {
        Memory& memory = vm_.state().memory;
        if (wait_for_background_) memory.finish_background_hash();
        // Busy with the previous hand-off (a slow helper): ask again sooner.
        const bool handed = memory.hash_in_background();
        stats_.background_handoffs += handed && memory.background_pages() > 0;
        if (wait_for_background_)
          while (!memory.background_hash_done()) std::this_thread::yield();
        const Word wait = handed ? background_interval_ : std::max<Word>(background_interval_ / 8, 1);
        next_handoff_ = step > ~Word{0} - wait ? ~Word{0} : step + wait;
      }
      if (next_handoff_ > step) target = std::min(target, next_handoff_);
    }
  }
  vm_.set_slot2_mode(near_proof ? Vm::Slot2Mode::Eager : Vm::Slot2Mode::Deferred);
  return target;
}

// Keeps the checkpoint a pending deferred clock_gettime needs and a new one at `step`: any later
// deferred clock_gettime runs after `step`, so no older checkpoint can be the nearest to it.
void Prover::checkpoint_if_due(Word step) {
  if (step - checkpoints_.back().step < checkpoint_interval()) return;
  std::vector<Checkpoint> kept;
  if (vm_.slot2_stale()) kept.push_back(checkpoint_for(vm_.deferred_clock_step() - 1));
  State& live = vm_.state();
  // A copy shares the clean pages and copies the dirty ones (runtime/memory.h). The first
  // checkpoint hashes everything; later ones hash only the pages left unchanged since the previous
  // checkpoint, so pages the guest rewrites every interval are copied, not hashed again and again.
  if (const State* previous = checkpoints_.back().state.get())
    live.memory.hash_settled_pages(previous->memory);
  else
    live.memory.merkle_root();
  kept.push_back(Checkpoint{step, std::make_shared<const State>(live)});
  checkpoints_ = std::move(kept);
  ++stats_.checkpoints;
}

const Prover::Checkpoint& Prover::checkpoint_for(Word step) const {
  const Checkpoint* best = nullptr;
  for (const Checkpoint& cp : checkpoints_)
    if (cp.step <= step) best = &cp;
  if (!best) throw RunError("internal error: no checkpoint at or before step " + std::to_string(step));
  return *best;
}

std::optional<VmException> Prover::prove_step(StepWitness& out) {
  if (vm_.slot2_stale()) vm_.set_slot2(replay_slot2(vm_.deferred_clock_step()));
  return vm_.step_with_proof(out);
}

// Replays from the nearest checkpoint to the clock_gettime that ran at step counter `clock_step`
// (post-increment) and returns the slot-2 proof of that step.
MemProof Prover::replay_slot2(Word clock_step) {
  const auto started = std::chrono::steady_clock::now();
  if (clock_step == 0) throw RunError("internal error: cannot replay to clock_gettime step 0");
  const Word target = clock_step - 1;  // the pre-step counter of that clock_gettime
  const Checkpoint& from = checkpoint_for(target);
  State state = from.state ? State(*from.state) : reload_start_();
  if (state.step != from.step)
    throw RunError("internal error: the replay's start state is at step " + std::to_string(state.step) +
                   ", not " + std::to_string(from.step));
  ReplayOracle oracle(recording_);
  Vm vm(state);
  if (recording_.has_inner()) vm.set_oracle(&oracle);
  vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  auto engine = make_engine(engine_name_, vm);
  while (state.step < target) {
    const RunResult result = engine->advance(target - state.step);
    if (result.exception) throw RunError("replay for proof slot #2 failed: " + result.exception->message());
    if (result.reason == StopReason::Exited) throw RunError("replay for proof slot #2 exited early");
  }
  vm.set_slot2_mode(Vm::Slot2Mode::Eager);
  if (auto e = vm.step()) throw RunError("replay for proof slot #2 failed: " + e->message());
  if (vm.slot2_stale())
    throw RunError("internal error: replayed step " + std::to_string(target) + " is not a clock_gettime");
  ++stats_.replays;
  stats_.last_from = from.step;
  stats_.last_clock = target;
  stats_.last_steps = clock_step - from.step;
  stats_.max_steps = std::max(stats_.max_steps, stats_.last_steps);
  stats_.last_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return vm.slot2();
}

}  // namespace cannonball
