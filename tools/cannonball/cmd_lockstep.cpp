// `cannonball lockstep`: runs a state under the JIT and the interpreter side by side and
// compares the full state (every field, both thread stacks, memory contents; the merkle root
// every --root-every rounds and at the end) after every JIT advance of at most --block-budget
// steps, i.e. after every block or two. Prints a readable diff at the first divergence.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "jit/jit_engine.h"
#include "runtime/hex.h"
#include "runtime/host_oracle.h"
#include "runtime/interrupt.h"
#include "runtime/state_diff.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"
#include "tools/runloop/matcher.h"

namespace cannonball {

int lockstep_main(int argc, char** argv) {
  CLI::App app{"Run the JIT and the interpreter side by side, comparing the full state after every block",
               "cannonball lockstep"};
  std::string input, stop_at_text = "never", preimage_dir;
  Word budget = 65, root_every = 64;
  app.add_option("--input", input, "binary state (.bin or .bin.gz)")->required();
  app.add_option("--stop-at", stop_at_text, "stop at this step (=N), else run to the exit");
  app.add_option("--block-budget", budget, "steps per JIT advance (65 = one longest block)")->capture_default_str();
  app.add_option("--root-every", root_every, "compare merkle roots every this many rounds")->capture_default_str();
  app.add_option("--preimage-dir", preimage_dir, "serve pre-images from DIR/<hex key>");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) { return parse_error_exit(app, e); }
  if (budget == 0) throw CliError("--block-budget must be at least 1");
  if (root_every == 0) throw CliError("--root-every must be at least 1");
  Word stop_at = ~Word{0};
  if (stop_at_text != "never") {
    const auto n =
        stop_at_text.size() > 1 && stop_at_text[0] == '=' ? parse_go_uint(stop_at_text.substr(1)) : std::nullopt;
    if (!n) throw CliError("--stop-at takes =N here");
    stop_at = *n;
  }
  State jit_state, interp_state;
  try {
    jit_state = read_state_file(input);
    interp_state = read_state_file(input);
  } catch (const StateFileError& e) { throw CliError(std::string("failed to load state: ") + e.what()); }
  std::unique_ptr<DirectoryOracle> jit_oracle, interp_oracle;
  Vm jit_vm(jit_state), interp_vm(interp_state);
  if (!preimage_dir.empty()) {
    jit_oracle = std::make_unique<DirectoryOracle>(preimage_dir);
    interp_oracle = std::make_unique<DirectoryOracle>(preimage_dir);
    jit_vm.set_oracle(jit_oracle.get());
    interp_vm.set_oracle(interp_oracle.get());
  }
  jit_vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  interp_vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  jit::JitEngine engine(jit_vm);
  Word rounds = 0;
  install_interrupt_handlers();
  try {
    while (!interp_state.exited && interp_state.step < stop_at) {
      throw_if_interrupted();
      const Word before = interp_state.step;
      const Word steps = std::min(budget, stop_at - before);
      const RunResult a = engine.advance(steps);
      const RunResult b = interp_vm.run(steps);
      ++rounds;
      std::string diff =
          describe_state_differences(jit_state, interp_state, lockstep_diff_options(rounds % root_every == 0));
      if (a.steps != b.steps)
        diff += "steps run: jit " + std::to_string(a.steps) + " interp " + std::to_string(b.steps) + "\n";
      if (a.exception.has_value() != b.exception.has_value() ||
          (a.exception && (a.exception->kind != b.exception->kind || a.exception->step != b.exception->step)))
        diff += "exceptions differ: jit " + (a.exception ? a.exception->message() : std::string("none")) + "; interp " +
                (b.exception ? b.exception->message() : std::string("none")) + "\n";
      if (!diff.empty()) {
        std::fprintf(stderr, "lockstep: divergence after advancing from step %llu (round %llu):\n%s",
                     static_cast<unsigned long long>(before), static_cast<unsigned long long>(rounds), diff.c_str());
        return 1;
      }
      if (b.exception) {
        std::printf("lockstep: both engines raise %s\n", b.exception->message().c_str());
        break;
      }
    }
  } catch (const OracleError& e) { throw CliError(e.what()); }
  const std::string diff = describe_state_differences(jit_state, interp_state, lockstep_diff_options(true));
  if (!diff.empty()) {
    std::fprintf(stderr, "lockstep: final states differ:\n%s", diff.c_str());
    return 1;
  }
  const auto& stats = engine.stats();
  std::printf("lockstep: %llu steps agree (%llu run by translated code, %llu blocks), %llu rounds, final state %s\n",
              static_cast<unsigned long long>(interp_state.step), static_cast<unsigned long long>(stats.jit_steps),
              static_cast<unsigned long long>(stats.blocks_translated), static_cast<unsigned long long>(rounds),
              to_hex(state_hash(encode_witness(interp_state))).c_str());
  return 0;
}

}  // namespace cannonball
