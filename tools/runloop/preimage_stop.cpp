#include "tools/runloop/preimage_stop.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "runtime/hex.h"
#include "tools/runloop/run_error.h"

namespace cannonball {
namespace {

Word parse_offset(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end || errno) throw RunError("invalid preimage offset: " + text);
  return static_cast<Word>(v);
}

PreimageStop parse_spec(const std::string& spec) {
  std::vector<std::string> parts;
  std::stringstream in(spec);
  for (std::string part; std::getline(in, part, '@');) parts.push_back(part);
  if (parts.empty() || parts.size() > 3) throw RunError("invalid stop-at-preimage: " + spec);
  PreimageStop stop;
  stop.key_prefix = lenient_hex_bytes(parts[0]);
  if (stop.key_prefix.size() > 32) throw RunError("stop-at-preimage key prefix is longer than 32 bytes");
  if (parts.size() > 1) stop.offset = parse_offset(parts[1]);
  if (parts.size() > 2) stop.min_step = parse_offset(parts[2]);
  return stop;
}

}  // namespace

PreimageStop PreimageStop::parse(const std::string& spec, bool spec_set, const std::string& type, Word larger_than) {
  PreimageStop stop;
  if (spec_set) {
    stop = parse_spec(spec);
  } else if (type == "local") {
    stop.key_prefix = {1};
  } else if (type == "keccak") {
    stop.key_prefix = {2};
  } else if (type == "sha256") {
    stop.key_prefix = {4};
  } else if (type == "blob") {
    stop.key_prefix = {5};
  } else if (type == "precompile") {
    stop.key_prefix = {6};
  } else if (type == "any") {
    stop.any = true;
  } else if (!type.empty()) {
    throw RunError("invalid preimage type \"" + type + "\"");
  }
  stop.larger_than = larger_than;
  return stop;
}

bool PreimageStop::matches(const Vm& vm, Word step) const {
  if (!vm.last_step_read_preimage()) return false;
  if (any) return true;
  const PreimageCache& cache = vm.preimage_cache();
  const bool prefix = !key_prefix.empty() && std::equal(key_prefix.begin(), key_prefix.end(), cache.key.begin());
  const bool size = larger_than != 0 && cache.value.size() > larger_than;
  if (prefix && size) return true;
  if (prefix && larger_than == 0) return offset == vm.last_preimage_offset() && step >= min_step;
  return size && key_prefix.empty();
}

}  // namespace cannonball
