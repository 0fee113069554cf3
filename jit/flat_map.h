// An open-addressed hash map from a 64-bit key to a small trivially copyable value, for the
// JIT's block, link and page maps.
//
// Why: std::unordered_map allocates a node per entry and chases a pointer per lookup; the JIT
// inserts one or more entries per translated block (tens of thousands on the op-program) and
// looks them up on every cold entry. Here entries live in one array: linear probing, a load
// factor of at most 1/2, backward-shift deletion (no tombstones), growth by doubling.
// Constraints: `EmptyKey` is never a real key (guest pcs are 4-aligned and page indices are
// below 2^52, so ~0 is free for both). Pointers returned by find()/get() are valid until the
// next insertion or erase.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace cannonball::jit {

template <typename Value>
class FlatMap {
  static_assert(std::is_trivially_copyable_v<Value>);

 public:
  static constexpr uint64_t EmptyKey = ~uint64_t{0};

  explicit FlatMap(size_t initial_capacity = 16) { reset(initial_capacity); }

  size_t size() const { return size_; }

  Value* find(uint64_t key) {
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == EmptyKey) return nullptr;
    }
  }

  // The value at `key`, inserted as `fresh` when absent.
  Value& get(uint64_t key, const Value& fresh) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    size_t i = slot(key);
    for (; slots_[i].key != EmptyKey; i = (i + 1) & mask_)
      if (slots_[i].key == key) return slots_[i].value;
    slots_[i] = Slot{key, fresh};
    ++size_;
    return slots_[i].value;
  }

  bool erase(uint64_t key) {
    size_t i = slot(key);
    for (; slots_[i].key != key; i = (i + 1) & mask_)
      if (slots_[i].key == EmptyKey) return false;
    // Backward-shift: move later entries of the probe run into the hole when their home slot
    // does not lie cyclically in (hole, their position].
    for (size_t j = (i + 1) & mask_; slots_[j].key != EmptyKey; j = (j + 1) & mask_) {
      const size_t home = slot(slots_[j].key);
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i].key = EmptyKey;
    --size_;
    return true;
  }

  // Removes every entry, keeping the capacity.
  void clear() {
    if (size_ == 0) return;  // every slot is already empty
    for (Slot& s : slots_) s.key = EmptyKey;
    size_ = 0;
  }

  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const Slot& s : slots_)
      if (s.key != EmptyKey) fn(s.key, s.value);
  }

 private:
  struct Slot {
    uint64_t key;
    Value value;
  };

  size_t slot(uint64_t key) const {
    // Fibonacci hashing: pcs and page indices are regular, the high product bits are not.
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void reset(size_t capacity) {
    size_t cap = 16;
    unsigned bits = 4;
    while (cap < capacity) {
      cap <<= 1;
      ++bits;
    }
    slots_.assign(cap, Slot{EmptyKey, Value{}});
    mask_ = cap - 1;
    shift_ = 64 - bits;
    size_ = 0;
  }

  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    reset(old.size() * 2);
    for (const Slot& s : old)
      if (s.key != EmptyKey) get(s.key, s.value);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 0;
  size_t size_ = 0;
};

}  // namespace cannonball::jit
