// Syscall cases other than read/write (spec §7). The syscall instruction sits at CodeBase; on
// return r2 = v0, r7 = a3, and the thread advances unless stated otherwise.
#include <cstdio>

#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

constexpr Word Ebadf = 0x9, Eagain = 0xB, Einval = 0x16;

// Spec §7.3, listed here independently of the interpreter's own list.
struct NamedNumber {
  const char* name;
  Word number;
};
constexpr NamedNumber NoopSyscalls[] = {
    {"Munmap", 5011},       {"Mprotect", 5010},      {"SchedGetaffinity", 5196},
    {"Madvise", 5027},      {"RtSigprocmask", 5014}, {"Sigaltstack", 5129},
    {"RtSigaction", 5013},  {"Prlimit64", 5297},     {"Close", 5003},
    {"Pread64", 5016},      {"Stat", 5004},          {"Fstat", 5005},
    {"Tgkill", 5225},       {"Lseek", 5008},         {"TimerCreate", 5216},
    {"TimerDelete", 5220},  {"Openat", 5247},        {"Readlink", 5087},
    {"Readlinkat", 5257},   {"Ioctl", 5015},         {"EpollCreate1", 5285},
    {"Pipe2", 5287},        {"EpollCtl", 5208},      {"EpollPwait", 5272},
    {"Uname", 5061},        {"Getuid", 5100},        {"Getgid", 5102},
    {"Mincore", 5026},      {"Getrlimit", 5095},     {"Setitimer", 5036},
    {"TimerSettime", 5217}, {"Prctl", 5153},
};

StepCase preempting(std::string name, Word number, Word a0 = 0, Word a1 = 0, Word a2 = 0) {
  StepCase c = syscall_case(std::move(name), number, a0, a1, a2);
  c.expect_regs = sys_ok(0);
  c.expect = expect_active_moved_to_other_stack;
  return c;
}

StepCase returns(StepCase c, std::vector<Reg> results) {
  c.expect_regs = std::move(results);
  return c;
}

void only_active_thread(State& s) {
  s.left_stack = {s.current_thread()};
  s.right_stack.clear();
}

std::function<void(State&)> at_step(Word step) {
  return [step](State& s) { s.step = step; };
}

std::function<void(State&)> heap_is(Word heap) {
  return [heap](State& s) { s.heap = heap; };
}

}  // namespace

