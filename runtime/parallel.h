// Splitting one large, evenly divisible job across the machine's cores (merkle hashing, state-file
// compression). Owns no threads between calls: each call starts at most hardware_concurrency - 1
// helpers, runs one share on the calling thread and joins them before returning.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace cannonball {

inline unsigned worker_count() {
  static const unsigned count = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  return count;
}

// Calls fn(begin, end) over disjoint ranges covering [0, total), on up to worker_count() threads,
// never giving a thread fewer than `min_share` items. fn must not throw.
template <class Fn>
void parallel_ranges(size_t total, size_t min_share, Fn&& fn) {
  size_t threads = std::min<size_t>(worker_count(), min_share ? total / min_share : total);
  if (threads <= 1) {
    if (total) fn(size_t{0}, total);
    return;
  }
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  const size_t share = (total + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    const size_t begin = std::min(total, t * share), end = std::min(total, begin + share);
    if (begin < end) helpers.emplace_back([&fn, begin, end] { fn(begin, end); });
  }
  fn(size_t{0}, std::min(total, share));
  for (auto& helper : helpers) helper.join();
}

}  // namespace cannonball
