// read (5000) and write (5001) on every fd of spec §8. Memory: DataBase = DataWord (bytes
// 81 12 23 34 45 D6 67 78), DataBase + 8 = RtWord (bytes 11 22 33 44 55 66 77 88).
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

constexpr Word Ebadf = 0x9, Eagain = 0xB;
constexpr Word Read = 5000, Write = 5001;

// A keccak-type key and a 20-byte pre-image 01 02 .. 14. With its length prefix the oracle data
// is 00 00 00 00 00 00 00 14 01 02 .. 14 (28 bytes).
Hash32 test_key() { return hash_from_bytes({0x02}, 0x5C); }
std::vector<uint8_t> test_preimage() {
  std::vector<uint8_t> data;
  for (uint8_t b = 1; b <= 20; ++b) data.push_back(b);
  return data;
}

StepCase io(std::string name, Word number, Word fd, Word addr, Word count) {
  StepCase c = syscall_case(std::move(name), number, fd, addr, count);
  c.memory = {{DataBase, DataWord}, {DataBase + 8, RtWord}};
  return c;
}

StepCase preimage_read(std::string name, Word offset, Word addr, Word count) {
  StepCase c = io(std::move(name), Read, 5, addr, count);
  c.preimages = {{test_key(), test_preimage()}};
  c.setup = [offset](State& s) {
    s.preimage_key = test_key();
    s.preimage_offset = offset;
  };
  return c;
}

StepCase expect_read(StepCase c, Word new_word, Word len, Word new_offset) {
  c.expect_regs = sys_ok(len);
  c.expect_writes = {{DataBase, new_word}};
  c.expect = [new_offset](State& s) { s.preimage_offset = new_offset; };
  return c;
}

StepCase returns(StepCase c, std::vector<Reg> results) {
  c.expect_regs = std::move(results);
  return c;
}

StepCase hint_write(std::string name, const std::vector<uint8_t>& bytes, std::vector<uint8_t> pending,
                    std::vector<std::vector<uint8_t>> forwarded, std::vector<uint8_t> left_over) {
  StepCase c = syscall_case(std::move(name), Write, 4, DataBase, bytes.size());
  c.memory = words_from_bytes(DataBase, bytes);
  c.setup = [pending](State& s) { s.last_hint = pending; };
  c.expect_regs = sys_ok(bytes.size());
  c.expect_hints = std::move(forwarded);
  c.expect = [left_over](State& s) { s.last_hint = left_over; };
  return c;
}

StepCase key_write(std::string name, Word addr, Word count, std::vector<uint8_t> appended) {
  StepCase c = io(std::move(name), Write, 6, addr, count);
  c.expect_regs = sys_ok(appended.size());
  c.expect = [appended](State& s) {
    Hash32 key = base_preimage_key();
    const size_t k = appended.size();
    std::copy(key.begin() + k, key.end(), key.begin());
    std::copy(appended.begin(), appended.end(), key.end() - k);
    s.preimage_key = key;
    s.preimage_offset = 0;
  };
  return c;
}

}  // namespace

