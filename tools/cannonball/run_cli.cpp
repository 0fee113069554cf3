#include "tools/cannonball/run_cli.h"

#include <filesystem>

#include "runtime/host_oracle.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {
namespace {

// The flags as typed; matchers and the pre-image stop are parsed afterwards.
struct RunFlags {
  std::string proof_at = "never", snapshot_at = "never", stop_at = "never", info_at = "%1000000000",
              cross_check_at = "never";
  std::string stop_at_preimage, stop_at_preimage_type;
  Word stop_at_preimage_larger_than = 0;
  bool pprof = false;
};

void add_upstream_flags(CLI::App& app, RunOptions& o, RunFlags& f) {
  app.add_option("--input", o.input, "binary state to run (.bin or .bin.gz)")->required();
  app.add_option("--output", o.output, "final state (.bin or .bin.gz); empty = not written")->capture_default_str();
  app.add_option("--proof-at", f.proof_at, "steps to prove: never, always, =N, %N, or a comma list of those");
  app.add_option("--proof-fmt", o.proof_fmt, "proof file name pattern (printf-style on the step; '-' = stdout)")
      ->capture_default_str();
  app.add_option("--snapshot-at", f.snapshot_at, "steps to snapshot the pre-state at (matcher)");
  app.add_option("--snapshot-fmt", o.snapshot_fmt, "snapshot file name pattern (.bin or .bin.gz)")
      ->capture_default_str();
  app.add_option("--stop-at", f.stop_at, "steps to stop at, before executing them (matcher)");
  app.add_option("--stop-at-preimage", f.stop_at_preimage,
                 "stop after reading a pre-image: <key-prefix>[@<offset>[@<step>]]");
  app.add_option("--stop-at-preimage-type", f.stop_at_preimage_type,
                 "stop at the first read of a pre-image of this type (local, keccak, sha256, blob, precompile, any)");
  app.add_option("--stop-at-preimage-larger-than", f.stop_at_preimage_larger_than,
                 "stop at a read of a pre-image larger than this many bytes (with its length prefix)");
  app.add_option("--meta", o.meta_path, "meta.json for symbol lookup; empty = none")->capture_default_str();
  app.add_option("--info-at", f.info_at, "steps to log progress at (matcher)")->capture_default_str();
  app.add_flag("--pprof.cpu", f.pprof, "accepted for compatibility; use perf or callgrind to profile");
  app.add_flag("--debug", o.debug, "print a traceback of the current thread at the end (needs --meta)");
  app.add_option("--debug-info", o.debug_info, "write run statistics as JSON to this path ('-' = stdout)");
}

void add_cannonball_flags(CLI::App& app, RunOptions& o, RunFlags& f) {
  app.add_option("--engine", o.engine, "fast-forward engine: interp or jit")->capture_default_str();
  app.add_option("--preimage-dir", o.preimage_dir, "serve pre-images from files DIR/<hex key> instead of a host");
  app.add_option("--host-timeout", o.host_timeout_seconds,
                 "seconds to wait for each answer of the pre-image host (0 = no limit, at most 86400)")
      ->capture_default_str();
  app.add_option("--guest-stdout", o.guest_stdout, "write the guest's stdout raw to this file instead of logging it");
  app.add_option("--guest-stderr", o.guest_stderr, "write the guest's stderr raw to this file instead of logging it");
  app.add_option("--cross-check", f.cross_check_at,
                 "steps (matcher, e.g. %100000000) at which the fast-forward engine's state is re-executed and "
                 "compared by the interpreter on another thread");
  app.add_option("--checkpoint-interval", o.checkpoint_interval,
                 "steps between the in-memory checkpoints kept while a proof step lies ahead; a replay for "
                 "proof slot #2 runs fewer steps than this (0 = the larger of 2^29 and 16384 x the pages of memory)")
      ->capture_default_str();
  app.add_option("--audit-report", o.audit_report,
                 "write per-thread scheduling statistics and hazards as text ('-' = stdout)");
  app.add_option("--timeline", o.timeline, "write an SVG timeline of the threads (running, futex-wait, yield, exited)");
  app.add_flag("--fail-on-hazard", o.fail_on_hazard,
               "exit 3 if a deadlock, no-progress, starvation or ping-pong hazard is found");
  app.add_option("--hazard-window", o.audit.no_progress_window, "steps of idle turns that count as no progress")
      ->capture_default_str();
  app.add_option("host", o.host_args, "pre-image host command and its arguments (after --)");
}

void parse_matchers(RunOptions& o, const RunFlags& f) {
  try {
    o.cross_check_at = StepMatcher::parse(f.cross_check_at);
    o.proof_at = StepMatcher::parse(f.proof_at);
    o.snapshot_at = StepMatcher::parse(f.snapshot_at);
    o.stop_at = StepMatcher::parse(f.stop_at);
    o.info_at = StepMatcher::parse(f.info_at);
  } catch (const std::invalid_argument& e) { throw CliError(e.what()); }
}

void check_file_patterns(const RunOptions& o) {
  if (!is_binary_state_path(o.input))
    throw CliError("invalid input state " + o.input + ": the name must end in .bin or .bin.gz");
  if (!o.output.empty() && !is_binary_state_path(o.output))
    throw CliError("invalid output state " + o.output + ": the name must end in .bin or .bin.gz, or be empty");
}

// The pattern's name for step 0, or a CliError naming the flag (bad verb, width over the limit),
// so a bad pattern fails before the run rather than at its first proof or snapshot.
std::string format_or_fail(const char* flag, const std::string& pattern) {
  try {
    return format_step_pattern(pattern, 0);
  } catch (const std::invalid_argument& e) { throw CliError(std::string("invalid ") + flag + ": " + e.what()); }
}

void check_event_patterns(const RunOptions& o) {
  if (!o.proof_at.never() && o.proof_fmt != "-" && o.proof_at.can_match_many() && !pattern_has_verb(o.proof_fmt))
    throw CliError("--proof-fmt '" + o.proof_fmt + "' has no step verb (like %d) but --proof-at can match many steps");
  if (!o.proof_at.never() && o.proof_fmt != "-") format_or_fail("--proof-fmt", o.proof_fmt);
  if (o.snapshot_at.never()) return;
  if (o.snapshot_at.can_match_many() && !pattern_has_verb(o.snapshot_fmt))
    throw CliError("--snapshot-fmt '" + o.snapshot_fmt +
                   "' has no step verb (like %d) but --snapshot-at can match many steps");
  if (!is_binary_state_path(format_or_fail("--snapshot-fmt", o.snapshot_fmt)))
    throw CliError("invalid --snapshot-fmt " + o.snapshot_fmt + ": snapshots must be .bin or .bin.gz");
}

// An output whose directory is missing would otherwise fail only when it is written: for the final
// state, after the whole run. A directory named by the step pattern itself is not checked here.
void check_output_directory(const char* flag, const std::string& path) {
  if (path.empty() || path == "-") return;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty() || parent.native().find('%') != std::string::npos) return;
  std::error_code error;
  if (!std::filesystem::is_directory(parent, error))
    throw CliError(std::string("invalid ") + flag + " " + path + ": the directory " + parent.string() +
                   " does not exist");
}

