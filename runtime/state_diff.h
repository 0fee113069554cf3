// Field-by-field comparison of two States: the one differ behind lockstep checks (JIT against
// interpreter), the step-case tests (expected against actual) and the fuzzers.
//
// Compares every State field, every thread of both stacks (id, exit fields, pc/next_pc, HI/LO,
// all registers), the memory contents word by word and, when asked, the allocated page sets and
// the merkle roots. Each difference is one readable line naming the field and both values.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/state.h"

namespace cannonball {

struct StateDiffOptions {
  const char* a_name = "a";  // how the two sides are named in the lines ("jit" / "interp", ...)
  const char* b_name = "b";
  // The same pages must be allocated on both sides (engines in lockstep allocate identically; an
  // expected state built by hand may lack pages the run touched with zeros).
  bool compare_page_sets = true;
  // Also compare the merkle roots; differing roots with equal contents mean a page changed without
  // being marked dirty. Computing the roots costs a hash of every dirty page.
  bool compare_merkle_root = true;
  size_t max_memory_words = 16;  // differing memory words listed before the rest is summarised
};

// Lockstep naming: side a ran on the JIT, side b on the interpreter.
inline StateDiffOptions lockstep_diff_options(bool compare_merkle_root) {
  return {.a_name = "jit", .b_name = "interp", .compare_merkle_root = compare_merkle_root};
}

// Every difference, one line each ("step: jit 0x5 interp 0x6"); empty when the states agree.
std::vector<std::string> state_differences(State& a, State& b, const StateDiffOptions& options = {});

// The same lines joined, each ending in "\n"; empty when the states agree.
std::string describe_state_differences(State& a, State& b, const StateDiffOptions& options = {});

}  // namespace cannonball
