// `cannonball run` (spec §12): upstream's run command on the run-loop library (tools/runloop).
//
// run_main wires the parts together: options from the flags, the Machine (state, engine,
// oracle, prover), the listeners, the loop, and the final output. Exit codes: a VM exception
// exits 2 with one error line and writes no output; an oracle, I/O or cross-check failure exits
// 1 (an exception caught in main), no output either; an interrupt exits 130; --fail-on-hazard
// with a hazard exits 3 after writing everything.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "runtime/elf_loader.h"
#include "runtime/hex.h"
#include "runtime/host_oracle.h"
#include "runtime/interrupt.h"
#include "runtime/json_text.h"
#include "runtime/state_file.h"
#include "tools/audit/audit.h"
#include "tools/cannonball/cli_common.h"
#include "tools/cannonball/guest_output.h"
#include "tools/cannonball/log.h"
#include "tools/cannonball/run_cli.h"
#include "tools/cannonball/run_listeners.h"
#include "tools/runloop/listeners.h"
#include "tools/runloop/machine.h"
#include "tools/runloop/run_loop.h"

namespace cannonball {
namespace {

// The files of a finished run (final state, --debug-info, --audit-report, --timeline) appear
// together or not at all: each is written under a temporary name, and all are renamed into place
// only when every one is complete. Stdout ("-") outputs are written (and checked) at once.
class FinalOutputs {
 public:
  const std::string& stage(const std::string& path) {
    staged_.push_back(std::make_unique<StagedOutput>(path));
    return staged_.back()->temp_path();
  }
  void text(const std::string& path, const std::string& content) {
    if (path == "-")
      write_stdout(content, "the output");
    else
      write_text_output(stage(path), content);
  }
  void commit() {
    for (auto& output : staged_) output->commit();
  }

