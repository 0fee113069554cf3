// The HTTP/JSON API of `cannonball serve` on cpp-httplib (README "Serving trace positions").
//
// Owns: routing, strict parsing of query parameters, JSON rendering, the request counters, and
// the mapping of failures to statuses (400 malformed, 404 unknown path or position, 422 a VM
// exception in the way, 500 internal, 503 out of memory). Handlers run on a pool of worker
// threads; the trace store they query is immutable, so they need no locks.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "tools/serve/trace_store.h"

namespace httplib {
class Server;
}

namespace cannonball {

// Parses a non-negative integer parameter: decimal digits or 0x-hex, below 2^64. Throws
// QueryError(400) naming the parameter otherwise.
Word parse_query_number(const std::string& name, const std::string& text);

class ApiServer {
 public:
  ApiServer(const TraceStore& store, unsigned threads);
  ~ApiServer();

  // Binds `host:port` (port 0 = any free port) and returns the bound port; throws CliError.
  int bind(const std::string& host, int port);
  void run();   // serves until stop()
  void stop();  // safe from another thread

 private:
  struct Counters {
    std::atomic<uint64_t> state{0}, proof{0}, trace{0}, status{0}, position{0}, errors{0}, in_flight{0};
  };
  void install_routes();
  std::string status_json() const;
  std::string trace_json() const;

  const TraceStore& store_;
  std::unique_ptr<httplib::Server> server_;
  Counters counters_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace cannonball
