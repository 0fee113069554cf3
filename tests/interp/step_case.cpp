#include "tests/interp/step_case.h"

#include "jit/jit_engine.h"
#include "runtime/hex.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

namespace cannonball::test {

// ---- Engines -------------------------------------------------------------------------------

const char* engine_name(EngineKind kind) {
  switch (kind) {
    case EngineKind::Interp: return "Interp";
    case EngineKind::Jit: return "Jit";
  }
  return "Unknown";
}

namespace {

class InterpExecutor final : public Executor {
 public:
  InterpExecutor(State& state, ExecutorEnvironment environment) : vm_(state) {
    vm_.set_oracle(environment.oracle);
    if (environment.output) vm_.set_output(std::move(environment.output));
    vm_.set_stop_conditions(environment.stop);
  }
  std::optional<VmException> step() override { return vm_.step(); }
  RunResult run(Word steps) override { return vm_.run(steps); }

 private:
  Vm vm_;
};

// The JIT with one-instruction blocks, so a single step runs as translated code whenever the JIT
// can take it (a branch needs its delay slot too, so it is a two-step block and one step of it
// stays with the interpreter, as it would at the edge of any budget).
class JitExecutor final : public Executor {
 public:
  JitExecutor(State& state, ExecutorEnvironment environment) : vm_(state), engine_(vm_) {
    vm_.set_oracle(environment.oracle);
    if (environment.output) vm_.set_output(std::move(environment.output));
    vm_.set_stop_conditions(environment.stop);
    engine_.set_max_block_insns(1);
    engine_.set_translate_threshold(0);
  }
  // An exited state has no step to advance over (advance() returns at once, as Vm::run does);
  // its post-check is the interpreter's step.
  std::optional<VmException> step() override {
    if (vm_.state().exited) return vm_.step();
    return engine_.advance(1).exception;
  }
  RunResult run(Word steps) override { return engine_.advance(steps); }

 private:
  Vm vm_;
  jit::JitEngine engine_;
};

}  // namespace

std::unique_ptr<Executor> make_executor(EngineKind kind, State& state, ExecutorEnvironment environment) {
  switch (kind) {
    case EngineKind::Interp: return std::make_unique<InterpExecutor>(state, std::move(environment));
    case EngineKind::Jit: return std::make_unique<JitExecutor>(state, std::move(environment));
  }
  return nullptr;
}

std::vector<uint8_t> FakeOracle::get_preimage(const Hash32& key) {
  requests.push_back(key);
  auto it = preimages_.find(key);
  if (it == preimages_.end()) throw OracleError("fake oracle: no pre-image for " + to_hex(key));
  return it->second;
}

// ---- Base state ----------------------------------------------------------------------------

Hash32 base_preimage_key() {
  Hash32 key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0xE0 + i);
  return key;
}

Word base_register(unsigned index) {
  if (index == 0) return 0;
  return 0xA5A5'0000'0000'0000ull | (Word{index} << 40) | (Word{index} * 0x0101'0101ull);
}

Thread make_thread(Word id, Word pc) {
  Thread thread;
  thread.thread_id = id;
  thread.pc = pc;
  thread.next_pc = pc + 4;
  thread.hi = 0x4848'0000'0000'0000ull | id;
  thread.lo = 0x4C4C'0000'0000'0000ull | id;
  for (unsigned i = 1; i < 32; ++i) thread.regs[i] = (id << 56) | (Word{i} << 8) | 0x5A;
  return thread;
}

