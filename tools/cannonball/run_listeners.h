// The command line's own listeners of the run loop: the "processing" progress lines and the
// proof files.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "runtime/elf_loader.h"
#include "tools/cannonball/log.h"
#include "tools/runloop/run_loop.h"

namespace cannonball {

// Logs upstream's "processing" line (step, pc, instruction, speed, memory, threads, symbol).
class InfoLineListener final : public RunListener {
 public:
  InfoLineListener(StepMatcher when, const std::vector<Symbol>& symbols, Word start_step);
  bool fires_at_stop() const override { return true; }
  void before_step(State& state) override;

 private:
  const std::vector<Symbol>& symbols_;
  Word start_step_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  Logger log_{stderr};
};

// Writes each proof as JSON to `pattern` (printf-style on the step; "-" = stdout).
ProofSink proof_file_writer(std::string pattern);

}  // namespace cannonball