std::vector<StepCase> io_cases() {
  std::vector<StepCase> cases;

  // read.
  cases.push_back(returns(io("ReadStdinReturnsEof", Read, 0, DataBase, 8), sys_ok(0)));
  cases.push_back(returns(io("ReadHintResponseReturnsCountWithoutWriting", Read, 3, DataBase, 0x1234), sys_ok(0x1234)));
  cases.push_back(returns(io("ReadEventfdIsEagain", Read, 100, DataBase, 8), sys_err(Eagain)));
  for (Word fd : {Word{1}, Word{2}, Word{4}, Word{6}, Word{7}, Word{0x1'0000'0000ull}})
    cases.push_back(returns(io("ReadFd" + std::to_string(fd) + "IsEbadf", Read, fd, DataBase, 8), sys_err(Ebadf)));

  // Pre-image reads: len = min(remaining data (at most 32), 8 - (addr & 7), n).
  cases.push_back(expect_read(preimage_read("PreimageReadLengthPrefix", 0, DataBase, 8), 0x14, 8, 8));
  // offset 8, addr & 7 = 3, n = 100 -> 5 bytes 01..05 into bytes 3..7.
  cases.push_back(expect_read(preimage_read("PreimageReadTruncatesToWordRemainder", 8, DataBase + 3, 100),
                              0x8112'2301'0203'0405ull, 5, 13));
  // offset 8, addr & 7 = 6, n = 3 -> 2 bytes.
  cases.push_back(expect_read(preimage_read("PreimageReadTruncatesToWordEnd", 8, DataBase + 6, 3),
                              0x8112'2334'45D6'0102ull, 2, 10));
  // offset 10, addr & 7 = 1, n = 3 -> 3 bytes 03 04 05.
  cases.push_back(
      expect_read(preimage_read("PreimageReadTruncatesToCount", 10, DataBase + 1, 3), 0x8103'0405'45D6'6778ull, 3, 13));
  // offset 26: 2 bytes (13 14) remain.
  cases.push_back(expect_read(preimage_read("PreimageReadTruncatesToRemainingData", 26, DataBase, 8),
                              0x1314'2334'45D6'6778ull, 2, 28));
  // n = 0: nothing copied, but the word is still written back.
  cases.push_back(expect_read(preimage_read("PreimageReadZeroCountStillWrites", 8, DataBase, 0), DataWord, 0, 8));
  for (const auto& [name, offset] : std::initializer_list<std::pair<const char*, Word>>{
           {"PreimageReadAtEndRaises", 28}, {"PreimageReadPastEndRaises", 1000}}) {
    StepCase c = preimage_read(name, offset, DataBase, 8);
    c.exception = ExceptionKind::PreimageOutOfBounds;
    cases.push_back(std::move(c));
  }
  cases.push_back([] {
    StepCase c = io("PreimageReadWithZeroKeyBeforeAnyFetchRaises", Read, 5, DataBase, 8);
    c.setup = [](State& s) {
      s.preimage_key = {};
      s.preimage_offset = 0;
    };
    c.exception = ExceptionKind::PreimageOutOfBounds;
    return c;
  }());
  cases.push_back([] {
    StepCase c = io("PreimageReadOfEmptyPreimageReturnsZeroLength", Read, 5, DataBase, 8);
    c.preimages = {{test_key(), {}}};
    c.setup = [](State& s) {
      s.preimage_key = test_key();
      s.preimage_offset = 0;
    };
    return expect_read(std::move(c), 0, 8, 8);
  }());

  // write.
  cases.push_back([] {
    StepCase c = returns(io("WriteStdoutReturnsCountAndEmitsBytes", Write, 1, DataBase + 2, 5), sys_ok(5));
    c.expect_output = {{1, {0x23, 0x34, 0x45, 0xD6, 0x67}}};
    return c;
  }());
  cases.push_back([] {
    StepCase c = returns(io("WriteStderrIsNotTruncatedToWord", Write, 2, DataBase + 4, 12), sys_ok(12));
    c.expect_output = {{2, {0x45, 0xD6, 0x67, 0x78, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}}};
    return c;
  }());
  cases.push_back(returns(io("WriteEventfdIsEagain", Write, 100, DataBase, 8), sys_err(Eagain)));
  // A stdout/stderr/hint range that wraps the address space back into its own first page: the
  // reference reads it page by page and fails on that page (spec §8, §9), so it is an exception.
  // addr = DataBase + 8 (offset 8 in its page); count = 2^64 - 4 ends at offset 4 of that page.
  for (const auto& [name, fd] :
       std::initializer_list<std::pair<const char*, Word>>{{"WriteStdoutRangeWrappingIntoItsFirstPageRaises", 1},
                                                           {"WriteStderrRangeWrappingIntoItsFirstPageRaises", 2},
                                                           {"WriteHintRangeWrappingIntoItsFirstPageRaises", 4}}) {
    StepCase c = io(name, Write, fd, DataBase + 8, Word{0} - 4);
    c.exception = ExceptionKind::WrappingMemoryRange;
    cases.push_back(std::move(c));
  }
  for (Word fd : {Word{0}, Word{3}, Word{5}, Word{7}, Word{0x1'0000'0001ull}})
    cases.push_back(returns(io("WriteFd" + std::to_string(fd) + "IsEbadf", Write, fd, DataBase, 8), sys_err(Ebadf)));

  // Hints (fd 4): appended to last_hint; every complete "BE32 len ‖ bytes" is forwarded in order.
  cases.push_back(hint_write("WriteHintCompleteIsForwarded", {0, 0, 0, 3, 'a', 'b', 'c'}, {}, {{'a', 'b', 'c'}}, {}));
  cases.push_back(hint_write("WriteHintPartialStaysBuffered", {0, 0, 0, 3, 'a'}, {}, {}, {0, 0, 0, 3, 'a'}));
  cases.push_back(hint_write("WriteHintCompletesBufferedHintsInOrder", {'b', 'c', 0, 0, 0, 1, 'x', 0, 0},
                             {0, 0, 0, 3, 'a'}, {{'a', 'b', 'c'}, {'x'}}, {0, 0}));
  cases.push_back(hint_write("WriteHintEmptyHintIsForwarded", {0, 0, 0, 0}, {}, {{}}, {}));
  cases.push_back([] {
    std::vector<uint8_t> bytes = {0, 0, 0, 16};
    std::vector<uint8_t> body;
    for (uint8_t b = 0; b < 16; ++b) body.push_back(0xA0 + b);
    bytes.insert(bytes.end(), body.begin(), body.end());
    return hint_write("WriteHintIsNotTruncatedToWord", bytes, {}, {body}, {});
  }());

  // Pre-image key (fd 6): k = min(n, 8 - (addr & 7)) bytes shift in; offset resets to 0.
  cases.push_back(key_write("WritePreimageKeyStopsAtWordEnd", DataBase + 5, 8, {0xD6, 0x67, 0x78}));
  cases.push_back(key_write("WritePreimageKeyTruncatesToCount", DataBase, 2, {0x81, 0x12}));
  cases.push_back(
      key_write("WritePreimageKeyFullWord", DataBase + 8, 8, {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}));
  cases.push_back(key_write("WritePreimageKeyZeroCountResetsOffset", DataBase + 3, 0, {}));
  // The key write only reads memory: a reservation on that word survives.
  cases.push_back([] {
    StepCase c = key_write("WritePreimageKeyKeepsReservationOnReadWord", DataBase, 2, {0x81, 0x12});
    c.setup = [](State& s) {
      s.ll_reservation_status = 1;
      s.ll_address = DataBase + 1;
      s.ll_owner_thread = OtherThreadId;
    };
    return c;
  }());
  return cases;
}

}  // namespace cannonball::test
