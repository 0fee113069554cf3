// Differential fuzzing: random programs (rows drawn from the instruction table, plus random
// words), random thread stacks, LL reservations, quantum edges, delay-slot entry states and
// register pressure (def-use chains, pointer chasing); the JIT and the interpreter run the same
// random budgets and must leave identical full states.
// Deterministic by default (seed base 1); CANNONBALL_JIT_FUZZ_SEED and CANNONBALL_JIT_FUZZ_CASES
// override the base seed and the number of cases. A failure prints the case seed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "interp/instruction_table.h"
#include "interp/syscalls.h"
#include "interp/vm.h"
#include "jit/jit_engine.h"
#include "runtime/state_diff.h"
#include "tests/jit/recording_observer.h"

namespace cannonball {
namespace {

constexpr Word CodeBase = 0x10000;
constexpr Word CodeWords = 2048;  // two pages, so blocks meet a page boundary
constexpr Word DataBase = 0x40000;
constexpr Word DataBytes = 2 * PageSize;
// Registers 1..4 hold data or code pointers (memory-op bases), 5 and 6 code addresses (jr/jalr).
constexpr unsigned BaseRegs = 4;

Word env_or(const char* name, Word fallback) {
  const char* text = std::getenv(name);
  return text ? std::strtoull(text, nullptr, 0) : fallback;
}

class ProgramGenerator {
 public:
  explicit ProgramGenerator(std::mt19937_64& rng) : rng_(rng) {}

  Word pick(Word n) { return rng_() % n; }
  Word code_addr() { return CodeBase + 4 * pick(CodeWords); }

