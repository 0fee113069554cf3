// `cannonball run` (spec §12): the upstream run loop with fast-forwarding between events.
//
// Per step s the order is: info log, stop-at, snapshot, proof-or-plain step, pre-image stops.
// Between steps that any matcher selects, the engine advances in bulk; a VM exception exits 2
// with one error line and writes no output; an oracle or I/O failure exits 1, no output either.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "interp/engine.h"
#include "interp/instruction_table.h"
#include "runtime/elf_loader.h"
#include "runtime/host_oracle.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"
#include "tools/cannonball/engine_factory.h"
#include "tools/cannonball/log.h"
#include "tools/cannonball/matcher.h"
#include "tools/cannonball/proof_json.h"
#include "tools/audit/audit.h"
#include "tools/cannonball/run_stats.h"
#include "tools/cannonball/cross_check.h"
#include "tools/cannonball/slot2_replay.h"

namespace cannonball {
namespace {

std::atomic<bool> g_interrupted{false};
void on_interrupt(int) { g_interrupted = true; }

constexpr Word MaxChunk = Word{1} << 22;  // steps between interrupt checks
// Within this many steps before a proof step, clock_gettime keeps proof slot #2 eagerly, so the
// replay of slot2_replay.h is needed only when no clock_gettime ran in that window.
constexpr Word EagerSlot2Window = Word{1} << 20;

struct PreimageStop {
  bool any = false;
  std::vector<uint8_t> key_prefix;
  Word offset = 0;
  Word min_step = 0;
  Word larger_than = 0;
  bool enabled() const { return any || !key_prefix.empty() || larger_than != 0; }
};

std::vector<uint8_t> lenient_hex(std::string text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text = text.substr(2);
  if (text.size() % 2) text = "0" + text;
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
      return -1;
    };
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

PreimageStop parse_preimage_stop(const std::string& spec, bool spec_set, const std::string& type, Word larger_than) {
  PreimageStop stop;
  stop.larger_than = larger_than;
  if (spec_set) {
    std::vector<std::string> parts;
    std::stringstream in(spec);
    for (std::string part; std::getline(in, part, '@');) parts.push_back(part);
    if (parts.empty() || parts.size() > 3) throw CliError("invalid stop-at-preimage: " + spec);
    stop.key_prefix = lenient_hex(parts[0]);
    if (stop.key_prefix.size() > 32) throw CliError("stop-at-preimage key prefix is longer than 32 bytes");
    auto number = [&](const std::string& text) {
      char* end = nullptr;
      errno = 0;
      const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
      if (text.empty() || *end || errno) throw CliError("invalid preimage offset: " + text);
      return static_cast<Word>(v);
    };
    if (parts.size() > 1) stop.offset = number(parts[1]);
    if (parts.size() > 2) stop.min_step = number(parts[2]);
    return stop;
  }
  if (type == "local") stop.key_prefix = {1};
  else if (type == "keccak") stop.key_prefix = {2};
  else if (type == "sha256") stop.key_prefix = {4};
  else if (type == "blob") stop.key_prefix = {5};
  else if (type == "precompile") stop.key_prefix = {6};
  else if (type == "any") stop.any = true;
  else if (!type.empty()) throw CliError("invalid preimage type \"" + type + "\"");
  return stop;
}

// The pre-image stop rules of upstream's loop (spec §17.12), checked after step `step`.
bool preimage_stop_matches(const PreimageStop& stop, const Vm& vm, Word step) {
  if (!vm.last_step_read_preimage()) return false;
  if (stop.any) return true;
  const PreimageCache& cache = vm.preimage_cache();
  const bool prefix = !stop.key_prefix.empty() &&
                      std::equal(stop.key_prefix.begin(), stop.key_prefix.end(), cache.key.begin());
  const bool size = stop.larger_than != 0 && cache.value.size() > stop.larger_than;
  if (prefix && size) return true;
  if (prefix && stop.larger_than == 0) return stop.offset == vm.last_preimage_offset() && step >= stop.min_step;
  return size && stop.key_prefix.empty();
}

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

class GuestOutputLogger {
 public:
  GuestOutputLogger(const std::string& stdout_path, const std::string& stderr_path) {
    if (!stdout_path.empty()) open(stdout_path, files_[0]);
    if (!stderr_path.empty()) open(stderr_path, files_[1]);
  }
  ~GuestOutputLogger() {
    for (FILE* f : files_)
      if (f) std::fclose(f);
  }
  void write(int fd, std::span<const uint8_t> bytes) {
    FILE* raw = files_[fd == 1 ? 0 : 1];
    if (raw) {
      std::fwrite(bytes.data(), 1, bytes.size(), raw);
      std::fflush(raw);
      return;
    }
    std::string text(bytes.begin(), bytes.end());
    bool printable = true;
    for (unsigned char c : text)
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) printable = false;
    Logger log(stderr);
    const char* stream = fd == 1 ? "stdout" : "stderr";
    if (printable) {
      if (!text.empty() && text.back() == '\n') text.pop_back();
      log.info(text, {{"module", "guest"}, {"stream", stream}});
    } else {
      log.info("guest output", {{"module", "guest"}, {"stream", stream}, {"data", to_hex(bytes.data(), bytes.size())}});
    }
  }

