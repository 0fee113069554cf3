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

}  // namespace

InfoLineListener::InfoLineListener(StepMatcher when, const std::vector<Symbol>& symbols, Word start_step)
    : RunListener(std::move(when)), symbols_(symbols), start_step_(start_step) {}

void InfoLineListener::before_step(State& state) {
  const Word step = state.step;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const Word pc = state.active_stack().empty() ? 0 : state.current_thread().pc;
  const uint32_t insn = state.memory.read_u32(pc & ~Word{3});
  char ips[32];
  std::snprintf(ips, sizeof ips, "%.0f", seconds > 0 ? static_cast<double>(step - start_step_) / seconds : 0.0);
  log_.info("processing", {{"step", std::to_string(step)},
                           {"pc", hex_word(pc)},
                           {"insn", hex_word(insn)},
                           {"disasm", disassemble(insn, pc)},
                           {"ips", ips},
                           {"pages", std::to_string(state.memory.page_count())},
                           {"mem", memory_usage_text(state.memory.page_count() * PageSize)},
                           {"threads", std::to_string(state.thread_count())},
                           {"name", symbol_at(symbols_, pc)}});
}

ProofSink proof_file_writer(std::string pattern) {
  return [pattern = std::move(pattern)](const StepWitness& witness) {
    const std::string path = pattern == "-" ? "-" : format_step_pattern(pattern, witness.step);
    write_text_output(path, proof_json(witness));
  };
}

}  // namespace cannonball
