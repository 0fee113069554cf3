// Interpreter throughput: steps/s on real guests (built by tools/setup.sh into build/guests) and
// per instruction group on synthetic loops.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>

#include "interp/instruction_table.h"
#include "interp/vm.h"
#include "runtime/elf_loader.h"

namespace cannonball {
namespace {

std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream in(std::string(CANNONBALL_GUESTS_DIR) + "/" + name + ".elf", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Steps/s of a whole guest run (or its first `limit` steps).
void BM_InterpGuest(benchmark::State& bench, const std::string& name, Word limit) {
  const auto elf = read_guest(name);
  if (elf.empty()) {
    bench.SkipWithError("guest not built: run tools/setup.sh");
    return;
  }
  const State initial = load_elf(elf);
  Word steps = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    State state = initial;
    Vm vm(state);
    vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
    bench.ResumeTiming();
    const RunResult result = vm.run(limit);
    if (result.exception) bench.SkipWithError(result.exception->message().c_str());
    steps += result.steps;
  }
  bench.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_InterpGuest, hello, std::string("hello"), ~Word{0})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_InterpGuest, compute_small, std::string("compute-small"), ~Word{0})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_InterpGuest, goroutines_10M, std::string("goroutines"), 10'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_InterpGuest, alloc_20M, std::string("alloc"), 20'000'000)->Unit(benchmark::kMillisecond);

// A tight loop of one instruction group: 64 instructions then a backward branch + delay slot.
void BM_InterpGroup(benchmark::State& bench, uint32_t insn) {
  State state = make_initial_state(0x10000);
  for (int i = 0; i < 64; ++i) state.memory.write_word(0x10000 + 8 * i, (Word{insn} << 32) | insn);
  const Word loop_end = 0x10000 + 4 * 128;
  const uint32_t branch_back = (0x04u << 26) | static_cast<uint32_t>((-(128 + 1)) & 0xFFFF);  // beq $0,$0
  state.memory.write_word(loop_end, (Word{branch_back} << 32) | 0);
  state.current_thread().regs[8] = 0x20000;  // t0: a data pointer for loads/stores
  state.current_thread().regs[9] = 12345;
  Vm vm(state);
  Word steps = 0;
  for (auto _ : bench) {
    state.steps_since_last_context_switch = 0;
    const RunResult result = vm.run(100'000);
    if (result.exception) bench.SkipWithError(result.exception->message().c_str());
    steps += result.steps;
  }
  bench.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_InterpGroup, alu_addu, 0x01095021u);    // addu t2, t0, t1
BENCHMARK_CAPTURE(BM_InterpGroup, shift_dsll, 0x000a5238u);  // dsll t2, t2, 8
BENCHMARK_CAPTURE(BM_InterpGroup, muldiv_dmultu, 0x0109001du);
BENCHMARK_CAPTURE(BM_InterpGroup, load_ld, 0xdd0a0000u);   // ld t2, 0(t0)
BENCHMARK_CAPTURE(BM_InterpGroup, store_sd, 0xfd090000u);  // sd t1, 0(t0)

}  // namespace
}  // namespace cannonball

BENCHMARK_MAIN();
