// A scheduler observer that logs every hook call as one line (hook name, state.step,
// steps_since_last_context_switch, current thread, the hook's own arguments), so that two runs
// can be compared call by call.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "interp/observer.h"

namespace cannonball {

class RecordingObserver final : public SchedulerObserver {
 public:
  std::vector<std::string> events;

  void on_pop_exited(const State& s, const Thread& t) override { log(s, "pop_exited", {t.thread_id}); }
  void on_forced_preemption(const State& s, const Thread& t) override { log(s, "forced", {t.thread_id}); }
  void on_thread_activated(const State& s, Word id) override { log(s, "activated", {id}); }
  void on_switch(const State& s) override { log(s, "switch", {}); }
  void on_voluntary_preemption(const State& s, const Thread& t, Word syscall) override {
    log(s, "voluntary", {t.thread_id, syscall});
  }
  void on_futex_wait(const State& s, const Thread& t, Word addr, bool matched) override {
    log(s, "futex_wait", {t.thread_id, addr, matched});
  }
  void on_futex_wake(const State& s, const Thread& t, Word addr) override { log(s, "futex_wake", {t.thread_id, addr}); }
  void on_clone(const State& s, const Thread& parent, const Thread& child) override {
    log(s, "clone", {parent.thread_id, child.thread_id});
  }
  void on_exit(const State& s, const Thread& t, bool group) override { log(s, "exit", {t.thread_id, group}); }
  void on_load_linked(const State& s, const Thread& t, Word addr, bool is64) override {
    log(s, "ll", {t.thread_id, addr, is64});
  }
  void on_store_conditional(const State& s, const Thread& t, Word addr, bool is64, bool success) override {
    log(s, "sc", {t.thread_id, addr, is64, success});
  }
  void on_reservation_invalidated(const State& s, Word writer, Word owner, Word addr, uint8_t status) override {
    log(s, "reservation_invalidated", {writer, owner, addr, status});
  }
  // With watch_data: the one page whose data accesses are logged (the interpreter reports every
  // access while watch_data is set, the JIT only those to watched pages).
  Word watched_page = ~Word{0};
  bool watches_page(Word page_index) const override { return watch_data && page_index == watched_page; }
  void on_data_access(const State& s, const Thread& t, Word addr, unsigned opcode, Word size) override {
    if (watches_page(addr >> PageAddrBits)) log(s, "data", {t.thread_id, addr, opcode, size});
  }

 private:
  void log(const State& s, const char* hook, std::initializer_list<Word> args) {
    std::ostringstream line;
    line << hook << " step=" << s.step << " since_switch=" << s.steps_since_last_context_switch
         << " thread=" << (s.active_stack().empty() ? ~Word{0} : s.current_thread().thread_id);
    for (Word a : args) line << ' ' << a;
    events.push_back(line.str());
  }
};

}  // namespace cannonball
