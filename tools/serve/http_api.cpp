#include "tools/serve/http_api.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <functional>
#include <new>
#include <set>

#include "runtime/hex.h"
#include "runtime/preimage.h"
#include "tools/cannonball/cli_common.h"

namespace cannonball {
namespace {

using Json = nlohmann::ordered_json;

constexpr Word DefaultScanLimit = 100'000'000;
constexpr size_t MaxBatch = 1000;

std::string error_json(const std::string& message) { return Json{{"error", message}}.dump() + "\n"; }

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

Json state_json(const StateAnswer& a) {
  return Json{{"step", a.step},
              {"witnessHash", to_hex(a.hash)},
              {"witness", to_hex(a.witness.data(), a.witness.size())},
              {"exited", a.exited}};
}

// The parameters a request may carry; anything else is a 400 (it is most likely a typo).
void expect_params(const httplib::Request& req, std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : req.params) {
    bool known = false;
    for (const char* a : allowed) known = known || name == a;
    if (!known) throw QueryError(400, "unknown parameter '" + name + "' for " + req.path);
  }
  std::set<std::string> seen;
  for (const auto& [name, value] : req.params)
    if (!seen.insert(name).second) throw QueryError(400, "parameter '" + name + "' is given more than once");
}

Word required_number(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) throw QueryError(400, std::string("missing parameter '") + name + "'");
  return parse_query_number(name, req.get_param_value(name));
}

Word optional_number(const httplib::Request& req, const char* name, Word fallback) {
  return req.has_param(name) ? parse_query_number(name, req.get_param_value(name)) : fallback;
}

}  // namespace

Word parse_query_number(const std::string& name, const std::string& text) {
  const auto bad = [&] {
    std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
    return QueryError(
        400, "parameter '" + name + "' must be an integer below 2^64 (decimal or 0x-hex), got '" + shown + "'");
  };
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  if (digits.empty() || digits.size() > (hex ? 16u : 20u)) throw bad();
  Word value = 0;
  for (char c : digits) {
    unsigned digit;
    if (c >= '0' && c <= '9')
      digit = static_cast<unsigned>(c - '0');
    else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      digit = static_cast<unsigned>((c | 0x20) - 'a' + 10);
    else
      throw bad();
    const Word base = hex ? 16 : 10;
    if (value > (~Word{0} - digit) / base) throw bad();
    value = value * base + digit;
  }
  return value;
}

ApiServer::ApiServer(const TraceStore& store, unsigned threads)
    : store_(store), server_(std::make_unique<httplib::Server>()), started_(std::chrono::steady_clock::now()) {
  const unsigned pool = threads == 0 ? 1 : threads;
  server_->new_task_queue = [pool] { return new httplib::ThreadPool(pool); };
  server_->set_payload_max_length(size_t{1} << 20);
  install_routes();
}

ApiServer::~ApiServer() = default;

int ApiServer::bind(const std::string& host, int port) {
  const int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) throw CliError("cannot listen on " + host + ":" + std::to_string(port));
  return bound;
}

void ApiServer::run() { server_->listen_after_bind(); }
void ApiServer::stop() { server_->stop(); }

std::string ApiServer::status_json() const {
  const TraceStatus s = store_.status();
  const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  Json j{{"prestateStep", store_.start_step()},
         {"traceEnd", store_.end_step()},
         {"checkpoints", Json{{"inMemory", s.checkpoints_in_memory},
                              {"onDisk", s.checkpoints_on_disk},
                              {"interval", s.interval},
                              {"bytes", s.checkpoint_bytes},
                              {"budget", s.memory_budget}}},
         {"residentBytes", resident_bytes()},
         {"queries", Json{{"state", counters_.state.load()},
                          {"proof", counters_.proof.load()},
                          {"position", counters_.position.load()},
                          {"trace", counters_.trace.load()},
                          {"status", counters_.status.load()},
                          {"errors", counters_.errors.load()},
                          {"inFlight", counters_.in_flight.load()}}},
         {"firstPassSeconds", store_.build_seconds()},
         {"stepsPerSecond", store_.jit_steps_per_second()},
         {"uptimeSeconds", uptime}};
  return j.dump(2) + "\n";
}

std::string ApiServer::trace_json() const {
  const StateAnswer final_state = store_.state_at(store_.end_step());
  Json j{{"start", store_.start_step()},
         {"end", store_.end_step()},
         {"length", store_.end_step() - store_.start_step()},
         {"exited", final_state.exited},
         {"exitCode", final_state.exit_code},
         {"truncated", store_.truncated()},
         {"exception", store_.end_exception() ? Json(store_.end_exception()->message()) : Json(nullptr)},
         {"preimageReads", store_.preimage_reads()},
         {"final", state_json(final_state)}};
  return j.dump(2) + "\n";
}

