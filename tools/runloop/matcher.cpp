#include "tools/runloop/matcher.h"

#include <algorithm>
#include <stdexcept>

namespace cannonball {

std::optional<Word> parse_go_uint(const std::string& text) {
  std::string s = text;
  unsigned base = 10;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x')
      base = 16, prefixed = true;
    else if (p == 'o')
      base = 8, prefixed = true;
    else if (p == 'b')
      base = 2, prefixed = true;
    else
      base = 8;  // leading 0: octal, the 0 itself is a digit
  }
  std::string digits = prefixed ? s.substr(2) : s;
  if (digits.empty()) return std::nullopt;
  // Underscores: only between digits, or between the base prefix and a digit.
  // What came before the current character: '\0' nothing, 'p' a base prefix (which, like a digit,
  // may be followed by "_"), 'd' a digit, '_' an underscore.
  char previous = prefixed ? 'p' : '\0';
  Word value = 0;
  bool any_digit = false;
  for (size_t i = 0; i < digits.size(); ++i) {
    const char c = digits[i];
    if (c == '_') {
      if (previous == '_' || previous == '\0') return std::nullopt;
      previous = '_';
      continue;
    }
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      d = static_cast<unsigned>((c | 0x20) - 'a' + 10);
    else
      return std::nullopt;
    if (d >= base) return std::nullopt;
    if (value > (~Word{0} - d) / base) return std::nullopt;  // overflow
    value = value * base + d;
    any_digit = true;
    previous = 'd';
  }
  if (!any_digit || previous == '_') return std::nullopt;
  return value;
}

StepMatcher StepMatcher::parse(const std::string& pattern) {
  StepMatcher matcher;
  size_t start = 0;
  do {
    const size_t comma = pattern.find(',', start);
    const std::string part = pattern.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? pattern.size() + 1 : comma + 1;
    if (part.empty() || part == "never") continue;
    if (part == "always") {
      matcher.always_ = true;
      continue;
    }
    if (part[0] == '=' || part[0] == '%') {
      const auto number = parse_go_uint(part.substr(1));
      if (!number) throw std::invalid_argument("invalid step number in matcher '" + part + "'");
      if (part[0] == '=') {
        matcher.exact_.push_back(*number);
      } else {
        if (*number == 0) throw std::invalid_argument("matcher '" + part + "' divides by zero");
        matcher.every_.push_back(*number);
      }
      continue;
    }
    throw std::invalid_argument("invalid step matcher '" + part + "' (use never, always, =N or %N)");
  } while (start <= pattern.size());
  std::sort(matcher.exact_.begin(), matcher.exact_.end());
  return matcher;
}

bool StepMatcher::matches(Word step) const {
  if (always_) return true;
  if (std::binary_search(exact_.begin(), exact_.end(), step)) return true;
  return std::any_of(every_.begin(), every_.end(), [step](Word n) { return step % n == 0; });
}

std::optional<Word> StepMatcher::next_match(Word from) const {
  if (always_) return from;
  std::optional<Word> best;
  auto consider = [&](Word candidate) {
    if (!best || candidate < *best) best = candidate;
  };
  auto it = std::lower_bound(exact_.begin(), exact_.end(), from);
  if (it != exact_.end()) consider(*it);
  for (Word n : every_) {
    const Word rem = from % n;
    if (rem == 0)
      consider(from);
    else if (from <= ~Word{0} - (n - rem))
      consider(from + (n - rem));
  }
  return best;
}

bool pattern_has_verb(const std::string& pattern) {
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] != '%') continue;
    if (pattern[i + 1] == '%') {
      ++i;
      continue;
    }
    return true;
  }
  return false;
}

namespace {

// One verb's formatting of an unsigned integer, as Go's fmt does it (fmtInteger): zero padding
// becomes a digit count, the '#' prefix and the sign come outside it, then spaces pad to the width.
struct VerbSpec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  bool has_width = false;
  size_t width = 0;
};

std::string format_unsigned(Word value, char verb, VerbSpec spec) {
  unsigned base = 10;
  bool upper = false;
  if (verb == 'v') {
    if (spec.sharp) base = 16;  // %#v is Go syntax: 0x-prefixed hex
    spec.plus = false;          // %+v only changes how structs print
  } else if (verb == 'x' || verb == 'X') {
    base = 16;
    upper = verb == 'X';
  } else if (verb == 'o') {
    base = 8;
  }
  if (verb == 'd') spec.sharp = false;
  std::string digits;
  do {
    const unsigned d = static_cast<unsigned>(value % base);
    digits += static_cast<char>(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
    value /= base;
  } while (value != 0);
  size_t precision = 0;
  if (spec.zero && spec.has_width && !spec.minus) {
    precision = spec.width;
    if (spec.plus || spec.space) --precision;  // room for the sign
  }
  while (digits.size() < precision) digits += '0';
  if (spec.sharp) {
    if (base == 8 && digits.back() != '0') digits += '0';
    if (base == 16) digits += upper && verb == 'X' ? "X0" : "x0";
  }
  if (spec.plus)
    digits += '+';
  else if (spec.space)
    digits += ' ';
  std::string out(digits.rbegin(), digits.rend());
  if (spec.has_width && out.size() < spec.width) {
    const std::string pad(spec.width - out.size(), ' ');
    out = spec.minus ? out + pad : pad + out;
  }
  return out;
}

}  // namespace

std::string format_step_pattern(const std::string& pattern, Word step) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    // %[flags][width]verb
    VerbSpec spec;
    size_t j = i + 1;
    for (; j < pattern.size(); ++j) {
      const char c = pattern[j];
      if (c == '-')
        spec.minus = true, spec.zero = false;
      else if (c == '0')
        spec.zero = !spec.minus;
      else if (c == '+')
        spec.plus = true;
      else if (c == ' ')
        spec.space = true;
      else if (c == '#')
        spec.sharp = true;
      else
        break;
    }
    for (; j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9'; ++j) {
      spec.has_width = true;
      spec.width = spec.width * 10 + static_cast<size_t>(pattern[j] - '0');
      if (spec.width > MaxPatternWidth)
        throw std::invalid_argument("field width in file pattern '" + pattern + "' is over the limit of " +
                                    std::to_string(MaxPatternWidth));
    }
    if (j >= pattern.size()) {
      out += pattern.substr(i);
      break;
    }
    const char verb = pattern[j];
    if (verb != 'd' && verb != 'v' && verb != 'x' && verb != 'X' && verb != 'o')
      throw std::invalid_argument("unsupported verb %" + std::string(1, verb) + " in file pattern '" + pattern + "'");
    out += format_unsigned(step, verb, spec);
    i = j;
  }
  return out;
}

}  // namespace cannonball
