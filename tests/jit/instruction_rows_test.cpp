// One test per row of the instruction table (generated from the rows): random encodings of the
// row (every field the row ignores random too) on random operands run on the interpreter and on
// the JIT, and the full states must agree. The row's declared columns are checked against what
// the engines do:
//  - jit: a Native row is emitted as host code (the emitter's counters say so) and runs in a
//    translated block; a Helper row runs in a block through the interpreter helper; a Never row
//    is never translated (every step is Vm::step);
//  - fault: a row raises only the exception its column names (none, a branch in a delay slot,
//    a zero divisor, or a syscall's own), checked on the interpreter with delay-slot states too;
//  - access: an observer watching data accesses sees exactly one access, a read or a write as
//    declared, for rows that access memory, and none for the others.
// CANNONBALL_ROW_TRIALS overrides the number of random trials per row.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "interp/instruction_table.h"
#include "interp/observer.h"
#include "interp/syscalls.h"
#include "interp/vm.h"
#include "jit/emitter.h"
#include "jit/jit_engine.h"
#include "runtime/state_diff.h"

namespace cannonball {
namespace {

constexpr Word CodeBase = 0x10000;    // the row's word, then its delay slot
constexpr Word DataBase = 0x40000;    // two allocated data pages
constexpr Word AbsentBase = 0x80000;  // a page no one allocated (reads zero, a store allocates it)

Word trials() {
  const char* text = std::getenv("CANNONBALL_ROW_TRIALS");
  return text ? std::strtoull(text, nullptr, 0) : 200;
}

// Values that find edge cases: zero, all ones, the 32-bit and 64-bit sign boundaries, small shift
// amounts, and plain random words.
Word operand(std::mt19937_64& rng) {
  static constexpr Word Edges[] = {0,
                                   1,
                                   ~Word{0},
                                   0x7FFF'FFFF,
                                   0x8000'0000,
                                   0xFFFF'FFFF'8000'0000ull,
                                   0x0000'0000'FFFF'FFFFull,
                                   0x7FFF'FFFF'FFFF'FFFFull,
                                   0x8000'0000'0000'0000ull,
                                   31,
                                   32,
                                   63};
  switch (rng() % 4) {
    case 0: return Edges[rng() % std::size(Edges)];
    case 1: return s32(rng());
    default: return rng();
  }
}

// Counts the data accesses an observer is told about (loads and ll as reads, stores and a
// successful sc as writes).
class AccessCounter final : public SchedulerObserver {
 public:
  AccessCounter() { watch_data = true; }
  void on_data_access(const State&, const Thread&, Word, unsigned, Word) override { ++accesses; }
  int accesses = 0;
};

struct Trial {
  State state;
  Word budget = 1;  // the row alone, or a branch and its delay slot
};

Trial make_trial(Op op, std::mt19937_64& rng, bool delay_slot_state) {
  const InstructionInfo& row = info(op);
  uint32_t fields = static_cast<uint32_t>(rng()) & 0x03FF'FFFF;
  Thread t;
  t.thread_id = 0;
  t.pc = CodeBase;
  t.next_pc = delay_slot_state ? CodeBase + 0x100 : CodeBase + 4;
  t.hi = operand(rng);
  t.lo = operand(rng);
  for (unsigned r = 1; r < 32; ++r) t.regs[r] = operand(rng);

  const unsigned rs = (fields >> 21) & 0x1F;
  const unsigned rt = (fields >> 16) & 0x1F;
  if (row.access != Access::None && rs != 0) {
    // The base register points into one of the data pages, the absent page or the code page
    // (a store there invalidates translated code), aligned as the row needs it or not at all.
    const auto simm = static_cast<Word>(static_cast<int64_t>(static_cast<int16_t>(fields & 0xFFFF)));
    static constexpr Word Bases[] = {DataBase, DataBase + PageSize, AbsentBase, CodeBase};
    const Word addr = Bases[rng() % std::size(Bases)] + (rng() % (PageSize - 8));
    t.regs[rs] = addr - simm;
  }
  if (row.group == Group::Jump && op != Op::j && op != Op::jal && rng() % 2)
    t.regs[rs] = CodeBase + 4 * (rng() % 64);  // jr/jalr to code, sometimes to any address
  if (row.fault == Fault::DivideByZero && rng() % 4 == 0 && rt != 0) t.regs[rt] = rng() % 2 ? 0 : ~Word{0};
  if (row.group == Group::Syscall) {
    static constexpr Word Numbers[] = {sys::GetTid, sys::GetPid, sys::SchedYield, sys::ClockGetTime, sys::Brk};
    t.regs[2] = Numbers[rng() % std::size(Numbers)];
  }

  State state;
  const uint32_t word = encode(op, fields);
  // The delay slot (for branches): a random word of a row that runs inside blocks and cannot
  // fault, so the branch and its slot form one block.
  uint32_t slot = encode(Op::addu, static_cast<uint32_t>(rng()) & 0x03FF'FFFF);
  if (rng() % 2) slot = encode(Op::sll, static_cast<uint32_t>(rng()) & 0x03FF'FFFF);
  uint8_t code[8];
  store_be32(code, word);
  store_be32(code + 4, slot);
  state.memory.write_bytes(CodeBase, code, sizeof code);
  std::vector<uint8_t> data(2 * PageSize);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  state.memory.write_bytes(DataBase, data.data(), data.size());
  if (rng() % 2) state.memory.merkle_root();   // clean pages: stores take the JIT's slow path
  if (row.group == Group::Rmw && rng() % 2) {  // a reservation sc may match
    state.ll_reservation_status = (op == Op::sc || op == Op::ll) ? 1 : 2;
    state.ll_address = t.regs[rs] + static_cast<Word>(static_cast<int64_t>(static_cast<int16_t>(fields & 0xFFFF)));
    state.ll_owner_thread = 0;
  }
  state.left_stack.push_back(t);
  state.next_thread_id = 1;
  state.heap = HeapStart;
  const bool ends_in_branch = row.group == Group::Branch || row.group == Group::Jump;
  return Trial{std::move(state), ends_in_branch && !delay_slot_state ? Word{2} : Word{1}};
}

std::string row_name(const ::testing::TestParamInfo<Op>& param) { return std::string(mnemonic(param.param)); }

std::vector<Op> all_rows() {
  std::vector<Op> ops;
  for (size_t i = 0; i < instruction_table().size(); ++i) ops.push_back(static_cast<Op>(i));
  return ops;
}

bool may_raise(const InstructionInfo& row, const VmException& exception) {
  switch (row.fault) {
    case Fault::None: return false;
    case Fault::DelaySlot: return exception.kind == ExceptionKind::BranchInDelaySlot;
    case Fault::DivideByZero: return exception.kind == ExceptionKind::DivideByZero;
    case Fault::Syscall: return true;
  }
  return false;
}

// clz, clo, dclz, dclo: emitted with LZCNT, through the helper on hosts without it.
bool needs_lzcnt(const InstructionInfo& row) { return row.group == Group::Alu && row.format == Format::RdRs; }

class InstructionRow : public ::testing::TestWithParam<Op> {};

TEST_P(InstructionRow, BothEnginesAgreeAndTheColumnsHold) {
  const Op op = GetParam();
  const InstructionInfo& row = info(op);
  std::mt19937_64 rng(0x16'0003 + static_cast<Word>(op));
  Word in_blocks = 0, raised = 0;
  for (Word trial = 0; trial < trials(); ++trial) {
    Trial jit_trial = make_trial(op, rng, false);
    State interp_state = jit_trial.state;
    Vm jit_vm(jit_trial.state);
    Vm interp_vm(interp_state);
    AccessCounter jit_accesses, interp_accesses;
    const bool observed = trial % 4 == 3;  // the JIT then leaves watched accesses to the interpreter
    if (observed) {
      jit_vm.set_observer(&jit_accesses);
      interp_vm.set_observer(&interp_accesses);
    }
    jit::JitEngine engine(jit_vm);
    engine.set_translate_threshold(0);
    engine.set_max_block_insns(1);

    const RunResult a = engine.advance(jit_trial.budget);
    const RunResult b = interp_vm.run(jit_trial.budget);
    const std::string where = std::string(mnemonic(op)) + " trial " + std::to_string(trial) + ": ";
    ASSERT_EQ(a.steps, b.steps) << where;
    ASSERT_EQ(a.exception.has_value(), b.exception.has_value()) << where;
    if (a.exception) { ASSERT_EQ(a.exception->kind, b.exception->kind) << where << b.exception->message(); }
    ASSERT_EQ(describe_state_differences(jit_trial.state, interp_state, lockstep_diff_options(true)), "") << where;
    ASSERT_EQ(jit_accesses.accesses, interp_accesses.accesses) << where;

    if (b.exception) {
      ++raised;
      EXPECT_TRUE(may_raise(row, *b.exception)) << where << "raised " << b.exception->message();
      continue;
    }
    if (observed && row.group != Group::Syscall) {  // a syscall's buffer accesses are its own
      if (row.access == Access::None)
        EXPECT_EQ(interp_accesses.accesses, 0) << where;
      else if (row.group == Group::Rmw && row.access == Access::Write)  // a failing sc touches nothing
        EXPECT_LE(interp_accesses.accesses, 1) << where;
      else
        EXPECT_EQ(interp_accesses.accesses, 1) << where;
    }

    const jit::JitStats& stats = engine.stats();
    switch (row.jit) {
      case JitStatus::Native:
        // Emitted as host code, unless the host lacks the instruction (clz family without LZCNT).
        EXPECT_EQ(stats.blocks_translated, 1u) << where;
        EXPECT_EQ(stats.insns_native + stats.insns_helper, jit_trial.budget) << where;
        if (jit::host_has_lzcnt() || !needs_lzcnt(row)) { EXPECT_EQ(stats.insns_helper, 0u) << where; }
        EXPECT_EQ(stats.jit_steps, jit_trial.budget) << where;
        ++in_blocks;
        break;
      case JitStatus::Helper:
        EXPECT_EQ(stats.blocks_translated, 1u) << where;
        EXPECT_EQ(stats.insns_helper, 1u) << where;
        EXPECT_EQ(stats.jit_steps, jit_trial.budget) << where;
        ++in_blocks;
        break;
      case JitStatus::Never:
        EXPECT_EQ(stats.blocks_translated, 0u) << where;
        EXPECT_EQ(stats.jit_steps, 0u) << where;
        break;
    }
  }
  // Delay-slot states: only branches and jumps raise there (spec §5.5), on the interpreter.
  for (Word trial = 0; trial < trials() / 4; ++trial) {
    Trial t = make_trial(op, rng, true);
    Vm vm(t.state);
    const RunResult result = vm.run(1);
    const std::string where = std::string(mnemonic(op)) + " delay-slot trial " + std::to_string(trial) + ": ";
    if (row.fault == Fault::DelaySlot) {
      ASSERT_TRUE(result.exception.has_value()) << where;
      EXPECT_EQ(result.exception->kind, ExceptionKind::BranchInDelaySlot) << where;
    } else if (result.exception) {
      EXPECT_TRUE(may_raise(row, *result.exception)) << where << result.exception->message();
    }
  }
  if (row.jit != JitStatus::Never) { EXPECT_GT(in_blocks, trials() / 2) << "most trials ran in a block"; }
  if (row.fault == Fault::DivideByZero) { EXPECT_GT(raised, 0u) << "no trial had a zero divisor"; }
}

INSTANTIATE_TEST_SUITE_P(Table, InstructionRow, ::testing::ValuesIn(all_rows()), row_name);

}  // namespace
}  // namespace cannonball
