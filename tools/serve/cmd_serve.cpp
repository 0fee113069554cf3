// `cannonball serve`: trace one prestate once, then answer state, proof and position queries
// about any step of it over HTTP (README "Serving trace positions").
//
// Flow: validate flags, start the pre-image source (host or directory), run the first pass
// (TraceStore::build), close the host (every pre-image is recorded by then), bind and serve
// until SIGINT/SIGTERM. Bad flags and inputs exit 1 with "error: ..." before any work.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "runtime/host_oracle.h"
#include "runtime/state_file.h"
#include "tools/cannonball/cli_common.h"
#include "tools/cannonball/log.h"
#include "tools/serve/http_api.h"
#include "tools/serve/trace_store.h"

namespace cannonball {
namespace {

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop = true; }

// "1073741824", "512MiB", "2GiB", "64M", "1G" (binary units).
uint64_t parse_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) throw CliError("invalid --memory-budget '" + text + "' (use e.g. 512MiB or 2GiB)");
  const uint64_t value = std::stoull(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  uint64_t scale = 1;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "K" || unit == "KiB")
    scale = uint64_t{1} << 10;
  else if (unit == "M" || unit == "MiB")
    scale = uint64_t{1} << 20;
  else if (unit == "G" || unit == "GiB")
    scale = uint64_t{1} << 30;
  else
    throw CliError("invalid --memory-budget '" + text + "' (use e.g. 512MiB or 2GiB)");
  return value * scale;
}

void parse_listen(const std::string& text, std::string& host, int& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw CliError("invalid --listen '" + text + "' (use HOST:PORT, e.g. 127.0.0.1:7117)");
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    throw CliError("invalid --listen port '" + port_text + "'");
  port = std::stoi(port_text);
  if (port > 65535) throw CliError("invalid --listen port '" + port_text + "'");
}

}  // namespace

int serve_main(int argc, char** argv) {
  CLI::App app{"Trace a state once, then serve state hashes, proofs and positions of any step over HTTP",
               "cannonball serve"};
  std::string input, listen = "127.0.0.1:7117", budget_text = "1GiB", snapshot_dir, preimage_dir, engine = "jit";
  Word max_steps = ~Word{0}, interval = Word{1} << 22;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double host_timeout_seconds = 15;
  std::vector<std::string> host_args;
  app.add_option("--input", input, "prestate to trace (.bin or .bin.gz)")->required();
  app.add_option("--listen", listen, "HOST:PORT to serve on (port 0 = any free port)")->capture_default_str();
  app.add_option("--memory-budget", budget_text, "memory for checkpoints (e.g. 512MiB, 4GiB)")->capture_default_str();
  app.add_option("--snapshot-dir", snapshot_dir,
                 "keep checkpoints that do not fit the budget as state files here (and reuse the ones already there)");
  app.add_option("--preimage-dir", preimage_dir, "serve pre-images from files DIR/<hex key> instead of a host");
  app.add_option("--host-timeout", host_timeout_seconds, "seconds to wait for the pre-image host")
      ->capture_default_str();
  app.add_option("--max-steps", max_steps, "trace at most this many steps (default: until the guest exits)");
  app.add_option("--interval", interval, "steps between checkpoints before the budget thins them")
      ->capture_default_str();
  app.add_option("--threads", threads, "worker threads answering queries")->capture_default_str();
  app.add_option("--engine", engine, "fast-forward engine: jit or interp")->capture_default_str();
  app.add_option("host", host_args, "pre-image host command and its arguments (after --)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) { return parse_error_exit(app, e); }
  if (!is_binary_state_path(input))
    throw CliError("invalid input state " + input + ": the name must end in .bin or .bin.gz");
  std::string host;
  int port = 0;
  parse_listen(listen, host, port);
  TraceOptions options;
  options.input_path = input;
  options.engine = engine;
  options.memory_budget = parse_size(budget_text);
  options.initial_interval = interval;
  options.max_steps = max_steps;
  options.snapshot_dir = snapshot_dir;
  if (engine != "jit" && engine != "interp") throw CliError("unknown engine '" + engine + "' (use jit or interp)");
  if (interval == 0) throw CliError("--interval must be at least 1");
  if (threads == 0 || threads > 256) throw CliError("--threads must be between 1 and 256");
  if (!host_args.empty() && !preimage_dir.empty())
    throw CliError("give either a host command or --preimage-dir, not both");

  std::chrono::milliseconds host_timeout;
  try {
    host_timeout = host_timeout_from_seconds(host_timeout_seconds);
  } catch (const std::invalid_argument& e) { throw CliError(std::string("--host-timeout: ") + e.what()); }

  Logger log(stderr);
  std::unique_ptr<PreimageOracle> source;
  if (!host_args.empty())
    source = std::make_unique<HostOracle>(host_args, host_timeout, HostOracle::Stdout::ToStderr);
  else if (!preimage_dir.empty())
    source = std::make_unique<DirectoryOracle>(preimage_dir);

  g_stop = false;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);

  TraceStore store(options, source.get());
  try {
    store.build([&](Word step) {
      if (g_stop) throw CliError("interrupted during the first pass");
      log.info("tracing", {{"step", std::to_string(step)}});
    });
  } catch (const OracleError& e) { throw CliError(e.what()); }
  if (auto* host_oracle = dynamic_cast<HostOracle*>(source.get())) host_oracle->close();  // all recorded
  const TraceStatus status = store.status();
  log.info("trace ready", {{"end", std::to_string(store.end_step())},
                           {"exited", store.exited() ? "true" : "false"},
                           {"seconds", std::to_string(store.build_seconds())},
                           {"checkpoints", std::to_string(status.checkpoints_in_memory)},
                           {"on_disk", std::to_string(status.checkpoints_on_disk)},
                           {"interval", std::to_string(status.interval)}});
  if (g_stop) return 130;

  ApiServer server(store, threads);
  const int bound = server.bind(host, port);
  std::printf("listening on http://%s:%d\n", host.c_str(), bound);
  std::fflush(stdout);
  std::thread watcher([&] {
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.stop();
  });
  server.run();
  g_stop = true;
  watcher.join();
  log.info("stopped");
  return 0;
}

}  // namespace cannonball
