// GiB-scale runtime benchmarks for the challenger's workflow: the merkle root of 1 GiB of random
// words, and writing and loading a state of that size as .bin and .bin.gz. They use only the
// long-standing runtime API (Memory, merkle_root, read/write_state_file), so the same file builds
// against an older revision's runtime for a side-by-side run (bench/compare_revisions.sh).
//
// Size: CANNONBALL_BENCH_MIB (default 1024) MiB of guest memory; files go to CANNONBALL_BENCH_DIR
// (default /tmp); CANNONBALL_BENCH_KEEP=1 keeps the written state files.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "runtime/memory.h"
#include "runtime/state_file.h"

namespace cannonball {
namespace {

Word bench_pages() {
  const char* mib = std::getenv("CANNONBALL_BENCH_MIB");
  return (mib ? std::strtoull(mib, nullptr, 10) : 1024) * (Word{1} << 20) / PageSize;
}

// Every word of every page random, as a guest that fills its heap with random data leaves it.
void fill_random(Memory& memory, Word pages) {
  std::mt19937_64 rng(42);
  for (Word p = 0; p < pages; ++p)
    for (Word w = 0; w < PageWords; ++w) memory.write_word(HeapStart + p * PageSize + w * 8, rng());
}

const State& random_state() {
  static State* state = [] {
    auto* s = new State(make_initial_state(0x10000));
    fill_random(s->memory, bench_pages());
    return s;
  }();
  return *state;
}

// CPU seconds of every thread of the process (user + system), for the `cpu_s` counter: on a
// shared, overloaded machine the wall time says little, while the work done does not change.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Accumulates the process CPU time of the timed regions only.
class CpuMeter {
 public:
  void resume() { start_ = process_cpu_seconds(); }
  void pause() { total_ += process_cpu_seconds() - start_; }
  void report(benchmark::State& bench) const {
    bench.counters["cpu_s"] = benchmark::Counter(total_ / static_cast<double>(bench.iterations()));
  }

 private:
  double start_ = 0, total_ = 0;
};

void set_bytes_rate(benchmark::State& bench, double bytes_per_iteration) {
  bench.counters["bytes/s"] =
      benchmark::Counter(bytes_per_iteration * static_cast<double>(bench.iterations()), benchmark::Counter::kIsRate);
}

// Root of a memory whose every page is dirty (the first root after a load, or `witness`).
void BM_MerkleRootRandomMemory(benchmark::State& bench) {
  const Word pages = bench_pages();
  CpuMeter cpu;
  for (auto _ : bench) {
    bench.PauseTiming();
    Memory memory;
    fill_random(memory, pages);
    bench.ResumeTiming();
    cpu.resume();
    benchmark::DoNotOptimize(memory.merkle_root());
    cpu.pause();
    bench.PauseTiming();
    { Memory drop = std::move(memory); }
    bench.ResumeTiming();
  }
  cpu.report(bench);
  set_bytes_rate(bench, static_cast<double>(pages * PageSize));
  bench.counters["pages/s"] =
      benchmark::Counter(static_cast<double>(pages * bench.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MerkleRootRandomMemory)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

std::string bench_path(bool gz) {
  const char* dir = std::getenv("CANNONBALL_BENCH_DIR");
  return std::string(dir ? dir : "/tmp") + "/cannonball-gib-bench" + (gz ? ".bin.gz" : ".bin");
}

void BM_StateFileWriteRandom(benchmark::State& bench) {
  const State& state = random_state();
  const bool gz = bench.range(0) != 0;
  const std::string path = bench_path(gz);
  CpuMeter cpu;
  for (auto _ : bench) {
    cpu.resume();
    write_state_file(state, path);
    cpu.pause();
  }
  cpu.report(bench);
  if (!std::getenv("CANNONBALL_BENCH_KEEP")) std::remove(path.c_str());  // kept for CLI rows
  set_bytes_rate(bench, static_cast<double>(bench_pages() * (PageSize + 8)));
}
BENCHMARK(BM_StateFileWriteRandom)
    ->ArgName("gz")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

void BM_StateFileReadRandom(benchmark::State& bench) {
  const bool gz = bench.range(0) != 0;
  const std::string path = bench_path(gz);
  write_state_file(random_state(), path);
  CpuMeter cpu;
  for (auto _ : bench) {
    cpu.resume();
    State loaded = read_state_file(path);
    benchmark::DoNotOptimize(loaded.step);
    cpu.pause();
    bench.PauseTiming();
    { State drop = std::move(loaded); }
    bench.ResumeTiming();
  }
  cpu.report(bench);
  std::remove(path.c_str());
  set_bytes_rate(bench, static_cast<double>(bench_pages() * (PageSize + 8)));
}
BENCHMARK(BM_StateFileReadRandom)
    ->ArgName("gz")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

// Load + first merkle root: what `witness` and a run's start-up pay.
void BM_LoadAndRootRandom(benchmark::State& bench) {
  const std::string path = bench_path(true);
  write_state_file(random_state(), path);
  CpuMeter cpu;
  for (auto _ : bench) {
    cpu.resume();
    State loaded = read_state_file(path);
    benchmark::DoNotOptimize(loaded.memory.merkle_root());
    cpu.pause();
    bench.PauseTiming();
    { State drop = std::move(loaded); }
    bench.ResumeTiming();
  }
  cpu.report(bench);
  std::remove(path.c_str());
  set_bytes_rate(bench, static_cast<double>(bench_pages() * PageSize));
}
BENCHMARK(BM_LoadAndRootRandom)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace cannonball
