// Differential: one instruction sequence from the input runs through the interpreter and the JIT
// in the same random advances; after every advance the step counts, exceptions and full states
// (every field, both thread stacks, memory contents and page sets) must be identical, and at the
// end neither side may hold a page changed without being marked dirty (see check_dirty_marks).
// The input gives the program (rows of the instruction table shaped to hit a data page, nearby
// branches and jumps into the code, or raw words), the data page, the threads' registers and
// the scheduler position, and the advance budgets.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "interp/instruction_table.h"
#include "interp/vm.h"
#include "jit/jit_engine.h"
#include "runtime/state_diff.h"

using namespace cannonball;

namespace {

constexpr Word CodeBase = 0x10000;
constexpr Word MaxWords = 512;
constexpr Word DataBase = 0x40000;
constexpr unsigned BaseRegs = 4;  // r1..r4 point into the data page (or the code)

struct Builder {
  FuzzedDataProvider& in;
  Word words = 0;

  Word code_addr() { return CodeBase + 4 * in.ConsumeIntegralInRange<Word>(0, words ? words - 1 : 0); }
  uint32_t mem_fields() {
    const auto base = in.ConsumeIntegralInRange<uint32_t>(1, BaseRegs);
    const auto offset = static_cast<uint32_t>(in.ConsumeIntegralInRange<int32_t>(-64, 64)) & 0xFFFF;
    return (base << 21) | offset;
  }
  uint32_t word() {
    const auto table = instruction_table();
    const uint8_t kind = in.ConsumeIntegral<uint8_t>();
    const uint32_t fields = in.ConsumeIntegral<uint32_t>() & 0x03FF'FFFF;
    if (kind >= 240) return in.ConsumeIntegral<uint32_t>();  // any word
    const auto op = static_cast<Op>(kind % table.size());
    const InstructionInfo& row = info(op);
    uint32_t f = fields;
    switch (row.group) {
      case Group::Load:
      case Group::Store:
      case Group::Rmw: f = (fields & (0x1Fu << 16)) | mem_fields(); break;
      case Group::Branch:
        f = (fields & ~0xFFFFu) | (static_cast<uint32_t>(in.ConsumeIntegralInRange<int32_t>(-16, 16)) & 0xFFFF);
        break;
      case Group::Jump:
        if (op == Op::j || op == Op::jal)
          f = static_cast<uint32_t>(code_addr() >> 2) & 0x03FF'FFFF;
        else
          f = (fields & ~(0x1Fu << 21)) | (static_cast<uint32_t>(in.ConsumeIntegralInRange<int>(5, 6)) << 21);
        break;
      default: break;
    }
    return encode(op, f);
  }
};

Thread make_thread(Builder& b, Word id) {
  FuzzedDataProvider& in = b.in;
  Thread t;
  t.thread_id = id;
  t.pc = b.code_addr();
  t.next_pc = in.ConsumeIntegralInRange<int>(0, 7) == 0 ? b.code_addr() : t.pc + 4;
  t.hi = in.ConsumeIntegral<Word>();
  t.lo = in.ConsumeIntegral<Word>();
  for (unsigned r = 1; r < 32; ++r) {
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: t.regs[r] = in.ConsumeIntegral<Word>(); break;
      case 1: t.regs[r] = in.ConsumeIntegralInRange<Word>(0, 4); break;
      default: t.regs[r] = static_cast<Word>(static_cast<int64_t>(in.ConsumeIntegral<int32_t>())); break;
    }
  }
  for (unsigned r = 1; r <= BaseRegs; ++r)
    t.regs[r] = DataBase + 64 + in.ConsumeIntegralInRange<Word>(0, PageSize - 128);
  t.regs[5] = b.code_addr();
  t.regs[6] = b.code_addr();
  return t;
}

// One JIT serves every input. Each input's state replaces the memory behind it, which makes the
// runtime drop every block, table entry and entry count (JitRuntime::prepare), so an input runs
// exactly as on a freshly built JIT, while building one (its 1 MiB dispatch table, its code
// memory) is no longer paid per input. The Vm is rebuilt in place for each input.
struct JitSide {
  State state;
  std::optional<Vm> vm;
  std::optional<jit::JitEngine> engine;

