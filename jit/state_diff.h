// Full-state comparison of a JIT-run state with an interpreter-run one (lockstep checks): every State field, every thread of both stacks, the
// memory contents and (when asked) the merkle root. Returns a readable description of the first
// differences, empty when the states agree.
#pragma once

#include <sstream>
#include <string>

#include "runtime/state.h"

namespace cannonball::jit {

inline void diff_thread(std::ostringstream& out, const std::string& where, const Thread& a, const Thread& b) {
  auto field = [&](const char* name, Word x, Word y) {
    if (x != y) out << where << "." << name << ": jit " << hex_word(x) << " interp " << hex_word(y) << "\n";
  };
  field("thread_id", a.thread_id, b.thread_id);
  field("exit_code", a.exit_code, b.exit_code);
  field("exited", a.exited, b.exited);
  field("pc", a.pc, b.pc);
  field("next_pc", a.next_pc, b.next_pc);
  field("lo", a.lo, b.lo);
  field("hi", a.hi, b.hi);
  for (unsigned r = 0; r < 32; ++r) field(("r" + std::to_string(r)).c_str(), a.regs[r], b.regs[r]);
}

inline std::string diff_states(State& jit, State& interp, bool compare_root) {
  std::ostringstream out;
  auto field = [&](const char* name, Word x, Word y) {
    if (x != y) out << name << ": jit " << hex_word(x) << " interp " << hex_word(y) << "\n";
  };
  field("step", jit.step, interp.step);
  field("steps_since_last_context_switch", jit.steps_since_last_context_switch,
        interp.steps_since_last_context_switch);
  field("exited", jit.exited, interp.exited);
  field("exit_code", jit.exit_code, interp.exit_code);
  field("heap", jit.heap, interp.heap);
  field("preimage_offset", jit.preimage_offset, interp.preimage_offset);
  field("ll_reservation_status", jit.ll_reservation_status, interp.ll_reservation_status);
  field("ll_address", jit.ll_address, interp.ll_address);
  field("ll_owner_thread", jit.ll_owner_thread, interp.ll_owner_thread);
  field("traverse_right", jit.traverse_right, interp.traverse_right);
  field("next_thread_id", jit.next_thread_id, interp.next_thread_id);
  if (jit.preimage_key != interp.preimage_key) out << "preimage_key differs\n";
  if (jit.last_hint != interp.last_hint) out << "last_hint differs\n";
  auto stacks = [&](const char* name, const std::vector<Thread>& a, const std::vector<Thread>& b) {
    if (a.size() != b.size()) {
      out << name << " size: jit " << a.size() << " interp " << b.size() << "\n";
      return;
    }
    for (size_t i = 0; i < a.size(); ++i) diff_thread(out, std::string(name) + "[" + std::to_string(i) + "]", a[i], b[i]);
  };
  stacks("left_stack", jit.left_stack, interp.left_stack);
  stacks("right_stack", jit.right_stack, interp.right_stack);
  if (!(jit.memory == interp.memory)) {
    out << "memory contents differ";
    const auto pages_a = jit.memory.sorted_page_indices();
    const auto pages_b = interp.memory.sorted_page_indices();
    if (pages_a != pages_b) {
      out << " (page sets: jit " << pages_a.size() << " interp " << pages_b.size() << ")";
    } else {
      for (Word index : pages_a) {
        const Page* a = jit.memory.find_page(index);
        const Page* b = interp.memory.find_page(index);
        if (std::memcmp(a->bytes, b->bytes, PageSize) != 0) {
          for (Word off = 0; off < PageSize; off += 8)
            if (std::memcmp(a->bytes + off, b->bytes + off, 8) != 0) {
              out << " first at " << hex_word((index << PageAddrBits) + off) << ": jit "
                  << hex_word(load_be64(a->bytes + off)) << " interp " << hex_word(load_be64(b->bytes + off));
              break;
            }
          break;
        }
      }
    }
    out << "\n";
  }
  if (compare_root && out.str().empty() && jit.memory.merkle_root() != interp.memory.merkle_root())
    out << "memory merkle roots differ (a page changed without being marked dirty)\n";
  return out.str();
}

}  // namespace cannonball::jit
