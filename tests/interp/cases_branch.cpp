// Branch and jump cases (spec §5.5). pc = CodeBase unless stated; rs = t0, rt = t1.
#include "tests/interp/cases.h"

namespace cannonball::test {
namespace {

constexpr Word M1 = ~Word{0};
constexpr Word Pc = CodeBase;
constexpr int16_t Forward = 0x10;  // target = pc + 4 + 0x40
constexpr Word ForwardTarget = Pc + 4 + 0x40;

StepCase taken(std::string name, uint32_t insn, Word rs, Word rt, Word target, std::vector<Reg> links = {}) {
  return {.name = std::move(name),
          .program = {insn},
          .regs = {{T0, rs}, {T1, rt}},
          .expect_regs = std::move(links),
          .expect_pc = Pc + 4,
          .expect_next_pc = target};
}

StepCase not_taken(std::string name, uint32_t insn, Word rs, Word rt, std::vector<Reg> links = {}) {
  return {.name = std::move(name), .program = {insn}, .regs = {{T0, rs}, {T1, rt}}, .expect_regs = std::move(links)};
}

// The same instruction while the thread sits in a delay slot (nextPC != pc + 4).
StepCase in_delay_slot(std::string name, uint32_t insn) {
  return {.name = std::move(name),
          .program = {insn},
          .next_pc = Pc + 12,
          .regs = {{T0, 0}, {T1, 0}},
          .exception = ExceptionKind::BranchInDelaySlot};
}

uint32_t regimm_raw(unsigned rt_selector, unsigned rs, int16_t offset) {
  return (0x01u << 26) | (rs << 21) | (rt_selector << 16) | static_cast<uint16_t>(offset);
}

}  // namespace

std::vector<StepCase> branch_cases() {
  std::vector<StepCase> cases = {
      taken("BeqTakenWhenEqual", branch_op(Op::beq, T0, T1, Forward), 0x1'0000'0001ull, 0x1'0000'0001ull,
            ForwardTarget),
      not_taken("BeqComparesAll64Bits", branch_op(Op::beq, T0, T1, Forward), 0x1'0000'0001ull, 1),
      // target = pc + 4 + (-4 << 2) = pc - 12.
      taken("BeqBackwardOffset", branch_op(Op::beq, T0, T1, -4), 5, 5, Pc - 12),
      taken("BneTakenWhenDifferent", branch_op(Op::bne, T0, T1, Forward), 0x1'0000'0001ull, 1, ForwardTarget),
      not_taken("BneNotTakenWhenEqual", branch_op(Op::bne, T0, T1, Forward), 9, 9),
      taken("BlezTakenOnZero", branch_op(Op::blez, T0, 0, Forward), 0, 0, ForwardTarget),
      taken("BlezTakenOnNegative", branch_op(Op::blez, T0, 0, Forward), 0x8000'0000'0000'0000ull, 0, ForwardTarget),
      not_taken("BlezIs64BitSigned", branch_op(Op::blez, T0, 0, Forward), 0x8000'0000, 0),
      taken("BgtzTakenOnPositive", branch_op(Op::bgtz, T0, 0, Forward), 0x8000'0000, 0, ForwardTarget),
      not_taken("BgtzNotTakenOnZero", branch_op(Op::bgtz, T0, 0, Forward), 0, 0),
      not_taken("BgtzNotTakenOnNegative", branch_op(Op::bgtz, T0, 0, Forward), M1, 0),
      taken("BltzTakenOnNegative", branch_op(Op::bltz, T0, 0, Forward), M1, 0, ForwardTarget),
      not_taken("BltzNotTakenOnZero", branch_op(Op::bltz, T0, 0, Forward), 0, 0),
      taken("BgezTakenOnZero", branch_op(Op::bgez, T0, 0, Forward), 0, 0, ForwardTarget),
      not_taken("BgezNotTakenOnNegative", branch_op(Op::bgez, T0, 0, Forward), 0x8000'0000'0000'0000ull, 0),
      // bltzal/bgezal link R31 = pc + 8 whether or not they are taken.
      taken("BltzalTakenLinks", branch_op(Op::bltzal, T0, 0, Forward), M1, 0, ForwardTarget, {{RA, Pc + 8}}),
      not_taken("BltzalNotTakenStillLinks", branch_op(Op::bltzal, T0, 0, Forward), 0, 0, {{RA, Pc + 8}}),
      taken("BgezalTakenLinks", branch_op(Op::bgezal, T0, 0, Forward), 0, 0, ForwardTarget, {{RA, Pc + 8}}),
      not_taken("BgezalNotTakenStillLinks", branch_op(Op::bgezal, T0, 0, Forward), M1, 0, {{RA, Pc + 8}}),
      taken("BalIsBgezalOnR0", branch_op(Op::bgezal, R0, 0, Forward), 0, 0, ForwardTarget, {{RA, Pc + 8}}),
      // REGIMM with an unknown rt is an untaken branch, never an exception, and never links.
      not_taken("RegimmBltzlIsUntakenBranch", regimm_raw(0x02, T0, Forward), M1, 0),
      not_taken("RegimmTeqiIsUntakenBranch", regimm_raw(0x0C, T0, Forward), 0, 0),
      not_taken("RegimmBltzallIsUntakenWithoutLink", regimm_raw(0x12, T0, Forward), M1, 0),
      not_taken("RegimmRt1FIsUntakenBranch", regimm_raw(0x1F, T0, Forward), 0, 0),

      // jr/jalr: the target is rs; jalr links rd = pc + 8 after reading the target.
      taken("JrJumpsToRs", r_type(Op::jr, 0, T0, 0), 0x0000'0000'0040'2000ull, 0, 0x0000'0000'0040'2000ull),
      taken("JrAcceptsUnalignedTarget", r_type(Op::jr, 0, T0, 0), 0x0040'2002, 0, 0x0040'2002),
      // jr never links, even with a non-zero rd field (encoding laxity).
      taken("JrWithRdFieldDoesNotLink", r_type(Op::jr, RA, T0, 0), 0x0040'2000, 0, 0x0040'2000),
      taken("JalrLinksRa", r_type(Op::jalr, RA, T0, 0), 0x0040'3000, 0, 0x0040'3000, {{RA, Pc + 8}}),
      taken("JalrLinksOtherRd", r_type(Op::jalr, T2, T0, 0), 0x0040'3000, 0, 0x0040'3000, {{T2, Pc + 8}}),
      taken("JalrWithRdZeroDoesNotLink", r_type(Op::jalr, R0, T0, 0), 0x0040'3000, 0, 0x0040'3000),
      {.name = "JalrReadsTargetBeforeLinkingSameRegister",
       .program = {r_type(Op::jalr, RA, RA, 0)},
       .regs = {{RA, 0x0040'4000}},
       .expect_regs = {{RA, Pc + 8}},
       .expect_pc = Pc + 4,
       .expect_next_pc = 0x0040'4000},
  };

  // j/jal take the top 36 bits from nextPC, not pc: pc = 0x1_2FFFFFFC, nextPC = 0x1_30000000,
  // target = 0x1_30000000 | (0x100 << 2) = 0x1_30000400 (pc's bits would give 0x1_20000400).
  constexpr Word JumpPc = 0x0000'0001'2FFF'FFFCull;
  constexpr Word JumpTarget = 0x0000'0001'3000'0400ull;
  cases.push_back({.name = "JTakesTopBitsFromNextPc",
                   .program = {jump_op(Op::j, 0x100)},
                   .pc = JumpPc,
                   .expect_pc = JumpPc + 4,
                   .expect_next_pc = JumpTarget});
  cases.push_back({.name = "JalTakesTopBitsFromNextPcAndLinks",
                   .program = {jump_op(Op::jal, 0x100)},
                   .pc = JumpPc,
                   .expect_regs = {{RA, JumpPc + 8}},
                   .expect_pc = JumpPc + 4,
                   .expect_next_pc = JumpTarget});
  cases.push_back({.name = "JMaxIndex",
                   .program = {jump_op(Op::j, 0x03FF'FFFF)},
                   .expect_pc = Pc + 4,
                   .expect_next_pc = 0x0FFF'FFFC});

  // Every branch and jump raises in a delay slot, taken or not (the check comes first).
  cases.push_back(in_delay_slot("JInDelaySlotRaises", jump_op(Op::j, 0x100)));
  cases.push_back(in_delay_slot("JalInDelaySlotRaises", jump_op(Op::jal, 0x100)));
  cases.push_back(in_delay_slot("JrInDelaySlotRaises", r_type(Op::jr, 0, T0, 0)));
  cases.push_back(in_delay_slot("JalrInDelaySlotRaises", r_type(Op::jalr, RA, T0, 0)));
  cases.push_back(in_delay_slot("BeqInDelaySlotRaises", branch_op(Op::beq, T0, T1, Forward)));
  cases.push_back(in_delay_slot("BneNotTakenInDelaySlotRaises", branch_op(Op::bne, T0, T1, Forward)));
  cases.push_back(in_delay_slot("BlezInDelaySlotRaises", branch_op(Op::blez, T0, 0, Forward)));
  cases.push_back(in_delay_slot("BgtzInDelaySlotRaises", branch_op(Op::bgtz, T0, 0, Forward)));
  cases.push_back(in_delay_slot("BltzInDelaySlotRaises", branch_op(Op::bltz, T0, 0, Forward)));
  cases.push_back(in_delay_slot("BgezInDelaySlotRaises", branch_op(Op::bgez, T0, 0, Forward)));
  cases.push_back(in_delay_slot("BltzalInDelaySlotRaises", branch_op(Op::bltzal, T0, 0, Forward)));
  cases.push_back(in_delay_slot("BgezalInDelaySlotRaises", branch_op(Op::bgezal, T0, 0, Forward)));
  cases.push_back(in_delay_slot("RegimmUnknownRtInDelaySlotRaises", regimm_raw(0x02, T0, Forward)));
  // A non-branch in a delay slot just continues to nextPC.
  cases.push_back({.name = "AluInDelaySlotContinuesAtNextPc",
                   .program = {i_type(Op::addiu, T1, R0, 1)},
                   .next_pc = 0x0040'8000,
                   .expect_regs = {{T1, 1}},
                   .expect_pc = 0x0040'8000,
                   .expect_next_pc = 0x0040'8004});
  return cases;
}

}  // namespace cannonball::test
