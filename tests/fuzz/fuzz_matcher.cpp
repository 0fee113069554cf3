// Step matchers and file-name patterns: StepMatcher::parse either rejects the text with
// std::invalid_argument or gives a matcher whose next_match agrees with matches; a pattern
// either formats or is rejected with std::invalid_argument, never overflowing anything.
// Input: matcher text, a NUL, pattern text, a NUL, then 8 bytes of step.
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tools/runloop/matcher.h"

using namespace cannonball;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const size_t first = strnlen(text, size);
  const std::string matcher_text(text, first);
  const size_t second_start = first < size ? first + 1 : size;
  const size_t second = strnlen(text + second_start, size - second_start);
  const std::string pattern(text + second_start, second);
  Word step = 0;
  for (size_t i = second_start + second + 1; i < size && i < second_start + second + 9; ++i) step = step << 8 | data[i];

  try {
    const StepMatcher m = StepMatcher::parse(matcher_text);
    const auto next = m.next_match(step);
    if (next && (*next < step || !m.matches(*next))) std::abort();
    // No step between `step` and the reported next match matches (checked over a short window).
    const Word end = next ? *next : step + 64;
    for (Word s = step; s < end && s - step < 64 && s >= step; ++s)
      if (m.matches(s)) std::abort();
    if (m.never() && (next || m.matches(step))) std::abort();
  } catch (const std::invalid_argument&) {}
  try {
    const std::string name = format_step_pattern(pattern, step);
    // Each verb widens by at most MaxPatternWidth + 3 ("0x" and a sign) or 20 digits + 3.
    if (name.size() > pattern.size() * (MaxPatternWidth + 24)) std::abort();
    (void)pattern_has_verb(pattern);
  } catch (const std::invalid_argument&) {}
  return 0;
}
