#include "tools/audit/audit.h"

#include <algorithm>
#include <cstdio>

#include "interp/syscalls.h"

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
  auto [it, inserted] = threads_.try_emplace(tid);
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
  const bool idle = !turn_productive_ &&
                    ((voluntary_idle && steps <= config_.idle_turn_max_steps) || turn_failed_sc_);
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
      report({"starvation", audit.last_turn_end, audit.last_turn_end, {t.thread_id},
              "thread " + std::to_string(t.thread_id) + " has not run for " + std::to_string(wait) +
                  " steps (bound 2 x " + std::to_string(max_live_threads_) + " threads x quantum = " +
                  std::to_string(bound) + ")"});
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
                " sc in a row at " + hex_word(addr) + " because other threads wrote the reserved word; writers: " +
                writers});
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
