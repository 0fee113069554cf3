// Instruction semantics (spec §5, §6), one function per row of the instruction table.
//
// Each row of CANNONBALL_INSTRUCTIONS names its function here (the `interp` column); the handler
// array below is generated from those names in table order, so `Vm::execute` is a decode to the
// row's index and one indirect call. Most rows share a stage template (register operands, an
// immediate, a memory access, a branch) instantiated with the row's value function, which keeps
// the shape of upstream's pipeline (spec §5.1):
//  - every row ignores the fields its format does not name ("should be zero" fields included);
//  - SPECIAL and SPECIAL2 rows write rd, immediate rows and loads write rt, and no write reaches $0;
//  - the HI/LO rows (funct 0x10-0x1F) write rd too: 0 for all but mfhi/mflo, so a non-zero rd
//    field of mthi or mult is cleared;
//  - sync (funct 0x0F) runs as the pipeline runs any SPECIAL row without a group of its own:
//    rd = rs (rd is 0 in every real encoding);
//  - a memory row reads its aligned word first (proof slot #1), then computes, then stores.
// A word without a row (Op::Invalid) raises, except a REGIMM word with an unknown rt, which runs
// as an untaken branch (spec §5.5); an invalid word of a memory opcode reads its word before it
// raises, as the pipeline fetches memory before it finds the opcode unknown.
#include <bit>

#include "interp/instruction_table.h"
#include "interp/observer.h"
#include "interp/vm.h"

namespace cannonball {
namespace {

using InstructionFn = void (*)(Vm& vm, Thread& t, uint32_t insn);

[[noreturn]] void invalid_instruction(uint32_t insn) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "instruction 0x%08x", insn);
  throw VmFault{ExceptionKind::InvalidInstruction, buf};
}

// ---- Fields ----------------------------------------------------------------------------------

unsigned rs_field(uint32_t insn) { return (insn >> 21) & 0x1F; }
unsigned rt_field(uint32_t insn) { return (insn >> 16) & 0x1F; }
unsigned rd_field(uint32_t insn) { return (insn >> 11) & 0x1F; }
unsigned sa_field(uint32_t insn) { return (insn >> 6) & 0x1F; }
Word signed_imm(uint32_t insn) { return sign_extend(insn & 0xFFFF, 16); }
Word unsigned_imm(uint32_t insn) { return insn & 0xFFFF; }

// ---- Pipeline pieces (spec §5.1) ---------------------------------------------------------------

void advance_pc(Thread& t) {
  t.pc = t.next_pc;
  t.next_pc += 4;
}

// HandleRd: conditional register write, then advance.
void handle_rd(Thread& t, unsigned dest, Word value, bool condition) {
  if (dest != 0 && condition) t.regs[dest] = value;
  advance_pc(t);
}

void check_delay_slot(const Thread& t, const char* what) {
  if (t.next_pc != t.pc + 4) throw VmFault{ExceptionKind::BranchInDelaySlot, what};
}

void handle_jump(Thread& t, unsigned link_reg, Word dest) {
  check_delay_slot(t, "jump in delay slot");
  const Word prev_pc = t.pc;
  t.pc = t.next_pc;
  t.next_pc = dest;
  if (link_reg != 0) t.regs[link_reg] = prev_pc + 8;
}

void handle_branch(Thread& t, uint32_t insn, bool taken, unsigned link_reg) {
  const Word prev_pc = t.pc;
  t.pc = t.next_pc;
  t.next_pc = taken ? prev_pc + 4 + (signed_imm(insn) << 2) : t.next_pc + 4;
  if (link_reg != 0) t.regs[link_reg] = prev_pc + 8;
}

// The aligned word a memory row reads first (proof slot #1), reported to a watching observer.
Word fetch_data_word(Vm& vm, Thread& t, uint32_t insn, Word addr) {
  const Word mem = vm.read_data_word(addr & AddressMask);
  SchedulerObserver* observer = vm.observer();
  if (observer && observer->watch_data) observer->on_data_access(vm.state(), t, addr, insn >> 26, 0);
  return mem;
}

