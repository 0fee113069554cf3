// EventSchedule: "at which step does anything next happen?" for the run loop.
//
// It holds the step matchers of everything that must see the state before a step (listeners,
// proofs) and answers with the next such step, capped so that the loop regains control at least
// every MaxChunk steps (to notice interrupts) and never passes the step it is asked to stop at.
#pragma once

#include <optional>
#include <vector>

#include "runtime/word.h"
#include "tools/runloop/matcher.h"

namespace cannonball {

class EventSchedule {
 public:
  static constexpr Word MaxChunk = Word{1} << 22;  // steps between interrupt checks

  // `matcher` must outlive the schedule.
  void add(const StepMatcher& matcher) { matchers_.push_back(&matcher); }
  // The first step after `step` at which an event happens, `stop_at` is reached, or a chunk
  // ends; always greater than `step` (one step if the step range wraps).
  Word next_stop(Word step, std::optional<Word> stop_at) const;

 private:
  std::vector<const StepMatcher*> matchers_;
};

}  // namespace cannonball
