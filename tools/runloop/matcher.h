// Step matchers of `run` (spec §12): never, always, =N, %N, and (beyond upstream) comma lists.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/word.h"

namespace cannonball {

// Go's strconv.ParseUint(s, 0, 64): 0x/0o/0b prefixes (either case), a leading 0 for octal and
// single underscores between digits. Returns nullopt for anything else.
std::optional<Word> parse_go_uint(const std::string& text);

class StepMatcher {
 public:
  // Throws std::invalid_argument naming the bad part.
  static StepMatcher parse(const std::string& pattern);
  bool matches(Word step) const;
  // The smallest step >= from that matches, or nullopt.
  std::optional<Word> next_match(Word from) const;
  bool never() const { return !always_ && exact_.empty() && every_.empty(); }
  // Whether more than one step can match (a file name pattern must then contain a verb).
  bool can_match_many() const { return always_ || !every_.empty() || exact_.size() > 1; }

 private:
  bool always_ = false;
  std::vector<Word> exact_;
  std::vector<Word> every_;
};

// The widest field a file pattern verb may ask for (a longer one could not be a file name).
inline constexpr size_t MaxPatternWidth = 4096;

// Go's fmt.Sprintf(pattern, uint64) for the verbs a file pattern uses (%d, %x, %08d, %%, ...),
// flags included. Throws std::invalid_argument for another verb or a width over MaxPatternWidth.
std::string format_step_pattern(const std::string& pattern, Word step);
bool pattern_has_verb(const std::string& pattern);

}  // namespace cannonball
