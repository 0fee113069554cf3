// Vm::step_with_proof (spec §2.5, §11.2, §17.1): the 6090-byte proof of a representative set of
// single-step cases, checked against the pre-state by verifying the merkle proofs, plus the
// stale-slot rules.
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

MemProof slot(const StepWitness& witness, size_t index) {
  MemProof proof{};
  std::memcpy(proof.data(), witness.proof_data.data() + ThreadWitnessSize + index * MemProofSize, MemProofSize);
  return proof;
}

Hash32 root_of(const StateWitness& witness) {
  Hash32 root;
  std::memcpy(root.data(), witness.data(), 32);
  return root;
}

const StepCase& find_case(const std::string& name) {
  static const std::vector<StepCase> cases = all_step_cases();
  for (const StepCase& c : cases)
    if (c.name == name) return c;
  throw std::runtime_error("no step case named " + name);
}

enum class Access { None, Read, Write, Clock };

struct ProofCase {
  const char* case_name;
  Access access;
  Word address = 0;  // the aligned data word
  bool reads_preimage = false;
};

constexpr ProofCase ProofCases[] = {
    {"AdduWrapsToZero", Access::None},
    {"LwAtOffset5", Access::Read, DataBase},
    {"SwAtOffset2", Access::Write, DataBase},
    {"SbToUntouchedMemory", Access::Write, 0x0000'7000'0000'0000ull},
    {"ScSucceedsWithMatchingReservation", Access::Write, DataBase},
    {"ScFailsWithOtherOwner", Access::None},
    {"LlLoadsSignExtendedWordAndReserves", Access::Read, DataBase},
    {"PreimageReadTruncatesToWordRemainder", Access::Write, DataBase, true},
    {"WritePreimageKeyStopsAtWordEnd", Access::Read, DataBase},
    {"ClockMonotonicMidSecond", Access::Clock, DataBase},
    {"GetrandomUpstreamVector", Access::Write, DataBase},
    {"GetrandomOffset2Count0", Access::Write, DataBase},
    {"FutexWaitWithMatchingValuePreempts", Access::Read, DataBase},
    {"FutexWakePreempts", Access::None},
    {"Opcode2FRaises", Access::None},  // exception: only checked to fail
    {"QuantumReachedPreemptsWithoutRunning", Access::None},
    {"PopsExitedThread", Access::None},
    {"JalrLinksRa", Access::None},
};

void PrintTo(const ProofCase& proof_case, std::ostream* os) { *os << proof_case.case_name; }

class StepProof : public ::testing::TestWithParam<ProofCase> {};

TEST_P(StepProof, ProvesTheStepAgainstThePreState) {
  const ProofCase& pc = GetParam();
  const StepCase& c = find_case(pc.case_name);
  State pre = make_pre_state(c);
  State state = pre;
  FakeOracle oracle(c.preimages);
  Vm vm(state);
  vm.set_oracle(&oracle);
  StepWitness witness;
  const auto exception = vm.step_with_proof(witness);
  if (c.exception) {
    ASSERT_TRUE(exception);
    EXPECT_EQ(exception->kind, *c.exception);
    return;
  }
  ASSERT_FALSE(exception) << exception->message();

  // The post-state is the same as a plain step's.
  State expected = make_expected_state(c, pre);
  const auto differences = state_differences(expected, state, ExpectedVsActual);
  EXPECT_TRUE(differences.empty()) << differences.front();

  // Header fields.
  const StateWitness pre_witness = encode_witness(pre);
  EXPECT_EQ(witness.step, pre.step);
  EXPECT_EQ(witness.state, pre_witness);
  EXPECT_EQ(witness.pre_hash, state_hash(pre_witness));
  const StateWitness post_witness = encode_witness(state);
  EXPECT_EQ(witness.post_hash, state_hash(post_witness));
  ASSERT_EQ(witness.proof_data.size(), 6090u);

  // Thread witness: the active thread, then the root of its stack without it.
  const Thread& active = pre.current_thread();
  const ThreadBytes thread_bytes = encode_thread(active);
  EXPECT_TRUE(std::equal(thread_bytes.begin(), thread_bytes.end(), witness.proof_data.begin()));
  const Hash32 inner = stack_root(pre.active_stack(), pre.active_stack().size() - 1);
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), witness.proof_data.begin() + 298));

  // Slot 0: the instruction fetch against the pre-state root read from the witness.
  const Hash32 pre_root = root_of(witness.state);
  const MemProof insn_proof = slot(witness, 0);
  EXPECT_TRUE(verify_merkle_proof(pre_root, active.pc & AddressMask, insn_proof));
  EXPECT_EQ(word_from_proof(active.pc & AddressMask, insn_proof), pre.memory.read_word(active.pc & AddressMask));

  // Slot 1 (and 2): the data access.
  const Hash32 post_root = root_of(post_witness);
  const MemProof data_proof = slot(witness, 1);
  const MemProof clock_proof = slot(witness, 2);
  const MemProof zeros{};
  switch (pc.access) {
    case Access::None:  // a fresh Vm has nothing stale to repeat
      EXPECT_EQ(data_proof, zeros);
      EXPECT_EQ(post_root, pre_root);
      break;
    case Access::Read:
      EXPECT_TRUE(verify_merkle_proof(pre_root, pc.address, data_proof));
      EXPECT_EQ(word_from_proof(pc.address, data_proof), pre.memory.read_word(pc.address));
      EXPECT_EQ(post_root, pre_root);
      break;
    case Access::Write:
      EXPECT_TRUE(verify_merkle_proof(pre_root, pc.address, data_proof));
      EXPECT_EQ(root_after_write(pc.address, state.memory.read_word(pc.address), data_proof), post_root);
      break;
    case Access::Clock: {
      EXPECT_TRUE(verify_merkle_proof(pre_root, pc.address, data_proof));
      const Hash32 mid_root = root_after_write(pc.address, state.memory.read_word(pc.address), data_proof);
      EXPECT_TRUE(verify_merkle_proof(mid_root, pc.address + 8, clock_proof));
      EXPECT_EQ(root_after_write(pc.address + 8, state.memory.read_word(pc.address + 8), clock_proof), post_root);
      break;
    }
  }
  if (pc.access != Access::Clock) { EXPECT_EQ(clock_proof, zeros); }

  // Oracle fields only for fd-5 reads.
  EXPECT_EQ(witness.read_preimage, pc.reads_preimage);
  EXPECT_EQ(witness.has_preimage(), pc.reads_preimage);
  if (pc.reads_preimage) {
    EXPECT_EQ(witness.preimage_key, pre.preimage_key);
    EXPECT_EQ(witness.preimage_offset, pre.preimage_offset);
    const std::vector<uint8_t>& data = c.preimages.begin()->second;
    std::vector<uint8_t> prefixed(8);
    store_be64(prefixed.data(), data.size());
    prefixed.insert(prefixed.end(), data.begin(), data.end());
    EXPECT_EQ(witness.preimage_value, prefixed);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, StepProof, ::testing::ValuesIn(ProofCases),
                         [](const auto& info) { return std::string(info.param.case_name); });

