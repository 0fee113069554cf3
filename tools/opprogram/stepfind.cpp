// stepfind: runs a state in the canonical interpreter, one step at a time, and names the steps
// that are worth proving: pre-image key writes and reads, hints, futex waits and wakes, clones,
// mmaps, clock_gettime (proof slot #2), LL/SC, forced preemptions, steps inside the garbage
// collector, and the last step. Prints JSON: {"steps": N, "events": [{"step", "kind", "detail"}]},
// keeping the first two and the last occurrence of each kind. A step number is the pre-state's
// step counter, which is what `--proof-at =N` proves.
//
//   stepfind --input STATE [--meta META] [--max-steps N] -- HOST ARGS...
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "interp/observer.h"
#include "interp/syscalls.h"
#include "interp/vm.h"
#include "runtime/elf_loader.h"
#include "runtime/host_oracle.h"
#include "runtime/json_text.h"
#include "runtime/state_file.h"

namespace cb = cannonball;
using cb::State;
using cb::Thread;
using cb::Word;

namespace {

struct Event {
  uint64_t step;
  std::string detail;
};

struct Kind {
  std::vector<Event> first;
  Event last{};
  uint64_t count = 0;
};

class Finder : public cb::SchedulerObserver {
 public:
  std::map<std::string, Kind> kinds;
  uint64_t step = 0;  // pre-state step of the step being executed

  void add(const std::string& kind, const std::string& detail) {
    Kind& k = kinds[kind];
    if (k.first.size() < 2) k.first.push_back({step, detail});
    k.last = {step, detail};
    ++k.count;
  }
  void on_forced_preemption(const State&, const Thread& t) override {
    add("forced-preemption", "thread " + std::to_string(t.thread_id));
  }
  void on_futex_wait(const State&, const Thread& t, Word addr, bool matched) override {
    add(matched ? "futex-wait" : "futex-wait-mismatch", "thread " + std::to_string(t.thread_id) + " addr " + hex(addr));
  }
  void on_futex_wake(const State&, const Thread& t, Word addr) override {
    add("futex-wake", "thread " + std::to_string(t.thread_id) + " addr " + hex(addr));
  }
  void on_clone(const State&, const Thread& parent, const Thread& child) override {
    add("clone", "thread " + std::to_string(parent.thread_id) + " -> " + std::to_string(child.thread_id));
  }
  void on_store_conditional(const State&, const Thread& t, Word addr, bool, bool ok) override {
    add(ok ? "sc-ok" : "sc-fail", "thread " + std::to_string(t.thread_id) + " addr " + hex(addr));
  }
  static std::string hex(Word v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
  }
};

uint32_t instruction_at(const State& s, Word pc) {
  const Word word = s.memory.read_word(pc & ~Word{7});
  return static_cast<uint32_t>((pc & 4) ? word : word >> 32);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Name the interesting steps of a run (pre-image traffic, futexes, clone, GC, ...)", "stepfind"};
  std::string input, meta_path;
  uint64_t max_steps = ~uint64_t{0};
  std::vector<std::string> host;
  app.add_option("--input", input)->required();
  app.add_option("--meta", meta_path);
  app.add_option("--max-steps", max_steps);
  app.add_option("host", host);
  CLI11_PARSE(app, argc, argv);
  try {
    State state = cb::read_state_file(input);
    std::vector<cb::Symbol> symbols;
    if (!meta_path.empty()) {
      std::ifstream in(meta_path);
      std::stringstream text;
      text << in.rdbuf();
      symbols = cb::read_metadata_json(text.str());
    }
    // Address ranges of the garbage collector's marking and sweeping work.
    std::vector<std::pair<Word, Word>> gc;
    for (const auto& sym : symbols)
      if (sym.name == "runtime.scanobject" || sym.name == "runtime.greyobject" || sym.name == "runtime.gcDrain" ||
          sym.name == "runtime.sweepone" || sym.name == "runtime.markBits.isMarked" ||
          sym.name == "runtime.wbBufFlush1")
        gc.emplace_back(sym.start, sym.start + sym.size);
    std::unique_ptr<cb::HostOracle> oracle;
    cb::Vm vm(state);
    if (!host.empty()) {
      oracle = std::make_unique<cb::HostOracle>(host, std::chrono::milliseconds(30000));
      vm.set_oracle(oracle.get());
    }
    Finder finder;
    vm.set_observer(&finder);
    bool in_gc = false;
    while (!state.exited && state.step < max_steps) {
      finder.step = state.step;
      const Thread& t = state.current_thread();
      const Word pc = t.pc;
      const uint32_t insn = instruction_at(state, pc);
      if (insn == 0x0000000c) {
        const Word nr = t.regs[2], a0 = t.regs[4], a1 = t.regs[5];
        if (nr == cb::sys::Write && a0 == cb::sys::FdHintWrite)
          finder.add("hint-write", "");
        else if (nr == cb::sys::Write && a0 == cb::sys::FdPreimageWrite)
          finder.add("preimage-key-write", "");
        else if (nr == cb::sys::Read && a0 == cb::sys::FdPreimageRead)
          finder.add("preimage-read", "offset " + std::to_string(state.preimage_offset));
        else if (nr == cb::sys::Mmap)
          finder.add("mmap", "len " + std::to_string(a1));
        else if (nr == cb::sys::ClockGetTime)
          finder.add("clock-gettime", "");
        else if (nr == cb::sys::SchedYield || nr == cb::sys::Nanosleep)
          finder.add("yield", "");
        else if (nr == cb::sys::ExitGroup)
          finder.add("exit-group", "code " + std::to_string(a0));
      } else {
        const uint32_t op = insn >> 26;
        if (op == 0x30 || op == 0x34) finder.add("load-linked", "");
      }
      bool now_gc = false;
      for (const auto& [lo, hi] : gc) now_gc |= pc >= lo && pc < hi;
      if (now_gc && !in_gc) finder.add("gc-work", cb::symbol_at(symbols, pc));
      in_gc = now_gc;
      if (auto e = vm.step()) {
        std::fprintf(stderr, "error: %s\n", e->message().c_str());
        return 1;
      }
    }
    if (state.exited) {
      finder.step = state.step - 1;
      finder.add("last-step", "exit code " + std::to_string(state.exit_code));
    }
    cb::Json events = cb::Json::array();
    for (const auto& [name, k] : finder.kinds) {
      std::vector<Event> chosen = k.first;
      if (k.count > k.first.size()) chosen.push_back(k.last);
      for (const auto& e : chosen)
        events.push_back({{"step", e.step}, {"kind", name}, {"count", k.count}, {"detail", e.detail}});
    }
    const cb::Json report = {{"steps", state.step}, {"exited", state.exited}, {"events", std::move(events)}};
    std::fputs(report.dump(2, ' ', false, cb::Json::error_handler_t::replace).append("\n").c_str(), stdout);
    if (oracle) oracle->close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
