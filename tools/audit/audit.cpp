#include "tools/audit/audit.h"

#include <algorithm>
#include <cstdio>

#include "interp/instruction_table.h"
#include "interp/syscalls.h"
#include "runtime/hex.h"

namespace cannonball {
namespace {

enum Kind { Running = 0, Ready = 1, FutexWaiting = 2, Sleeping = 3, Gone = 4, IdleRunning = 5 };

int off_kind(TurnEnd end) {
  switch (end) {
    case TurnEnd::FutexWait: return FutexWaiting;
    case TurnEnd::Yield:
    case TurnEnd::Nanosleep: return Sleeping;
    case TurnEnd::Exited: return Gone;
    default: return Ready;
  }
}

}  // namespace

const char* turn_end_name(TurnEnd end) {
  switch (end) {
    case TurnEnd::None: return "none";
    case TurnEnd::Forced: return "forced";
    case TurnEnd::Yield: return "yield";
    case TurnEnd::Nanosleep: return "nanosleep";
    case TurnEnd::FutexWait: return "futex-wait";
    case TurnEnd::FutexWake: return "futex-wake";
    case TurnEnd::Clone: return "clone";
    case TurnEnd::Exited: return "exited";
  }
  return "?";
}

AuditObserver::AuditObserver(const State& state, AuditConfig config) : config_(config) {
  start_step_ = state.step;
  idle_since_ = state.step;
  last_step_ = state.step;
  for (const auto* stack : {&state.left_stack, &state.right_stack})
    for (const Thread& t : *stack) {
      ThreadAudit& audit = thread(t.thread_id, state.step);
      audit.exited = t.exited;
      audit.last_turn_end = state.step;
    }
  max_live_threads_ = std::max<Word>(1, state.thread_count());
  if (!state.active_stack().empty()) start_turn(state);
}

ThreadAudit& AuditObserver::thread(Word tid, Word step) {
  // The same thread again (its ll then its sc, most often): map nodes never move.
  if (last_thread_ != nullptr && last_thread_->thread_id == tid) return *last_thread_;
  auto [it, inserted] = threads_.try_emplace(tid);
  last_thread_ = &it->second;
  if (inserted) {
    it->second.thread_id = tid;
    it->second.created_step = step;
    it->second.last_turn_end = step;
  }
  return it->second;
}

void AuditObserver::start_turn(const State& state) {
  const Thread& t = state.current_thread();
  ThreadAudit& audit = thread(t.thread_id, state.step);
  current_ = t.thread_id;
  turn_start_ = state.step;
  pending_end_ = TurnEnd::None;
  turn_productive_ = false;
  turn_failed_sc_ = false;
  const Word wait = state.step - audit.last_turn_end;
  if (audit.turns > 0 && wait > audit.longest_wait) {
    audit.longest_wait = wait;
    audit.longest_wait_end = state.step;
  }
  add_interval(t.thread_id, audit.turns > 0 ? off_kind(audit.last_end) : Ready, audit.last_turn_end, state.step);
  audit.turns += 1;
  // A starving thread finally runs: its hazard ends here.
  if (auto it = starving_.find(t.thread_id); it != starving_.end()) {
    hazards_[it->second].last_step = state.step;
    starving_.erase(it);
  }
}

void AuditObserver::end_turn(Word step) {
  if (current_ == ~Word{0}) return;
  ThreadAudit& audit = thread(current_, step);
  const Word steps = step - turn_start_;
  audit.steps += steps;
  const bool non_instruction_end = pending_end_ == TurnEnd::Forced || pending_end_ == TurnEnd::Exited;
  audit.instructions += steps - (non_instruction_end && steps > 0 ? 1 : 0);
  // Idle: a short turn that gave the processor up of its own accord (a futex wake included: a
  // runtime that only wakes threads that find nothing to do makes no progress either), or a
  // turn whose ll/sc kept failing.
  const bool voluntary_idle = pending_end_ == TurnEnd::Yield || pending_end_ == TurnEnd::Nanosleep ||
                              pending_end_ == TurnEnd::FutexWait || pending_end_ == TurnEnd::FutexWake;
  const bool idle = !turn_productive_ && ((voluntary_idle && steps <= config_.idle_turn_max_steps) || turn_failed_sc_);
  add_interval(current_, idle ? IdleRunning : Running, turn_start_, step);
  audit.last_turn_end = step;
  audit.last_end = pending_end_;
  if (pending_end_ == TurnEnd::Forced) {
    audit.forced_preemptions += 1;
    mark(current_, 2, step);
  }
  if (!idle) productive(step);
  check_no_progress(step);
  current_ = ~Word{0};
  last_step_ = step;
}

void AuditObserver::productive(Word step) {
  idle_since_ = step;
  no_progress_open_ = false;
}

void AuditObserver::check_no_progress(Word step) {
  if (step - idle_since_ < config_.no_progress_window) return;
  std::vector<Word> ids;
  for (const auto& [tid, audit] : threads_)
    if (!audit.exited) ids.push_back(tid);
  if (no_progress_open_) {
    for (auto it = hazards_.rbegin(); it != hazards_.rend(); ++it)
      if (it->kind == "no-progress") {
        it->last_step = step;
        break;
      }
    return;
  }
  no_progress_open_ = true;
  report({"no-progress", idle_since_, step, ids,
          "every live thread only yielded, slept, waited on a futex with a matching value or failed an sc for " +
              std::to_string(step - idle_since_) + " steps"});
}

void AuditObserver::check_deadlock(const State& state) {
  bool all_waiting = true;
  Word live = 0;
  std::vector<Word> ids;
  std::string detail;
  for (const auto* stack : {&state.left_stack, &state.right_stack})
    for (const Thread& t : *stack) {
      if (t.exited) continue;
      ++live;
      const ThreadAudit& audit = threads_.at(t.thread_id);
      if (audit.last_end != TurnEnd::FutexWait) {
        all_waiting = false;
        break;
      }
      const Word mem = state.memory.read_word(audit.waited_addr & AddressMask);
      const auto value = static_cast<uint32_t>(select_subword(audit.waited_addr, mem, 4, false));
      if (value != audit.waited_value) {
        all_waiting = false;
        break;
      }
      ids.push_back(t.thread_id);
      detail += (detail.empty() ? "" : ", ") + std::string("thread ") + std::to_string(t.thread_id) + " waits on " +
                hex_word(audit.waited_addr) + " == " + std::to_string(audit.waited_value);
    }
  if (!all_waiting || live == 0 || last_wake_step_ > deadlock_since_) {
    deadlock_since_ = all_waiting && live > 0 ? state.step : ~Word{0};
    if (!all_waiting) deadlock_reported_ = false;
    return;
  }
  if (deadlock_since_ == ~Word{0}) {
    deadlock_since_ = state.step;
    return;
  }
  // Every live thread must have waited again since the condition began.
  for (Word id : ids)
    if (threads_.at(id).last_turn_end <= deadlock_since_) return;
  if (deadlock_reported_) {
    for (auto it = hazards_.rbegin(); it != hazards_.rend(); ++it)
      if (it->kind == "deadlock") {
        it->last_step = state.step;
        break;
      }
    return;
  }
  deadlock_reported_ = true;
  report({"deadlock", deadlock_since_, state.step, ids,
          "every live thread waits on a futex whose value still matches and no thread wakes it: " + detail});
}

void AuditObserver::check_starvation(const State& state) {
  const Word bound = 2 * max_live_threads_ * (SchedQuantum + 2);
  for (const auto* stack : {&state.left_stack, &state.right_stack})
    for (const Thread& t : *stack) {
      if (t.exited || t.thread_id == current_) continue;
      const ThreadAudit& audit = threads_.at(t.thread_id);
      const Word wait = state.step - audit.last_turn_end;
      if (wait <= bound || starving_.count(t.thread_id)) continue;
      starving_[t.thread_id] = hazards_.size();
      report({"starvation",
              audit.last_turn_end,
              audit.last_turn_end,
              {t.thread_id},
              "thread " + std::to_string(t.thread_id) + " has not run for " + std::to_string(wait) +
                  " steps (bound 2 x " + std::to_string(max_live_threads_) +
                  " threads x quantum = " + std::to_string(bound) + ")"});
    }
}

void AuditObserver::report(Hazard hazard) {
  for (Word tid : hazard.threads) mark(tid, 3, hazard.last_step);
  hazards_.push_back(std::move(hazard));
}

void AuditObserver::on_switch(const State& state) {
  end_turn(state.step);
  if (!state.active_stack().empty()) start_turn(state);
  check_deadlock(state);
  check_starvation(state);
}

namespace {

const char* release_name(Word syscall) {
  if (syscall == sys::Munmap) return "munmap";
  if (syscall == sys::Madvise) return "madvise(MADV_DONTNEED)";
  return "mmap at a given address";
}

// The bytes [lo, hi) of the aligned word an instruction with this major opcode reads or writes
// at byte address `a` (big-endian MIPS64; lwl/ldl reach to the end of their word, lwr/ldr from
// its start). Returns false for opcodes that touch no data.
bool access_range(unsigned opcode, Word a, Word& lo, Word& hi) {
  switch (opcode) {
    case 0x20:
    case 0x24:
    case 0x28: lo = a, hi = a + 1; break;  // lb lbu sb
    case 0x21:
    case 0x25:
    case 0x29: lo = a, hi = a + 2; break;  // lh lhu sh
    case 0x23:
    case 0x27:
    case 0x2B:
    case 0x30:
    case 0x38: lo = a, hi = a + 4; break;  // lw lwu sw ll sc
    case 0x37:
    case 0x3F:
    case 0x34:
    case 0x3C: lo = a, hi = a + 8; break;  // ld sd lld scd
    case 0x22:
    case 0x2A: lo = a, hi = (a | 3) + 1; break;  // lwl swl
    case 0x26:
    case 0x2E: lo = a & ~Word{3}, hi = a + 1; break;  // lwr swr
    case 0x1A:
    case 0x2C: lo = a, hi = (a | 7) + 1; break;  // ldl sdl
    case 0x1B:
    case 0x2D: lo = a & ~Word{7}, hi = a + 1; break;  // ldr sdr
    default: return false;
  }
  const Word word = a & AddressMask;
  lo = std::max(lo, word);
  hi = std::min(hi, word + 8);
  return hi > lo;
}

bool is_store(unsigned opcode) {
  const Op op = memory_op(opcode);
  return op != Op::Invalid && info(op).access == Access::Write;
}

}  // namespace

void AuditObserver::mark_stale(const Memory& memory, Word addr, Word len, Word step, Word syscall) {
  if (len == 0) return;
  const Word first = addr >> PageAddrBits;
  const Word end = addr + len < addr ? ~Word{0} : addr + len;
  const Word last = (end - 1) >> PageAddrBits;
  // The kernel works on whole pages: every non-zero byte of a covered page becomes stale.
  auto mark_page = [&](Word index) {
    const Page* page = memory.find_page(index);
    if (!page) return;
    StalePage* stale = nullptr;
    Word marked = 0, bytes = 0;
    for (unsigned i = 0; i < PageSize; ++i) {
      if (page->bytes[i] == 0) continue;
      ++bytes;
      if (!stale) stale = &stale_[index];
      const uint64_t bit = uint64_t{1} << (i % 64);
      if (!(stale->bits[i / 64] & bit)) {
        stale->bits[i / 64] |= bit;
        ++marked;
      }
    }
    if (!stale) return;
    stale->count += marked;
    stale->release_step = step;
    stale->release_syscall = syscall;
    memory_release_.stale_bytes += bytes;
    memory_release_.stale_pages += 1;
  };
  if (last - first < memory.page_count()) {
    for (Word index = first;; ++index) {
      mark_page(index);
      if (index == last) break;
    }
  } else {
    for (Word index : memory.sorted_page_indices())
      if (index >= first && index <= last) mark_page(index);
  }
}

// Clears (stores) or counts (loads) the stale bytes of [addr, addr + size); the range may cross
// pages. `page_out` gets the stale page of the first stale byte found.
Word AuditObserver::clear_or_test_stale(Word addr, Word size, bool clear, StalePage** page_out) {
  Word found = 0;
  for (Word a = addr; a != addr + size; ++a) {
    auto it = stale_.find(a >> PageAddrBits);
    if (it == stale_.end()) {
      a |= PageSize - 1;  // skip the rest of a page without stale bytes
      if (a - addr >= size - 1) break;
      continue;
    }
    StalePage& page = it->second;
    const unsigned i = a & (PageSize - 1);
    const uint64_t bit = uint64_t{1} << (i % 64);
    if (!(page.bits[i / 64] & bit)) continue;
    if (found++ == 0 && page_out) *page_out = &page;
    if (clear) {
      page.bits[i / 64] &= ~bit;
      if (--page.count == 0) {
        stale_.erase(it);
        watch_data = !stale_.empty();
      }
    }
  }
  return found;
}

void AuditObserver::on_memory_release(const State& state, const Thread& t, Word syscall, Word addr, Word len,
                                      Word advice) {
  MemoryReleaseStats& m = memory_release_;
  if (syscall == sys::Madvise && advice != sys::MadvDontneed) {
    m.madvise_other += 1;
    return;
  }
  (syscall == sys::Munmap ? m.munmaps : syscall == sys::Madvise ? m.madvise_dontneed : m.mmap_at_address) += 1;
  const Word before = m.stale_bytes;
  mark_stale(state.memory, addr, len, state.step, syscall);
  watch_data = !stale_.empty();
  if (m.stale_bytes == before) return;
  ++watch_epoch;  // pages may have joined the watched set
  if (m.stale_calls < 2000) mark(t.thread_id, 4, state.step);
  m.stale_calls += 1;
  m.last_stale_step = state.step;
  if (m.stale_calls == 1) {
    m.first_stale_step = state.step;
    m.first_stale_thread = t.thread_id;
    m.first_stale_pc = t.pc;
    m.first_stale_syscall = syscall;
    m.first_stale_addr = addr;
    m.first_stale_len = len;
    m.first_stale_bytes = m.stale_bytes - before;
  }
}

void AuditObserver::on_data_access(const State& state, const Thread& t, Word addr, unsigned opcode, Word size) {
  Word lo = addr, hi = addr + size;
  if (opcode != 0 && !access_range(opcode, addr, lo, hi)) return;
  if (opcode == 0 || is_store(opcode)) {
    clear_or_test_stale(lo, hi - lo, true, nullptr);
    return;
  }
  StalePage* page = nullptr;
  const Word bytes = clear_or_test_stale(lo, hi - lo, false, &page);
  if (bytes == 0) return;
  MemoryReleaseStats& m = memory_release_;
  m.stale_reads += 1;
  m.stale_read_bytes += bytes;
  m.stale_reads_by_pc[t.pc] += 1;
  if (m.stale_reads == 1) {
    m.first_read_step = state.step;
    m.first_read_thread = t.thread_id;
    m.first_read_pc = t.pc;
    m.first_read_addr = addr;
    m.first_read_opcode = opcode;
    m.first_read_word = state.memory.read_word(addr & AddressMask);
    m.first_read_release_step = page->release_step;
    m.first_read_release_syscall = page->release_syscall;
    stale_read_hazard_ = hazards_.size();
    report({"stale-read", state.step, state.step, {t.thread_id}, ""});
  }
  Hazard& h = hazards_[stale_read_hazard_];
  h.last_step = state.step;
  h.detail = std::to_string(m.stale_reads) + " load(s) read " + std::to_string(m.stale_read_bytes) +
             " byte(s) that the program had given back (Linux would return zeros there); the first: opcode " +
             hex_word(m.first_read_opcode) + " at step " + std::to_string(m.first_read_step) + ", pc " +
             hex_word(m.first_read_pc) + ", address " + hex_word(m.first_read_addr) + ", word " +
             hex_word(m.first_read_word) + ", given back by " + release_name(m.first_read_release_syscall) +
             " at step " + std::to_string(m.first_read_release_step);
}

void AuditObserver::finish(const State& state) {
  end_turn(state.step);
  for (auto& [tid, audit] : threads_)
    if (!audit.exited) add_interval(tid, off_kind(audit.last_end), audit.last_turn_end, state.step);
  for (const auto& [tid, index] : starving_) hazards_[index].last_step = state.step;
  last_step_ = state.step;
}

void AuditObserver::on_pop_exited(const State& state, const Thread& t) {
  RunStats::on_pop_exited(state, t);
  pending_end_ = TurnEnd::Exited;
}

void AuditObserver::on_forced_preemption(const State& state, const Thread& t) {
  RunStats::on_forced_preemption(state, t);
  pending_end_ = TurnEnd::Forced;
}

void AuditObserver::on_voluntary_preemption(const State& state, const Thread& t, Word syscall) {
  RunStats::on_voluntary_preemption(state, t, syscall);
  ThreadAudit& audit = thread(t.thread_id, state.step);
  audit.voluntary_preemptions += 1;
  if (syscall == sys::SchedYield) {
    audit.yields += 1;
    pending_end_ = TurnEnd::Yield;
  } else if (syscall == sys::Nanosleep) {
    audit.nanosleeps += 1;
    pending_end_ = TurnEnd::Nanosleep;
  }  // futex: set by on_futex_wait / on_futex_wake just before
}

void AuditObserver::on_futex_wait(const State& state, const Thread& t, Word addr, bool matched) {
  ThreadAudit& audit = thread(t.thread_id, state.step);
  if (matched) {
    audit.futex_waits_matched += 1;
    audit.waited_addr = addr;
    audit.waited_value = static_cast<uint32_t>(t.regs[6]);
    pending_end_ = TurnEnd::FutexWait;
  } else {
    audit.futex_waits_mismatched += 1;
  }
}

void AuditObserver::on_futex_wake(const State& state, const Thread& t, Word) {
  thread(t.thread_id, state.step).futex_wakes += 1;
  pending_end_ = TurnEnd::FutexWake;
  last_wake_step_ = state.step;
}

void AuditObserver::on_clone(const State& state, const Thread& parent, const Thread& child) {
  ThreadAudit& audit = thread(parent.thread_id, state.step);
  audit.clones += 1;
  if (audit.clone_steps.size() < 64) audit.clone_steps.push_back(state.step);
  thread(child.thread_id, state.step);
  mark(parent.thread_id, 0, state.step);
  pending_end_ = TurnEnd::Clone;
  turn_productive_ = true;
  max_live_threads_ = std::max<Word>(max_live_threads_, state.thread_count() + 1);
}

void AuditObserver::on_exit(const State& state, const Thread& t, bool group) {
  ThreadAudit& audit = thread(t.thread_id, state.step);
  audit.exit_step = state.step;
  audit.exited = true;
  if (group)
    for (auto& [tid, other] : threads_) other.exited = true;
  mark(t.thread_id, 1, state.step);
  turn_productive_ = true;
}

void AuditObserver::on_load_linked(const State& state, const Thread& t, Word addr, bool is64) {
  RunStats::on_load_linked(state, t, addr, is64);
  ThreadAudit& audit = thread(t.thread_id, state.step);
  audit.lls[is64] += 1;
  audit.ll_pending = true;
  audit.last_ll_step = state.step;
  audit.reservation_stolen = false;
}

void AuditObserver::on_store_conditional(const State& state, const Thread& t, Word addr, bool is64, bool success) {
  RunStats::on_store_conditional(state, t, addr, is64, success);
  ThreadAudit& audit = thread(t.thread_id, state.step);
  if (audit.ll_pending) audit.longest_ll_sc = std::max(audit.longest_ll_sc, state.step - audit.last_ll_step);
  audit.ll_pending = false;
  if (success) {
    audit.ll_success[is64] += 1;
    audit.pingpong_streak = 0;
    return;
  }
  audit.ll_fail[is64] += 1;
  turn_failed_sc_ = true;
  if (!audit.reservation_stolen) {
    audit.pingpong_streak = 0;
    return;
  }
  if (audit.pingpong_streak == 0) audit.pingpong_start = state.step;
  audit.pingpong_streak += 1;
  if (audit.pingpong_streak == config_.pingpong_threshold) {
    std::vector<Word> ids = {t.thread_id};
    std::string writers;
    for (const auto& [writer, count] : audit.reservations_lost_to) {
      ids.push_back(writer);
      writers += (writers.empty() ? "" : ", ") + std::to_string(writer) + " (" + std::to_string(count) + "x)";
    }
    report({"reservation-ping-pong", audit.pingpong_start, state.step, ids,
            "thread " + std::to_string(t.thread_id) + " failed " + std::to_string(audit.pingpong_streak) +
                " sc in a row at " + hex_word(addr) +
                " because other threads wrote the reserved word; writers: " + writers});
  } else if (audit.pingpong_streak > config_.pingpong_threshold) {
    for (auto it = hazards_.rbegin(); it != hazards_.rend(); ++it)
      if (it->kind == "reservation-ping-pong" && it->threads[0] == t.thread_id) {
        it->last_step = state.step;
        break;
      }
  }
}

void AuditObserver::on_reservation_invalidated(const State& state, Word writer, Word owner, Word addr, uint8_t status) {
  RunStats::on_reservation_invalidated(state, writer, owner, addr, status);
  if (status == 0 || writer == owner) return;
  ThreadAudit& audit = thread(owner, state.step);
  audit.reservations_lost += 1;
  audit.reservations_lost_to[writer] += 1;
  audit.reservation_stolen = true;
}

}  // namespace cannonball
