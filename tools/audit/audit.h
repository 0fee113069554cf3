// The audit lens: per-thread scheduling statistics, hazard detectors and a timeline, gathered
// through the VM's observer hooks (interp/observer.h). Nothing here runs unless an audit is asked
// for, and every hook fires from interpreter code (syscalls, LL/SC, the scheduler), which both
// engines share, so the figures are the same under the interpreter and the JIT.
//
// Vocabulary: a *turn* is a maximal run of consecutive steps in which one thread is the active
// thread; it covers the steps (start, end] of the step counter. A turn ends by a forced
// preemption, a voluntary one (yield, nanosleep, futex wait with a matching value, futex wake),
// a clone (the child runs next), or the pop of an exited thread.
#pragma once

#include <array>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/audit/run_stats.h"

namespace cannonball {

enum class TurnEnd : uint8_t { None, Forced, Yield, Nanosleep, FutexWait, FutexWake, Clone, Exited };
const char* turn_end_name(TurnEnd end);

struct ThreadAudit {
  Word thread_id = 0;
  Word steps = 0;         // steps in which it was the active thread
  Word instructions = 0;  // those steps minus forced preemptions and the pop of its exit
  Word turns = 0;
  Word forced_preemptions = 0, voluntary_preemptions = 0;
  Word futex_waits_matched = 0, futex_waits_mismatched = 0, futex_wakes = 0;
  Word yields = 0, nanosleeps = 0;
  std::vector<Word> clone_steps;  // steps at which it cloned (first 64)
  Word clones = 0;
  Word exit_step = 0;
  bool exited = false;
  Word ll_success[2] = {0, 0}, ll_fail[2] = {0, 0};  // sc / scd outcomes, [0]=32-bit, [1]=64-bit
  Word lls[2] = {0, 0};
  Word longest_ll_sc = 0;
  Word reservations_lost = 0;
  std::map<Word, Word> reservations_lost_to;  // writer thread -> count
  Word longest_wait = 0;                      // steps between two of its turns
  Word longest_wait_end = 0;
  // Bookkeeping.
  Word created_step = 0;
  Word last_turn_end = 0;
  TurnEnd last_end = TurnEnd::None;
  Word last_ll_step = 0;
  bool ll_pending = false;
  bool reservation_stolen = false;
  Word pingpong_streak = 0;
  Word pingpong_start = 0;
  Word waited_addr = 0;
  uint32_t waited_value = 0;
};

struct Hazard {
  std::string kind;  // no-progress, deadlock, starvation, reservation-ping-pong
  Word first_step = 0, last_step = 0;
  std::vector<Word> threads;
  std::string detail;
};

// Memory the guest gave back (munmap, madvise(MADV_DONTNEED)) or mapped at an address it chose
// (mmap with a0 != 0). Linux hands zero pages back on the next touch; the VM keeps the bytes, so a
// program that relies on the zeros (Go >= 1.26 skips zeroing spans whose pages were all
// scavenged) reads stale data. "Stale" counts the calls that left non-zero bytes in their range.
struct MemoryReleaseStats {
  Word munmaps = 0, madvise_dontneed = 0, madvise_other = 0, mmap_at_address = 0;
  Word stale_calls = 0, stale_bytes = 0, stale_pages = 0;
  Word first_stale_step = 0, first_stale_thread = 0, first_stale_pc = 0, first_stale_syscall = 0;
  Word first_stale_addr = 0, first_stale_len = 0, first_stale_bytes = 0;
  Word last_stale_step = 0;
  // Loads that read bytes still stale (non-zero when given back, not written since): the program
  // saw a value where Linux would have given it zeros.
  Word stale_reads = 0, stale_read_bytes = 0;
  Word first_read_step = 0, first_read_thread = 0, first_read_pc = 0, first_read_addr = 0;
  unsigned first_read_opcode = 0;
  Word first_read_word = 0, first_read_release_step = 0, first_read_release_syscall = 0;
  std::map<Word, Word> stale_reads_by_pc;  // pc -> loads there that read stale bytes
};

struct AuditConfig {
  // K: a window of this many steps in which every turn of every thread was idle (short and ended
  // by yield, nanosleep or a futex call, or spent failing sc) is a no-progress hazard. 50 M steps
  // is 5 s of guest time (the VM clock runs at 10 M steps per second).
  Word no_progress_window = 50'000'000;
  Word idle_turn_max_steps = 5'000;  // a turn longer than this is never idle
  Word pingpong_threshold = 8;       // consecutive sc failures caused by other threads
  size_t timeline_rows = 48;         // threads beyond this share one "other threads" row
  unsigned timeline_buckets = 1200;
};

class AuditObserver final : public RunStats {
 public:
  explicit AuditObserver(const State& state, AuditConfig config = {});
  AuditObserver(const AuditObserver&) = delete;  // holds a pointer into its own map
  AuditObserver& operator=(const AuditObserver&) = delete;

