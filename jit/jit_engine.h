// JitEngine: the basic-block JIT behind the Engine interface (DESIGN.md "execute exactly N").
//
// advance(n) leaves the state exactly as n interpreter steps would. Generated code runs whole
// blocks only while the remaining budget and the scheduler quantum both cover them; every other
// step (syscalls, ll/sc, preemption, exited threads, delay-slot states, faults, pages without
// code) is one Vm::step(). Scheduler observers (the audit lens) run at JIT speed: every hook
// fires from an interpreter step or from a helper, and both see exact step counters.
#pragma once

#include <memory>

#include "interp/engine.h"
#include "jit/block_scan.h"
#include "jit/jit_stats.h"

namespace cannonball::jit {

class JitRuntime;

class JitEngine final : public Engine {
 public:
  explicit JitEngine(Vm& vm);
  ~JitEngine() override;
  const char* name() const override { return "jit"; }

  // Drops all translated code (e.g. after replacing guest memory behind the engine's back).
  void clear_code();
  // Longest block to translate from now on (default MaxBlockInsns).
  void set_max_block_insns(unsigned max);
  // Entries at a pc without a block before it is translated (default DefaultTranslateThreshold;
  // 0 = translate on first sight, which tests use to run every step they can in generated code).
  void set_translate_threshold(unsigned entries);
  const JitStats& stats() const;

 private:
  RunResult run_steps(Word steps) override;
  bool can_run_blocks() const;
  // After one interpreter step of `thread_id` at `pc`: the same thread went on to pc + 4 with no
  // branch pending.
  bool still_straight_line(Word thread_id, Word pc) const;

  Vm& vm_;
  std::unique_ptr<JitRuntime> runtime_;
};

}  // namespace cannonball::jit
