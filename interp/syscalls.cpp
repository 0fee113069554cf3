// Syscalls (spec §7) and in-VM file descriptors (spec §8).
#include "interp/syscalls.h"

#include <algorithm>

#include "interp/observer.h"
#include "interp/vm.h"
#include "runtime/hex.h"

namespace cannonball {

Word splitmix64(Word seed) {
  Word z = seed + 0x9E37'79B9'7F4A'7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
  return z ^ (z >> 31);
}

namespace {

void syscall_updates(Thread& t, Word v0, Word v1) {
  t.regs[2] = v0;
  t.regs[7] = v1;
  t.pc = t.next_pc;
  t.next_pc += 4;
}

}  // namespace

void Vm::execute_syscall() {
  Thread& thread = state_.current_thread();
  const Word number = thread.regs[2];
  const Word a0 = thread.regs[4], a1 = thread.regs[5], a2 = thread.regs[6];
  Word v0 = 0, v1 = 0;
  auto fail = [&](Word errno_value) {
    v0 = errno_value;
    v1 = SysErrorSignal;
  };
  auto preempt_voluntarily = [&] {
    syscall_updates(thread, 0, 0);
    if (observer_) observer_->on_voluntary_preemption(state_, thread, number);
    preempt_thread();
  };

  switch (number) {
    case sys::Mmap: {
      Word size = a1;
      if (size & (PageSize - 1)) size += PageSize - (size & (PageSize - 1));
      if (a0 == 0) {
        const Word new_heap = state_.heap + size;
        if (new_heap > HeapEnd || new_heap < state_.heap || size < a1) {
          fail(sys::MipsEINVAL);
        } else {
          v0 = state_.heap;
          state_.heap = new_heap;
        }
      } else {
        if (observer_) observer_->on_memory_release(state_, thread, number, a0, a1, 0);
        v0 = a0;
      }
      break;
    }
    case sys::Brk: v0 = ProgramBreak; break;
    case sys::Clone: {
      if (a0 != sys::ValidCloneFlags) {
        state_.exited = true;
        state_.exit_code = static_cast<uint8_t>(VmStatus::Panic);
        return;
      }
      Thread child = thread;
      child.thread_id = state_.next_thread_id;
      child.exit_code = 0;
      child.exited = false;
      child.pc = thread.next_pc;
      child.next_pc = thread.next_pc + 4;
      child.regs[29] = a1;
      child.regs[2] = 0;
      child.regs[7] = 0;
      state_.next_thread_id += 1;
      syscall_updates(thread, child.thread_id, 0);
      if (observer_) observer_->on_clone(state_, thread, child);
      push_thread(child);  // invalidates `thread`
      return;
    }
    case sys::ExitGroup:
      state_.exited = true;
      state_.exit_code = static_cast<uint8_t>(a0);
      if (observer_) observer_->on_exit(state_, thread, true);
      return;
    case sys::Exit:
      thread.exited = true;
      thread.exit_code = static_cast<uint8_t>(a0);
      if (state_.thread_count() == 1) {
        state_.exited = true;
        state_.exit_code = static_cast<uint8_t>(a0);
      }
      if (observer_) observer_->on_exit(state_, thread, false);
      return;
    case sys::Read: handle_sys_read(a0, a1, a2, v0, v1); break;
    case sys::Write: handle_sys_write(a0, a1, a2, v0, v1); break;
    case sys::Fcntl:
      if (a1 == 1) {  // F_GETFD
        if (a0 <= 6)
          v0 = 0;
        else
          fail(sys::MipsEBADF);
      } else if (a1 == 3) {  // F_GETFL
        if (a0 == 0 || a0 == 3 || a0 == 5)
          v0 = 0;
        else if (a0 == 1 || a0 == 2 || a0 == 4 || a0 == 6)
          v0 = 1;
        else
          fail(sys::MipsEBADF);
      } else {
        fail(sys::MipsEINVAL);
      }
      break;
    case sys::GetTid: v0 = thread.thread_id; break;
    case sys::GetPid: v0 = 0; break;
    case sys::Futex: {
      const Word addr = a0 & ~Word{3};
      if (a1 == sys::FutexWaitPrivate) {
        const Word mem = read_data_word(addr & AddressMask);
        const auto value = static_cast<uint32_t>(select_subword(addr, mem, 4, false));
        const bool matched = value == static_cast<uint32_t>(a2);
        if (observer_) observer_->on_futex_wait(state_, thread, addr, matched);
        if (!matched) {
          fail(sys::MipsEAGAIN);
        } else {
          preempt_voluntarily();
          return;
        }
      } else if (a1 == sys::FutexWakePrivate) {
        if (observer_) observer_->on_futex_wake(state_, thread, addr);
        preempt_voluntarily();
        return;
      } else {
        fail(sys::MipsEINVAL);
      }
      break;
    }
    case sys::SchedYield:
    case sys::Nanosleep: preempt_voluntarily(); return;
    case sys::Open: fail(sys::MipsEBADF); break;
    case sys::ClockGetTime: {
      if (a0 != 0 && a0 != 1) {
        fail(sys::MipsEINVAL);
        break;
      }
      Word secs = 0, nsecs = 0;
      if (a0 == 1) {
        secs = state_.step / HZ;
        nsecs = (state_.step % HZ) * (1'000'000'000 / HZ);
      }
      const Word addr = a1 & AddressMask;
      write_data_word(addr, secs);
      track_access2(addr + 8);
      state_.memory.write_word(addr + 8, nsecs);
      handle_memory_update(addr + 8);
      if (observer_ && observer_->watch_data) observer_->on_data_access(state_, thread, addr, 0, 16);
      break;
    }
    case sys::GetRandom: {
      const Word addr = a0 & AddressMask;
      const Word mem = read_data_word(addr);
      const Word random = splitmix64(state_.step);
      const unsigned offset = a0 & ExtMask;
      const Word count = std::min<Word>(a1, 8 - offset);
      // Bytes [offset, offset + count) of the big-endian word come from `random`.
      const Word mask =
          count == 0 ? 0 : shr(~Word{0}, offset * 8) & shl(~Word{0}, static_cast<unsigned>(8 - offset - count) * 8);
      write_data_word(addr, (mem & ~mask) | (random & mask));
      if (observer_ && observer_->watch_data) observer_->on_data_access(state_, state_.current_thread(), a0, 0, count);
      v0 = count;
      break;
    }
    case sys::EventFd2:
      if ((a1 & sys::EfdNonblock) == 0)
        fail(sys::MipsEINVAL);
      else
        v0 = sys::FdEventFd;
      break;
    default:
      if (!sys::is_noop(number)) throw VmFault{ExceptionKind::UnknownSyscall, "syscall " + std::to_string(number)};
      if (observer_ && (number == sys::Munmap || number == sys::Madvise))
        observer_->on_memory_release(state_, thread, number, a0, a1, number == sys::Madvise ? a2 : 0);
      break;
  }
  syscall_updates(thread, v0, v1);
}

void Vm::read_preimage_chunk(Word offset, uint8_t chunk[32], Word& chunk_len) {
  if (state_.preimage_key != preimage_cache_.key) {
    if (!oracle_) throw VmFault{ExceptionKind::NoPreimageOracle, "pre-image key " + to_hex(state_.preimage_key)};
    preimage_cache_.key = state_.preimage_key;
    preimage_cache_.value.clear();
    std::vector<uint8_t> data = oracle_->get_preimage(state_.preimage_key);
    preimage_cache_.value.resize(8);
    store_be64(preimage_cache_.value.data(), data.size());
    preimage_cache_.value.insert(preimage_cache_.value.end(), data.begin(), data.end());
    preimage_requests_ += 1;
    total_preimage_size_ += data.size();
  }
  read_preimage_this_step_ = true;
  last_preimage_offset_ = offset;
  const auto& value = preimage_cache_.value;
  if (offset >= value.size())
    throw VmFault{ExceptionKind::PreimageOutOfBounds,
                  "offset " + std::to_string(offset) + " of a " + std::to_string(value.size()) + "-byte pre-image"};
  chunk_len = std::min<Word>(32, value.size() - offset);
  std::memcpy(chunk, value.data() + offset, chunk_len);
}

void Vm::handle_sys_read(Word fd, Word addr, Word count, Word& v0, Word& v1) {
  switch (fd) {
    case sys::FdStdin: break;
    case sys::FdPreimageRead: {
      const Word aligned = addr & AddressMask;
      const Word mem = read_data_word(aligned);
      uint8_t chunk[32];
      Word len = 0;
      read_preimage_chunk(state_.preimage_offset, chunk, len);
      const unsigned offset = addr & ExtMask;
      len = std::min<Word>({len, 8 - offset, count});
      uint8_t word[8];
      store_be64(word, mem);
      std::memcpy(word + offset, chunk, len);
      write_data_word(aligned, load_be64(word));
      state_.preimage_offset += len;
      if (observer_ && observer_->watch_data) observer_->on_data_access(state_, state_.current_thread(), addr, 0, len);
      v0 = len;
      break;
    }
    case sys::FdHintRead: v0 = count; break;
    case sys::FdEventFd:
      v0 = sys::MipsEAGAIN;
      v1 = SysErrorSignal;
      break;
    default:
      v0 = sys::MipsEBADF;
      v1 = SysErrorSignal;
      break;
  }
}

void Vm::forward_hints() {
  auto& buffer = state_.last_hint;
  size_t start = 0;
  while (buffer.size() - start >= 4) {
    const uint32_t len = load_be32(buffer.data() + start);
    if (len > buffer.size() - start - 4) break;
    if (oracle_) oracle_->hint(std::vector<uint8_t>(buffer.begin() + start + 4, buffer.begin() + start + 4 + len));
    start += 4 + len;
  }
  buffer.erase(buffer.begin(), buffer.begin() + start);
}

void Vm::handle_sys_write(Word fd, Word addr, Word count, Word& v0, Word& v1) {
  // Upstream reads the bytes of a stdout, stderr or hint write page by page; its first chunk is
  // [addr, addr + count mod 2^64) when that end lies in the same page. A range that wraps around
  // the address space back into its first page inverts that slice: a Go panic, so a VM exception
  // (spec §8, §9), whether or not anything consumes the bytes.
  if ((fd == sys::FdStdout || fd == sys::FdStderr || fd == sys::FdHintWrite) && (addr & (PageSize - 1)) != 0 &&
      count >= Word{0} - (addr & (PageSize - 1)))
    throw VmFault{ExceptionKind::WrappingMemoryRange,
                  "write of " + std::to_string(count) + " bytes at " + hex_word(addr) + " to fd " + std::to_string(fd)};
  auto read_range = [&](std::vector<uint8_t>& out) {
    out.resize(count);
    for (Word i = 0; i < count; ++i) out[i] = state_.memory.read_byte(addr + i);
  };
  switch (fd) {
    case sys::FdStdout:
    case sys::FdStderr: {
      if (output_) {
        std::vector<uint8_t> bytes;
        read_range(bytes);
        output_(static_cast<int>(fd), bytes);
      }
      v0 = count;
      break;
    }
    case sys::FdHintWrite: {
      std::vector<uint8_t> bytes;
      read_range(bytes);
      state_.last_hint.insert(state_.last_hint.end(), bytes.begin(), bytes.end());
      forward_hints();
      v0 = count;
      break;
    }
    case sys::FdPreimageWrite: {
      const Word aligned = addr & AddressMask;
      const Word mem = read_data_word(aligned);
      const unsigned offset = addr & ExtMask;
      const Word len = std::min<Word>(count, 8 - offset);
      uint8_t word[8];
      store_be64(word, mem);
      Hash32& key = state_.preimage_key;
      std::memmove(key.data(), key.data() + len, 32 - len);
      std::memcpy(key.data() + 32 - len, word + offset, len);
      state_.preimage_offset = 0;
      v0 = len;
      break;
    }
    case sys::FdEventFd:
      v0 = sys::MipsEAGAIN;
      v1 = SysErrorSignal;
      break;
    default:
      v0 = sys::MipsEBADF;
      v1 = SysErrorSignal;
      break;
  }
}

}  // namespace cannonball
