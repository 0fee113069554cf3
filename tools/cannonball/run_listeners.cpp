#include "tools/cannonball/run_listeners.h"

#include <cstdio>

#include "interp/instruction_table.h"
#include "runtime/hex.h"
#include "tools/cannonball/cli_common.h"
#include "tools/cannonball/proof_json.h"

namespace cannonball {
namespace {

std::string memory_usage_text(uint64_t total) {
  if (total < 1024) return std::to_string(total) + " B";
  uint64_t div = 1024;
  int exp = 0;
  for (uint64_t n = total / 1024; n >= 1024; n /= 1024) {
    div *= 1024;
    ++exp;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %ciB", static_cast<double>(total) / static_cast<double>(div), "KMGTPE"[exp]);
  return buf;
}

std::string format_fixed(double value, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

}  // namespace

InfoLineListener::InfoLineListener(StepMatcher when, const std::vector<Symbol>& symbols, Word start_step,
                                   std::optional<Word> stop_at)
    : RunListener(std::move(when)),
      symbols_(symbols),
      start_step_(start_step),
      stop_at_(stop_at),
      last_step_(start_step) {}

void InfoLineListener::before_step(State& state) {
  const Word step = state.step;
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double interval = std::chrono::duration<double>(now - last_time_).count();
  // The rate since the previous line, or since the start for the first one.
  const double recent = interval > 0 ? static_cast<double>(step - last_step_) / interval : 0.0;
  last_time_ = now;
  last_step_ = step;
  const Word pc = state.active_stack().empty() ? 0 : state.current_thread().pc;
  const uint32_t insn = state.memory.read_u32(pc & ~Word{3});
  std::vector<std::pair<std::string, std::string>> fields = {
      {"step", std::to_string(step)},
      {"pc", hex_word(pc)},
      {"insn", hex_word(insn)},
      {"disasm", disassemble(insn, pc)},
      {"ips", format_fixed(seconds > 0 ? static_cast<double>(step - start_step_) / seconds : 0.0, 0)},
      {"pages", std::to_string(state.memory.page_count())},
      {"mem", memory_usage_text(state.memory.page_count() * PageSize)},
      {"threads", std::to_string(state.thread_count())},
      {"name", symbol_at(symbols_, pc)},
      {"steps_per_s", format_fixed(recent, 0)},
      {"elapsed", format_fixed(seconds, 1) + "s"}};
  if (stop_at_ && *stop_at_ >= step && recent > 0)
    fields.emplace_back("eta", format_fixed(static_cast<double>(*stop_at_ - step) / recent, 1) + "s");
  log_.info("processing", fields);
}

ProofSink proof_file_writer(std::string pattern) {
  return [pattern = std::move(pattern)](const StepWitness& witness) {
    const std::string path = pattern == "-" ? "-" : format_step_pattern(pattern, witness.step);
    write_text_output(path, proof_json(witness));
  };
}

// Writes each proof; after one whose slot #2 needed a replay, logs what the replay did.
ProofSink proof_writer(const std::string& pattern, const Prover& prover) {
  return [write = proof_file_writer(pattern), &prover, seen = Word{0}](const StepWitness& witness) mutable {
    write(witness);
    const Prover::ReplayStats& stats = prover.stats();
    if (stats.replays == seen) return;
    seen = stats.replays;
    Logger(stderr).info("proof slot #2 replayed", {{"step", std::to_string(witness.step)},
                                                   {"clock_step", std::to_string(stats.last_clock)},
                                                   {"from", std::to_string(stats.last_from)},
                                                   {"steps", std::to_string(stats.last_steps)},
                                                   {"seconds", format_fixed(stats.last_seconds, 3)},
                                                   {"checkpoints", std::to_string(stats.checkpoints)}});
  };
}

}  // namespace cannonball