 private:
  std::vector<std::unique_ptr<StagedOutput>> staged_;
};

std::vector<Symbol> load_symbols(const std::string& meta_path) {
  if (meta_path.empty()) return {};
  std::ifstream meta_in(meta_path);
  if (!meta_in) throw CliError("failed to load metadata: cannot open " + meta_path);
  std::stringstream text;
  text << meta_in.rdbuf();
  try {
    return read_metadata_json(text.str());
  } catch (const std::exception& e) { throw CliError("failed to load metadata " + meta_path + ": " + e.what()); }
}

State load_state(const std::string& path, StateFileOrigin& origin) {
  try {
    return read_state_file(path, origin);
  } catch (const StateFileError& e) { throw CliError(std::string("failed to load state: ") + e.what()); }
}

std::unique_ptr<PreimageOracle> make_oracle(const RunOptions& options) {
  if (!options.host_args.empty())
    return std::make_unique<HostOracle>(options.host_args, host_timeout_from_seconds(options.host_timeout_seconds));
  if (!options.preimage_dir.empty()) return std::make_unique<DirectoryOracle>(options.preimage_dir);
  return nullptr;
}

// The loop with the command's listeners, in upstream's order per step: cross-check, progress
// line, (stop), snapshot, proof.
struct RunListeners {
  RunListeners(const RunOptions& options, Machine& machine, const std::vector<Symbol>& symbols)
      : loop(machine),
        info(options.info_at, symbols, machine.state().step, options.stop_at.next_match(machine.state().step)),
        snapshot(options.snapshot_at, options.snapshot_fmt) {
    if (!options.cross_check_at.never()) {
      cross_check = std::make_unique<CrossCheckListener>(options.cross_check_at, machine);
      loop.add_listener(*cross_check);
    }
    loop.add_listener(info);
    loop.add_listener(snapshot);
    loop.set_proofs(options.proof_at, proof_writer(options.proof_fmt, machine.prover()));
    loop.set_preimage_stop(options.preimage_stop);
    loop.set_interrupt_flag(&interrupt_flag());
  }
  RunLoop loop;
  std::unique_ptr<CrossCheckListener> cross_check;
  InfoLineListener info;
  SnapshotListener snapshot;
};

// The exit status of a run that did not stop normally, or nullopt after logging a normal stop.
std::optional<int> report_stop(const RunResult& result, State& state, const std::vector<Symbol>& symbols) {
  Logger log(stderr);
  switch (result.reason) {
    case StopReason::VmException:
      std::fprintf(stderr, "error: %s (%s)\n", result.exception->message().c_str(),
                   symbol_at(symbols, result.exception->pc).c_str());
      return 2;
    case StopReason::Interrupted: std::fputs("command interrupted\n", stderr); return 130;
    case StopReason::Budget: log.info("Reached stop at", {{"step", std::to_string(state.step)}}); break;
    case StopReason::PreimageRead:
      log.info("Stopping at preimage read", {{"step", std::to_string(state.step - 1)}});
      break;
    case StopReason::Exited: break;
  }
  return std::nullopt;
}

void print_traceback(const State& state, const std::vector<Symbol>& symbols) {
  if (state.active_stack().empty()) return;
  const Thread& t = state.current_thread();
  std::fprintf(stderr, "traceback: thread %llu pc %s (%s), ra %s (%s)\n", static_cast<unsigned long long>(t.thread_id),
               hex_word(t.pc).c_str(), symbol_at(symbols, t.pc).c_str(), hex_word(t.regs[31]).c_str(),
               symbol_at(symbols, t.regs[31]).c_str());
}

// Upstream's statistics, the audit report and timeline; 3 if hazards fail the run.
int write_audit(const RunOptions& options, AuditObserver& audit, Machine& machine, FinalOutputs& outputs) {
  audit.finish(machine.state());
  if (!options.debug_info.empty()) {
    Json info = audit.debug_info_json(machine.vm());
    info["threads"] = audit.threads_json();
    info["hazards"] = audit.hazards_json();
    info["memory_release"] = audit.memory_release_json();
    outputs.text(options.debug_info, json_file_text(info));
  }
  if (!options.audit_report.empty()) outputs.text(options.audit_report, audit.report_text());
  if (!options.timeline.empty())
    outputs.text(options.timeline, audit.timeline_svg("cannonball timeline: " + options.input));
  Logger log(stderr);
  for (const Hazard& h : audit.hazards())
    log.warn("hazard", {{"kind", h.kind},
                        {"first_step", std::to_string(h.first_step)},
                        {"last_step", std::to_string(h.last_step)},
                        {"detail", h.detail}});
  return options.fail_on_hazard && !audit.hazards().empty() ? 3 : 0;
}

// After a normal stop: the cross-check's last segment, the final log lines, the output state.
void finish_run(const RunOptions& options, RunListeners& listeners, Machine& machine,
                const std::vector<Symbol>& symbols, PreimageOracle* oracle, FinalOutputs& outputs) {
  Logger log(stderr);
  State& state = machine.state();
  if (listeners.cross_check) {
    listeners.cross_check->finish(state);
    const CrossChecker& checker = listeners.cross_check->checker();
    log.info("cross-check passed", {{"segments", std::to_string(checker.segments_checked())},
                                    {"steps", std::to_string(checker.steps_checked())}});
  }
  log.info("Execution stopped",
           {{"exited", state.exited ? "true" : "false"}, {"code", std::to_string(state.exit_code)}});
  if (options.debug) print_traceback(state, symbols);
  if (auto* host = dynamic_cast<HostOracle*>(oracle)) host->close();
  if (options.output.empty()) return;
  try {
    write_state_file(state, outputs.stage(options.output));
  } catch (const StateFileError& e) { throw CliError(std::string("failed to write state output: ") + e.what()); }
}

}  // namespace

int run_main(int argc, char** argv) {
  RunOptions options;
  if (auto exit_status = parse_run_options(argc, argv, options)) return *exit_status;
  // From here SIGINT/SIGTERM only set the flag: the loop, host waits and the cross-check worker
  // see it, and the command unwinds to exit 130 without writing outputs.
  clear_interrupt();
  install_interrupt_handlers();
  const std::vector<Symbol> symbols = load_symbols(options.meta_path);
  StateFileOrigin start_file;
  State start = load_state(options.input, start_file);
  const Word start_step = start.step;
  std::unique_ptr<PreimageOracle> oracle = make_oracle(options);
  GuestOutputLogger guest_output(options.guest_stdout, options.guest_stderr);
  Machine machine(std::move(start), {options.engine, oracle.get(), [&] { return read_state_file(options.input); }});
  if (options.checkpoint_interval) machine.prover().set_checkpoint_interval(options.checkpoint_interval);
  machine.vm().set_output([&](int fd, std::span<const uint8_t> bytes) { guest_output.write(fd, bytes); });
  std::unique_ptr<AuditObserver> audit;
  if (options.wants_audit()) {
    audit = std::make_unique<AuditObserver>(machine.state(), options.audit);
    machine.vm().set_observer(audit.get());
  }
  RunListeners listeners(options, machine, symbols);
  listeners.snapshot.set_start_file(std::move(start_file), start_step);

  const RunResult result = listeners.loop.run(options.stop_at.next_match(machine.state().step));
  listeners.snapshot.finish();
  if (auto exit_status = report_stop(result, machine.state(), symbols)) return *exit_status;
  FinalOutputs outputs;
  finish_run(options, listeners, machine, symbols, oracle.get(), outputs);
  const int status = audit ? write_audit(options, *audit, machine, outputs) : 0;
  outputs.commit();
  return status;
}

}  // namespace cannonball
