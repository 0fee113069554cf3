// Run statistics behind --debug-info: upstream's fields (spec §11.3) gathered through the VM's
// observer hooks, so a run without --debug-info pays nothing for them.
#pragma once

#include <utility>
#include <vector>

#include "interp/observer.h"
#include "interp/vm.h"
#include "runtime/json_text.h"

namespace cannonball {

class RunStats : public SchedulerObserver {
 public:
  void on_forced_preemption(const State&, const Thread&) override { ++forced_preemptions_; }
  void on_thread_activated(const State& state, Word thread_id) override;
  void on_load_linked(const State& state, const Thread& thread, Word, bool) override;
  void on_store_conditional(const State& state, const Thread& thread, Word, bool, bool success) override;
  void on_reservation_invalidated(const State&, Word, Word, Word, uint8_t) override { ++reservation_invalidations_; }

  // Upstream's fields in upstream's order; callers may append more before writing it.
  Json debug_info_json(const Vm& vm) const;

 private:
  Word rmw_success_ = 0, rmw_fail_ = 0, max_ll_sc_ = 0, reservation_invalidations_ = 0, forced_preemptions_ = 0;
  Word idle_steps_thread0_ = 0, active_thread_ = 0, last_active_step_thread0_ = 0;
  // Per thread with an ll not yet followed by its sc: (thread id, step of the ll). A handful of
  // threads at most, and an ll/sc pair on every atomic operation of the guest's runtime, so a
  // flat list that never gives back its storage (a hash map allocated and freed a node per pair).
  std::vector<std::pair<Word, Word>> last_ll_step_;
};

}  // namespace cannonball