Word effective_address(const Thread& t, uint32_t insn) { return t.regs[rs_field(insn)] + signed_imm(insn); }

// ---- Value functions (spec §5.2-§5.4, §5.6) ---------------------------------------------------

Word add32(Word rs, Word rt) { return s32(static_cast<uint32_t>(rs) + static_cast<uint32_t>(rt)); }
Word sub32(Word rs, Word rt) { return s32(static_cast<uint32_t>(rs) - static_cast<uint32_t>(rt)); }
Word add64(Word rs, Word rt) { return rs + rt; }
Word sub64(Word rs, Word rt) { return rs - rt; }
Word and64(Word rs, Word rt) { return rs & rt; }
Word or64(Word rs, Word rt) { return rs | rt; }
Word xor64(Word rs, Word rt) { return rs ^ rt; }
Word nor64(Word rs, Word rt) { return ~(rs | rt); }
Word less_signed(Word rs, Word rt) { return static_cast<int64_t>(rs) < static_cast<int64_t>(rt) ? 1 : 0; }
Word less_unsigned(Word rs, Word rt) { return rs < rt ? 1 : 0; }
Word mul32(Word rs, Word rt) { return s32(static_cast<uint32_t>(rs) * static_cast<uint32_t>(rt)); }

Word sll32(Word rt, unsigned sa) { return s32((rt << sa) & 0xFFFF'FFFF); }
Word srl32(Word rt, unsigned sa) { return s32((rt & 0xFFFF'FFFF) >> sa); }
Word sra32(Word rt, unsigned sa) { return sign_extend((rt & 0xFFFF'FFFF) >> sa, 32 - sa); }
Word sll64(Word rt, unsigned sa) { return rt << sa; }
Word srl64(Word rt, unsigned sa) { return rt >> sa; }
Word sra64(Word rt, unsigned sa) { return static_cast<Word>(static_cast<int64_t>(rt) >> sa); }
Word sll64_plus32(Word rt, unsigned sa) { return rt << (sa + 32); }
Word srl64_plus32(Word rt, unsigned sa) { return rt >> (sa + 32); }
Word sra64_plus32(Word rt, unsigned sa) { return static_cast<Word>(static_cast<int64_t>(rt) >> (sa + 32)); }

// Variable shifts: the amount is the low 5 (32-bit) or 6 (64-bit) bits of rs.
Word sllv32(Word rs, Word rt) { return sll32(rt, rs & 0x1F); }
Word srlv32(Word rs, Word rt) { return srl32(rt, rs & 0x1F); }
Word srav32(Word rs, Word rt) { return sra32(rt, rs & 0x1F); }
Word sllv64(Word rs, Word rt) { return sll64(rt, rs & 0x3F); }
Word srlv64(Word rs, Word rt) { return srl64(rt, rs & 0x3F); }
Word srav64(Word rs, Word rt) { return sra64(rt, rs & 0x3F); }

Word clz32(Word rs) { return static_cast<Word>(std::countl_zero(static_cast<uint32_t>(rs))); }
Word clo32(Word rs) { return clz32(~rs); }
Word clz64(Word rs) { return static_cast<Word>(std::countl_zero(rs)); }
Word clo64(Word rs) { return clz64(~rs); }

bool is_zero(Word rt) { return rt == 0; }
bool is_nonzero(Word rt) { return rt != 0; }

bool equal(Word rs, Word rt) { return rs == rt; }
bool not_equal(Word rs, Word rt) { return rs != rt; }
bool less_equal_zero(Word rs, Word) { return static_cast<int64_t>(rs) <= 0; }
bool greater_zero(Word rs, Word) { return static_cast<int64_t>(rs) > 0; }
bool less_zero(Word rs, Word) { return static_cast<int64_t>(rs) < 0; }
bool greater_equal_zero(Word rs, Word) { return static_cast<int64_t>(rs) >= 0; }

// HI/LO rows: update HI/LO, return what rd receives.
Word move_from_hi(Thread& t, Word, Word) { return t.hi; }
Word move_from_lo(Thread& t, Word, Word) { return t.lo; }
Word move_to_hi(Thread& t, Word rs, Word) {
  t.hi = rs;
  return 0;
}
Word move_to_lo(Thread& t, Word rs, Word) {
  t.lo = rs;
  return 0;
}
Word mult32(Thread& t, Word rs, Word rt) {
  const auto product = static_cast<Word>(static_cast<int64_t>(static_cast<int32_t>(rs)) *
                                         static_cast<int64_t>(static_cast<int32_t>(rt)));
  t.hi = s32(product >> 32);
  t.lo = s32(product & 0xFFFF'FFFF);
  return 0;
}
Word multu32(Thread& t, Word rs, Word rt) {
  const Word product = (rs & 0xFFFF'FFFF) * (rt & 0xFFFF'FFFF);
  t.hi = s32(product >> 32);
  t.lo = s32(product & 0xFFFF'FFFF);
  return 0;
}
Word div32(Thread& t, Word rs, Word rt) {
  const auto divisor = static_cast<int32_t>(rt);
  if (divisor == 0) throw VmFault{ExceptionKind::DivideByZero, "div"};
  const auto dividend = static_cast<int32_t>(rs);
  if (divisor == -1) {  // INT32_MIN / -1 wraps to INT32_MIN, remainder 0
    t.hi = 0;
    t.lo = s32(static_cast<Word>(0u - static_cast<uint32_t>(dividend)));
  } else {
    t.hi = s32(static_cast<Word>(static_cast<uint32_t>(dividend % divisor)));
    t.lo = s32(static_cast<Word>(static_cast<uint32_t>(dividend / divisor)));
  }
  return 0;
}
Word divu32(Thread& t, Word rs, Word rt) {
  const auto divisor = static_cast<uint32_t>(rt);
  if (divisor == 0) throw VmFault{ExceptionKind::DivideByZero, "divu"};
  const auto dividend = static_cast<uint32_t>(rs);
  t.hi = s32(dividend % divisor);
  t.lo = s32(dividend / divisor);
  return 0;
}
Word mult64(Thread& t, Word rs, Word rt) {
  const __int128 product = static_cast<__int128>(static_cast<int64_t>(rs)) * static_cast<int64_t>(rt);
  const auto bits = static_cast<unsigned __int128>(product);
  t.hi = static_cast<Word>(bits >> 64);
  t.lo = static_cast<Word>(bits);
  return 0;
}
Word multu64(Thread& t, Word rs, Word rt) {
  const auto product = static_cast<unsigned __int128>(rs) * rt;
  t.hi = static_cast<Word>(product >> 64);
  t.lo = static_cast<Word>(product);
  return 0;
}
Word div64(Thread& t, Word rs, Word rt) {
  if (rt == 0) throw VmFault{ExceptionKind::DivideByZero, "ddiv"};
  const auto dividend = static_cast<int64_t>(rs);
  const auto divisor = static_cast<int64_t>(rt);
  if (divisor == -1) {  // INT64_MIN / -1 wraps, remainder 0
    t.hi = 0;
    t.lo = 0 - rs;
  } else {
    t.hi = static_cast<Word>(dividend % divisor);
    t.lo = static_cast<Word>(dividend / divisor);
  }
  return 0;
}
Word divu64(Thread& t, Word rs, Word rt) {
  if (rt == 0) throw VmFault{ExceptionKind::DivideByZero, "ddivu"};
  t.hi = rs % rt;
  t.lo = rs / rt;
  return 0;
}

// Loads: the value rt receives from the aligned word `mem` at byte address `addr` (`rt` is the
// register's old value, which the unaligned loads merge into).
Word load_byte(Word addr, Word mem, Word) { return select_subword(addr, mem, 1, true); }
Word load_half(Word addr, Word mem, Word) { return select_subword(addr, mem, 2, true); }
Word load_word(Word addr, Word mem, Word) { return select_subword(addr, mem, 4, true); }
Word load_byte_unsigned(Word addr, Word mem, Word) { return select_subword(addr, mem, 1, false); }
Word load_half_unsigned(Word addr, Word mem, Word) { return select_subword(addr, mem, 2, false); }
Word load_word_unsigned(Word addr, Word mem, Word) { return (mem >> (32 - (addr & 4) * 8)) & 0xFFFF'FFFF; }
Word load_double(Word, Word mem, Word) { return mem; }
Word load_word_left(Word addr, Word mem, Word rt) {
  const Word w = (mem >> (32 - (addr & 4) * 8)) & 0xFFFF'FFFF;
  const unsigned s = (addr & 3) * 8;
  const Word v = (w << s) & 0xFFFF'FFFF;
  const Word m = (Word{0xFFFF'FFFF} << s) & 0xFFFF'FFFF;
  return s32(((rt & ~m) | v) & 0xFFFF'FFFF);
}
Word load_word_right(Word addr, Word mem, Word rt) {  // keeps rt's upper half unless the whole word loads
  const Word w = (mem >> (32 - (addr & 4) * 8)) & 0xFFFF'FFFF;
  const unsigned s = 24 - (addr & 3) * 8;
  const Word v = w >> s;
  const Word m = Word{0xFFFF'FFFF} >> s;
  const Word r32 = ((rt & 0xFFFF'FFFF) & ~m) | v;
  if ((addr & 3) == 3) return s32(r32);
  return (rt & 0xFFFF'FFFF'0000'0000ull) | r32;
}
Word load_double_left(Word addr, Word mem, Word rt) {
  const unsigned s = (addr & 7) * 8;
  return (mem << s) | (rt & ~shl(~Word{0}, s));
}
Word load_double_right(Word addr, Word mem, Word rt) {
  const unsigned s = 56 - (addr & 7) * 8;
  return (mem >> s) | (rt & shl(~Word{0}, 64 - s));
}

// Stores: the new aligned word.
Word store_byte(Word addr, Word mem, Word rt) { return update_subword(addr, mem, 1, rt); }
Word store_half(Word addr, Word mem, Word rt) { return update_subword(addr, mem, 2, rt); }
Word store_word(Word addr, Word mem, Word rt) { return update_subword(addr, mem, 4, rt); }
Word store_double(Word, Word, Word rt) { return rt; }
Word store_word_left(Word addr, Word mem, Word rt) {
  const unsigned s = (addr & 3) * 8;
  const unsigned h = 32 - (addr & 4) * 8;
  const Word v = ((rt & 0xFFFF'FFFF) >> s) << h;
  const Word m = (Word{0xFFFF'FFFF} >> s) << h;
  return (mem & ~m) | v;
}
Word store_word_right(Word addr, Word mem, Word rt) {
  const uint32_t w = static_cast<uint32_t>((mem >> (32 - (addr & 4) * 8)) & 0xFFFF'FFFF);
  const unsigned s = 24 - (addr & 3) * 8;
  const uint32_t r = (w & ~static_cast<uint32_t>(0xFFFF'FFFFull << s)) | static_cast<uint32_t>(rt << s);
  return update_subword(addr, mem, 4, r);
}
Word store_double_left(Word addr, Word mem, Word rt) {
  const unsigned s = (addr & 7) * 8;
  return (rt >> s) | (mem & ~(~Word{0} >> s));
}
Word store_double_right(Word addr, Word mem, Word rt) {
  const unsigned s = 56 - (addr & 7) * 8;
  return (rt << s) | (mem & ~(~Word{0} << s));
}

// ---- Stages: what the `interp` column names ----------------------------------------------------

// rd = F(rs, rt): the SPECIAL/SPECIAL2 register rows and the variable shifts.
template <Word (*F)(Word, Word)>
void rd_from_rs_rt(Vm&, Thread& t, uint32_t insn) {
  handle_rd(t, rd_field(insn), F(t.regs[rs_field(insn)], t.regs[rt_field(insn)]), true);
}

// rd = F(rs): clz, clo, dclz, dclo.
template <Word (*F)(Word)>
void rd_from_rs(Vm&, Thread& t, uint32_t insn) {
  handle_rd(t, rd_field(insn), F(t.regs[rs_field(insn)]), true);
}

// rd = F(rt, sa): the constant shifts.
template <Word (*F)(Word, unsigned)>
void rd_from_rt_sa(Vm&, Thread& t, uint32_t insn) {
  handle_rd(t, rd_field(insn), F(t.regs[rt_field(insn)], sa_field(insn)), true);
}

// rt = F(rs, immediate): immediates run as the matching SPECIAL row (spec §5.3); andi, ori and
// xori zero-extend their immediate, every other row sign-extends it.
template <Word (*F)(Word, Word)>
void rt_from_rs_signed_imm(Vm&, Thread& t, uint32_t insn) {
  handle_rd(t, rt_field(insn), F(t.regs[rs_field(insn)], signed_imm(insn)), true);
}
template <Word (*F)(Word, Word)>
void rt_from_rs_unsigned_imm(Vm&, Thread& t, uint32_t insn) {
  handle_rd(t, rt_field(insn), F(t.regs[rs_field(insn)], unsigned_imm(insn)), true);
}

void load_upper_immediate(Vm&, Thread& t, uint32_t insn) {
  handle_rd(t, rt_field(insn), s32(signed_imm(insn) << 16), true);
}

// movz / movn: rd = rs when Cond(rt).
template <bool (*Cond)(Word)>
void move_conditional(Vm&, Thread& t, uint32_t insn) {
  handle_rd(t, rd_field(insn), t.regs[rs_field(insn)], Cond(t.regs[rt_field(insn)]));
}

// sync: a SPECIAL row without a group of its own, so rd = rs (see the file comment).
void sync_as_move(Vm&, Thread& t, uint32_t insn) { handle_rd(t, rd_field(insn), t.regs[rs_field(insn)], true); }

// HI/LO rows: F updates HI/LO (or raises before any change), rd receives its result.
template <Word (*F)(Thread&, Word, Word)>
void hilo(Vm&, Thread& t, uint32_t insn) {
  const Word value = F(t, t.regs[rs_field(insn)], t.regs[rt_field(insn)]);
  handle_rd(t, rd_field(insn), value, true);
}

void jump_register(Vm&, Thread& t, uint32_t insn) { handle_jump(t, 0, t.regs[rs_field(insn)]); }
void jump_register_link(Vm&, Thread& t, uint32_t insn) { handle_jump(t, rd_field(insn), t.regs[rs_field(insn)]); }
void jump(Vm&, Thread& t, uint32_t insn) { handle_jump(t, 0, jump_target(insn, t.next_pc)); }
void jump_link(Vm&, Thread& t, uint32_t insn) { handle_jump(t, 31, jump_target(insn, t.next_pc)); }

// Conditional branches: Cond(rs, rt) decides; the REGIMM ...al rows link $ra whether taken or not.
template <bool (*Cond)(Word, Word)>
void branch(Vm&, Thread& t, uint32_t insn) {
  check_delay_slot(t, "branch in delay slot");
  handle_branch(t, insn, Cond(t.regs[rs_field(insn)], t.regs[rt_field(insn)]), 0);
}
template <bool (*Cond)(Word, Word)>
void branch_link(Vm&, Thread& t, uint32_t insn) {
  check_delay_slot(t, "branch in delay slot");
  handle_branch(t, insn, Cond(t.regs[rs_field(insn)], t.regs[rt_field(insn)]), 31);
}

// rt = F(addr, word, rt): the loads.
template <Word (*F)(Word, Word, Word)>
void load(Vm& vm, Thread& t, uint32_t insn) {
  const Word addr = effective_address(t, insn);
  const Word mem = fetch_data_word(vm, t, insn, addr);
  const unsigned rt = rt_field(insn);
  handle_rd(t, rt, F(addr, mem, t.regs[rt]), true);
}

// word = F(addr, word, rt), written back: the stores.
template <Word (*F)(Word, Word, Word)>
void store(Vm& vm, Thread& t, uint32_t insn) {
  const Word addr = effective_address(t, insn);
  const Word mem = fetch_data_word(vm, t, insn, addr);
  vm.write_data_word(addr & AddressMask, F(addr, mem, t.regs[rt_field(insn)]));
  advance_pc(t);
}

// ll / lld and sc / scd (spec §6): the reservation is (status 1 or 2 by size, address, thread).
template <bool Is64>
void load_linked(Vm& vm, Thread& t, uint32_t insn) {
  State& state = vm.state();
  const Word addr = effective_address(t, insn);
  const Word result = select_subword(addr, vm.read_data_word(addr & AddressMask), Is64 ? 8 : 4, true);
  SchedulerObserver* observer = vm.observer();
  if (observer && observer->watch_data) observer->on_data_access(state, t, addr, insn >> 26, 0);
  state.ll_reservation_status = Is64 ? 2 : 1;
  state.ll_address = addr;
  state.ll_owner_thread = t.thread_id;
  if (observer) observer->on_load_linked(state, t, addr, Is64);
  handle_rd(t, rt_field(insn), result, true);
}
template <bool Is64>
void store_conditional(Vm& vm, Thread& t, uint32_t insn) {
  State& state = vm.state();
  const Word addr = effective_address(t, insn);
  const unsigned rt = rt_field(insn);
  const bool success =
      state.ll_reservation_status == (Is64 ? 2 : 1) && state.ll_owner_thread == t.thread_id && state.ll_address == addr;
  SchedulerObserver* observer = vm.observer();
  Word result = 0;
  if (success) {
    vm.clear_ll_reservation();
    const Word aligned = addr & AddressMask;
    const Word mem = vm.read_data_word(aligned);
    vm.write_data_word(aligned, update_subword(addr, mem, Is64 ? 8 : 4, t.regs[rt]));
    result = 1;
    if (observer && observer->watch_data) observer->on_data_access(state, t, addr, insn >> 26, 0);
  }
  if (observer) observer->on_store_conditional(state, t, addr, Is64, success);
  handle_rd(t, rt, result, true);
}

void syscall(Vm& vm, Thread&, uint32_t) { vm.execute_syscall(); }

// A word without a row (see the file comment).
void no_row(Vm& vm, Thread& t, uint32_t insn) {
  const unsigned opcode = insn >> 26;
  if (opcode == 0x01) {  // REGIMM with an unknown rt: an untaken branch without link
    check_delay_slot(t, "branch in delay slot");
    handle_branch(t, insn, false, 0);
    return;
  }
  if (opcode >= 0x20) fetch_data_word(vm, t, insn, effective_address(t, insn));
  invalid_instruction(insn);
}

// The handlers in row order (Op), then the one for words without a row.
constexpr InstructionFn Handlers[] = {
#define CANNONBALL_HANDLER(name, opcode, selector, format, group, access, fault, jit, interp) &interp,
    CANNONBALL_INSTRUCTIONS(CANNONBALL_HANDLER)
#undef CANNONBALL_HANDLER
        & no_row,
};
static_assert(std::size(Handlers) == static_cast<size_t>(Op::Invalid) + 1);

}  // namespace

Word select_subword(Word addr, Word mem, unsigned size, bool sign_extend_result) {
  const unsigned index = (addr & 7) & ~(size - 1);
  const unsigned shift = (8 - size - index) * 8;
  const Word mask = size == 8 ? ~Word{0} : (Word{1} << (size * 8)) - 1;
  const Word value = (mem >> shift) & mask;
  return sign_extend_result ? sign_extend(value, size * 8) : value;
}

Word update_subword(Word addr, Word mem, unsigned size, Word value) {
  const unsigned index = (addr & 7) & ~(size - 1);
  const unsigned shift = (8 - size - index) * 8;
  const Word mask = size == 8 ? ~Word{0} : (Word{1} << (size * 8)) - 1;
  return (mem & ~(mask << shift)) | ((value & mask) << shift);
}

void Vm::execute(uint32_t insn) { Handlers[static_cast<size_t>(decode(insn))](*this, state_.current_thread(), insn); }

}  // namespace cannonball
