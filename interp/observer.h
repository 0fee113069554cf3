// Hooks through which the audit lens watches the scheduler, futexes and LL/SC. The VM calls them
// only when an observer is installed (one pointer test otherwise), so a plain run pays nothing.
#pragma once

#include "runtime/state.h"

namespace cannonball {

class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  virtual void on_pop_exited(const State&, const Thread&) {}
  virtual void on_forced_preemption(const State&, const Thread&) {}
  // After a preemption (forced or voluntary): `thread_id` is the thread that now runs. This is
  // upstream's notion of activation, which its idle_step_count_thread_0 statistic is built on.
  virtual void on_thread_activated(const State&, Word /*thread_id*/) {}
  // After every change of the active thread (preemption, pop of an exited thread, clone).
  virtual void on_switch(const State&) {}
  // A syscall that preempts voluntarily (yield, nanosleep, futex wake, matching futex wait).
  virtual void on_voluntary_preemption(const State&, const Thread&, Word /*syscall*/) {}
  virtual void on_futex_wait(const State&, const Thread&, Word /*addr*/, bool /*value_matched*/) {}
  virtual void on_futex_wake(const State&, const Thread&, Word /*addr*/) {}
  virtual void on_clone(const State&, const Thread& /*parent*/, const Thread& /*child*/) {}
  virtual void on_exit(const State&, const Thread&, bool /*group*/) {}
  virtual void on_load_linked(const State&, const Thread&, Word /*addr*/, bool /*is64*/) {}
  virtual void on_store_conditional(const State&, const Thread&, Word /*addr*/, bool /*is64*/, bool /*success*/) {}
  // A write by thread `writer` to the reserved word cleared the reservation (spec §6). `status`
  // is the reservation status before the write (0 when the address matched but nothing was held).
  virtual void on_reservation_invalidated(const State&, Word /*writer*/, Word /*owner*/, Word /*addr*/,
                                          uint8_t /*status*/) {}
  // munmap or madvise (noops, spec §7.3) or mmap at a caller-given address (which returns it
  // as is, spec §7.2), before the syscall's results are written. The VM keeps the bytes of the
  // range, where Linux gives zero pages on the next touch (munmap, MADV_DONTNEED, a new
  // anonymous mapping). `advice` is a2 for madvise, 0 otherwise.
  virtual void on_memory_release(const State&, const Thread&, Word /*syscall*/, Word /*addr*/, Word /*len*/,
                                 Word /*advice*/) {}
  // Data accesses, delivered only while `watch_data` is set. `addr` is the byte address the
  // instruction names and `opcode` its major opcode (a load, a store, ll/lld or a successful
  // sc/scd), before the access; a syscall's write into memory comes as opcode 0 with its byte
  // count in `size`. An observer that cares only about some pages says which in `watches_page`
  // and bumps `watch_epoch` whenever a page joins them: the JIT then runs compiled code and leaves
  // only the accesses to watched pages to the interpreter (which reports them); pages that leave
  // the set may still be reported.
  virtual void on_data_access(const State&, const Thread&, Word /*addr*/, unsigned /*opcode*/, Word /*size*/) {}
  virtual bool watches_page(Word /*page_index*/) const { return watch_data; }
  bool watch_data = false;
  uint64_t watch_epoch = 0;
};

}  // namespace cannonball