State base_state() {
  State state;
  state.preimage_key = base_preimage_key();
  state.preimage_offset = BasePreimageOffset;
  state.heap = BaseHeap;
  state.step = BaseStep;
  state.steps_since_last_context_switch = BaseStepsSinceSwitch;
  state.traverse_right = false;
  state.next_thread_id = BaseNextThreadId;

  Thread active;
  active.thread_id = ActiveThreadId;
  active.pc = CodeBase;
  active.next_pc = CodeBase + 4;
  active.hi = BaseHi;
  active.lo = BaseLo;
  for (unsigned i = 0; i < 32; ++i) active.regs[i] = base_register(i);

  state.left_stack = {make_thread(1, 0x0050'0000), active};
  state.right_stack = {make_thread(OtherThreadId, 0x0060'0000), make_thread(3, 0x0070'0000)};
  return state;
}

// ---- Building states -----------------------------------------------------------------------

namespace {

void write_insn(Memory& memory, Word addr, uint32_t insn) {
  const Word aligned = addr & AddressMask;
  Word word = memory.read_word(aligned);
  const unsigned shift = (addr & 4) ? 0 : 32;
  word = (word & ~(Word{0xFFFF'FFFF} << shift)) | (Word{insn} << shift);
  memory.write_word(aligned, word);
}

void apply_thread_changes(const StepCase& c, Thread& thread) {
  for (const Reg& reg : c.expect_regs)
    if (reg.index != 0) thread.regs[reg.index] = reg.value;
  if (c.expect_hi) thread.hi = *c.expect_hi;
  if (c.expect_lo) thread.lo = *c.expect_lo;
}

}  // namespace

State make_pre_state(const StepCase& c) {
  State state = base_state();
  Thread& thread = state.current_thread();
  thread.pc = c.pc;
  thread.next_pc = c.next_pc.value_or(c.pc + 4);
  for (const Reg& reg : c.regs) thread.regs[reg.index] = reg.value;
  if (c.hi) thread.hi = *c.hi;
  if (c.lo) thread.lo = *c.lo;
  for (const MemWord& word : c.memory) state.memory.write_word(word.addr, word.value);
  for (size_t i = 0; i < c.program.size(); ++i) write_insn(state.memory, (c.pc & ~Word{3}) + 4 * i, c.program[i]);
  if (c.setup) c.setup(state);
  return state;
}

State make_expected_state(const StepCase& c, const State& pre) {
  State expected = pre;
  if (!pre.exited && !pre.active_stack().empty()) {
    expected.step += 1;
    if (c.runs_instruction) {
      expected.steps_since_last_context_switch += 1;
      Thread& thread = expected.current_thread();
      apply_thread_changes(c, thread);
      if (c.advances_pc) {
        const Word old_next = thread.next_pc;
        thread.pc = c.expect_pc.value_or(old_next);
        thread.next_pc = c.expect_next_pc.value_or(old_next + 4);
      }
      for (const MemWord& word : c.expect_writes) expected.memory.write_word(word.addr, word.value);
    }
  }
  if (c.expect) c.expect(expected);
  return expected;
}

// ---- Running a case ------------------------------------------------------------------------

void PrintTo(const StepCase& step_case, std::ostream* os) { *os << step_case.name; }

void run_step_case(EngineKind engine, const StepCase& c) {
  SCOPED_TRACE("case " + c.name + " on " + engine_name(engine));
  const State pre = make_pre_state(c);
  State actual = pre;
  FakeOracle oracle(c.preimages);
  std::vector<OutputRecord> output;
  ExecutorEnvironment environment;
  environment.oracle = &oracle;
  environment.output = [&output](int fd, std::span<const uint8_t> bytes) {
    output.push_back({fd, std::vector<uint8_t>(bytes.begin(), bytes.end())});
  };
  auto executor = make_executor(engine, actual, std::move(environment));
  const std::optional<VmException> exception = executor->step();

  if (c.exception) {
    ASSERT_TRUE(exception.has_value()) << "expected exception " << exception_name(*c.exception);
    EXPECT_EQ(exception->kind, *c.exception) << exception->message();
    return;
  }
  ASSERT_FALSE(exception.has_value()) << exception->message();

  State expected = make_expected_state(c, pre);
  const std::vector<std::string> differences = state_differences(expected, actual, ExpectedVsActual);
  std::string joined;
  for (const std::string& line : differences) joined += "\n  " + line;
  EXPECT_TRUE(differences.empty()) << "post-state differs:" << joined;
  EXPECT_EQ(oracle.hints, c.expect_hints);
  EXPECT_EQ(output, c.expect_output);
}

// ---- The LL-reservation modifier -----------------------------------------------------------

std::vector<StepCase> with_ll_modifiers(std::vector<StepCase> cases) {
  std::vector<StepCase> out;
  out.reserve(cases.size() * 3);
  for (StepCase& base : cases) {
    const bool applies = !base.exception && !base.expect_writes.empty() && base.ll_modifiers;
    std::vector<Word> written;
    for (const MemWord& word : base.expect_writes)
      if (std::find(written.begin(), written.end(), word.addr) == written.end()) written.push_back(word.addr);
    out.push_back(base);
    if (!applies) continue;

    for (size_t i = 0; i < written.size(); ++i) {
      StepCase cleared = base;
      cleared.name += written.size() == 1 ? "_ClearsLLReservation" : "_ClearsLLReservationOnWord" + std::to_string(i);
      const Word reserved = written[i] + 3;  // unaligned, inside the written word
      cleared.setup = [setup = base.setup, reserved](State& s) {
        if (setup) setup(s);
        s.ll_reservation_status = 1;
        s.ll_address = reserved;
        s.ll_owner_thread = OtherThreadId;
      };
      cleared.expect = [expect = base.expect](State& s) {
        if (expect) expect(s);
        s.ll_reservation_status = 0;
        s.ll_address = 0;
        s.ll_owner_thread = 0;
      };
      out.push_back(std::move(cleared));
    }

    Word other = written[0] + 0x40;
    while (std::find(written.begin(), written.end(), other) != written.end()) other += 0x40;
    StepCase kept = base;
    kept.name += "_KeepsLLReservationOnOtherWord";
    kept.setup = [setup = base.setup, reserved = other + 5](State& s) {
      if (setup) setup(s);
      s.ll_reservation_status = 2;
      s.ll_address = reserved;
      s.ll_owner_thread = OtherThreadId;
    };
    out.push_back(std::move(kept));
  }
  return out;
}

std::string case_param_name(const ::testing::TestParamInfo<std::tuple<EngineKind, StepCase>>& info) {
  std::string name = std::string(engine_name(std::get<0>(info.param))) + "_" + std::get<1>(info.param).name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

// ---- Encoders ------------------------------------------------------------------------------

uint32_t r_type(Op op, unsigned rd, unsigned rs, unsigned rt, unsigned sa) {
  return encode(op, (rs << 21) | (rt << 16) | (rd << 11) | (sa << 6));
}
uint32_t i_type(Op op, unsigned rt, unsigned rs, uint16_t imm) { return encode(op, (rs << 21) | (rt << 16) | imm); }
uint32_t mem_op(Op op, unsigned rt, unsigned base, int16_t offset) {
  return i_type(op, rt, base, static_cast<uint16_t>(offset));
}
uint32_t branch_op(Op op, unsigned rs, unsigned rt, int16_t offset) {
  return encode(op, (rs << 21) | (rt << 16) | static_cast<uint16_t>(offset));
}
uint32_t jump_op(Op op, uint32_t index) { return encode(op, index & 0x03FF'FFFF); }

StepCase syscall_case(std::string name, Word number, Word a0, Word a1, Word a2) {
  StepCase c;
  c.name = std::move(name);
  c.program = {SyscallInsn};
  c.regs = {{V0, number}, {A0, a0}, {A1, a1}, {A2, a2}};
  return c;
}

void expect_active_moved_to_other_stack(State& expected) {
  auto& active = expected.active_stack();
  auto& other = expected.inactive_stack();
  other.push_back(active.back());
  active.pop_back();
  if (active.empty()) expected.traverse_right = !expected.traverse_right;
  expected.steps_since_last_context_switch = 0;
}

std::vector<MemWord> words_from_bytes(Word addr, const std::vector<uint8_t>& bytes) {
  std::vector<MemWord> out;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint8_t word[8] = {};
    std::memcpy(word, bytes.data() + i, std::min<size_t>(8, bytes.size() - i));
    out.push_back({addr + i, load_be64(word)});
  }
  return out;
}

Hash32 hash_from_bytes(std::initializer_list<uint8_t> prefix, uint8_t fill) {
  Hash32 h;
  h.fill(fill);
  size_t i = 0;
  for (uint8_t b : prefix) h[i++] = b;
  return h;
}

}  // namespace cannonball::test
