// State, thread encoding, stack roots, witnesses and state hashes (spec §2, §10 reference values).
#include <gtest/gtest.h>

#include "runtime/hex.h"
#include "runtime/keccak.h"
#include "runtime/state.h"
#include "tests/runtime/test_util.h"

namespace cannonball {
namespace {

Thread numbered_thread(Word seed) {
  Thread thread;
  thread.thread_id = seed;
  thread.exit_code = static_cast<uint8_t>(seed * 3);
  thread.exited = seed % 2 == 1;
  thread.pc = 0x1000 + 4 * seed;
  thread.next_pc = 0x1004 + 4 * seed;
  thread.lo = 0x1111'0000'0000'0000 + seed;
  thread.hi = 0x2222'0000'0000'0000 + seed;
  for (size_t i = 0; i < 32; ++i) thread.regs[i] = (Word{i} << 56) | (seed << 8) | i;
  return thread;
}

Hash32 keccak_of(const uint8_t* data, size_t size) { return keccak256(data, size); }

TEST(State, EmptyThreadsRootIsSpecConstant) {
  EXPECT_EQ(to_hex(EmptyThreadsRoot), "0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5");
  EXPECT_EQ(stack_root({}), EmptyThreadsRoot);
}

TEST(State, InitialStateHasSpecFields) {
  const State state = make_initial_state(0x12340);
  ASSERT_EQ(state.left_stack.size(), 1u);
  EXPECT_TRUE(state.right_stack.empty());
  const Thread& thread = state.left_stack[0];
  EXPECT_EQ(thread.thread_id, 0u);
  EXPECT_EQ(thread.pc, 0x12340u);
  EXPECT_EQ(thread.next_pc, 0x12344u);
  EXPECT_EQ(thread.regs, (std::array<Word, 32>{}));
  EXPECT_EQ(state.heap, HeapStart);
  EXPECT_EQ(state.next_thread_id, 1u);
  EXPECT_FALSE(state.traverse_right);
  EXPECT_FALSE(state.exited);
  EXPECT_EQ(state.step, 0u);
  EXPECT_EQ(state.memory.page_count(), 0u);
}

TEST(State, BareInitialThreadHashAndLeftRootMatchSpec) {
  const State state = make_initial_state(0);
  EXPECT_EQ(to_hex(thread_hash(state.left_stack[0])),
            "0x142eef1e422e67c394d8fab4a0ce5c04ee405cb059176f719d9c2efb8e28d3a0");
  EXPECT_EQ(to_hex(stack_root(state.left_stack)), "0x505ea3064aed44444fa938e2d1385d799ec3b37386d433a611439aed796ea153");
}

TEST(State, EmptyStateHashMatchesSpec) {
  // The spec's empty state is upstream's freshly created state: heap 0, before load-elf sets the
  // heap start (the upstream version-8 vector has exactly these bytes).
  State state = make_initial_state(0);
  state.heap = 0;
  const StateWitness witness = encode_witness(state);
  EXPECT_EQ(to_hex(state_hash(witness)), "0x035b096e17d7b97f6bbaa13d179958e729b70813e931dc90dbf4193372f3dc71");
}

TEST(State, WitnessFieldsSitAtSpecOffsets) {
  State state = make_initial_state(0x4000);
  state.memory.write_word(0x8000, 0xABCD);
  for (size_t i = 0; i < 32; ++i) state.preimage_key[i] = static_cast<uint8_t>(0xA0 + i);
  state.preimage_offset = 0x0102'0304'0506'0708;
  state.heap = 0x1112'1314'1516'1718;
  state.ll_reservation_status = 2;
  state.ll_address = 0x2122'2324'2526'2728;
  state.ll_owner_thread = 0x3132'3334'3536'3738;
  state.exit_code = 0x41;
  state.exited = true;
  state.step = 0x5152'5354'5556'5758;
  state.steps_since_last_context_switch = 0x6162'6364'6566'6768;
  state.traverse_right = true;
  state.right_stack.push_back(numbered_thread(9));
  state.next_thread_id = 0x7172'7374'7576'7778;

  const StateWitness w = encode_witness(state);
  const Hash32 mem_root = state.memory.merkle_root();
  EXPECT_TRUE(std::equal(mem_root.begin(), mem_root.end(), w.begin()));
  EXPECT_TRUE(std::equal(state.preimage_key.begin(), state.preimage_key.end(), w.begin() + 32));
  EXPECT_EQ(load_be64(w.data() + 64), 0x0102'0304'0506'0708u);
  EXPECT_EQ(load_be64(w.data() + 72), 0x1112'1314'1516'1718u);
  EXPECT_EQ(w[80], 2);
  EXPECT_EQ(load_be64(w.data() + 81), 0x2122'2324'2526'2728u);
  EXPECT_EQ(load_be64(w.data() + 89), 0x3132'3334'3536'3738u);
  EXPECT_EQ(w[97], 0x41);
  EXPECT_EQ(w[98], 1);
  EXPECT_EQ(load_be64(w.data() + 99), 0x5152'5354'5556'5758u);
  EXPECT_EQ(load_be64(w.data() + 107), 0x6162'6364'6566'6768u);
  EXPECT_EQ(w[115], 1);
  const Hash32 left = stack_root(state.left_stack), right = stack_root(state.right_stack);
  EXPECT_TRUE(std::equal(left.begin(), left.end(), w.begin() + 116));
  EXPECT_TRUE(std::equal(right.begin(), right.end(), w.begin() + 148));
  EXPECT_EQ(load_be64(w.data() + 180), 0x7172'7374'7576'7778u);
  EXPECT_EQ(w.size(), 188u);
  EXPECT_EQ(witness_hash(w), keccak_of(w.data(), w.size()));
}

TEST(State, WitnessFlagsAreZeroOrOne) {
  State state = make_initial_state(0);
  StateWitness w = encode_witness(state);
  EXPECT_EQ(w[98], 0);
  EXPECT_EQ(w[115], 0);
  EXPECT_EQ(w[80], 0);
}

TEST(State, VmStatusFollowsExitedAndExitCode) {
  EXPECT_EQ(vm_status(true, 0), VmStatus::Valid);
  EXPECT_EQ(vm_status(true, 1), VmStatus::Invalid);
  for (int code : {2, 3, 0x7F, 0x80, 0xFF}) EXPECT_EQ(vm_status(true, static_cast<uint8_t>(code)), VmStatus::Panic);
  for (int code : {0, 1, 2, 0xFF}) EXPECT_EQ(vm_status(false, static_cast<uint8_t>(code)), VmStatus::Unfinished);
}

TEST(State, StateHashOverwritesByteZeroWithStatus) {
  struct Case {
    bool exited;
    uint8_t code;
    uint8_t status;
  };
  for (const Case c : {Case{true, 0, 0}, Case{true, 1, 1}, Case{true, 2, 2}, Case{true, 0xFF, 2}, Case{false, 0, 3},
                       Case{false, 1, 3}, Case{false, 9, 3}}) {
    State state = make_initial_state(0);
    state.exited = c.exited;
    state.exit_code = c.code;
    // Vary the step until the raw keccak's first byte has high bits set, so an OR would show.
    for (Word step = 0;; ++step) {
      state.step = step;
      const StateWitness w = encode_witness(state);
      const Hash32 raw = witness_hash(w);
      if ((raw[0] & 0xFC) == 0) continue;
      const Hash32 hash = state_hash(w);
      EXPECT_EQ(hash[0], c.status) << "exited " << c.exited << " code " << int{c.code};
      EXPECT_TRUE(std::equal(raw.begin() + 1, raw.end(), hash.begin() + 1));
      break;
    }
  }
}

TEST(State, ThreadEncodingUsesSpecOffsets) {
  const Thread thread = numbered_thread(5);
  const ThreadBytes bytes = encode_thread(thread);
  EXPECT_EQ(load_be64(bytes.data() + 0), 5u);
  EXPECT_EQ(bytes[8], 15);
  EXPECT_EQ(bytes[9], 1);
  EXPECT_EQ(load_be64(bytes.data() + 10), thread.pc);
  EXPECT_EQ(load_be64(bytes.data() + 18), thread.next_pc);
  EXPECT_EQ(load_be64(bytes.data() + 26), thread.lo);
  EXPECT_EQ(load_be64(bytes.data() + 34), thread.hi);
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(load_be64(bytes.data() + 42 + 8 * i), thread.regs[i]) << "reg " << i;
  EXPECT_EQ(bytes.size(), 298u);
}

TEST(State, ThreadEncodeDecodeRoundTrips) {
  for (Word seed = 0; seed < 6; ++seed) {
    const Thread thread = numbered_thread(seed);
    const ThreadBytes bytes = encode_thread(thread);
    EXPECT_EQ(decode_thread(bytes.data()), thread);
    EXPECT_EQ(thread_hash(thread), keccak_of(bytes.data(), bytes.size()));
  }
}

TEST(State, DecodeTreatsAnyNonzeroExitedByteAsTrue) {
  ThreadBytes bytes = encode_thread(numbered_thread(2));
  bytes[9] = 7;
  EXPECT_TRUE(decode_thread(bytes.data()).exited);
  EXPECT_EQ(encode_thread(decode_thread(bytes.data()))[9], 1);
}

TEST(State, StackRootFoldsBottomToTop) {
  const std::vector<Thread> stack = {numbered_thread(1), numbered_thread(2), numbered_thread(3)};
  Hash32 root = EmptyThreadsRoot;
  for (size_t count = 0; count <= stack.size(); ++count) {
    EXPECT_EQ(stack_root(stack, count), root) << "count " << count;
    if (count == stack.size()) break;
    uint8_t joined[64];
    std::memcpy(joined, root.data(), 32);
    const Hash32 th = thread_hash(stack[count]);
    std::memcpy(joined + 32, th.data(), 32);
    root = keccak_of(joined, 64);
  }
  EXPECT_EQ(stack_root(stack), root);
  const std::vector<Thread> reversed = {stack[2], stack[1], stack[0]};
  EXPECT_NE(stack_root(reversed), root);
}

TEST(State, ThreadWitnessIsTopThreadAndInnerRoot) {
  State state = make_initial_state(0);
  state.left_stack = {numbered_thread(1), numbered_thread(2), numbered_thread(3)};
  state.right_stack = {numbered_thread(4), numbered_thread(5)};
  for (bool right : {false, true}) {
    state.traverse_right = right;
    const auto& stack = right ? state.right_stack : state.left_stack;
    const ThreadWitness w = encode_thread_witness(state);
    const ThreadBytes top = encode_thread(stack.back());
    EXPECT_TRUE(std::equal(top.begin(), top.end(), w.begin()));
    const Hash32 inner = stack_root(stack, stack.size() - 1);
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), w.begin() + ThreadSize));
    // The contract's check: keccak(inner ‖ keccak(thread)) is the active stack root.
    Hash32 inner_from_witness;
    std::memcpy(inner_from_witness.data(), w.data() + ThreadSize, 32);
    EXPECT_EQ(keccak256_pair(inner_from_witness, keccak_of(w.data(), ThreadSize)), stack_root(stack));
  }
}

TEST(State, ThreadWitnessOfSingleThreadHasEmptyInnerRoot) {
  const State state = make_initial_state(0x100);
  const ThreadWitness w = encode_thread_witness(state);
  EXPECT_TRUE(std::equal(EmptyThreadsRoot.begin(), EmptyThreadsRoot.end(), w.begin() + ThreadSize));
  EXPECT_EQ(w.size(), 330u);
}

TEST(State, ActiveStackFollowsTraverseRight) {
  State state = make_initial_state(0);
  state.right_stack.push_back(numbered_thread(7));
  EXPECT_EQ(state.current_thread().thread_id, 0u);
  state.traverse_right = true;
  EXPECT_EQ(state.current_thread().thread_id, 7u);
  EXPECT_EQ(&state.inactive_stack(), &state.left_stack);
  EXPECT_EQ(state.thread_count(), 2u);
}

TEST(State, StepProofSizeIs6090) {
  EXPECT_EQ(StepProofSize, 6090u);
  EXPECT_EQ(StateWitnessSize, 188u);
}

}  // namespace
}  // namespace cannonball
