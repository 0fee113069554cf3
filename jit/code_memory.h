// Code memory with W^X: the same pages mapped twice, once read+write (where the emitter writes)
// and once read+execute (where generated code runs). No page is ever writable and executable
// through the same mapping, and nothing toggles protections, so writing code or a chain cell
// costs no system call.
//
// Constraints: both views are page-aligned and `exec_delta()` apart, so offsets, alignment and
// relative jumps inside the buffer are the same in both. The emitter assembles at write-view
// addresses (xbyak computes rip-relative displacements from where it writes, which equal the
// displacements at the execute view); every address handed out for execution or stored as data
// that generated code jumps through (entries, stubs, chain-cell contents) is an execute-view
// address, converted with to_exec(). The pages come from memfd_create, or, where that is
// unavailable, from a shared anonymous mapping aliased with mremap; construction throws
// std::runtime_error if neither works.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cannonball::jit {

class CodeMemory {
 public:
  explicit CodeMemory(size_t capacity);
  ~CodeMemory();
  CodeMemory(const CodeMemory&) = delete;
  CodeMemory& operator=(const CodeMemory&) = delete;

  uint8_t* write_view() const { return write_; }
  const uint8_t* exec_view() const { return exec_; }
  std::ptrdiff_t exec_delta() const { return exec_ - write_; }
  template <class T>
  T* to_exec(T* write_address) const {
    return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(write_address) + static_cast<uintptr_t>(exec_delta()));
  }
  template <class T>
  T* to_write(T* exec_address) const {
    return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(exec_address) - static_cast<uintptr_t>(exec_delta()));
  }

 private:
  size_t size_;
  uint8_t* write_ = nullptr;
  uint8_t* exec_ = nullptr;
};

}  // namespace cannonball::jit
