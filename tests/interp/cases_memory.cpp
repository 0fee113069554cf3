// Load, store and LL/SC cases (spec §5.6, §6).
//
// Memory word at DataBase = DataWord, bytes B = 81 12 23 34 45 D6 67 78; rt = RtWord, bytes
// R = 11 22 33 44 55 66 77 88. Every sub-word instruction runs at all 8 byte offsets k, with the
// address formed as (DataBase + k + 8) + (-8). Expected values are the byte-level reading of the
// spec formulas:
//   lwl  (a = k & 3, W = the aligned 4-byte slot): W[a..3] ‖ low a bytes of rt32, sign-extended
//   lwr: top 3-a bytes of rt32 ‖ W[0..a]; upper half of rt kept unless a == 3 (then sign-extended)
//   ldl: B[k..7] ‖ low k bytes of rt        ldr: top 7-k bytes of rt ‖ B[0..k]
//   swl: W[a..3] = top 4-a bytes of rt32    swr: W[0..a] = low a+1 bytes of rt32
//   sdl: B[k..7] = top 8-k bytes of rt      sdr: B[0..k] = low k+1 bytes of rt
#include <array>
#include <cctype>

#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

using EightWords = std::array<Word, 8>;

std::string capitalized(Op op) {
  std::string name(mnemonic(op));
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

StepCase load_at(Op op, unsigned k, Word result) {
  return {.name = capitalized(op) + "AtOffset" + std::to_string(k),
          .program = {mem_op(op, T1, T0, -8)},
          .regs = {{T0, DataBase + k + 8}, {T1, RtWord}},
          .memory = {{DataBase, DataWord}},
          .expect_regs = {{T1, result}}};
}

StepCase store_at(Op op, unsigned k, Word new_word) {
  return {.name = capitalized(op) + "AtOffset" + std::to_string(k),
          .program = {mem_op(op, T1, T0, -8)},
          .regs = {{T0, DataBase + k + 8}, {T1, RtWord}},
          .memory = {{DataBase, DataWord}},
          .expect_writes = {{DataBase, new_word}}};
}

void add_all_offsets(std::vector<StepCase>& cases, Op op, const EightWords& results, bool store) {
  for (unsigned k = 0; k < 8; ++k) cases.push_back(store ? store_at(op, k, results[k]) : load_at(op, k, results[k]));
}

std::function<void(State&)> reservation(uint8_t status, Word address, Word owner) {
  return [=](State& s) {
    s.ll_reservation_status = status;
    s.ll_address = address;
    s.ll_owner_thread = owner;
  };
}

}  // namespace