  jit::JitEngine& start(const State& start_state) {
    state = start_state;
    vm.emplace(state);
    if (!engine) engine.emplace(*vm);
    return *engine;
  }
};

[[noreturn]] void diverged(const std::string& what) {
  std::fprintf(stderr, "interpreter and JIT diverge: %s\n", what.c_str());
  std::abort();
}

// Nothing hashes memory between the start and the end of an input, so every page a side will
// not rehash must still hold the start state's bytes (zero for a page absent at the start): both
// sides copied the start's merkle nodes, which were computed from those bytes. This finds what
// comparing the two sides' merkle roots finds (a page changed without being marked dirty, so
// that its root would be stale) and also the same slip made by both engines, without hashing.
void check_dirty_marks(const char* side, const Memory& memory, const Memory& start) {
  static const Page Zero{};
  for (const Word index : memory.sorted_page_indices()) {
    if (memory.rehash_pending(index)) continue;
    const Page* before = start.find_page(index);
    if (std::memcmp(memory.find_page(index)->bytes, (before ? before : &Zero)->bytes, PageSize) != 0)
      diverged(std::string(side) + ": page " + std::to_string(index) + " changed without being marked dirty");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Builder b{in};
  State start;
  b.words = in.ConsumeIntegralInRange<Word>(1, MaxWords);
  std::vector<uint8_t> code(b.words * 4);
  for (Word i = 0; i < b.words; ++i) store_be32(code.data() + 4 * i, b.word());
  start.memory.write_bytes(CodeBase, code.data(), code.size());
  std::vector<uint8_t> page = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, PageSize));
  page.resize(PageSize);
  start.memory.write_bytes(DataBase, page.data(), page.size());
  if (in.ConsumeBool()) start.memory.merkle_root();  // clean pages: first stores take the slow path

  const Word threads = in.ConsumeIntegralInRange<Word>(1, 3);
  for (Word id = 0; id < threads; ++id)
    (in.ConsumeIntegralInRange<int>(0, 2) == 0 ? start.right_stack : start.left_stack).push_back(make_thread(b, id));
  if (start.left_stack.empty()) std::swap(start.left_stack, start.right_stack);
  start.next_thread_id = threads;
  start.heap = HeapStart;
  start.step = in.ConsumeBool() ? 0 : in.ConsumeIntegral<Word>() >> 8;
  start.steps_since_last_context_switch = SchedQuantum - in.ConsumeIntegralInRange<Word>(0, SchedQuantum);
  if (in.ConsumeBool()) {
    start.ll_reservation_status = in.ConsumeIntegralInRange<uint8_t>(1, 2);
    start.ll_address = DataBase + in.ConsumeIntegralInRange<Word>(0, PageSize - 1);
    start.ll_owner_thread = in.ConsumeIntegralInRange<Word>(0, threads - 1);
  }

  static JitSide jit_side;
  jit::JitEngine& engine = jit_side.start(start);
  State& jit_state = jit_side.state;
  State interp_state = start;
  Vm interp_vm(interp_state);
  const int advances = in.ConsumeIntegralInRange<int>(1, 6);
  for (int i = 0; i < advances; ++i) {
    const Word budget = in.ConsumeIntegralInRange<Word>(1, in.ConsumeBool() ? 64 : 1000);
    const Word before = interp_state.step;
    const RunResult a = engine.advance(budget);
    const RunResult r = interp_vm.run(budget);
    auto where = [&] { return "advance(" + std::to_string(budget) + ") from step " + std::to_string(before) + ": "; };
    if (a.steps != r.steps) diverged(where() + "steps " + std::to_string(a.steps) + " vs " + std::to_string(r.steps));
    if (a.exception.has_value() != r.exception.has_value()) diverged(where() + "exception presence differs");
    if (a.exception && (a.exception->kind != r.exception->kind || a.exception->step != r.exception->step ||
                        a.exception->pc != r.exception->pc))
      diverged(where() + a.exception->message() + " vs " + r.exception->message());
    const std::string diff = describe_state_differences(jit_state, interp_state, lockstep_diff_options(false));
    if (!diff.empty()) diverged(where() + "\n" + diff);
    if (i + 1 == advances || a.exception || interp_state.exited) break;
  }
  check_dirty_marks("jit", jit_state.memory, start.memory);
  check_dirty_marks("interp", interp_state.memory, start.memory);
  return 0;
}
