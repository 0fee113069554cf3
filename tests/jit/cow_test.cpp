// The JIT on memories that share pages copy-on-write with checkpoints (Memory's copy): a store to
// a shared code page must still invalidate this JIT's blocks; checkpoints taken while a JIT runs
// stay untouched; fresh JITs started from those checkpoints on several threads at once agree with
// the interpreter started from the same checkpoints.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "interp/instruction_table.h"
#include "interp/vm.h"
#include "jit/jit_engine.h"
#include "runtime/elf_loader.h"
#include "runtime/state_diff.h"
#include "runtime/state_file.h"

namespace cannonball {
namespace {

constexpr Word Code = 0x10000;

uint32_t i_type(Op op, unsigned rs, unsigned rt, uint16_t imm) { return encode(op, (rs << 21) | (rt << 16) | imm); }
const uint32_t LoopForever = i_type(Op::beq, 0, 0, 0xFFFF);

TEST(JitCopyOnWrite, StoreToACodePageSharedWithACheckpointInvalidatesTheBlocks) {
  // Page A: addiu $3, $0, 1; loop. Page B: sw $2, 0($1); jr $4. The block on A is translated,
  // a checkpoint then shares A, and code on B rewrites A's addiu before jumping back to it: the
  // store clones the shared page and must still invalidate the block translated from it.
  State live;
  auto put = [&](Word addr, const std::vector<uint32_t>& words) {
    std::vector<uint8_t> bytes(words.size() * 4);
    for (size_t i = 0; i < words.size(); ++i) store_be32(bytes.data() + 4 * i, words[i]);
    live.memory.write_bytes(addr, bytes.data(), bytes.size());
  };
  const Word page_b = Code + PageSize;
  const uint32_t addiu_1 = i_type(Op::addiu, 0, 3, 1);
  put(Code, {addiu_1, LoopForever, 0});
  put(page_b, {i_type(Op::sw, 1, 2, 0), encode(Op::jr, 4u << 21), 0});
  Thread thread;
  thread.pc = Code;
  thread.next_pc = Code + 4;
  live.left_stack.push_back(thread);
  live.next_thread_id = 1;
  Vm vm(live);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(0);  // translate every block on its first entry
  ASSERT_EQ(engine.advance(10).steps, 10u);
  ASSERT_EQ(live.left_stack[0].regs[3], 1u);

  live.memory.merkle_root();
  State checkpoint = live;
  ASSERT_EQ(checkpoint.memory.pages_shared_with(live.memory), 2u);
  const Hash32 checkpoint_hash = state_hash(encode_witness(checkpoint));

  Thread& t = live.left_stack[0];
  t.pc = page_b;
  t.next_pc = page_b + 4;
  t.regs[1] = Code;
  t.regs[2] = i_type(Op::addiu, 0, 3, 7);
  t.regs[3] = 0;
  t.regs[4] = Code;
  State interp = live;
  Vm interp_vm(interp);
  ASSERT_EQ(engine.advance(40).steps, 40u);
  ASSERT_EQ(interp_vm.run(40).steps, 40u);
  EXPECT_EQ(live.left_stack[0].regs[3], 7u);
  EXPECT_EQ(describe_state_differences(live, interp, lockstep_diff_options(true)), "");
  EXPECT_GT(engine.stats().blocks_invalidated, 0u);
  EXPECT_EQ(checkpoint.memory.read_u32(Code), addiu_1);
  EXPECT_EQ(state_hash(encode_witness(checkpoint)), checkpoint_hash);
}

TEST(JitCopyOnWrite, InterpretedStoreThatClonesASharedPageRefreshesTheTlb) {
  // A translated loop reads a data page shared with a checkpoint (its TLB entry points at the
  // shared page); cold code after it, run by the interpreter, stores to that page, which replaces
  // it by a private clone without allocating; the loop then reads the page again and must see
  // the clone, not the checkpoint's page ($7 sums every value read).
  State live;
  auto put = [&](Word addr, const std::vector<uint32_t>& words) {
    std::vector<uint8_t> bytes(words.size() * 4);
    for (size_t i = 0; i < words.size(); ++i) store_be32(bytes.data() + 4 * i, words[i]);
    live.memory.write_bytes(addr, bytes.data(), bytes.size());
  };
  const Word data = Code + 4 * PageSize;
  constexpr uint32_t OldValue = 0x1111'1111, NewValue = 0x2222'2222;
  put(data, {OldValue});
  put(Code, {i_type(Op::lw, 1, 5, 0),                                 // loop: lw $5, 0($1)
             encode(Op::addu, (7u << 21) | (5u << 16) | (7u << 11)),  //  addu $7, $7, $5
             i_type(Op::addiu, 9, 9, 0xFFFF),                         //       addiu $9, $9, -1
             i_type(Op::bne, 9, 0, 0xFFFC),                           //       bne $9, $0, loop
             0,                                                       //       nop
             i_type(Op::sw, 1, 6, 0),                                 //       sw $6, 0($1)  (entered once)
             encode(Op::j, static_cast<uint32_t>(Code >> 2)),         //       j loop
             0});
  Thread thread;
  thread.pc = Code;
  thread.next_pc = Code + 4;
  thread.regs[1] = data;
  thread.regs[6] = NewValue;
  thread.regs[9] = 8;
  live.left_stack.push_back(thread);
  live.next_thread_id = 1;
  live.memory.merkle_root();
  State checkpoint = live;
  ASSERT_EQ(checkpoint.memory.pages_shared_with(live.memory), 2u);
  State interp = live;
  Vm vm(live);
  Vm interp_vm(interp);
  jit::JitEngine engine(vm);
  engine.set_translate_threshold(2);  // the loop is translated; the store after it stays cold
  ASSERT_EQ(engine.advance(200).steps, 200u);
  ASSERT_EQ(interp_vm.run(200).steps, 200u);
  EXPECT_GT(engine.stats().jit_steps, 0u);
  EXPECT_EQ(live.left_stack[0].regs[5], NewValue);
  EXPECT_EQ(describe_state_differences(live, interp, lockstep_diff_options(true)), "");
  EXPECT_EQ(checkpoint.memory.read_u32(data), OldValue);
}

TEST(JitCopyOnWrite, RunsFromCheckpointsOnManyThreadsMatchTheInterpreter) {
  const std::string path = std::string(CANNONBALL_JIT_GUESTS) + "/alloc.elf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path << " (build the guests first)";
  State live = load_elf(read_file_maybe_gz(path));
  Vm vm(live);
  jit::JitEngine engine(vm);
  constexpr Word Interval = 3'000'000;
  constexpr Word QuerySteps = 2'500'000;
  std::vector<State> checkpoints;
  std::vector<Hash32> hashes;
  while (checkpoints.size() < 6 && !live.exited) {
    const RunResult r = engine.advance(Interval);
    ASSERT_FALSE(r.exception.has_value());
    live.memory.merkle_root();
    checkpoints.push_back(live);
    hashes.push_back(state_hash(encode_witness(checkpoints.back())));
  }
  ASSERT_GE(checkpoints.size(), 2u);

  std::vector<std::string> diffs(checkpoints.size());
  std::vector<std::thread> workers;
  for (size_t i = 0; i < checkpoints.size(); ++i) {
    workers.emplace_back([&, i] {
      State a = checkpoints[i];
      State b = checkpoints[i];
      Vm vm_a(a);
      Vm vm_b(b);
      jit::JitEngine query(vm_a);
      const RunResult ra = query.advance(QuerySteps);
      const RunResult rb = vm_b.run(QuerySteps);
      if (ra.steps != rb.steps || ra.exception.has_value() != rb.exception.has_value())
        diffs[i] = "step counts or exceptions differ";
      else
        diffs[i] = describe_state_differences(a, b, lockstep_diff_options(true));
    });
  }
  // The live run goes on meanwhile, writing pages it shares with the checkpoints.
  engine.advance(Interval);
  for (auto& w : workers) w.join();
  for (size_t i = 0; i < checkpoints.size(); ++i) {
    EXPECT_EQ(diffs[i], "") << "checkpoint " << i;
    EXPECT_EQ(state_hash(encode_witness(checkpoints[i])), hashes[i]) << "checkpoint " << i;
  }
}

}  // namespace
}  // namespace cannonball