// Stale slots (spec §17.1). Program at CodeBase:
//   0: lw t1, 0(t0)          4: addu t2, t0, t1     8: syscall (clock_gettime 1, DataBase+0x100)
//  12: addu t2, t0, t0      16: sd t1, 0x200(t0)   20: addu t2, t0, t0
TEST(StepProofStaleSlots, RepeatEarlierProofsAsUpstreamDoes) {
  State state = base_state();
  Thread& thread = state.current_thread();
  thread.regs[T0] = DataBase;
  thread.regs[V0] = 5222;
  thread.regs[A0] = 1;
  thread.regs[A1] = DataBase + 0x100;
  const uint32_t program[] = {
      mem_op(Op::lw, T1, T0, 0),    r_type(Op::addu, T2, T0, T1),  SyscallInsn,
      r_type(Op::addu, T2, T0, T0), mem_op(Op::sd, T1, T0, 0x200), r_type(Op::addu, T2, T0, T0)};
  for (size_t i = 0; i < 6; i += 2)
    state.memory.write_word(CodeBase + 4 * i, (Word{program[i]} << 32) | program[i + 1]);
  state.memory.write_word(DataBase, DataWord);
  Vm vm(state);
  const MemProof zeros{};

  StepWitness alu_first;  // a fresh Vm: both unused slots are zeros
  {
    State copy = state;
    Vm fresh(copy);
    copy.current_thread().pc = CodeBase + 4;
    copy.current_thread().next_pc = CodeBase + 8;
    ASSERT_FALSE(fresh.step_with_proof(alu_first));
    EXPECT_EQ(slot(alu_first, 1), zeros);
    EXPECT_EQ(slot(alu_first, 2), zeros);
  }

  StepWitness load;
  ASSERT_FALSE(vm.step_with_proof(load));  // lw
  const MemProof load_proof = slot(load, 1);
  EXPECT_NE(load_proof, zeros);
  EXPECT_EQ(slot(load, 2), zeros);

  StepWitness alu;
  ASSERT_FALSE(vm.step_with_proof(alu));  // addu: slot 1 repeats the lw proof
  EXPECT_EQ(slot(alu, 1), load_proof);
  EXPECT_EQ(slot(alu, 2), zeros);

  // A plain (non-proof) clock_gettime still records MerkleProof(eff + 8) after the secs write.
  State after_secs = state;
  const Word secs = (state.step + 1) / HZ;
  after_secs.memory.write_word(DataBase + 0x100, secs);
  const MemProof clock_proof = after_secs.memory.merkle_proof(DataBase + 0x108);
  ASSERT_FALSE(vm.step());  // clock_gettime

  StepWitness after_clock;
  ASSERT_FALSE(vm.step_with_proof(after_clock));  // addu
  EXPECT_EQ(slot(after_clock, 1), load_proof);
  EXPECT_EQ(slot(after_clock, 2), clock_proof);

  ASSERT_FALSE(vm.step());  // plain sd: non-proof steps do not replace slot 1
  StepWitness last;
  ASSERT_FALSE(vm.step_with_proof(last));  // addu
  EXPECT_EQ(slot(last, 1), load_proof);
  EXPECT_EQ(slot(last, 2), clock_proof);
}

}  // namespace
}  // namespace cannonball::test