void check_output_directories(const RunOptions& o) {
  check_output_directory("--output", o.output);
  if (!o.proof_at.never()) check_output_directory("--proof-fmt", o.proof_fmt);
  if (!o.snapshot_at.never()) check_output_directory("--snapshot-fmt", o.snapshot_fmt);
  check_output_directory("--debug-info", o.debug_info);
  check_output_directory("--audit-report", o.audit_report);
  check_output_directory("--timeline", o.timeline);
  check_output_directory("--guest-stdout", o.guest_stdout);
  check_output_directory("--guest-stderr", o.guest_stderr);
}

void check_host(RunOptions& o) {
  if (o.debug && o.meta_path.empty()) throw CliError("cannot enable debug mode without a metadata file");
  // Upstream quirk (spec §17.13): positional arguments after a further "--" replace the rest.
  for (size_t i = 0; i < o.host_args.size(); ++i)
    if (o.host_args[i] == "--") {
      o.host_args.erase(o.host_args.begin(), o.host_args.begin() + static_cast<long>(i) + 1);
      break;
    }
  if (!o.host_args.empty() && !o.preimage_dir.empty())
    throw CliError("give either a host command or --preimage-dir, not both");
  try {
    host_timeout_from_seconds(o.host_timeout_seconds);
  } catch (const std::invalid_argument& e) { throw CliError(e.what()); }
}

}  // namespace

std::optional<int> parse_run_options(int argc, char** argv, RunOptions& options) {
  CLI::App app{"Run a state, writing proofs and snapshots at chosen steps and the final state", "cannonball run"};
  RunFlags flags;
  add_upstream_flags(app, options, flags);
  add_cannonball_flags(app, options, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) { return parse_error_exit(app, e); }
  check_file_patterns(options);
  parse_matchers(options, flags);
  check_event_patterns(options);
  check_output_directories(options);
  options.preimage_stop = PreimageStop::parse(flags.stop_at_preimage, app.count("--stop-at-preimage") > 0,
                                              flags.stop_at_preimage_type, flags.stop_at_preimage_larger_than);
  check_host(options);
  return std::nullopt;
}

}  // namespace cannonball
