// Core instructions (spec §5) and the read-modify-write group (spec §6).
//
// The structure follows spec §5.1: register fetch, branches, memory fetch, ALU, HI/LO group,
// store, writeback. Keeping that shape (rather than one handler per mnemonic) is what makes the
// encoding laxity of §5.1 come out right without special cases.
#include <bit>

#include "interp/instruction_table.h"
#include "interp/observer.h"
#include "interp/vm.h"

namespace cannonball {
namespace {

[[noreturn]] void invalid_instruction(uint32_t insn) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "instruction 0x%08x", insn);
  throw VmFault{ExceptionKind::InvalidInstruction, buf};
}

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

void handle_branch(Thread& t, unsigned opcode, uint32_t insn, unsigned rt_reg, Word rs) {
  check_delay_slot(t, "branch in delay slot");
  bool taken = false;
  const auto srs = static_cast<int64_t>(rs);
  unsigned link_reg = 0;
  switch (opcode) {
    case 0x04: taken = rs == t.regs[rt_reg]; break;
    case 0x05: taken = rs != t.regs[rt_reg]; break;
    case 0x06: taken = srs <= 0; break;
    case 0x07: taken = srs > 0; break;
    case 0x01:
      switch (rt_reg) {
        case 0x00: taken = srs < 0; break;
        case 0x01: taken = srs >= 0; break;
        case 0x10:
          taken = srs < 0;
          link_reg = 31;
          break;
        case 0x11:
          taken = srs >= 0;
          link_reg = 31;
          break;
        default: break;  // unknown rt: an untaken branch (spec §5.5)
      }
      break;
  }
  const Word prev_pc = t.pc;
  t.pc = t.next_pc;
  t.next_pc = taken ? prev_pc + 4 + (sign_extend(insn & 0xFFFF, 16) << 2) : t.next_pc + 4;
  if (link_reg != 0) t.regs[link_reg] = prev_pc + 8;
}

Word clz32(Word v) { return static_cast<Word>(std::countl_zero(static_cast<uint32_t>(v))); }
Word clz64(Word v) { return static_cast<Word>(std::countl_zero(v)); }