void ApiServer::install_routes() {
  httplib::Server& s = *server_;
  // Every handler body runs through `answer`: it counts the request and maps failures to statuses.
  auto answer = [this](std::atomic<uint64_t>& counter, std::function<std::string(const httplib::Request&)> body) {
    return [this, &counter, body = std::move(body)](const httplib::Request& req, httplib::Response& res) {
      ++counter;
      ++counters_.in_flight;
      try {
        res.set_content(body(req), "application/json");
        res.status = 200;
      } catch (const QueryError& e) {
        res.status = e.status;
        res.set_content(error_json(e.what()), "application/json");
      } catch (const std::bad_alloc&) {
        res.status = 503;
        res.set_content(error_json("out of memory; retry later"), "application/json");
      } catch (const OracleError& e) {
        res.status = 500;
        res.set_content(error_json(std::string("pre-image replay failed: ") + e.what()), "application/json");
      } catch (const std::exception& e) {
        res.status = 500;
        res.set_content(error_json(std::string("internal error: ") + e.what()), "application/json");
      }
      if (res.status >= 400) ++counters_.errors;
      --counters_.in_flight;
    };
  };

  s.Get("/v1/state", answer(counters_.state, [this](const httplib::Request& req) {
          expect_params(req, {"step"});
          return state_json(store_.state_at(required_number(req, "step"))).dump(2) + "\n";
        }));
  s.Post("/v1/states", answer(counters_.state, [this](const httplib::Request& req) {
           expect_params(req, {});
           const Json body = Json::parse(req.body, nullptr, false);
           if (body.is_discarded()) throw QueryError(400, "malformed JSON body; expected {\"steps\": [N, ...]}");
           if (!body.is_object() || !body.contains("steps") || !body["steps"].is_array() || body.size() != 1)
             throw QueryError(400, "expected a JSON object {\"steps\": [N, ...]}");
           const Json& steps = body["steps"];
           if (steps.size() > MaxBatch)
             throw QueryError(400, "at most " + std::to_string(MaxBatch) + " steps per request");
           Json out = Json::array();
           for (const Json& step : steps) {
             if (!step.is_number_unsigned())
               throw QueryError(400, "steps must be non-negative integers below 2^64, got " + step.dump());
             out.push_back(state_json(store_.state_at(step.get<Word>())));
           }
           return Json{{"states", out}}.dump(2) + "\n";
         }));
  s.Get("/v1/proof", answer(counters_.proof, [this](const httplib::Request& req) {
          expect_params(req, {"step"});
          return store_.proof_at(required_number(req, "step"));
        }));
  s.Get("/v1/trace", answer(counters_.trace, [this](const httplib::Request& req) {
          expect_params(req, {});
          return trace_json();
        }));
  s.Get("/v1/status", answer(counters_.status, [this](const httplib::Request& req) {
          expect_params(req, {});
          return status_json();
        }));
  s.Get("/v1/position/preimage", answer(counters_.position, [this](const httplib::Request& req) {
          expect_params(req, {"k"});
          const Word k = required_number(req, "k");
          return Json{{"k", k}, {"step", store_.preimage_read_step(k)}}.dump(2) + "\n";
        }));
  s.Get("/v1/position/syscall", answer(counters_.position, [this](const httplib::Request& req) {
          expect_params(req, {"number", "after", "limit"});
          const Word number = required_number(req, "number");
          const Word after = optional_number(req, "after", store_.start_step());
          const Word limit = optional_number(req, "limit", DefaultScanLimit);
          return Json{{"number", number}, {"after", after}, {"step", store_.first_syscall(number, after, limit)}}.dump(
                     2) +
                 "\n";
        }));
  s.Get(
      "/v1/position/pc", answer(counters_.position, [this](const httplib::Request& req) {
        expect_params(req, {"pc", "after", "limit"});
        const Word pc = required_number(req, "pc");
        const Word after = optional_number(req, "after", store_.start_step());
        const Word limit = optional_number(req, "limit", DefaultScanLimit);
        return Json{{"pc", hex_word(pc)}, {"after", after}, {"step", store_.first_pc(pc, after, limit)}}.dump(2) + "\n";
      }));

  // Unknown paths and methods, and requests httplib itself rejects, get a JSON error too.
  s.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ++counters_.errors;
    std::string message = res.status == 404
                              ? "no such endpoint: " + req.method + " " + req.path +
                                    " (see GET /v1/status, /v1/trace, /v1/state, /v1/proof, /v1/position/...)"
                              : "bad request (HTTP " + std::to_string(res.status) + ")";
    res.set_content(error_json(message), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    ++counters_.errors;
    res.status = 500;
    res.set_content(error_json("internal error"), "application/json");
  });
}

}  // namespace cannonball
