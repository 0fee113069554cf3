// RunLoop: runs a Machine to a stop, visiting every step some listener or the proof schedule
// asks for, and fast-forwarding in between (spec §12, upstream's run loop).
//
// Per step s, in this order: the interrupt check; listeners that fire at s (in the order they
// were added; at the step the loop stops at, only those that `fire_at_stop`); the stop check;
// then either a proven step (proof schedule matches s) or a fast-forward to the next event of
// the EventSchedule; then the pre-image stop rule on the step just run.
//
// run() returns how many steps ran and why it stopped, as a RunResult: Budget (reached
// `stop_at`), Exited, VmException, PreimageRead (the pre-image stop rule matched the last step)
// or Interrupted. Listeners end a run early by throwing (RunError for a failed check or write).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

#include "tools/runloop/event_schedule.h"
#include "tools/runloop/machine.h"
#include "tools/runloop/matcher.h"
#include "tools/runloop/preimage_stop.h"

namespace cannonball {

// Something that looks at the state before the steps its matcher selects.
class RunListener {
 public:
  explicit RunListener(StepMatcher when) : when_(std::move(when)) {}
  virtual ~RunListener() = default;
  const StepMatcher& when() const { return when_; }
  // Whether it also fires at the step the run stops at (before stopping there).
  virtual bool fires_at_stop() const { return false; }
  // The state before step `state.step` runs.
  virtual void before_step(State& state) = 0;

 private:
  StepMatcher when_;
};

using ProofSink = std::function<void(const StepWitness& witness)>;

class RunLoop {
 public:
  explicit RunLoop(Machine& machine) : machine_(machine) {}

  // `listener` must outlive the loop.
  void add_listener(RunListener& listener);
  // Proves the steps `when` selects (through the machine's Prover) and hands each witness on.
  void set_proofs(StepMatcher when, ProofSink sink);
  // Ends the run after a pre-image read that `stop` matches.
  void set_preimage_stop(PreimageStop stop);
  // Checked before every step the loop visits (at least every EventSchedule::MaxChunk steps).
  void set_interrupt_flag(const std::atomic<bool>* flag) { interrupt_ = flag; }

  // Runs until the state exits, a stop rule matches, or step `stop_at` is reached (not run).
  RunResult run(std::optional<Word> stop_at = std::nullopt);

 private:
  bool interrupted() const { return interrupt_ && interrupt_->load(); }
  void notify(bool stopping);
  RunResult run_one_event(std::optional<Word> stop_at);
  RunResult prove_step();
  RunResult fast_forward(std::optional<Word> stop_at);

  Machine& machine_;
  std::vector<RunListener*> listeners_;
  EventSchedule schedule_;
  StepMatcher proofs_ = StepMatcher::parse("never");
  ProofSink proof_sink_;
  PreimageStop preimage_stop_;
  const std::atomic<bool>* interrupt_ = nullptr;
};

}  // namespace cannonball
