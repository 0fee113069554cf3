// Micro benchmarks of the runtime core: keccak, memory access, merkle roots and proofs, state
// files. Each reports work per second as a counter.
#include <benchmark/benchmark.h>
#include <cryptopp/keccak.h>

#include <cstdio>
#include <random>

#include "runtime/keccak.h"
#include "runtime/memory.h"
#include "runtime/state_file.h"

namespace cannonball {
namespace {

void BM_KeccakPair(benchmark::State& bench) {
  Hash32 a{}, b{};
  a[0] = 1;
  for (auto _ : bench) {
    a = keccak256_pair(a, b);
    benchmark::DoNotOptimize(a);
  }
  bench.counters["hashes/s"] = benchmark::Counter(static_cast<double>(bench.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KeccakPair);

// Independent merkle node hashes in batches of 1024 through each kernel (0 scalar = the
// permutation the runtime used one hash at a time before, 1 AVX2, 2 AVX-512), beside Crypto++.
void BM_KeccakPairs(benchmark::State& bench) {
  const auto kernel = static_cast<KeccakKernel>(bench.range(0));
  if (!keccak_kernel_supported(kernel)) {
    bench.SkipWithError("kernel not supported on this CPU");
    return;
  }
  bench.SetLabel(keccak_kernel_name(kernel));
  constexpr size_t Batch = 1024;
  std::vector<Hash32> nodes(2 * Batch), outs(Batch);
  std::mt19937_64 rng(6);
  for (auto& h : nodes)
    for (auto& b : h) b = static_cast<uint8_t>(rng());
  std::vector<const uint8_t*> lefts(Batch), rights(Batch);
  std::vector<uint8_t*> out_ptrs(Batch);
  for (size_t i = 0; i < Batch; ++i) {
    lefts[i] = nodes[2 * i].data();
    rights[i] = nodes[2 * i + 1].data();
    out_ptrs[i] = outs[i].data();
  }
  for (auto _ : bench) {
    keccak256_pairs_with(kernel, lefts.data(), rights.data(), out_ptrs.data(), Batch);
    benchmark::DoNotOptimize(outs.data());
  }
  bench.counters["hashes/s"] =
      benchmark::Counter(static_cast<double>(bench.iterations() * Batch), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KeccakPairs)->ArgName("kernel")->Arg(0)->Arg(1)->Arg(2);

void BM_CryptoppKeccakPair(benchmark::State& bench) {
  uint8_t block[64] = {1};
  CryptoPP::Keccak_256 hasher;
  for (auto _ : bench) {
    hasher.Update(block, 64);
    hasher.Final(block);
    benchmark::DoNotOptimize(block);
  }
  bench.counters["hashes/s"] = benchmark::Counter(static_cast<double>(bench.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CryptoppKeccakPair);

void BM_Keccak4K(benchmark::State& bench) {
  std::vector<uint8_t> data(4096, 7);
  for (auto _ : bench) benchmark::DoNotOptimize(keccak256(data.data(), data.size()));
  bench.counters["bytes/s"] =
      benchmark::Counter(static_cast<double>(bench.iterations() * data.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Keccak4K);

void BM_MemoryReadWord(benchmark::State& bench) {
  Memory mem;
  for (Word i = 0; i < 64; ++i) mem.write_word(0x10000 + i * PageSize, i);
  Word addr = 0, sum = 0;
  for (auto _ : bench) {
    sum += mem.read_word(0x10000 + (addr & (64 * PageSize - 8)));
    addr += 8 * 67;
  }
  benchmark::DoNotOptimize(sum);
  bench.counters["reads/s"] = benchmark::Counter(static_cast<double>(bench.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MemoryReadWord);

void BM_MemoryWriteWord(benchmark::State& bench) {
  Memory mem;
  Word addr = 0;
  for (auto _ : bench) {
    mem.write_word(0x10000 + (addr & (64 * PageSize - 8)), addr);
    addr += 8 * 67;
  }
  bench.counters["writes/s"] = benchmark::Counter(static_cast<double>(bench.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MemoryWriteWord);

// Merkle root after K pages were dirtied (one word each) in a memory of 4096 pages.
void BM_MerkleRootAfterDirtyPages(benchmark::State& bench) {
  const auto dirty = static_cast<Word>(bench.range(0));
  Memory mem;
  std::mt19937_64 rng(1);
  for (Word i = 0; i < 4096; ++i) mem.write_word(0x100000 + i * PageSize, rng());
  mem.merkle_root();
  for (auto _ : bench) {
    for (Word i = 0; i < dirty; ++i) mem.write_word(0x100000 + (rng() % 4096) * PageSize + (rng() % 512) * 8, rng());
    benchmark::DoNotOptimize(mem.merkle_root());
  }
  bench.counters["pages/s"] =
      benchmark::Counter(static_cast<double>(bench.iterations() * dirty), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MerkleRootAfterDirtyPages)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

void BM_MerkleProof(benchmark::State& bench) {
  Memory mem;
  std::mt19937_64 rng(2);
  for (Word i = 0; i < 4096; ++i) mem.write_word(0x100000 + i * PageSize, rng());
  mem.merkle_root();
  for (auto _ : bench) benchmark::DoNotOptimize(mem.merkle_proof(0x100000 + (rng() % 4096) * PageSize));
  bench.counters["proofs/s"] = benchmark::Counter(static_cast<double>(bench.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MerkleProof);

State state_with_pages(Word pages) {
  State state = make_initial_state(0x10000);
  std::mt19937_64 rng(3);
  for (Word i = 0; i < pages; ++i)
    for (Word w = 0; w < PageWords; w += 7) state.memory.write_word(0x100000 + i * PageSize + w * 8, rng());
  return state;
}

void BM_StateFileWrite(benchmark::State& bench) {
  const State state = state_with_pages(2048);
  const bool gz = bench.range(0) != 0;
  const std::string path = std::string("/tmp/cannonball-bench-state") + (gz ? ".bin.gz" : ".bin");
  size_t bytes = 0;
  for (auto _ : bench) {
    write_state_file(state, path);
    bytes += serialize_state(state).size();
  }
  std::remove(path.c_str());
  bench.counters["bytes/s"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StateFileWrite)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_StateFileRead(benchmark::State& bench) {
  const State state = state_with_pages(2048);
  const bool gz = bench.range(0) != 0;
  const std::string path = std::string("/tmp/cannonball-bench-state-r") + (gz ? ".bin.gz" : ".bin");
  write_state_file(state, path);
  const size_t size = serialize_state(state).size();
  for (auto _ : bench) benchmark::DoNotOptimize(read_state_file(path));
  std::remove(path.c_str());
  bench.counters["bytes/s"] =
      benchmark::Counter(static_cast<double>(bench.iterations() * size), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StateFileRead)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cannonball