  void on_pop_exited(const State&, const Thread&) override;
  void on_forced_preemption(const State&, const Thread&) override;
  void on_voluntary_preemption(const State&, const Thread&, Word syscall) override;
  void on_futex_wait(const State&, const Thread&, Word addr, bool matched) override;
  void on_futex_wake(const State&, const Thread&, Word addr) override;
  void on_clone(const State&, const Thread& parent, const Thread& child) override;
  void on_exit(const State&, const Thread&, bool group) override;
  void on_load_linked(const State&, const Thread&, Word addr, bool is64) override;
  void on_store_conditional(const State&, const Thread&, Word addr, bool is64, bool success) override;
  void on_reservation_invalidated(const State&, Word writer, Word owner, Word addr, uint8_t status) override;
  void on_switch(const State&) override;
  void on_memory_release(const State&, const Thread&, Word syscall, Word addr, Word len, Word advice) override;
  void on_data_access(const State&, const Thread&, Word addr, unsigned opcode, Word size) override;
  bool watches_page(Word page_index) const override { return stale_.count(page_index) != 0; }

  // Closes the open turn at the state's current step (call once, at the end of the run).
  void finish(const State& state);

  const std::vector<Hazard>& hazards() const { return hazards_; }
  const std::map<Word, ThreadAudit>& threads() const { return threads_; }
  Json threads_json() const;  // the "threads" array of the debug-info JSON
  Json hazards_json() const;
  const MemoryReleaseStats& memory_release() const { return memory_release_; }
  Json memory_release_json() const;  // the "memory_release" object of the debug-info JSON
  std::string report_text() const;
  std::string timeline_svg(const std::string& title) const;

 private:
  ThreadAudit& thread(Word tid, Word step);
  void start_turn(const State& state);
  void end_turn(Word step);
  void add_interval(Word tid, int kind, Word from, Word to);
  void mark(Word tid, int kind, Word step);
  void productive(Word step);
  void check_no_progress(Word step);
  void check_deadlock(const State& state);
  void check_starvation(const State& state);
  void report(Hazard hazard);

  AuditConfig config_;
  std::map<Word, ThreadAudit> threads_;
  ThreadAudit* last_thread_ = nullptr;  // the entry thread() returned last
  std::vector<Hazard> hazards_;
  Word start_step_ = 0;
  // The open turn.
  Word current_ = ~Word{0};
  Word turn_start_ = 0;
  TurnEnd pending_end_ = TurnEnd::None;
  bool turn_productive_ = false;
  bool turn_failed_sc_ = false;
  // Detector state.
  Word idle_since_ = 0;
  bool no_progress_open_ = false;
  Word deadlock_since_ = ~Word{0};
  Word last_wake_step_ = 0;
  bool deadlock_reported_ = false;
  Word max_live_threads_ = 1;
  std::map<Word, size_t> starving_;  // thread -> index of its open starvation hazard
  MemoryReleaseStats memory_release_;
  // Stale bytes, by page: one bit per byte, the count of set bits, and the step and syscall of the
  // release that made them stale.
  struct StalePage {
    std::array<uint64_t, PageSize / 64> bits{};
    Word count = 0;
    Word release_step = 0, release_syscall = 0;
  };
  std::unordered_map<Word, StalePage> stale_;
  size_t stale_read_hazard_ = ~size_t{0};
  void mark_stale(const Memory& memory, Word addr, Word len, Word step, Word syscall);
  Word clear_or_test_stale(Word addr, Word size, bool clear, StalePage** page_out);
  // Timeline: per thread, buckets of `bucket_width_` steps with steps per state.
  static constexpr int KindCount = 6;  // running, ready, futex-wait, yield/sleep, exited, idle-running
  Word bucket_width_ = 64;
  std::map<Word, std::vector<std::array<Word, KindCount>>> buckets_;  // key OtherRow = the shared row
  static constexpr Word OtherRow = ~Word{0};
  struct Mark {
    Word tid, step;
    int kind;  // 0 clone, 1 exit, 2 forced preemption, 3 hazard, 4 memory given back holding data
  };
  std::vector<Mark> marks_;
  Word forced_marks_ = 0;
  Word last_step_ = 0;
};

}  // namespace cannonball
