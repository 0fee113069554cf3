#include "runtime/state.h"

#include "runtime/keccak.h"

namespace cannonball {

const Hash32 EmptyThreadsRoot = [] {
  uint8_t zeros[64] = {};
  return keccak256(zeros, sizeof zeros);
}();

State make_initial_state(Word entry_pc) {
  State state;
  state.heap = HeapStart;
  state.next_thread_id = 1;
  Thread thread;
  thread.thread_id = 0;
  thread.pc = entry_pc;
  thread.next_pc = entry_pc + 4;
  state.left_stack.push_back(thread);
  return state;
}

ThreadBytes encode_thread(const Thread& thread) {
  ThreadBytes out{};
  store_be64(out.data() + 0, thread.thread_id);
  out[8] = thread.exit_code;
  out[9] = thread.exited ? 1 : 0;
  store_be64(out.data() + 10, thread.pc);
  store_be64(out.data() + 18, thread.next_pc);
  store_be64(out.data() + 26, thread.lo);
  store_be64(out.data() + 34, thread.hi);
  for (size_t i = 0; i < 32; ++i) store_be64(out.data() + 42 + 8 * i, thread.regs[i]);
  return out;
}

Thread decode_thread(const uint8_t* bytes) {
  Thread thread;
  thread.thread_id = load_be64(bytes + 0);
  thread.exit_code = bytes[8];
  thread.exited = bytes[9] != 0;
  thread.pc = load_be64(bytes + 10);
  thread.next_pc = load_be64(bytes + 18);
  thread.lo = load_be64(bytes + 26);
  thread.hi = load_be64(bytes + 34);
  for (size_t i = 0; i < 32; ++i) thread.regs[i] = load_be64(bytes + 42 + 8 * i);
  return thread;
}

Hash32 thread_hash(const Thread& thread) {
  const ThreadBytes bytes = encode_thread(thread);
  return keccak256(bytes.data(), bytes.size());
}

Hash32 stack_root(const std::vector<Thread>& stack, size_t count) {
  Hash32 root = EmptyThreadsRoot;
  for (size_t i = 0; i < count; ++i) root = keccak256_pair(root, thread_hash(stack[i]));
  return root;
}

StateWitness encode_witness(State& state) { return encode_witness(state, state.memory.merkle_root()); }

StateWitness encode_witness(const State& state, const Hash32& mem_root) {
  StateWitness out{};
  std::memcpy(out.data() + 0, mem_root.data(), 32);
  std::memcpy(out.data() + 32, state.preimage_key.data(), 32);
  store_be64(out.data() + 64, state.preimage_offset);
  store_be64(out.data() + 72, state.heap);
  out[80] = state.ll_reservation_status;
  store_be64(out.data() + 81, state.ll_address);
  store_be64(out.data() + 89, state.ll_owner_thread);
  out[97] = state.exit_code;
  out[98] = state.exited ? 1 : 0;
  store_be64(out.data() + 99, state.step);
  store_be64(out.data() + 107, state.steps_since_last_context_switch);
  out[115] = state.traverse_right ? 1 : 0;
  const Hash32 left = stack_root(state.left_stack);
  const Hash32 right = stack_root(state.right_stack);
  std::memcpy(out.data() + 116, left.data(), 32);
  std::memcpy(out.data() + 148, right.data(), 32);
  store_be64(out.data() + 180, state.next_thread_id);
  return out;
}

Hash32 witness_hash(const StateWitness& witness) { return keccak256(witness.data(), witness.size()); }

VmStatus vm_status(bool exited, uint8_t exit_code) {
  if (!exited) return VmStatus::Unfinished;
  if (exit_code == 0) return VmStatus::Valid;
  if (exit_code == 1) return VmStatus::Invalid;
  return VmStatus::Panic;
}

Hash32 state_hash(const StateWitness& witness) {
  Hash32 hash = witness_hash(witness);
  hash[0] = static_cast<uint8_t>(vm_status(witness[98] != 0, witness[97]));
  return hash;
}

ThreadWitness encode_thread_witness(const State& state) {
  ThreadWitness out{};
  const auto& stack = state.active_stack();
  if (stack.empty()) return out;  // callers raise the empty-stack exception before proving
  const ThreadBytes bytes = encode_thread(stack.back());
  std::memcpy(out.data(), bytes.data(), ThreadSize);
  const Hash32 inner = stack_root(stack, stack.size() - 1);
  std::memcpy(out.data() + ThreadSize, inner.data(), 32);
  return out;
}

}  // namespace cannonball
