// JIT throughput next to the interpreter: steps/s of whole guest runs (guests built into
// build/guests), each engine on a fresh copy of the loaded state. Counters: steps/s.
// Wiring (bench/CMakeLists.txt):
//   add_executable(jit_bench jit_bench.cpp)
//   target_link_libraries(jit_bench PRIVATE cannonball_jit benchmark::benchmark_main)
//   target_compile_definitions(jit_bench PRIVATE CANNONBALL_GUESTS_DIR="${PROJECT_SOURCE_DIR}/build/guests")
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <memory>

#include "interp/engine.h"
#include "jit/jit_engine.h"
#include "runtime/elf_loader.h"

namespace cannonball {
namespace {

std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream in(std::string(CANNONBALL_GUESTS_DIR) + "/" + name + ".elf", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void BM_Guest(benchmark::State& bench, const std::string& name, bool use_jit, Word limit) {
  const auto elf = read_guest(name);
  if (elf.empty()) {
    bench.SkipWithError("guest not built");
    return;
  }
  const State initial = load_elf(elf);
  Word steps = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    State state = initial;
    Vm vm(state);
    vm.set_output([](int, std::span<const uint8_t>) {});
    std::unique_ptr<Engine> engine;
    if (use_jit)
      engine = std::make_unique<jit::JitEngine>(vm);
    else
      engine = std::make_unique<InterpEngine>(vm);
    bench.ResumeTiming();
    const RunResult result = engine->advance(limit);
    if (result.exception) bench.SkipWithError(result.exception->message().c_str());
    steps += result.steps;
  }
  bench.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
// Translation cost: the whole hello guest with every block translated on first sight (threshold
// 0), so translation dominates. Counters: blocks translated per second of the run (whole run, not
// just translation) and bytes of code per block.
void BM_TranslateEverything(benchmark::State& bench, const std::string& name) {
  const auto elf = read_guest(name);
  if (elf.empty()) {
    bench.SkipWithError("guest not built");
    return;
  }
  const State initial = load_elf(elf);
  Word blocks = 0;
  double code_bytes_per_block = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    State state = initial;
    Vm vm(state);
    vm.set_output([](int, std::span<const uint8_t>) {});
    jit::JitEngine engine(vm);
    engine.set_translate_threshold(0);
    bench.ResumeTiming();
    const RunResult result = engine.advance(~Word{0});
    if (result.exception) bench.SkipWithError(result.exception->message().c_str());
    blocks += engine.stats().blocks_translated;
    code_bytes_per_block =
        static_cast<double>(engine.stats().code_bytes) / static_cast<double>(engine.stats().blocks_translated);
  }
  bench.counters["blocks/s"] = benchmark::Counter(static_cast<double>(blocks), benchmark::Counter::kIsRate);
  bench.counters["bytes/block"] = code_bytes_per_block;
}
BENCHMARK_CAPTURE(BM_TranslateEverything, hello, std::string("hello"))->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(BM_Guest, jit_hello, std::string("hello"), true, ~Word{0})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Guest, interp_hello, std::string("hello"), false, ~Word{0})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Guest, jit_compute_small, std::string("compute-small"), true, ~Word{0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Guest, interp_compute_small, std::string("compute-small"), false, ~Word{0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Guest, jit_compute_1G, std::string("compute"), true, Word{1'000'000'000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Guest, interp_compute_100M, std::string("compute"), false, Word{100'000'000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace cannonball