// ExecuteMipsInstruction: the ALU value of a core instruction. `rs` is the effective address for
// memory instructions, `rt` the operand chosen by the register fetch, `mem` the loaded word.
Word execute_alu(uint32_t insn, unsigned opcode, unsigned funct, Word rs, Word rt, Word mem) {
  if (opcode == 0 || (opcode >= 8 && opcode < 0x0F) || opcode == 0x18 || opcode == 0x19) {
    switch (opcode) {  // immediates run as the matching SPECIAL funct (spec §5.3)
      case 0x08: funct = 0x20; break;
      case 0x09: funct = 0x21; break;
      case 0x0A: funct = 0x2A; break;
      case 0x0B: funct = 0x2B; break;
      case 0x0C: funct = 0x24; break;
      case 0x0D: funct = 0x25; break;
      case 0x0E: funct = 0x26; break;
      case 0x18: funct = 0x2C; break;
      case 0x19: funct = 0x2D; break;
      default: break;
    }
    const unsigned sa = (insn >> 6) & 0x1F;
    switch (funct) {
      case 0x00: return s32((rt << sa) & 0xFFFF'FFFF);
      case 0x02: return s32((rt & 0xFFFF'FFFF) >> sa);
      case 0x03: return sign_extend((rt & 0xFFFF'FFFF) >> sa, 32 - sa);
      case 0x04: return s32((rt << (rs & 0x1F)) & 0xFFFF'FFFF);
      case 0x06: return s32((rt & 0xFFFF'FFFF) >> (rs & 0x1F));
      case 0x07: return sign_extend((rt & 0xFFFF'FFFF) >> (rs & 0x1F), 32 - static_cast<unsigned>(rs & 0x1F));
      case 0x08:
      case 0x09:
      case 0x0A:
      case 0x0B:
      case 0x0C:
      case 0x0F: return rs;  // jr, jalr, movz, movn, syscall, sync: value is rs
      case 0x10:
      case 0x11:
      case 0x12:
      case 0x13: return rs;  // HI/LO moves: done by the HI/LO group
      case 0x14: return rt << (rs & 0x3F);
      case 0x16: return rt >> (rs & 0x3F);
      case 0x17: return static_cast<Word>(static_cast<int64_t>(rt) >> (rs & 0x3F));
      case 0x18:
      case 0x19:
      case 0x1A:
      case 0x1B:
      case 0x1C:
      case 0x1D:
      case 0x1E:
      case 0x1F: return rs;  // multiply/divide: done by the HI/LO group
      case 0x20:
      case 0x21: return s32(static_cast<uint32_t>(rs) + static_cast<uint32_t>(rt));
      case 0x22:
      case 0x23: return s32(static_cast<uint32_t>(rs) - static_cast<uint32_t>(rt));
      case 0x24: return rs & rt;
      case 0x25: return rs | rt;
      case 0x26: return rs ^ rt;
      case 0x27: return ~(rs | rt);
      case 0x2A: return static_cast<int64_t>(rs) < static_cast<int64_t>(rt) ? 1 : 0;
      case 0x2B: return rs < rt ? 1 : 0;
      case 0x2C:
      case 0x2D: return rs + rt;
      case 0x2E:
      case 0x2F: return rs - rt;
      case 0x38: return rt << sa;
      case 0x3A: return rt >> sa;
      case 0x3B: return static_cast<Word>(static_cast<int64_t>(rt) >> sa);
      case 0x3C: return rt << (sa + 32);
      case 0x3E: return rt >> (sa + 32);
      case 0x3F: return static_cast<Word>(static_cast<int64_t>(rt) >> (sa + 32));
      default: invalid_instruction(insn);
    }
  }
  if (opcode == 0x1C) {
    switch (funct) {
      case 0x02: return s32(static_cast<uint32_t>(rs) * static_cast<uint32_t>(rt));
      case 0x20: return clz32(rs);
      case 0x21: return clz32(~rs);
      case 0x24: return clz64(rs);
      case 0x25: return clz64(~rs);
      default: invalid_instruction(insn);
    }
  }
  if (opcode == 0x0F) return s32(rt << 16);  // lui
  if (opcode < 0x20 && opcode != 0x1A && opcode != 0x1B) invalid_instruction(insn);

  const Word addr = rs;
  const unsigned k = addr & 7;
  switch (opcode) {
    case 0x20: return select_subword(addr, mem, 1, true);
    case 0x21: return select_subword(addr, mem, 2, true);
    case 0x23: return select_subword(addr, mem, 4, true);
    case 0x24: return select_subword(addr, mem, 1, false);
    case 0x25: return select_subword(addr, mem, 2, false);
    case 0x27: return (mem >> (32 - (k & 4) * 8)) & 0xFFFF'FFFF;
    case 0x37: return mem;
    case 0x22: {  // lwl
      const Word w = (mem >> (32 - (k & 4) * 8)) & 0xFFFF'FFFF;
      const unsigned s = (addr & 3) * 8;
      const Word v = (w << s) & 0xFFFF'FFFF;
      const Word m = (Word{0xFFFF'FFFF} << s) & 0xFFFF'FFFF;
      return s32(((rt & ~m) | v) & 0xFFFF'FFFF);
    }
    case 0x26: {  // lwr: keeps the upper half of rt unless the whole word was loaded
      const Word w = (mem >> (32 - (k & 4) * 8)) & 0xFFFF'FFFF;
      const unsigned s = 24 - (addr & 3) * 8;
      const Word v = w >> s;
      const Word m = Word{0xFFFF'FFFF} >> s;
      const Word r32 = ((rt & 0xFFFF'FFFF) & ~m) | v;
      if ((addr & 3) == 3) return s32(r32);
      return (rt & 0xFFFF'FFFF'0000'0000ull) | r32;
    }
    case 0x1A: {  // ldl
      const unsigned s = k * 8;
      return (mem << s) | (rt & ~shl(~Word{0}, s));
    }
    case 0x1B: {  // ldr
      const unsigned s = 56 - k * 8;
      return (mem >> s) | (rt & shl(~Word{0}, 64 - s));
    }
    case 0x28: return update_subword(addr, mem, 1, rt);
    case 0x29: return update_subword(addr, mem, 2, rt);
    case 0x2B: return update_subword(addr, mem, 4, rt);
    case 0x3F: return rt;
    case 0x2A: {  // swl
      const unsigned s = (addr & 3) * 8;
      const unsigned h = 32 - (k & 4) * 8;
      const Word v = ((rt & 0xFFFF'FFFF) >> s) << h;
      const Word m = (Word{0xFFFF'FFFF} >> s) << h;
      return (mem & ~m) | v;
    }
    case 0x2E: {  // swr
      const uint32_t w = static_cast<uint32_t>((mem >> (32 - (k & 4) * 8)) & 0xFFFF'FFFF);
      const unsigned s = 24 - (addr & 3) * 8;
      const uint32_t r = (w & ~static_cast<uint32_t>(0xFFFF'FFFFull << s)) | static_cast<uint32_t>(rt << s);
      return update_subword(addr, mem, 4, r);
    }
    case 0x2C: {  // sdl
      const unsigned s = k * 8;
      return (rt >> s) | (mem & ~(~Word{0} >> s));
    }
    case 0x2D: {  // sdr
      const unsigned s = 56 - k * 8;
      return (rt << s) | (mem & ~(~Word{0} << s));
    }
    default: invalid_instruction(insn);
  }
}

// HandleHiLo: funct 0x10-0x1F. Writes R[rd] = val (0 for all but mfhi/mflo and the d*v shifts).
void handle_hilo(Thread& t, uint32_t insn, unsigned funct, Word rs, Word rt, unsigned rd) {
  Word val = 0;
  switch (funct) {
    case 0x10: val = t.hi; break;
    case 0x11: t.hi = rs; break;
    case 0x12: val = t.lo; break;
    case 0x13: t.lo = rs; break;
    case 0x14: val = rt << (rs & 0x3F); break;
    case 0x16: val = rt >> (rs & 0x3F); break;
    case 0x17: val = static_cast<Word>(static_cast<int64_t>(rt) >> (rs & 0x3F)); break;
    case 0x18: {
      const auto product = static_cast<Word>(static_cast<int64_t>(static_cast<int32_t>(rs)) *
                                             static_cast<int64_t>(static_cast<int32_t>(rt)));
      t.hi = s32(product >> 32);
      t.lo = s32(product & 0xFFFF'FFFF);
      break;
    }
    case 0x19: {
      const Word product = (rs & 0xFFFF'FFFF) * (rt & 0xFFFF'FFFF);
      t.hi = s32(product >> 32);
      t.lo = s32(product & 0xFFFF'FFFF);
      break;
    }
    case 0x1A: {
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
      break;
    }
    case 0x1B: {
      const auto divisor = static_cast<uint32_t>(rt);
      if (divisor == 0) throw VmFault{ExceptionKind::DivideByZero, "divu"};
      const auto dividend = static_cast<uint32_t>(rs);
      t.hi = s32(dividend % divisor);
      t.lo = s32(dividend / divisor);
      break;
    }
    case 0x1C: {
      const __int128 product = static_cast<__int128>(static_cast<int64_t>(rs)) * static_cast<int64_t>(rt);
      const auto bits = static_cast<unsigned __int128>(product);
      t.hi = static_cast<Word>(bits >> 64);
      t.lo = static_cast<Word>(bits);
      break;
    }
    case 0x1D: {
      const auto product = static_cast<unsigned __int128>(rs) * rt;
      t.hi = static_cast<Word>(product >> 64);
      t.lo = static_cast<Word>(product);
      break;
    }
    case 0x1E: {
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
      break;
    }
    case 0x1F: {
      if (rt == 0) throw VmFault{ExceptionKind::DivideByZero, "ddivu"};
      t.hi = rs % rt;
      t.lo = rs / rt;
      break;
    }
    default: invalid_instruction(insn);
  }
  handle_rd(t, rd, val, true);
}

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

void Vm::execute_core(uint32_t insn) {
  Thread& t = state_.current_thread();
  const unsigned opcode = insn >> 26;
  const unsigned funct = insn & 0x3F;

  if (opcode == 0x02 || opcode == 0x03) {  // j / jal
    handle_jump(t, opcode == 0x03 ? 31 : 0, jump_target(insn, t.next_pc));
    return;
  }

  // Register fetch (spec §5.1).
  const unsigned rs_reg = (insn >> 21) & 0x1F;
  const unsigned rt_reg = (insn >> 16) & 0x1F;
  const unsigned rd_reg = (insn >> 11) & 0x1F;
  Word rt = 0;
  unsigned dest = rt_reg;
  if (opcode == 0x27 || opcode == 0x1A || opcode == 0x1B) {
    rt = t.regs[rt_reg];
  } else if (opcode == 0x00 || opcode == 0x1C) {
    rt = t.regs[rt_reg];
    dest = rd_reg;
  } else if (opcode < 0x20) {
    rt = (opcode == 0x0C || opcode == 0x0D || opcode == 0x0E) ? (insn & 0xFFFF) : sign_extend(insn & 0xFFFF, 16);
  } else if (opcode >= 0x28 || opcode == 0x22 || opcode == 0x26) {
    rt = t.regs[rt_reg];
  }
  Word rs = t.regs[rs_reg];

  if (opcode == 0x01 || (opcode >= 0x04 && opcode <= 0x07)) {
    handle_branch(t, opcode, insn, rt_reg, rs);
    return;
  }

  // Memory fetch: loads and stores read the aligned word first (proof slot #1).
  Word store_addr = ~Word{0};
  Word mem = 0;
  if (opcode >= 0x20 || opcode == 0x1A || opcode == 0x1B) {
    rs += sign_extend(insn & 0xFFFF, 16);
    const Word addr = rs & AddressMask;
    mem = read_data_word(addr);
    if (observer_ && observer_->watch_data) observer_->on_data_access(state_, t, rs, opcode, 0);
    if (opcode >= 0x28 && opcode != 0x37) {
      store_addr = addr;
      dest = 0;
    }
  }

  const Word val = execute_alu(insn, opcode, funct, rs, rt, mem);

  if (opcode == 0 && funct >= 0x08 && funct < 0x20) {
    if (funct == 0x08 || funct == 0x09) {
      handle_jump(t, funct == 0x09 ? rd_reg : 0, rs);
      return;
    }
    if (funct == 0x0A) {
      handle_rd(t, rd_reg, rs, rt == 0);
      return;
    }
    if (funct == 0x0B) {
      handle_rd(t, rd_reg, rs, rt != 0);
      return;
    }
    if (funct >= 0x10) {
      handle_hilo(t, insn, funct, rs, rt, rd_reg);
      return;
    }
  }

  if (store_addr != ~Word{0}) write_data_word(store_addr, val);
  handle_rd(t, dest, val, true);
}

void Vm::execute_rmw(uint32_t insn) {
  Thread& t = state_.current_thread();
  const unsigned opcode = insn >> 26;
  const Word addr = t.regs[(insn >> 21) & 0x1F] + sign_extend(insn & 0xFFFF, 16);
  const unsigned rt_reg = (insn >> 16) & 0x1F;
  const bool is64 = opcode == 0x34 || opcode == 0x3C;
  const uint8_t target_status = is64 ? 2 : 1;
  const unsigned size = is64 ? 8 : 4;

  Word result = 0;
  if (opcode == 0x30 || opcode == 0x34) {  // ll / lld
    result = select_subword(addr, read_data_word(addr & AddressMask), size, true);
    if (observer_ && observer_->watch_data) observer_->on_data_access(state_, t, addr, opcode, 0);
    state_.ll_reservation_status = target_status;
    state_.ll_address = addr;
    state_.ll_owner_thread = t.thread_id;
    if (observer_) observer_->on_load_linked(state_, t, addr, is64);
  } else {  // sc / scd
    const bool success = state_.ll_reservation_status == target_status && state_.ll_owner_thread == t.thread_id &&
                         state_.ll_address == addr;
    if (success) {
      clear_ll_reservation();
      const Word aligned = addr & AddressMask;
      const Word mem = read_data_word(aligned);
      write_data_word(aligned, update_subword(addr, mem, size, t.regs[rt_reg]));
      result = 1;
      if (observer_ && observer_->watch_data) observer_->on_data_access(state_, t, addr, opcode, 0);
    }
    if (observer_) observer_->on_store_conditional(state_, t, addr, is64, success);
  }
  handle_rd(t, rt_reg, result, true);
}

}  // namespace cannonball