std::vector<StepCase> load_cases() {
  std::vector<StepCase> cases;
  add_all_offsets(cases, Op::lb,
                  {0xFFFF'FFFF'FFFF'FF81ull, 0x12, 0x23, 0x34, 0x45, 0xFFFF'FFFF'FFFF'FFD6ull, 0x67, 0x78}, false);
  add_all_offsets(cases, Op::lbu, {0x81, 0x12, 0x23, 0x34, 0x45, 0xD6, 0x67, 0x78}, false);
  // Halfword slots (aligned down to 2): 8112, 2334, 45D6, 6778.
  add_all_offsets(cases, Op::lh,
                  {0xFFFF'FFFF'FFFF'8112ull, 0xFFFF'FFFF'FFFF'8112ull, 0x2334, 0x2334, 0x45D6, 0x45D6, 0x6778, 0x6778},
                  false);
  add_all_offsets(cases, Op::lhu, {0x8112, 0x8112, 0x2334, 0x2334, 0x45D6, 0x45D6, 0x6778, 0x6778}, false);
  add_all_offsets(cases, Op::lw,
                  {0xFFFF'FFFF'8112'2334ull, 0xFFFF'FFFF'8112'2334ull, 0xFFFF'FFFF'8112'2334ull,
                   0xFFFF'FFFF'8112'2334ull, 0x45D6'6778, 0x45D6'6778, 0x45D6'6778, 0x45D6'6778},
                  false);
  add_all_offsets(
      cases, Op::lwu,
      {0x8112'2334, 0x8112'2334, 0x8112'2334, 0x8112'2334, 0x45D6'6778, 0x45D6'6778, 0x45D6'6778, 0x45D6'6778}, false);
  add_all_offsets(cases, Op::ld, {DataWord, DataWord, DataWord, DataWord, DataWord, DataWord, DataWord, DataWord},
                  false);
  add_all_offsets(cases, Op::lwl,
                  {0xFFFF'FFFF'8112'2334ull, 0x1223'3488, 0x2334'7788, 0x3466'7788, 0x45D6'6778,
                   0xFFFF'FFFF'D667'7888ull, 0x6778'7788, 0x7866'7788},
                  false);
  // lwr keeps rt's upper half (0x11223344) except at a = 3, where the word is sign-extended.
  add_all_offsets(
      cases, Op::lwr,
      {0x1122'3344'5566'7781ull, 0x1122'3344'5566'8112ull, 0x1122'3344'5581'1223ull, 0xFFFF'FFFF'8112'2334ull,
       0x1122'3344'5566'7745ull, 0x1122'3344'5566'45D6ull, 0x1122'3344'5545'D667ull, 0x0000'0000'45D6'6778ull},
      false);
  add_all_offsets(
      cases, Op::ldl,
      {0x8112'2334'45D6'6778ull, 0x1223'3445'D667'7888ull, 0x2334'45D6'6778'7788ull, 0x3445'D667'7866'7788ull,
       0x45D6'6778'5566'7788ull, 0xD667'7844'5566'7788ull, 0x6778'3344'5566'7788ull, 0x7822'3344'5566'7788ull},
      false);
  // ldr at k = 7: s = 0, the rt mask is 0 (a shift by 64 gives 0), so the result is the word.
  add_all_offsets(
      cases, Op::ldr,
      {0x1122'3344'5566'7781ull, 0x1122'3344'5566'8112ull, 0x1122'3344'5581'1223ull, 0x1122'3344'8112'2334ull,
       0x1122'3381'1223'3445ull, 0x1122'8112'2334'45D6ull, 0x1181'1223'3445'D667ull, 0x8112'2334'45D6'6778ull},
      false);
  cases.push_back({.name = "LwIntoR0IsDiscarded",
                   .program = {mem_op(Op::lw, R0, T0, 0)},
                   .regs = {{T0, DataBase}},
                   .memory = {{DataBase, DataWord}}});
  cases.push_back({.name = "LdFromUntouchedMemoryReadsZero",
                   .program = {mem_op(Op::ld, T1, T0, 0)},
                   .regs = {{T0, 0x0000'7000'0000'0000ull}},
                   .expect_regs = {{T1, 0}}});
  cases.push_back({.name = "LdPositiveOffset",
                   .program = {mem_op(Op::ld, T1, T0, 0x7FF8)},
                   .regs = {{T0, DataBase - 0x7FF8}},
                   .memory = {{DataBase, DataWord}},
                   .expect_regs = {{T1, DataWord}}});
  return cases;
}

std::vector<StepCase> store_cases() {
  std::vector<StepCase> cases;
  add_all_offsets(
      cases, Op::sb,
      {0x8812'2334'45D6'6778ull, 0x8188'2334'45D6'6778ull, 0x8112'8834'45D6'6778ull, 0x8112'2388'45D6'6778ull,
       0x8112'2334'88D6'6778ull, 0x8112'2334'4588'6778ull, 0x8112'2334'45D6'8878ull, 0x8112'2334'45D6'6788ull},
      true);
  add_all_offsets(
      cases, Op::sh,
      {0x7788'2334'45D6'6778ull, 0x7788'2334'45D6'6778ull, 0x8112'7788'45D6'6778ull, 0x8112'7788'45D6'6778ull,
       0x8112'2334'7788'6778ull, 0x8112'2334'7788'6778ull, 0x8112'2334'45D6'7788ull, 0x8112'2334'45D6'7788ull},
      true);
  add_all_offsets(
      cases, Op::sw,
      {0x5566'7788'45D6'6778ull, 0x5566'7788'45D6'6778ull, 0x5566'7788'45D6'6778ull, 0x5566'7788'45D6'6778ull,
       0x8112'2334'5566'7788ull, 0x8112'2334'5566'7788ull, 0x8112'2334'5566'7788ull, 0x8112'2334'5566'7788ull},
      true);
  add_all_offsets(cases, Op::sd, {RtWord, RtWord, RtWord, RtWord, RtWord, RtWord, RtWord, RtWord}, true);
  add_all_offsets(
      cases, Op::swl,
      {0x5566'7788'45D6'6778ull, 0x8155'6677'45D6'6778ull, 0x8112'5566'45D6'6778ull, 0x8112'2355'45D6'6778ull,
       0x8112'2334'5566'7788ull, 0x8112'2334'4555'6677ull, 0x8112'2334'45D6'5566ull, 0x8112'2334'45D6'6755ull},
      true);
  add_all_offsets(
      cases, Op::swr,
      {0x8812'2334'45D6'6778ull, 0x7788'2334'45D6'6778ull, 0x6677'8834'45D6'6778ull, 0x5566'7788'45D6'6778ull,
       0x8112'2334'88D6'6778ull, 0x8112'2334'7788'6778ull, 0x8112'2334'6677'8878ull, 0x8112'2334'5566'7788ull},
      true);
  add_all_offsets(
      cases, Op::sdl,
      {0x1122'3344'5566'7788ull, 0x8111'2233'4455'6677ull, 0x8112'1122'3344'5566ull, 0x8112'2311'2233'4455ull,
       0x8112'2334'1122'3344ull, 0x8112'2334'4511'2233ull, 0x8112'2334'45D6'1122ull, 0x8112'2334'45D6'6711ull},
      true);
  add_all_offsets(
      cases, Op::sdr,
      {0x8812'2334'45D6'6778ull, 0x7788'2334'45D6'6778ull, 0x6677'8834'45D6'6778ull, 0x5566'7788'45D6'6778ull,
       0x4455'6677'88D6'6778ull, 0x3344'5566'7788'6778ull, 0x2233'4455'6677'8878ull, 0x1122'3344'5566'7788ull},
      true);
  cases.push_back({.name = "SdOfUnchangedValueStillWrites",
                   .program = {mem_op(Op::sd, T1, T0, 0)},
                   .regs = {{T0, DataBase}, {T1, DataWord}},
                   .memory = {{DataBase, DataWord}},
                   .expect_writes = {{DataBase, DataWord}}});
  cases.push_back({.name = "SbToUntouchedMemory",
                   .program = {mem_op(Op::sb, T1, T0, 0)},
                   .regs = {{T0, 0x0000'7000'0000'0003ull}, {T1, 0xFFFF'FFFF'FFFF'FFA5ull}},
                   .expect_writes = {{0x0000'7000'0000'0000ull, 0x0000'00A5'0000'0000ull}}});
  return cases;
}

std::vector<StepCase> rmw_cases() {
  const Word tid = ActiveThreadId;
  return {
      {.name = "LlLoadsSignExtendedWordAndReserves",
       .program = {mem_op(Op::ll, T1, T0, 0)},
       .regs = {{T0, DataBase}},
       .memory = {{DataBase, DataWord}},
       .expect_regs = {{T1, 0xFFFF'FFFF'8112'2334ull}},
       .expect = reservation(1, DataBase, tid)},
      // addr = DataBase + 6: the load is aligned down to 4 (slot 45D66778), the reservation keeps
      // the full unaligned address.
      {.name = "LlAtUnalignedAddressKeepsFullAddress",
       .program = {mem_op(Op::ll, T1, T0, 0)},
       .regs = {{T0, DataBase + 6}},
       .memory = {{DataBase, DataWord}},
       .expect_regs = {{T1, 0x45D6'6778}},
       .expect = reservation(1, DataBase + 6, tid)},
      {.name = "LlWithNegativeOffset",
       .program = {mem_op(Op::ll, T1, T0, -0x0C)},
       .regs = {{T0, DataBase + 0x10}},
       .memory = {{DataBase, DataWord}},
       .expect_regs = {{T1, 0x45D6'6778}},
       .expect = reservation(1, DataBase + 4, tid)},
      {.name = "LlReplacesPreviousReservation",
       .program = {mem_op(Op::ll, T1, T0, 0)},
       .regs = {{T0, DataBase + 4}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(2, 0x999, 1),
       .expect_regs = {{T1, 0x45D6'6778}},
       .expect = reservation(1, DataBase + 4, tid)},
      {.name = "LlIntoR0StillReserves",
       .program = {mem_op(Op::ll, R0, T0, 0)},
       .regs = {{T0, DataBase + 4}},
       .memory = {{DataBase, DataWord}},
       .expect = reservation(1, DataBase + 4, tid)},
      {.name = "LldLoadsDoublewordAndReserves",
       .program = {mem_op(Op::lld, T1, T0, 0)},
       .regs = {{T0, DataBase + 3}},
       .memory = {{DataBase, DataWord}},
       .expect_regs = {{T1, DataWord}},
       .expect = reservation(2, DataBase + 3, tid)},
      // sc: stores the low 4 bytes of rt (55667788) into slot DataBase+4, clears the reservation.
      {.name = "ScSucceedsWithMatchingReservation",
       .program = {mem_op(Op::sc, T1, T0, 4)},
       .regs = {{T0, DataBase}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(1, DataBase + 4, tid),
       .expect_regs = {{T1, 1}},
       .expect_writes = {{DataBase, 0x8112'2334'5566'7788ull}},
       .expect = reservation(0, 0, 0),
       .ll_modifiers = false},
      {.name = "ScSucceedsAtExactUnalignedAddress",
       .program = {mem_op(Op::sc, T1, T0, 0)},
       .regs = {{T0, DataBase + 1}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(1, DataBase + 1, tid),
       .expect_regs = {{T1, 1}},
       .expect_writes = {{DataBase, 0x5566'7788'45D6'6778ull}},
       .expect = reservation(0, 0, 0),
       .ll_modifiers = false},
      {.name = "ScFailsWithOtherOwner",
       .program = {mem_op(Op::sc, T1, T0, 4)},
       .regs = {{T0, DataBase}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(1, DataBase + 4, OtherThreadId),
       .expect_regs = {{T1, 0}}},
      {.name = "ScFailsWithLldStatus",
       .program = {mem_op(Op::sc, T1, T0, 4)},
       .regs = {{T0, DataBase}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(2, DataBase + 4, tid),
       .expect_regs = {{T1, 0}}},
      {.name = "ScFailsWithOtherAddressInSameWord",
       .program = {mem_op(Op::sc, T1, T0, 5)},
       .regs = {{T0, DataBase}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(1, DataBase + 4, tid),
       .expect_regs = {{T1, 0}}},
      {.name = "ScFailsWithoutReservation",
       .program = {mem_op(Op::sc, T1, T0, 4)},
       .regs = {{T0, DataBase}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .expect_regs = {{T1, 0}}},
      {.name = "ScdSucceedsWithMatchingReservation",
       .program = {mem_op(Op::scd, T1, T0, 2)},
       .regs = {{T0, DataBase}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(2, DataBase + 2, tid),
       .expect_regs = {{T1, 1}},
       .expect_writes = {{DataBase, RtWord}},
       .expect = reservation(0, 0, 0),
       .ll_modifiers = false},
      // Reads never clear a reservation, not even one on the word they read.
      {.name = "LwKeepsReservationOnSameWord",
       .program = {mem_op(Op::lw, T1, T0, 0)},
       .regs = {{T0, DataBase + 4}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(1, DataBase + 4, OtherThreadId),
       .expect_regs = {{T1, 0x45D6'6778}}},
      {.name = "ScdFailsWithLlStatus",
       .program = {mem_op(Op::scd, T1, T0, 2)},
       .regs = {{T0, DataBase}, {T1, RtWord}},
       .memory = {{DataBase, DataWord}},
       .setup = reservation(1, DataBase + 2, tid),
       .expect_regs = {{T1, 0}}},
  };
}

}  // namespace cannonball::test
