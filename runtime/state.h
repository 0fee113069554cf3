// The MT-Cannon v8 state as plain data, its hashes and witnesses (spec §2).
//
// Owns: State, Thread, the thread-stack hash onions, the 188-byte state witness, the 298-byte
// thread encoding and the 330-byte thread witness.
// Invariants: stacks are stored bottom -> top; their hash onions are computed on demand only.
#pragma once

#include <optional>
#include <vector>

#include "runtime/memory.h"

namespace cannonball {

inline constexpr size_t StateWitnessSize = 188;
inline constexpr size_t ThreadSize = 298;
inline constexpr size_t ThreadWitnessSize = ThreadSize + 32;
inline constexpr size_t StepProofSize = ThreadWitnessSize + 3 * MemProofSize;  // 6090

using StateWitness = std::array<uint8_t, StateWitnessSize>;
using ThreadBytes = std::array<uint8_t, ThreadSize>;
using ThreadWitness = std::array<uint8_t, ThreadWitnessSize>;

enum class VmStatus : uint8_t { Valid = 0, Invalid = 1, Panic = 2, Unfinished = 3 };

struct Thread {
  Word thread_id = 0;
  uint8_t exit_code = 0;
  bool exited = false;
  Word pc = 0;
  Word next_pc = 0;
  Word lo = 0;
  Word hi = 0;
  std::array<Word, 32> regs{};

  bool operator==(const Thread&) const = default;
};

enum class LLStatus : uint8_t { None = 0, Reserved32 = 1, Reserved64 = 2 };

struct State {
  Memory memory;
  Hash32 preimage_key{};
  Word preimage_offset = 0;
  Word heap = 0;
  uint8_t ll_reservation_status = 0;
  Word ll_address = 0;
  Word ll_owner_thread = 0;
  uint8_t exit_code = 0;
  bool exited = false;
  Word step = 0;
  Word steps_since_last_context_switch = 0;
  bool traverse_right = false;
  Word next_thread_id = 0;
  std::vector<Thread> left_stack;   // bottom -> top
  std::vector<Thread> right_stack;  // bottom -> top
  std::vector<uint8_t> last_hint;   // not hashed, but stored in state files

  std::vector<Thread>& active_stack() { return traverse_right ? right_stack : left_stack; }
  const std::vector<Thread>& active_stack() const { return traverse_right ? right_stack : left_stack; }
  std::vector<Thread>& inactive_stack() { return traverse_right ? left_stack : right_stack; }
  // The active thread; the active stack must not be empty.
  Thread& current_thread() { return active_stack().back(); }
  const Thread& current_thread() const { return active_stack().back(); }
  size_t thread_count() const { return left_stack.size() + right_stack.size(); }

  // Everything but memory and the hint buffer compares field by field; memory by contents.
  bool operator==(const State&) const = default;
};

// The state right after load-elf, before any segment is loaded (spec §10 step 2).
State make_initial_state(Word entry_pc);

ThreadBytes encode_thread(const Thread& thread);
Thread decode_thread(const uint8_t* bytes);
Hash32 thread_hash(const Thread& thread);
// The hash onion of a stack (spec §2.2), folded bottom -> top over the first `count` threads.
Hash32 stack_root(const std::vector<Thread>& stack, size_t count);
inline Hash32 stack_root(const std::vector<Thread>& stack) { return stack_root(stack, stack.size()); }
extern const Hash32 EmptyThreadsRoot;

StateWitness encode_witness(State& state);  // computes the memory root
// With the memory root given (StateReadOptions::memory_root); the state's memory is not read.
StateWitness encode_witness(const State& state, const Hash32& memory_root);
Hash32 witness_hash(const StateWitness& witness);
VmStatus vm_status(bool exited, uint8_t exit_code);
Hash32 state_hash(const StateWitness& witness);  // keccak with byte 0 replaced by the status
// The active thread followed by the root of the active stack without it (spec §2.4).
ThreadWitness encode_thread_witness(const State& state);

}  // namespace cannonball
