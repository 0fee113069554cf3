// The command line's own listeners of the run loop: the "processing" progress lines and the
// proof files.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "runtime/elf_loader.h"
#include "tools/cannonball/log.h"
#include "tools/runloop/prover.h"
#include "tools/runloop/run_loop.h"

namespace cannonball {

// Logs upstream's "processing" line (step, pc, insn, ips = steps per second since the start,
// pages, mem, name) plus ours: the disassembly, the thread count, `steps_per_s` since the previous
// line, `elapsed` and, when the run's last step `stop_at` is known, `eta` (the remaining steps at
// the recent rate). Nothing in it costs more than a memory read and a symbol search.
class InfoLineListener final : public RunListener {
 public:
  InfoLineListener(StepMatcher when, const std::vector<Symbol>& symbols, Word start_step,
                   std::optional<Word> stop_at = std::nullopt);
  bool fires_at_stop() const override { return true; }
  void before_step(State& state) override;

 private:
  const std::vector<Symbol>& symbols_;
  Word start_step_;
  std::optional<Word> stop_at_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_time_ = start_;
  Word last_step_;
  Logger log_{stderr};
};

// Writes each proof as JSON to `pattern` (printf-style on the step; "-" = stdout).
ProofSink proof_file_writer(std::string pattern);
// proof_file_writer, and after a proof whose slot #2 needed a replay, a log line saying what the
// replay ran (`steps` from the checkpoint at step `from`) and how long it took.
ProofSink proof_writer(const std::string& pattern, const Prover& prover);

}  // namespace cannonball
