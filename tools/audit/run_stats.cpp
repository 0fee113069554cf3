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

void RunStats::on_store_conditional(const State& state, const Thread& thread, Word, bool, bool success) {
  ++(success ? rmw_success_ : rmw_fail_);
  auto it = last_ll_step_.find(thread.thread_id);
  if (it != last_ll_step_.end()) {
    max_ll_sc_ = std::max(max_ll_sc_, state.step - it->second);
    last_ll_step_.erase(it);
  }
}

std::string RunStats::debug_info_json(const Vm& vm, const std::string& extra_fields) const {
  const State& state = vm.state();
  std::string out = "{\n";
  auto field = [&](const char* name, const std::string& value, bool last = false) {
    out += std::string("  \"") + name + "\": " + value + (last ? "\n" : ",\n");
  };
  field("pages", std::to_string(state.memory.page_count()));
  field("memory_used", "\"" + hex_word(state.memory.page_count() * PageSize) + "\"");
  field("num_preimage_requests", std::to_string(vm.preimage_requests()));
  field("total_preimage_size", std::to_string(vm.total_preimage_size()));
  field("total_steps", std::to_string(state.step));
  field("instruction_cache_miss_count", "0");
  field("highest_icache_miss_pc", "\"0x0\"");
  field("rmw_success_count", std::to_string(rmw_success_));
  field("rmw_fail_count", std::to_string(rmw_fail_));
  field("max_steps_between_ll_and_sc", std::to_string(max_ll_sc_));
  field("reservation_invalidation_count", std::to_string(reservation_invalidations_));
  field("forced_preemption_count", std::to_string(forced_preemptions_));
  field("idle_step_count_thread_0", std::to_string(idle_steps_thread0_), extra_fields.empty());
  out += extra_fields;
  out += "}\n\n";
  return out;
}

}  // namespace cannonball