std::vector<StepCase> syscall_cases() {
  std::vector<StepCase> cases;

  for (const NamedNumber& noop : NoopSyscalls)
    cases.push_back(returns(
        syscall_case(std::string("Noop") + noop.name + "ReturnsZero", noop.number, 0x11, 0x22, 0x33), sys_ok(0)));

  // Unknown numbers raise (spec §7.4); the number is compared on all 64 bits.
  for (const auto& [name, number] : std::initializer_list<NamedNumber>{
           {"Unknown5999", 5999},
           {"Unknown4000", 4000},
           {"O32Llseek4140", 4140},
           {"O32Stat64_4213", 4213},
           {"O32Fstat64_4215", 4215},
           {"UndefinedSysNrAllOnes", ~Word{0}},
           {"PrctlWithUpperBitsSet", 0x1'0000'0000ull + 5153},
           {"MmapWithUpperBitsSet", 0x1'0000'0000ull + 5009},
           {"Unknown5399", 5399},
           {"Zero", 0},
       }) {
    StepCase c = syscall_case(std::string(name) + "Raises", number);
    c.exception = ExceptionKind::UnknownSyscall;
    cases.push_back(std::move(c));
  }

  // mmap (5009): a0 == 0 bumps the heap by a1 rounded up to 4096.
  cases.push_back([] {
    StepCase c = returns(syscall_case("MmapRoundsLengthUpToPages", 5009, 0, 0x1001), sys_ok(BaseHeap));
    c.expect = heap_is(BaseHeap + 0x2000);
    return c;
  }());
  cases.push_back([] {
    StepCase c = returns(syscall_case("MmapPageMultipleLength", 5009, 0, 0x3000, 0xFFFF), sys_ok(BaseHeap));
    c.expect = heap_is(BaseHeap + 0x3000);
    return c;
  }());
  cases.push_back(returns(syscall_case("MmapZeroLengthReturnsHeap", 5009, 0, 0), sys_ok(BaseHeap)));
  // 0xFFFF_FFFF_FFFF_F001 + 0xFFF wraps to 0 < a1.
  cases.push_back(
      returns(syscall_case("MmapRoundingOverflowIsEinval", 5009, 0, 0xFFFF'FFFF'FFFF'F001ull), sys_err(Einval)));
  // heap + 0xFFFF_F000_0000_0000 = 0x1_0000_0000_0000_5000 wraps to 0x5000 < heap.
  cases.push_back(
      returns(syscall_case("MmapHeapOverflowIsEinval", 5009, 0, 0xFFFF'F000'0000'0000ull), sys_err(Einval)));
  cases.push_back([] {
    StepCase c = returns(syscall_case("MmapBeyondHeapEndIsEinval", 5009, 0, 0x2000), sys_err(Einval));
    c.setup = heap_is(0x5FFF'FFFF'F000ull);
    return c;
  }());
  cases.push_back([] {
    StepCase c = returns(syscall_case("MmapUpToHeapEndSucceeds", 5009, 0, 0x1000), sys_ok(0x5FFF'FFFF'F000ull));
    c.setup = heap_is(0x5FFF'FFFF'F000ull);
    c.expect = heap_is(0x6000'0000'0000ull);
    return c;
  }());
  cases.push_back(returns(syscall_case("MmapWithAddressReturnsIt", 5009, 0x1234'5678, 0x1001), sys_ok(0x1234'5678)));
  cases.push_back(returns(syscall_case("MmapWithAddressSkipsValidation", 5009, 0x7000'0000'0000'0001ull, ~Word{0}),
                          sys_ok(0x7000'0000'0000'0001ull)));

  cases.push_back(returns(syscall_case("BrkReturnsProgramBreak", 5012, 0x1234), sys_ok(0x4000'0000'0000ull)));

  // clone (5055).
  for (const auto& [name, flags] : std::initializer_list<std::pair<const char*, Word>>{
           {"CloneWithBadFlagsPanicsTheVm", 0x50F01}, {"CloneFlagsComparedOn64Bits", 0x1'0005'0F00ull}}) {
    StepCase c = syscall_case(name, 5055, flags, 0x7000'0000);
    c.advances_pc = false;
    c.expect = [](State& s) {
      s.exited = true;
      s.exit_code = 2;
    };
    cases.push_back(std::move(c));
  }
  // The child copies the parent's registers before the results are written, with R29 = a1,
  // R2 = R7 = 0, pc = parent nextPC; it gets id nextThreadID (5) and runs next.
  auto clone_expectation = [](State& s) {
    Thread child = s.current_thread();  // the parent after its own changes
    child.thread_id = BaseNextThreadId;
    child.regs[V0] = 0;
    child.regs[A3] = 0;
    child.regs[SP] = 0x7000'0000;
    child.pc = CodeBase + 4;
    child.next_pc = CodeBase + 8;
    s.active_stack().push_back(child);
    s.next_thread_id = BaseNextThreadId + 1;
    s.steps_since_last_context_switch = 0;
  };
  cases.push_back([&] {
    StepCase c = returns(syscall_case("ClonePushesChildOnActiveStack", 5055, 0x50F00, 0x7000'0000), sys_ok(5));
    c.expect = clone_expectation;
    return c;
  }());
  cases.push_back([&] {
    StepCase c =
        returns(syscall_case("CloneWhileTraversingRightPushesOnRightStack", 5055, 0x50F00, 0x7000'0000), sys_ok(5));
    c.setup = [](State& s) {
      s.right_stack.push_back(s.left_stack.back());
      s.left_stack.pop_back();
      s.traverse_right = true;
    };
    c.expect = clone_expectation;
    return c;
  }());

  // exit (5058): marks the thread; the VM exits only if this was the only thread in both stacks.
  cases.push_back([] {
    StepCase c = syscall_case("ExitOfOnlyThreadExitsTheVm", 5058, 0x1'0000'0103ull);
    c.setup = only_active_thread;
    c.advances_pc = false;
    c.expect = [](State& s) {
      s.current_thread().exited = true;
      s.current_thread().exit_code = 3;
      s.exited = true;
      s.exit_code = 3;
    };
    return c;
  }());
  cases.push_back([] {
    StepCase c = syscall_case("ExitWithOtherThreadsMarksOnlyTheThread", 5058, 7);
    c.advances_pc = false;
    c.expect = [](State& s) {
      s.current_thread().exited = true;
      s.current_thread().exit_code = 7;
    };
    return c;
  }());
  cases.push_back([] {
    StepCase c = syscall_case("ExitCountsUnpoppedExitedThreads", 5058, 0);
    c.setup = [](State& s) {
      Thread exited = make_thread(1, 0x0050'0000);
      exited.exited = true;
      s.left_stack = {exited, s.current_thread()};
      s.right_stack.clear();
    };
    c.advances_pc = false;
    c.expect = [](State& s) { s.current_thread().exited = true; };
    return c;
  }());
  // exit_group (5205): exits the VM with (uint8)a0; the thread is untouched.
  cases.push_back([] {
    StepCase c = syscall_case("ExitGroupExitsTheVmWithLowByte", 5205, 0x1FF);
    c.advances_pc = false;
    c.expect = [](State& s) {
      s.exited = true;
      s.exit_code = 0xFF;
    };
    return c;
  }());
  cases.push_back([] {
    StepCase c = syscall_case("ExitGroupWithCodeZero", 5205, 0x100);
    c.advances_pc = false;
    c.expect = [](State& s) { s.exited = true; };
    return c;
  }());

  // fcntl (5070).
  for (Word fd = 0; fd <= 6; ++fd)
    cases.push_back(returns(syscall_case("FcntlGetfdFd" + std::to_string(fd) + "IsZero", 5070, fd, 1), sys_ok(0)));
  for (Word fd : {Word{7}, Word{100}, Word{0x1'0000'0000ull}})
    cases.push_back(
        returns(syscall_case("FcntlGetfdFd" + std::to_string(fd) + "IsEbadf", 5070, fd, 1), sys_err(Ebadf)));
  for (Word fd : {0, 3, 5})
    cases.push_back(returns(syscall_case("FcntlGetflFd" + std::to_string(fd) + "IsRdonly", 5070, fd, 3), sys_ok(0)));
  for (Word fd : {1, 2, 4, 6})
    cases.push_back(returns(syscall_case("FcntlGetflFd" + std::to_string(fd) + "IsWronly", 5070, fd, 3), sys_ok(1)));
  for (Word fd : {7, 100})
    cases.push_back(
        returns(syscall_case("FcntlGetflFd" + std::to_string(fd) + "IsEbadf", 5070, fd, 3), sys_err(Ebadf)));
  cases.push_back(returns(syscall_case("FcntlOtherCmdIsEinval", 5070, 0, 2), sys_err(Einval)));
  cases.push_back(returns(syscall_case("FcntlCmdComparedOn64Bits", 5070, 0, 0x1'0000'0001ull), sys_err(Einval)));

  cases.push_back(returns(syscall_case("GettidReturnsThreadId", 5178), sys_ok(ActiveThreadId)));
  cases.push_back(returns(syscall_case("GetpidReturnsZero", 5038), sys_ok(0)));
  cases.push_back(returns(syscall_case("OpenIsEbadf", 5002, DataBase, 0), sys_err(Ebadf)));

  // futex (5194): eff = a0 & ~3; the 32-bit value at eff is compared with (uint32)a2.
  auto futex = [](std::string name, Word a0, Word op, Word a2) {
    StepCase c = syscall_case(std::move(name), 5194, a0, op, a2);
    c.memory = {{DataBase, DataWord}};
    return c;
  };
  cases.push_back([&] {
    // eff = DataBase + 4, value 0x45D66778; a2's upper half is ignored.
    StepCase c = futex("FutexWaitWithMatchingValuePreempts", DataBase + 6, 128, 0xFFFF'FFFF'45D6'6778ull);
    c.expect_regs = sys_ok(0);
    c.expect = expect_active_moved_to_other_stack;
    return c;
  }());
  cases.push_back(
      returns(futex("FutexWaitWithMismatchedValueReturnsEagain", DataBase + 6, 128, 0x45D6'6779), sys_err(Eagain)));
  cases.push_back([&] {
    // a0 = DataBase + 3 -> eff = DataBase, value 0x81122334.
    StepCase c = futex("FutexWaitAlignsAddressDownTo4", DataBase + 3, 128, 0x8112'2334);
    c.expect_regs = sys_ok(0);
    c.expect = expect_active_moved_to_other_stack;
    return c;
  }());
  cases.push_back(
      returns(futex("FutexWaitAlignedDownComparesLowerSlotOnly", DataBase + 3, 128, 0x45D6'6778), sys_err(Eagain)));
  cases.push_back([&] {
    StepCase c = futex("FutexWaitMatchOnLastThreadFlipsTraversal", DataBase + 4, 128, 0x45D6'6778);
    c.setup = only_active_thread;
    c.expect_regs = sys_ok(0);
    c.expect = [](State& s) {
      s.right_stack = {s.left_stack.back()};
      s.left_stack.clear();
      s.traverse_right = true;
      s.steps_since_last_context_switch = 0;
    };
    return c;
  }());
  cases.push_back([&] {
    StepCase c = futex("FutexWakePreempts", DataBase, 129, 1);
    c.expect_regs = sys_ok(0);
    c.expect = expect_active_moved_to_other_stack;
    return c;
  }());
  cases.push_back(returns(futex("FutexNonPrivateWaitIsEinval", DataBase, 0, 0), sys_err(Einval)));
  cases.push_back(returns(futex("FutexNonPrivateWakeIsEinval", DataBase, 1, 0), sys_err(Einval)));
  cases.push_back(
      returns(futex("FutexOpComparedOn64Bits", DataBase, 0x1'0000'0000ull + 128, 0x8112'2334), sys_err(Einval)));

  cases.push_back(preempting("SchedYieldPreempts", 5023, 1, 2, 3));
  cases.push_back(preempting("NanosleepPreempts", 5034, DataBase, 0));

  // clock_gettime (5222): secs at eff = a1 & ~7, nsecs at eff + 8, from the incremented step.
  auto clock = [](std::string name, Word clock_id, Word pre_step, Word secs, Word nsecs) {
    StepCase c = syscall_case(std::move(name), 5222, clock_id, DataBase + 3);
    c.memory = {{DataBase, DataWord}, {DataBase + 8, RtWord}};
    c.setup = at_step(pre_step);
    c.expect_regs = sys_ok(0);
    c.expect_writes = {{DataBase, secs}, {DataBase + 8, nsecs}};
    return c;
  };
  // step 9_999_999 -> 10_000_000: secs = 1, nsecs = 0.
  cases.push_back(clock("ClockMonotonicAtSecondBoundary", 1, 9'999'999, 1, 0));
  // step 9_999_998 -> 9_999_999: secs = 0, nsecs = 9_999_999 * 100.
  cases.push_back(clock("ClockMonotonicJustBeforeBoundary", 1, 9'999'998, 0, 999'999'900));
  // step 25_000_123: secs = 2, nsecs = 5_000_123 * 100.
  cases.push_back(clock("ClockMonotonicMidSecond", 1, 25'000'122, 2, 500'012'300));
  cases.push_back(clock("ClockRealtimeWritesZeros", 0, 25'000'122, 0, 0));
  for (const auto& [name, clock_id] : std::initializer_list<std::pair<const char*, Word>>{
           {"ClockUnknownIdIsEinval", 2}, {"ClockIdComparedOn64Bits", 0x1'0000'0001ull}}) {
    StepCase c = syscall_case(name, 5222, clock_id, DataBase);
    c.memory = {{DataBase, DataWord}};
    c.expect_regs = sys_err(Einval);
    cases.push_back(std::move(c));
  }

  // getrandom (5313): r = splitmix64(incremented step); bytes [i, i+cnt) of the word at a0 & ~7
  // come from the same bytes of r, cnt = min(a1, 8 - i); v0 = cnt. Flags (a2) are ignored.
  auto getrandom = [](std::string name, Word pre_step, Word a0, Word a1, Word new_word, Word count) {
    StepCase c = syscall_case(std::move(name), 5313, a0, a1, 0xFFFF);
    c.memory = {{DataBase, DataWord}};
    c.setup = at_step(pre_step);
    c.expect_regs = sys_ok(count);
    c.expect_writes = {{DataBase, new_word}};
    return c;
  };
  constexpr Word VectorSeed = 0x1A2B'3C4D'5E6F'7531ull;
  constexpr Word VectorValue = 0x4141'3027'68C9'E9D0ull;  // splitmix64(VectorSeed), spec §7.2
  cases.push_back(getrandom("GetrandomUpstreamVector", VectorSeed - 1, DataBase, 8, VectorValue, 8));
  // The step wraps from 2^64 - 1 to 0: splitmix64(0) = 0xE220A8397B1DCDAF.
  cases.push_back(getrandom("GetrandomSeedZero", ~Word{0}, DataBase, 8, 0xE220'A839'7B1D'CDAFull, 8));
  cases.push_back(getrandom("GetrandomCountAboveWordIsClamped", VectorSeed - 1, DataBase, 100, VectorValue, 8));
  // Hand-checked examples: i = 3, cnt 2 -> 81 12 23 [27 68] D6 67 78; i = 7, a1 = 8 -> cnt 1.
  cases.push_back(
      getrandom("GetrandomOffset3Count2Example", VectorSeed - 1, DataBase + 3, 2, 0x8112'2327'68D6'6778ull, 2));
  cases.push_back(
      getrandom("GetrandomOffset7ClampsToOneByte", VectorSeed - 1, DataBase + 7, 8, 0x8112'2334'45D6'67D0ull, 1));
  // Every offset 0..7 and count 0..8 (byte-merge rule above, computed per byte).
  for (unsigned offset = 0; offset < 8; ++offset) {
    for (unsigned count = 0; count <= 8; ++count) {
      uint8_t mem[8], random[8];
      store_be64(mem, DataWord);
      store_be64(random, VectorValue);
      const unsigned clamped = std::min(count, 8 - offset);
      for (unsigned b = offset; b < offset + clamped; ++b) mem[b] = random[b];
      cases.push_back(getrandom("GetrandomOffset" + std::to_string(offset) + "Count" + std::to_string(count),
                                VectorSeed - 1, DataBase + offset, count, load_be64(mem), clamped));
    }
  }

  // eventfd2 (5284): needs EFD_NONBLOCK (0x80); always returns fd 100; initval ignored.
  cases.push_back(returns(syscall_case("Eventfd2NonblockReturnsFd100", 5284, 5, 0x80), sys_ok(100)));
  cases.push_back(returns(syscall_case("Eventfd2NonblockWithCloexecReturnsFd100", 5284, 0, 0x80080), sys_ok(100)));
  cases.push_back(returns(syscall_case("Eventfd2WithoutNonblockIsEinval", 5284, 0, 0), sys_err(Einval)));
  cases.push_back(returns(syscall_case("Eventfd2CloexecOnlyIsEinval", 5284, 0, 0x80000), sys_err(Einval)));
  return cases;
}

}  // namespace cannonball::test