  std::vector<uint32_t> program() {
    std::vector<uint32_t> words;
    const auto table = instruction_table();
    while (words.size() < CodeWords) {
      const Word dice = pick(1000);
      if (dice < 25) {  // a random word
        words.push_back(static_cast<uint32_t>(rng_()));
        continue;
      }
      if (dice < 30) {  // a syscall the VM knows, with its number loaded just before
        static constexpr Word Numbers[] = {sys::SchedYield, sys::GetTid, sys::ClockGetTime, sys::SchedYield};
        words.push_back(encode(Op::daddiu, (2u << 16) | static_cast<uint32_t>(Numbers[pick(4)])));
        words.push_back(encode(Op::syscall, 0));
        continue;
      }
      if (dice < 45) {  // an ll/sc pair on one address
        const uint32_t mem = mem_fields();
        const bool is64 = pick(2) != 0;
        words.push_back(encode(is64 ? Op::lld : Op::ll, mem | (static_cast<uint32_t>(8 + pick(8)) << 16)));
        if (pick(2)) words.push_back(encode(Op::addiu, static_cast<uint32_t>(rng_()) & 0x03FF'FFFF));
        words.push_back(encode(is64 ? Op::scd : Op::sc, mem | (static_cast<uint32_t>(8 + pick(8)) << 16)));
        continue;
      }
      const auto op = static_cast<Op>(pick(table.size()));
      if (op == Op::syscall) continue;
      words.push_back(shape(op, static_cast<uint32_t>(rng_()) & 0x03FF'FFFF));
    }
    words.resize(CodeWords);
    return words;
  }

 private:
  uint32_t mem_fields() {
    const auto base = static_cast<uint32_t>(1 + pick(BaseRegs));
    const auto offset = static_cast<uint32_t>(static_cast<int32_t>(pick(129)) - 64) & 0xFFFF;
    return (base << 21) | offset;
  }

  uint32_t shape(Op op, uint32_t fields) {
    const InstructionInfo& row = info(op);
    switch (row.group) {
      case Group::Load:
      case Group::Store:
      case Group::Rmw: fields = (fields & (0x1Fu << 16)) | mem_fields(); break;
      case Group::Branch: {
        const auto offset = static_cast<uint32_t>(static_cast<int32_t>(pick(33)) - 16) & 0xFFFF;
        fields = (fields & ~0xFFFFu) | offset;
        break;
      }
      case Group::Jump:
        if (op == Op::j || op == Op::jal)
          fields = static_cast<uint32_t>(code_addr() >> 2) & 0x03FF'FFFF;
        else if (pick(8) != 0)
          fields = (fields & ~(0x1Fu << 21)) | (static_cast<uint32_t>(5 + pick(2)) << 21);
        break;
      case Group::MulDiv:
        if (pick(4) != 0) fields = (fields & ~(0x1Fu << 16)) | (static_cast<uint32_t>(7 + pick(24)) << 16);
        break;
      default: break;
    }
    return encode(op, fields);
  }

  std::mt19937_64& rng_;
};

Thread random_thread(ProgramGenerator& gen, std::mt19937_64& rng, Word id) {
  Thread t;
  t.thread_id = id;
  t.pc = gen.code_addr();
  t.next_pc = gen.pick(8) == 0 ? gen.code_addr() : t.pc + 4;  // sometimes a delay-slot state
  t.hi = rng();
  t.lo = rng();
  for (unsigned r = 1; r < 32; ++r) {
    const Word dice = gen.pick(4);
    t.regs[r] = dice == 0 ? rng() : dice == 1 ? gen.pick(4) : s32(rng());
  }
  for (unsigned r = 1; r <= BaseRegs; ++r)
    t.regs[r] = gen.pick(4) == 0 ? gen.code_addr() + gen.pick(8) : DataBase + 64 + gen.pick(DataBytes - 128);
  t.regs[5] = gen.code_addr();
  t.regs[6] = gen.code_addr();
  return t;
}

// Register pressure: most register fields redrawn from a pool of six, so that an instruction
// often reads the register the one before it wrote (the emitter then forwards the value in a host
// register instead of reloading it) and memory ops often take their base from a value just
// computed or loaded (pointer chasing, TLB misses whose retry must reload the base). Syscalls and
// the number loads before them, and the targets of jr/jalr, are left alone.
void add_register_pressure(std::vector<uint32_t>& words, std::mt19937_64& rng) {
  static constexpr uint32_t Pool[] = {1, 2, 3, 4, 7, 8};
  auto redraw = [&](uint32_t word, unsigned shift) {
    if (rng() % 4 == 0) return word;
    return (word & ~(0x1Fu << shift)) | (Pool[rng() % 6] << shift);
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const Op op = decode(words[i]);
    if (op == Op::syscall || (i + 1 < words.size() && decode(words[i + 1]) == Op::syscall)) continue;
    uint32_t word = words[i];
    if (op != Op::jr && op != Op::jalr) word = redraw(word, 21);
    word = redraw(redraw(word, 16), 11);
    words[i] = word;
  }
  // Branches with the canonical nop in their delay slot (as Go's assembler leaves them): the
  // emitter then branches on the compare's flags directly.
  for (size_t i = 0; i + 1 < words.size(); ++i)
    if (info(decode(words[i])).group == Group::Branch && decode(words[i + 1]) != Op::syscall && rng() % 2 == 0)
      words[i + 1] = 0;
  // A memory op whose base was just computed from a data pointer (daddiu P, B, small): its first
  // access to a page misses the TLB (flushed at every advance), and the retry must not take the
  // base from a host register the fill call clobbered.
  for (size_t i = 1; i < words.size(); ++i) {
    const Group group = info(decode(words[i])).group;
    if ((group != Group::Load && group != Group::Store) || rng() % 2 != 0) continue;
    if (decode(words[i - 1]) == Op::syscall || (i >= 2 && decode(words[i - 2]) == Op::syscall)) continue;
    const uint32_t base = (words[i] >> 21) & 0x1F;
    const auto pointer = static_cast<uint32_t>(1 + rng() % BaseRegs);
    if (base == 0 || base == pointer) continue;
    words[i - 1] = encode(Op::daddiu, (pointer << 21) | (base << 16) | static_cast<uint32_t>(8 * (rng() % 64)));
  }
}

// Block-wide register cache: long straight-line blocks (most branches and jumps become ALU rows)
// whose register fields come from a pool of nine, so a block keeps six of them in host registers
// across many rows, and its values must reach the Thread at every kind of exit and helper call
// inside it: rows the interpreter helper runs (lwl/lwr/ldl/ldr/swl/swr/sdl/sdr, sync), loads that
// miss the TLB or hit a watched page, stores that take the slow path or rewrite code, zero
// divisors, conditional moves (the old value must survive) and HI/LO moves with an rd field.
void add_long_blocks(std::vector<uint32_t>& words, std::mt19937_64& rng) {
  static constexpr uint32_t Pool[] = {1, 2, 3, 4, 7, 8, 9, 10, 31};
  static constexpr Op Straight[] = {Op::daddu, Op::addu, Op::or_, Op::xor_, Op::daddiu, Op::dsll32, Op::sltu,
                                    Op::movz, Op::movn, Op::mthi, Op::mflo, Op::dmultu, Op::lui, Op::andi,
                                    Op::dsubu, Op::sll, Op::ld, Op::sd, Op::lbu, Op::sw, Op::divu, Op::slti,
                                    Op::lb, Op::lw, Op::lwu, Op::lh, Op::sb, Op::sh, Op::ld, Op::sd};
  static constexpr Op Helpers[] = {Op::lwl, Op::lwr, Op::ldl, Op::ldr, Op::swl, Op::swr, Op::sdl, Op::sdr, Op::sync};
  auto mem_fields = [&] {  // a data or code pointer base (registers 1..4 hold them), small offset
    const auto base = static_cast<uint32_t>(1 + rng() % BaseRegs);
    return (base << 21) | (static_cast<uint32_t>(static_cast<int32_t>(rng() % 129) - 64) & 0xFFFF);
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const Op op = decode(words[i]);
    if (op == Op::syscall || (i + 1 < words.size() && decode(words[i + 1]) == Op::syscall)) continue;
    const Group group = info(op).group;
    if ((group == Group::Branch || group == Group::Jump) && rng() % 8 != 0) {
      const Op row = Straight[rng() % (sizeof(Straight) / sizeof(Straight[0]))];
      const Group row_group = info(row).group;
      words[i] = encode(row, (row_group == Group::Load || row_group == Group::Store)
                                 ? (static_cast<uint32_t>(rng()) & (0x1Fu << 16)) | mem_fields()
                                 : static_cast<uint32_t>(rng()) & 0x03FF'FFFF);
    } else if (rng() % 16 == 0) {
      words[i] = encode(Helpers[rng() % 9], (static_cast<uint32_t>(rng()) & (0x1Fu << 16)) | mem_fields());
    }
    // Register fields from the pool; memory bases stay pointers most of the time.
    const Group now = info(decode(words[i])).group;
    const bool memory = now == Group::Load || now == Group::Store;
    uint32_t word = words[i];
    for (const unsigned shift : {21u, 16u, 11u}) {
      if (shift == 21 && (memory || decode(word) == Op::jr || decode(word) == Op::jalr) && rng() % 8 != 0) continue;
      if (rng() % 4 != 0) word = (word & ~(0x1Fu << shift)) | (Pool[rng() % 9] << shift);
    }
    words[i] = word;
  }
}

State random_state(std::mt19937_64& rng, std::mt19937_64* pressure, std::mt19937_64* long_blocks = nullptr) {
  ProgramGenerator gen(rng);
  State state;
  auto words = gen.program();
  if (pressure != nullptr) add_register_pressure(words, *pressure);
  if (long_blocks != nullptr) add_long_blocks(words, *long_blocks);
  std::vector<uint8_t> code(words.size() * 4);
  for (size_t i = 0; i < words.size(); ++i) store_be32(code.data() + 4 * i, words[i]);
  state.memory.write_bytes(CodeBase, code.data(), code.size());
  std::vector<uint8_t> data(DataBytes);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  state.memory.write_bytes(DataBase, data.data(), data.size());
  if (gen.pick(2)) state.memory.merkle_root();  // pages clean: first stores take the slow path

  const Word threads = 1 + gen.pick(3);
  for (Word id = 0; id < threads; ++id) {
    auto& stack = gen.pick(3) == 0 ? state.right_stack : state.left_stack;
    stack.push_back(random_thread(gen, rng, id));
  }
  if (state.left_stack.empty()) std::swap(state.left_stack, state.right_stack);
  state.traverse_right = false;
  state.next_thread_id = threads;
  state.heap = HeapStart;
  state.step = gen.pick(2) ? 0 : rng() >> 8;
  switch (gen.pick(4)) {
    case 0: state.steps_since_last_context_switch = SchedQuantum - gen.pick(300); break;
    case 1: state.steps_since_last_context_switch = SchedQuantum; break;
    default: state.steps_since_last_context_switch = gen.pick(SchedQuantum); break;
  }
  if (gen.pick(2)) {
    state.ll_reservation_status = static_cast<uint8_t>(1 + gen.pick(2));
    state.ll_address = gen.pick(3) == 0 ? gen.code_addr() : DataBase + gen.pick(DataBytes);
    state.ll_owner_thread = gen.pick(threads);
  }
  return state;
}

struct FuzzTotals {
  Word steps = 0;
  Word jit_steps = 0;
  Word exceptions = 0;
  Word invalidated_blocks = 0;
  Word observed_cases = 0;
  Word hook_calls = 0;
  Word code_clears = 0;
  Word pressure_cases = 0;
  Word watched_cases = 0;
  Word long_block_cases = 0;
  Word regs_cached = 0;
  Word store_fills_granted = 0;
};

// Runs one case; returns "" or a description of the first divergence.
std::string run_case(Word seed, FuzzTotals& totals) {
  std::mt19937_64 rng(seed);
  // Its own generator too (see the modes below): a quarter of the cases under register pressure.
  std::mt19937_64 pressure_rng(seed * 0xD1B5'4A32'D192'ED03ull + 11);
  const bool pressure = pressure_rng() % 4 == 0;
  // And another: a quarter of the other cases as long blocks for the register cache.
  std::mt19937_64 long_rng(seed * 0xA076'1D64'78BD'642Full + 13);
  const bool long_blocks = !pressure && long_rng() % 4 == 0;
  State jit_state = random_state(rng, pressure ? &pressure_rng : nullptr, long_blocks ? &long_rng : nullptr);
  if (pressure) ++totals.pressure_cases;
  if (long_blocks) ++totals.long_block_cases;
  State interp_state = jit_state;
  Vm jit_vm(jit_state);
  Vm interp_vm(interp_state);
  jit::JitEngine engine(jit_vm);
  // Modes drawn from their own generator, so that adding one leaves every seed's program as it was:
  // an observer on both VMs (every hook call must match, step counters included), and code-cache
  // churn (translated code dropped between advances and re-emitted into the reused code pages).
  std::mt19937_64 mode_rng(seed * 0x9E37'79B9'7F4A'7C15ull + 7);
  const bool observed = mode_rng() % 4 == 0;
  const bool churn = mode_rng() % 8 == 0;
  // Tiering: mostly translate on first sight (the most generated code), sometimes only after a
  // few entries, so that the same code runs interpreted first and translated later.
  static constexpr unsigned Thresholds[] = {0, 0, 0, 1, 3, jit::DefaultTranslateThreshold};
  engine.set_translate_threshold(Thresholds[mode_rng() % 6]);
  // Deferred proof slot 2: clock_gettime no longer hashes memory mid-run, so fast-store
  // permissions survive syscalls (Eager, the default, revokes them through the clean epoch).
  if (mode_rng() % 2 == 0) {
    jit_vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
    interp_vm.set_slot2_mode(Vm::Slot2Mode::Deferred);
  }
  RecordingObserver jit_log, interp_log;
  if (observed) {
    jit_vm.set_observer(&jit_log);
    interp_vm.set_observer(&interp_log);
    ++totals.observed_cases;
    // Half of them watch the data accesses to one page: generated code leaves those to the
    // interpreter (a load's TLB miss runs it, then resumes the block after the load).
    if (mode_rng() % 2 == 0) {
      static constexpr Word Pages[] = {DataBase >> PageAddrBits, (DataBase >> PageAddrBits) + 1,
                                       CodeBase >> PageAddrBits};
      const Word page = Pages[mode_rng() % 3];
      for (RecordingObserver* log : {&jit_log, &interp_log}) {
        log->watch_data = true;
        log->watched_page = page;
      }
      ++totals.watched_cases;
    }
  }
  Word remaining = 1 + rng() % 20000;
  while (remaining > 0) {
    const Word budget = std::min<Word>(remaining, 1 + rng() % (rng() % 2 ? 64 : 4000));
    remaining -= budget;
    if (churn && mode_rng() % 3 == 0) {
      engine.clear_code();
      ++totals.code_clears;
    }
    const Word before = interp_state.step;
    const RunResult a = engine.advance(budget);
    const RunResult b = interp_vm.run(budget);
    const std::string where = "advance(" + std::to_string(budget) + ") from step " + std::to_string(before) + ": ";
    if (a.steps != b.steps) return where + "steps " + std::to_string(a.steps) + " vs " + std::to_string(b.steps);
    if (a.exception.has_value() != b.exception.has_value()) return where + "exception presence differs";
    if (a.exception && (a.exception->kind != b.exception->kind || a.exception->step != b.exception->step ||
                        a.exception->pc != b.exception->pc))
      return where + "exceptions differ: " + a.exception->message() + " vs " + b.exception->message();
    const std::string diff = describe_state_differences(jit_state, interp_state, lockstep_diff_options(true));
    if (!diff.empty()) return where + "\n" + diff;
    if (jit_log.events != interp_log.events) {
      for (size_t i = 0; i < std::min(jit_log.events.size(), interp_log.events.size()); ++i)
        if (jit_log.events[i] != interp_log.events[i])
          return where + "hook call #" + std::to_string(i) + ": " + jit_log.events[i] + " vs " + interp_log.events[i];
      return where + "hook call counts " + std::to_string(jit_log.events.size()) + " vs " +
             std::to_string(interp_log.events.size());
    }
    totals.steps += b.steps;
    if (a.exception) ++totals.exceptions;
    if (a.exception || interp_state.exited) break;
  }
  totals.hook_calls += interp_log.events.size();
  totals.jit_steps += engine.stats().jit_steps;
  totals.invalidated_blocks += engine.stats().blocks_invalidated;
  totals.regs_cached += engine.stats().regs_cached;
  totals.store_fills_granted += engine.stats().store_fills_granted;
  return "";
}

TEST(JitFuzz, RandomProgramsMatchInterpreter) {
  const Word base = env_or("CANNONBALL_JIT_FUZZ_SEED", 1);
  const Word cases = env_or("CANNONBALL_JIT_FUZZ_CASES", 3000);
  FuzzTotals totals;
  for (Word i = 0; i < cases; ++i) {
    const Word seed = base + i;
    const std::string failure = run_case(seed, totals);
    ASSERT_EQ(failure, "") << "fuzz case seed " << seed << " (rerun with CANNONBALL_JIT_FUZZ_SEED=" << seed
                           << " CANNONBALL_JIT_FUZZ_CASES=1)";
  }
  std::printf(
      "[ fuzz ] %llu cases, %llu steps (%llu by JIT), %llu ended in an exception, %llu blocks invalidated, "
      "%llu observed cases with %llu hook calls, %llu code-cache clears, %llu under register pressure, %llu watching a page's data, "
      "%llu with long blocks, %llu registers cached in blocks, %llu stores made writable without the interpreter\n",
      static_cast<unsigned long long>(cases), static_cast<unsigned long long>(totals.steps),
      static_cast<unsigned long long>(totals.jit_steps), static_cast<unsigned long long>(totals.exceptions),
      static_cast<unsigned long long>(totals.invalidated_blocks),
      static_cast<unsigned long long>(totals.observed_cases), static_cast<unsigned long long>(totals.hook_calls),
      static_cast<unsigned long long>(totals.code_clears), static_cast<unsigned long long>(totals.pressure_cases),
      static_cast<unsigned long long>(totals.watched_cases), static_cast<unsigned long long>(totals.long_block_cases),
      static_cast<unsigned long long>(totals.regs_cached), static_cast<unsigned long long>(totals.store_fills_granted));
  EXPECT_GT(totals.jit_steps, totals.steps / 4);
  if (cases >= 100) {
    EXPECT_GT(totals.hook_calls, 0u);
    EXPECT_GT(totals.code_clears, 0u);
    EXPECT_GT(totals.long_block_cases, 0u);
    EXPECT_GT(totals.regs_cached, 0u);
    EXPECT_GT(totals.store_fills_granted, 0u);
  }
}

}  // namespace
}  // namespace cannonball
