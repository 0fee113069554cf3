#include "tools/audit/run_stats.h"

#include "runtime/hex.h"

namespace cannonball {

void RunStats::on_thread_activated(const State& state, Word thread_id) {
  if (active_thread_ == 0 && thread_id != 0) {
    last_active_step_thread0_ = state.step;
  } else if (active_thread_ != 0 && thread_id == 0) {
    idle_steps_thread0_ += state.step - last_active_step_thread0_;
  }
  active_thread_ = thread_id;
}

void RunStats::on_load_linked(const State& state, const Thread& thread, Word, bool) {
  for (auto& [tid, step] : last_ll_step_)
    if (tid == thread.thread_id) {
      step = state.step;
      return;
    }
  last_ll_step_.emplace_back(thread.thread_id, state.step);
}

void RunStats::on_store_conditional(const State& state, const Thread& thread, Word, bool, bool success) {
  ++(success ? rmw_success_ : rmw_fail_);
  for (auto it = last_ll_step_.begin(); it != last_ll_step_.end(); ++it)
    if (it->first == thread.thread_id) {
      max_ll_sc_ = std::max(max_ll_sc_, state.step - it->second);
      *it = last_ll_step_.back();
      last_ll_step_.pop_back();
      return;
    }
}

Json RunStats::debug_info_json(const Vm& vm) const {
  const State& state = vm.state();
  return {{"pages", state.memory.page_count()},
          {"memory_used", hex_word(state.memory.page_count() * PageSize)},
          {"num_preimage_requests", vm.preimage_requests()},
          {"total_preimage_size", vm.total_preimage_size()},
          {"total_steps", state.step},
          {"instruction_cache_miss_count", 0},
          {"highest_icache_miss_pc", "0x0"},
          {"rmw_success_count", rmw_success_},
          {"rmw_fail_count", rmw_fail_},
          {"max_steps_between_ll_and_sc", max_ll_sc_},
          {"reservation_invalidation_count", reservation_invalidations_},
          {"forced_preemption_count", forced_preemptions_},
          {"idle_step_count_thread_0", idle_steps_thread0_}};
}

}  // namespace cannonball
