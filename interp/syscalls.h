// Syscall numbers, fds and flags of spec §7–§8 (MIPS n64 numbering).
#pragma once

#include "runtime/word.h"

namespace cannonball::sys {

inline constexpr Word Read = 5000, Write = 5001, Open = 5002, Mmap = 5009, Brk = 5012, Clone = 5055, Exit = 5058,
                      Fcntl = 5070, SchedYield = 5023, Nanosleep = 5034, GetTid = 5178, GetPid = 5038, Futex = 5194,
                      ExitGroup = 5205, ClockGetTime = 5222, GetRandom = 5313, EventFd2 = 5284, Munmap = 5011,
                      Madvise = 5027;

inline constexpr Word NoopSyscalls[] = {5011, 5010, 5196, 5027, 5014, 5129, 5013, 5297, 5003, 5016, 5004,
                                        5005, 5225, 5008, 5216, 5220, 5247, 5087, 5257, 5015, 5285, 5287,
                                        5208, 5272, 5061, 5100, 5102, 5026, 5095, 5036, 5217, 5153};

inline constexpr Word MipsEBADF = 0x9, MipsEAGAIN = 0xB, MipsEINVAL = 0x16;
inline constexpr Word ValidCloneFlags = 0x0005'0F00;
inline constexpr Word FutexWaitPrivate = 128, FutexWakePrivate = 129;
inline constexpr Word EfdNonblock = 0x80;
inline constexpr Word MadvDontneed = 4;  // Linux: the next touch of the range reads zero pages

inline constexpr Word FdStdin = 0, FdStdout = 1, FdStderr = 2, FdHintRead = 3, FdHintWrite = 4, FdPreimageRead = 5,
                      FdPreimageWrite = 6, FdEventFd = 100;

constexpr bool is_noop(Word number) {
  for (Word noop : NoopSyscalls)
    if (noop == number) return true;
  return false;
}

}  // namespace cannonball::sys
