#include "tools/runloop/event_schedule.h"

#include <algorithm>

namespace cannonball {

Word EventSchedule::next_stop(Word step, std::optional<Word> stop_at) const {
  Word target = step + MaxChunk;
  if (target <= step) return step + 1;  // wrapped at the top of the step range
  if (stop_at && *stop_at > step) target = std::min(target, *stop_at);
  for (const StepMatcher* matcher : matchers_)
    if (const auto next = matcher->next_match(step + 1)) target = std::min(target, *next);
  return target;
}

}  // namespace cannonball
