// Hooks through which the audit lens watches the scheduler, futexes and LL/SC. The VM calls them
// only when an observer is installed (one pointer test otherwise), so a plain run pays nothing.
#pragma once

#include "runtime/state.h"

namespace cannonball {

class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  virtual void on_instruction(const State&, const Thread&, uint32_t /*insn*/) {}
  virtual void on_pop_exited(const State&, const Thread&) {}
  virtual void on_forced_preemption(const State&, const Thread&) {}
  // After any preemption: `thread_id` is the thread that now runs.
  virtual void on_thread_activated(const State&, Word /*thread_id*/) {}
  // A syscall that preempts voluntarily (yield, nanosleep, futex wake, matching futex wait).
  virtual void on_voluntary_preemption(const State&, const Thread&, Word /*syscall*/) {}
  virtual void on_futex_wait(const State&, const Thread&, Word /*addr*/, bool /*value_matched*/) {}
  virtual void on_futex_wake(const State&, const Thread&, Word /*addr*/) {}
  virtual void on_clone(const State&, const Thread& /*parent*/, const Thread& /*child*/) {}
  virtual void on_exit(const State&, const Thread&, bool /*group*/) {}
  virtual void on_load_linked(const State&, const Thread&, Word /*addr*/, bool /*is64*/) {}
  virtual void on_store_conditional(const State&, const Thread&, Word /*addr*/, bool /*is64*/, bool /*success*/) {}
  // A write by `writer` cleared the reservation held by `owner`.
  virtual void on_reservation_invalidated(const State&, Word /*writer*/, Word /*owner*/, Word /*addr*/) {}
};

}  // namespace cannonball
