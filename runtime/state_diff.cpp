#include "runtime/state_diff.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "runtime/hex.h"

namespace cannonball {
namespace {

class Differ {
 public:
  Differ(const StateDiffOptions& options, std::vector<std::string>& out) : options_(options), out_(out) {}

  void field(const std::string& name, Word a, Word b) {
    if (a != b) line(name, hex_word(a), hex_word(b));
  }
  void line(const std::string& name, const std::string& a, const std::string& b) {
    out_.push_back(name + ": " + options_.a_name + " " + a + " " + options_.b_name + " " + b);
  }

  void thread(const std::string& where, const Thread& a, const Thread& b) {
    if (a == b) return;  // the field names are built only for threads that differ
    field(where + ".thread_id", a.thread_id, b.thread_id);
    field(where + ".exit_code", a.exit_code, b.exit_code);
    field(where + ".exited", a.exited, b.exited);
    field(where + ".pc", a.pc, b.pc);
    field(where + ".next_pc", a.next_pc, b.next_pc);
    field(where + ".lo", a.lo, b.lo);
    field(where + ".hi", a.hi, b.hi);
    for (unsigned r = 0; r < 32; ++r) field(where + ".r" + std::to_string(r), a.regs[r], b.regs[r]);
  }

  void stack(const std::string& name, const std::vector<Thread>& a, const std::vector<Thread>& b) {
    if (a.size() != b.size()) {
      line(name, thread_ids(a), thread_ids(b));
      return;
    }
    for (size_t i = 0; i < a.size(); ++i) thread(name + "[" + std::to_string(i) + "]", a[i], b[i]);
  }

  void memory(Memory& a, Memory& b) {
    const std::vector<Word> pages_a = a.sorted_page_indices();
    const std::vector<Word> pages_b = b.sorted_page_indices();
    if (options_.compare_page_sets && pages_a != pages_b)
      line("memory page count", std::to_string(pages_a.size()), std::to_string(pages_b.size()));
    std::vector<Word> pages;
    std::set_union(pages_a.begin(), pages_a.end(), pages_b.begin(), pages_b.end(), std::back_inserter(pages));
    static const Page Zero{};
    size_t words = 0;
    for (Word index : pages) {
      const Page* page_a = a.find_page(index);
      const Page* page_b = b.find_page(index);
      const uint8_t* bytes_a = (page_a ? page_a : &Zero)->bytes;
      const uint8_t* bytes_b = (page_b ? page_b : &Zero)->bytes;
      if (std::memcmp(bytes_a, bytes_b, PageSize) == 0) continue;
      for (Word offset = 0; offset < PageSize; offset += 8) {
        const Word word_a = load_be64(bytes_a + offset), word_b = load_be64(bytes_b + offset);
        if (word_a == word_b) continue;
        if (words++ == options_.max_memory_words) continue;
        field("memory word " + hex_word((index << PageAddrBits) + offset), word_a, word_b);
      }
    }
    if (words > options_.max_memory_words)
      out_.push_back("memory: " + std::to_string(words - options_.max_memory_words) + " more differing words");
    if (options_.compare_merkle_root && a.merkle_root() != b.merkle_root())
      line(words ? "memory root" : "memory root (a page changed without being marked dirty)", to_hex(a.merkle_root()),
           to_hex(b.merkle_root()));
  }

 private:
  static std::string thread_ids(const std::vector<Thread>& threads) {
    std::string ids = "[";
    for (const Thread& t : threads) ids += " " + std::to_string(t.thread_id);
    return ids + " ]";
  }

  const StateDiffOptions& options_;
  std::vector<std::string>& out_;
};

}  // namespace

std::vector<std::string> state_differences(State& a, State& b, const StateDiffOptions& options) {
  std::vector<std::string> out;
  Differ d(options, out);
  d.field("step", a.step, b.step);
  d.field("steps_since_last_context_switch", a.steps_since_last_context_switch, b.steps_since_last_context_switch);
  d.field("exited", a.exited, b.exited);
  d.field("exit_code", a.exit_code, b.exit_code);
  d.field("heap", a.heap, b.heap);
  d.field("preimage_offset", a.preimage_offset, b.preimage_offset);
  if (a.preimage_key != b.preimage_key) d.line("preimage_key", to_hex(a.preimage_key), to_hex(b.preimage_key));
  if (a.last_hint != b.last_hint)
    d.line("last_hint", to_hex(a.last_hint.data(), a.last_hint.size()), to_hex(b.last_hint.data(), b.last_hint.size()));
  d.field("ll_reservation_status", static_cast<Word>(a.ll_reservation_status),
          static_cast<Word>(b.ll_reservation_status));
  d.field("ll_address", a.ll_address, b.ll_address);
  d.field("ll_owner_thread", a.ll_owner_thread, b.ll_owner_thread);
  d.field("traverse_right", a.traverse_right, b.traverse_right);
  d.field("next_thread_id", a.next_thread_id, b.next_thread_id);
  d.stack("left_stack", a.left_stack, b.left_stack);
  d.stack("right_stack", a.right_stack, b.right_stack);
  d.memory(a.memory, b.memory);
  return out;
}

std::string describe_state_differences(State& a, State& b, const StateDiffOptions& options) {
  std::string text;
  for (const std::string& line : state_differences(a, b, options)) text += line + "\n";
  return text;
}

}  // namespace cannonball
