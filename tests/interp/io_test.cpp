// Multi-step pre-image and hint traffic (spec §8, §13, §17.8, §17.C.4): the guest-side protocol
// over several syscalls, the reader cache in front of the oracle, and the zero-key rules.
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

constexpr Word KeyAddr = DataBase + 0x100;

Hash32 key() { return hash_from_bytes({0x02, 0x11}, 0x77); }
std::vector<uint8_t> data() {
  return {'p', 'r', 'e', 'i', 'm', 'a', 'g', 'e', '-', 'd', 'a', 't', 'a', '!', '!', '!', 0xFF, 0x01, 0x02, 0x03};
}

// One thread whose code is a run of syscall instructions; each call sets the registers.
struct Guest {
  explicit Guest(EngineKind engine, FakeOracle& oracle) : state(make_initial_state(CodeBase)) {
    for (Word addr = CodeBase; addr < CodeBase + 0x100; addr += 8)
      state.memory.write_word(addr, (Word{SyscallInsn} << 32) | SyscallInsn);
    ExecutorEnvironment environment;
    environment.oracle = &oracle;
    executor = make_executor(engine, state, std::move(environment));
  }
  std::optional<VmException> syscall(Word number, Word a0, Word a1, Word a2) {
    Thread& t = state.current_thread();
    t.regs[V0] = number;
    t.regs[A0] = a0;
    t.regs[A1] = a1;
    t.regs[A2] = a2;
    return executor->step();
  }
  Word v0() { return state.current_thread().regs[V0]; }

  State state;
  std::unique_ptr<Executor> executor;
};

class PreimageTraffic : public ::testing::TestWithParam<EngineKind> {};

TEST_P(PreimageTraffic, KeyWrittenInPiecesThenWholePreimageReadWithOneFetch) {
  FakeOracle oracle({{key(), data()}});
  Guest guest(GetParam(), oracle);
  const Hash32 wanted = key();
  for (const MemWord& word : words_from_bytes(KeyAddr, std::vector<uint8_t>(wanted.begin(), wanted.end())))
    guest.state.memory.write_word(word.addr, word.value);

  for (Word piece = 0; piece < 4; ++piece) {
    ASSERT_FALSE(guest.syscall(5001, 6, KeyAddr + 8 * piece, 32 - 8 * piece));
    EXPECT_EQ(guest.v0(), 8u);
  }
  EXPECT_EQ(guest.state.preimage_key, key());
  EXPECT_EQ(guest.state.preimage_offset, 0u);

  // 8 + 20 bytes: reads of 8, 8, 8, 4, then the end is an exception.
  const Word expected_lengths[] = {8, 8, 8, 4};
  for (Word i = 0; i < 4; ++i) {
    ASSERT_FALSE(guest.syscall(5000, 5, DataBase + 8 * i, 100));
    EXPECT_EQ(guest.v0(), expected_lengths[i]);
  }
  EXPECT_EQ(oracle.requests, std::vector<Hash32>{key()});
  std::vector<uint8_t> prefixed(8);
  store_be64(prefixed.data(), data().size());
  const std::vector<uint8_t> payload = data();
  prefixed.insert(prefixed.end(), payload.begin(), payload.end());
  for (size_t i = 0; i < prefixed.size(); ++i) EXPECT_EQ(guest.state.memory.read_byte(DataBase + i), prefixed[i]);
  EXPECT_EQ(guest.state.preimage_offset, 28u);

  const auto exception = guest.syscall(5000, 5, DataBase + 32, 8);
  ASSERT_TRUE(exception);
  EXPECT_EQ(exception->kind, ExceptionKind::PreimageOutOfBounds);
}

TEST_P(PreimageTraffic, HintsSplitAcrossWritesAreForwardedInOrder) {
  FakeOracle oracle;
  Guest guest(GetParam(), oracle);
  for (const MemWord& word : words_from_bytes(DataBase, {0, 0, 0, 2, 'h', 'i', 0, 0, 0, 1, 'z', 0, 0}))
    guest.state.memory.write_word(word.addr, word.value);
  ASSERT_FALSE(guest.syscall(5001, 4, DataBase, 5));  // 00 00 00 02 'h'
  EXPECT_TRUE(oracle.hints.empty());
  EXPECT_EQ(guest.state.last_hint, (std::vector<uint8_t>{0, 0, 0, 2, 'h'}));
  ASSERT_FALSE(guest.syscall(5001, 4, DataBase + 5, 8));  // 'i' 00 00 00 01 'z' 00 00
  EXPECT_EQ(oracle.hints, (std::vector<std::vector<uint8_t>>{{'h', 'i'}, {'z'}}));
  EXPECT_EQ(guest.state.last_hint, (std::vector<uint8_t>{0, 0}));
  ASSERT_FALSE(guest.syscall(5000, 3, DataBase, 1));  // the ack read: n, nothing written
  EXPECT_EQ(guest.v0(), 1u);
}

// A zero-key read after another key was fetched reaches the oracle, and its proof carries no
// oracle fields (the proof JSON shows them only for non-zero keys).
TEST(PreimageProof, ZeroKeyReadAfterAnotherFetchHasNoOracleFields) {
  FakeOracle oracle({{key(), data()}, {Hash32{}, {0xAB}}});
  State state = make_initial_state(CodeBase);
  state.memory.write_word(CodeBase, (Word{SyscallInsn} << 32) | SyscallInsn);
  state.preimage_key = key();
  Thread& t = state.current_thread();
  t.regs[V0] = 5000;
  t.regs[A0] = 5;
  t.regs[A1] = DataBase;
  t.regs[A2] = 8;
  Vm vm(state);
  vm.set_oracle(&oracle);
  StepWitness first;
  ASSERT_FALSE(vm.step_with_proof(first));
  EXPECT_TRUE(first.has_preimage());

  state.preimage_key = Hash32{};
  state.preimage_offset = 0;
  t.regs[V0] = 5000;
  StepWitness second;
  ASSERT_FALSE(vm.step_with_proof(second));
  EXPECT_TRUE(second.read_preimage);
  EXPECT_FALSE(second.has_preimage());
  EXPECT_EQ(oracle.requests, (std::vector<Hash32>{key(), Hash32{}}));
  EXPECT_EQ(state.memory.read_word(DataBase), 1u);  // the length prefix of the 1-byte pre-image
}

INSTANTIATE_TEST_SUITE_P(Engines, PreimageTraffic, all_engines(),
                         [](const auto& info) { return std::string(engine_name(info.param)); });

}  // namespace
}  // namespace cannonball::test