 private:
  static void open(const std::string& path, FILE*& file) {
    file = std::fopen(path.c_str(), "wb");
    if (!file) throw CliError("cannot open " + path + " for guest output");
  }
  FILE* files_[2] = {nullptr, nullptr};
};

}  // namespace

int run_main(int argc, char** argv) {
  CLI::App app{"Run a state, writing proofs and snapshots at chosen steps and the final state", "cannonball run"};
  std::string input, output = "out.bin.gz", proof_at = "never", proof_fmt = "proof-%d.json", snapshot_at = "never",
                     snapshot_fmt = "state-%d.bin.gz", stop_at = "never", stop_at_preimage, stop_at_preimage_type,
                     meta_path = "meta.json", info_at = "%1000000000", debug_info, engine_name = "interp",
                     preimage_dir, guest_stdout, guest_stderr;
  Word stop_at_preimage_larger_than = 0;
  bool debug = false, pprof = false, fail_on_hazard = false;
  std::string audit_report, timeline, cross_check_at = "never";
  AuditConfig audit_config;
  double host_timeout_seconds = 15;
  std::vector<std::string> host_args;
  app.add_option("--input", input, "binary state to run (.bin or .bin.gz)")->required();
  app.add_option("--output", output, "final state (.bin or .bin.gz); empty = not written")->capture_default_str();
  app.add_option("--proof-at", proof_at, "steps to prove: never, always, =N, %N, or a comma list of those");
  app.add_option("--proof-fmt", proof_fmt, "proof file name pattern (printf-style on the step; '-' = stdout)")
      ->capture_default_str();
  app.add_option("--snapshot-at", snapshot_at, "steps to snapshot the pre-state at (matcher)");
  app.add_option("--snapshot-fmt", snapshot_fmt, "snapshot file name pattern (.bin or .bin.gz)")->capture_default_str();
  app.add_option("--stop-at", stop_at, "steps to stop at, before executing them (matcher)");
  app.add_option("--stop-at-preimage", stop_at_preimage, "stop after reading a pre-image: <key-prefix>[@<offset>[@<step>]]");
  app.add_option("--stop-at-preimage-type", stop_at_preimage_type,
                 "stop at the first read of a pre-image of this type (local, keccak, sha256, blob, precompile, any)");
  app.add_option("--stop-at-preimage-larger-than", stop_at_preimage_larger_than,
                 "stop at a read of a pre-image larger than this many bytes (with its length prefix)");
  app.add_option("--meta", meta_path, "meta.json for symbol lookup; empty = none")->capture_default_str();
  app.add_option("--info-at", info_at, "steps to log progress at (matcher)")->capture_default_str();
  app.add_flag("--pprof.cpu", pprof, "accepted for compatibility; use perf or callgrind to profile");
  app.add_flag("--debug", debug, "print a traceback of the current thread at the end (needs --meta)");
  app.add_option("--debug-info", debug_info, "write run statistics as JSON to this path ('-' = stdout)");
  app.add_option("--engine", engine_name, "fast-forward engine: interp or jit")->capture_default_str();
  app.add_option("--preimage-dir", preimage_dir, "serve pre-images from files DIR/<hex key> instead of a host");
  app.add_option("--host-timeout", host_timeout_seconds, "seconds to wait for the pre-image host")->capture_default_str();
  app.add_option("--guest-stdout", guest_stdout, "write the guest's stdout raw to this file instead of logging it");
  app.add_option("--guest-stderr", guest_stderr, "write the guest's stderr raw to this file instead of logging it");
  app.add_option("--cross-check", cross_check_at,
                 "steps (matcher, e.g. %100000000) at which the fast-forward engine's state is re-executed and "
                 "compared by the interpreter on another thread");
  app.add_option("--audit-report", audit_report, "write per-thread scheduling statistics and hazards as text ('-' = stdout)");
  app.add_option("--timeline", timeline, "write an SVG timeline of the threads (running, futex-wait, yield, exited)");
  app.add_flag("--fail-on-hazard", fail_on_hazard, "exit 3 if a deadlock, no-progress, starvation or ping-pong hazard is found");
  app.add_option("--hazard-window", audit_config.no_progress_window,
                 "steps of idle turns that count as no progress")->capture_default_str();
  app.add_option("host", host_args, "pre-image host command and its arguments (after --)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_error_exit(app, e);
  }

  // Validate everything before any work, so a bad flag never costs a run.
  if (!is_binary_state_path(input)) throw CliError("invalid input state " + input + ": the name must end in .bin or .bin.gz");
  if (!output.empty() && !is_binary_state_path(output))
    throw CliError("invalid output state " + output + ": the name must end in .bin or .bin.gz, or be empty");
  StepMatcher proof_matcher, snapshot_matcher, stop_matcher, info_matcher, cross_check_matcher;
  try {
    cross_check_matcher = StepMatcher::parse(cross_check_at);
    proof_matcher = StepMatcher::parse(proof_at);
    snapshot_matcher = StepMatcher::parse(snapshot_at);
    stop_matcher = StepMatcher::parse(stop_at);
    info_matcher = StepMatcher::parse(info_at);
  } catch (const std::invalid_argument& e) {
    throw CliError(e.what());
  }
  if (!proof_matcher.never() && proof_fmt != "-" && proof_matcher.can_match_many() && !pattern_has_verb(proof_fmt))
    throw CliError("--proof-fmt '" + proof_fmt + "' has no step verb (like %d) but --proof-at can match many steps");
  if (!snapshot_matcher.never()) {
    if (snapshot_matcher.can_match_many() && !pattern_has_verb(snapshot_fmt))
      throw CliError("--snapshot-fmt '" + snapshot_fmt + "' has no step verb (like %d) but --snapshot-at can match many steps");
    if (!is_binary_state_path(format_step_pattern(snapshot_fmt, 0)))
      throw CliError("invalid --snapshot-fmt " + snapshot_fmt + ": snapshots must be .bin or .bin.gz");
  }
  const PreimageStop preimage_stop = parse_preimage_stop(stop_at_preimage, app.count("--stop-at-preimage") > 0,
                                                         stop_at_preimage_type, stop_at_preimage_larger_than);
  if (debug && meta_path.empty()) throw CliError("cannot enable debug mode without a metadata file");
  // Upstream quirk (spec §17.13): positional arguments after a further "--" replace the rest.
  for (size_t i = 0; i < host_args.size(); ++i)
    if (host_args[i] == "--") {
      host_args.erase(host_args.begin(), host_args.begin() + static_cast<long>(i) + 1);
      break;
    }
  if (!host_args.empty() && !preimage_dir.empty()) throw CliError("give either a host command or --preimage-dir, not both");

  Logger log(stderr);
  std::vector<Symbol> symbols;
  if (!meta_path.empty()) {
    std::ifstream meta_in(meta_path);
    if (!meta_in) throw CliError("failed to load metadata: cannot open " + meta_path);
    std::stringstream text;
    text << meta_in.rdbuf();
    try {
      symbols = read_metadata_json(text.str());
    } catch (const std::exception& e) {
      throw CliError("failed to load metadata " + meta_path + ": " + e.what());
    }
  }

  State state;
  try {
    state = read_state_file(input);
  } catch (const StateFileError& e) {
    throw CliError(std::string("failed to load state: ") + e.what());
  }

  std::unique_ptr<PreimageOracle> oracle;
  if (!host_args.empty())
    oracle = std::make_unique<HostOracle>(host_args, std::chrono::milliseconds(static_cast<long>(host_timeout_seconds * 1000)));
  else if (!preimage_dir.empty())
    oracle = std::make_unique<DirectoryOracle>(preimage_dir);

  GuestOutputLogger guest_output(guest_stdout, guest_stderr);
  RecordingOracle recording(oracle.get());
  Vm vm(state);
  if (oracle) vm.set_oracle(&recording);
  vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  vm.set_output([&](int fd, std::span<const uint8_t> bytes) { guest_output.write(fd, bytes); });
  std::unique_ptr<AuditObserver> audit;
  if (!debug_info.empty() || !audit_report.empty() || !timeline.empty() || fail_on_hazard) {
    audit = std::make_unique<AuditObserver>(state, audit_config);
    vm.set_observer(audit.get());
  }
  std::unique_ptr<Engine> engine = make_engine(engine_name, vm);
  std::unique_ptr<CrossChecker> cross_checker;
  if (!cross_check_matcher.never()) cross_checker = std::make_unique<CrossChecker>(state, recording, engine_name);
  auto cross_check_failed = [&](const std::optional<std::string>& failure) {
    if (!failure) return false;
    std::fprintf(stderr, "error: %s\n", failure->c_str());
    return true;
  };

  g_interrupted = false;
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);

  const auto start = std::chrono::steady_clock::now();
  const Word start_step = state.step;
  auto fail_vm = [&](const VmException& e) {
    std::fprintf(stderr, "error: %s (%s)\n", e.message().c_str(), symbol_at(symbols, e.pc).c_str());
    return 2;
  };

  try {
    while (!state.exited) {
      if (g_interrupted) {
        std::fputs("command interrupted\n", stderr);
        return 130;
      }
      const Word step = state.step;
      if (cross_checker && cross_check_matcher.matches(step) && cross_check_failed(cross_checker->checkpoint(state)))
        return 1;
      if (info_matcher.matches(step)) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const Word pc = state.active_stack().empty() ? 0 : state.current_thread().pc;
        const uint32_t insn = state.memory.read_u32(pc & ~Word{3});
        char ips[32];
        std::snprintf(ips, sizeof ips, "%.0f", seconds > 0 ? static_cast<double>(step - start_step) / seconds : 0.0);
        log.info("processing", {{"step", std::to_string(step)},
                                {"pc", hex_word(pc)},
                                {"insn", hex_word(insn)},
                                {"disasm", disassemble(insn, pc)},
                                {"ips", ips},
                                {"pages", std::to_string(state.memory.page_count())},
                                {"mem", memory_usage_text(state.memory.page_count() * PageSize)},
                                {"threads", std::to_string(state.thread_count())},
                                {"name", symbol_at(symbols, pc)}});
      }
      if (stop_matcher.matches(step)) {
        log.info("Reached stop at", {{"step", std::to_string(step)}});
        break;
      }
      if (snapshot_matcher.matches(step)) {
        try {
          write_state_file(state, format_step_pattern(snapshot_fmt, step));
        } catch (const StateFileError& e) {
          throw CliError(std::string("failed to write state snapshot: ") + e.what());
        }
      }
      if (proof_matcher.matches(step)) {
        if (vm.slot2_stale()) vm.set_slot2(replay_slot2(input, vm.deferred_clock_step(), recording, engine_name));
        StepWitness witness;
        if (auto e = vm.step_with_proof(witness)) return fail_vm(*e);
        const std::string path = proof_fmt == "-" ? "-" : format_step_pattern(proof_fmt, step);
        write_text_output(path, proof_json(witness));
      } else {
        // Fast-forward to the step before the next event (or one step if an event is next).
        Word target = step + 1;
        std::optional<Word> next;
        for (const StepMatcher* m : {&info_matcher, &stop_matcher, &snapshot_matcher, &proof_matcher, &cross_check_matcher}) {
          const auto candidate = m->next_match(step + 1);
          if (candidate && (!next || *candidate < *next)) next = candidate;
        }
        const Word limit = step + MaxChunk;
        target = next ? std::min(*next, limit) : limit;
        if (target <= step) target = step + 1;  // wrapped at the top of the step range
        // Keep slot #2 eagerly only close to the next proof step.
        const auto next_proof = proof_matcher.next_match(step + 1);
        const bool near_proof = next_proof && *next_proof - step <= EagerSlot2Window;
        if (next_proof && !near_proof) target = std::min(target, *next_proof - EagerSlot2Window);
        vm.set_slot2_mode(near_proof ? Vm::Slot2Mode::Eager : Vm::Slot2Mode::Deferred);
        const RunResult result = engine->advance(target - step, preimage_stop.enabled());
        if (result.exception) return fail_vm(*result.exception);
      }
      if (preimage_stop.enabled() && preimage_stop_matches(preimage_stop, vm, state.step - 1)) {
        log.info("Stopping at preimage read", {{"step", std::to_string(state.step - 1)}});
        break;
      }
    }
  } catch (const OracleError& e) {
    throw CliError(e.what());
  }

  if (cross_checker) {
    if (cross_check_failed(cross_checker->checkpoint(state)) || cross_check_failed(cross_checker->finish())) return 1;
    log.info("cross-check passed", {{"segments", std::to_string(cross_checker->segments_checked())},
                                    {"steps", std::to_string(cross_checker->steps_checked())}});
  }
  log.info("Execution stopped", {{"exited", state.exited ? "true" : "false"}, {"code", std::to_string(state.exit_code)}});
  if (debug && !state.active_stack().empty()) {
    const Thread& t = state.current_thread();
    std::fprintf(stderr, "traceback: thread %llu pc %s (%s), ra %s (%s)\n", static_cast<unsigned long long>(t.thread_id),
                 hex_word(t.pc).c_str(), symbol_at(symbols, t.pc).c_str(), hex_word(t.regs[31]).c_str(),
                 symbol_at(symbols, t.regs[31]).c_str());
  }
  if (oracle) {
    if (auto* host = dynamic_cast<HostOracle*>(oracle.get())) host->close();
  }
  if (!output.empty()) {
    try {
      write_state_file(state, output);
    } catch (const StateFileError& e) {
      throw CliError(std::string("failed to write state output: ") + e.what());
    }
  }
  if (audit) {
    audit->finish(state);
    if (!debug_info.empty())
      write_text_output(debug_info, audit->debug_info_json(vm, "  \"threads\": " + audit->threads_json() +
                                                                 ",\n  \"hazards\": " + audit->hazards_json() +
                                                                 ",\n  \"memory_release\": " +
                                                                 audit->memory_release_json() + "\n"));
    if (!audit_report.empty()) write_text_output(audit_report, audit->report_text());
    if (!timeline.empty()) write_text_output(timeline, audit->timeline_svg("cannonball timeline: " + input));
    for (const Hazard& h : audit->hazards())
      log.warn("hazard", {{"kind", h.kind}, {"first_step", std::to_string(h.first_step)},
                          {"last_step", std::to_string(h.last_step)}, {"detail", h.detail}});
    if (fail_on_hazard && !audit->hazards().empty()) return 3;
  }
  return 0;
}

}  // namespace cannonball
