// ALU, shift and HI/LO-move instructions (spec §5.3, §5.4), emitted natively on the guest
// registers in place.
//
// Constraints: every result must equal the interpreter's (Vm::execute) for ANY encoding of the row, including
// "should be zero" fields that the VM ignores (spec §5.1 laxity): 32-bit results are the low 32
// bits sign-extended (movsxd), immediates of andi/ori/xori are zero-extended and all others
// sign-extended, register $0 is never written, and mthi/mtlo write 0 to a non-zero rd field.
// Rows not handled here return false and run through the interpreter helper.
#include "jit/emitter.h"

#include <xbyak/xbyak_util.h>

namespace cannonball::jit {

using namespace Xbyak;

bool host_has_lzcnt() {
  static const bool has = Xbyak::util::Cpu().has(Xbyak::util::Cpu::tLZCNT);
  return has;
}

bool Emitter::emit_alu(const PlannedInsn& in) {
  const uint32_t insn = in.insn;
  const unsigned rs = (insn >> 21) & 0x1F;
  const unsigned rt = (insn >> 16) & 0x1F;
  const unsigned rd = (insn >> 11) & 0x1F;
  const unsigned sa = (insn >> 6) & 0x1F;
  const auto simm = static_cast<int32_t>(static_cast<int16_t>(insn & 0xFFFF));
  const uint32_t uimm = insn & 0xFFFF;

  // Most rows write nothing when the destination is $0 (the interpreter's handle_rd); loads of
  // operands have no side effects, so those rows become no-ops.
  const bool special = (insn >> 26) == 0 || (insn >> 26) == 0x1C;
  const unsigned dest = special ? rd : rt;
  // A cached destination is computed in its host register where the sources allow it.
  const int dest_host = dest == 0 ? -1 : cached(dest);
  const Reg64 hd(dest_host < 0 ? 0 : dest_host);
  // The 32-bit result in eax, sign-extended into the destination.
  auto store_sx32 = [&] {
    if (dest_host >= 0) {
      movsxd(hd, eax);
      return;
    }
    movsxd(rax, eax);
    store_reg(dest, rax);
  };
  // A comparison's first operand: the cache register, else rcx loaded with it.
  auto compare_source = [&](unsigned r) -> Reg64 {
    if (const int host = cached(r); host >= 0) return Reg64(host);
    load_reg(rcx, r);
    return rcx;
  };

  switch (in.op) {
    case Op::add:
    case Op::addu:
    case Op::sub:
    case Op::subu:
      if (dest == 0) return true;
      load_reg32(eax, rs);
      if (in.op == Op::add || in.op == Op::addu)
        add(eax, gpr32(rt));
      else
        sub(eax, gpr32(rt));
      store_sx32();
      return true;
    case Op::and_:
    case Op::or_:
    case Op::xor_:
    case Op::nor:
    case Op::dadd:
    case Op::daddu:
    case Op::dsub:
    case Op::dsubu:
      if (dest == 0) return true;
      if (dest_host >= 0 && in.op != Op::nor && rt != dest) {
        // In the destination's cache register: mov (unless in place), then the operation.
        if (dest != rs) mov(hd, gpr(rs));
        switch (in.op) {
          case Op::and_: and_(hd, gpr(rt)); break;
          case Op::or_: or_(hd, gpr(rt)); break;
          case Op::xor_: xor_(hd, gpr(rt)); break;
          case Op::dadd:
          case Op::daddu: add(hd, gpr(rt)); break;
          default: sub(hd, gpr(rt)); break;
        }
        return true;
      }
      if (dest == rs && in.op != Op::nor && rt != rs) {  // in place, one read-modify-write
        load_reg(rax, rt);
        switch (in.op) {
          case Op::and_: and_(gpr(dest), rax); break;
          case Op::or_: or_(gpr(dest), rax); break;
          case Op::xor_: xor_(gpr(dest), rax); break;
          case Op::dadd:
          case Op::daddu: add(gpr(dest), rax); break;
          default: sub(gpr(dest), rax); break;
        }
        return true;
      }
      load_reg(rax, rs);
      switch (in.op) {
        case Op::and_: and_(rax, gpr(rt)); break;
        case Op::or_: or_(rax, gpr(rt)); break;
        case Op::xor_: xor_(rax, gpr(rt)); break;
        case Op::nor:
          or_(rax, gpr(rt));
          not_(rax);
          break;
        case Op::dadd:
        case Op::daddu: add(rax, gpr(rt)); break;
        default: sub(rax, gpr(rt)); break;
      }
      store_reg(dest, rax);
      return true;
    case Op::slt:
    case Op::sltu: {
      if (dest == 0) return true;
      const Reg64 a = compare_source(rs);
      xor_(eax, eax);
      cmp(a, gpr(rt));
      if (in.op == Op::slt)
        setl(al);
      else
        setb(al);
      store_reg(dest, rax);
      return true;
    }
    case Op::movz:
    case Op::movn: {
      if (dest == 0) return true;
      cmp(gpr(rt), 0);
      const Fixup skip = jcc_short_forward(in.op == Op::movz ? x86::CondNE : x86::CondE);
      load_reg(rax, rs);
      store_reg(dest, rax);
      bind_short(skip);
      return true;
    }
    case Op::addi:
    case Op::addiu:
      if (dest == 0) return true;
      load_reg32(eax, rs);
      add(eax, simm);
      store_sx32();
      return true;
    case Op::daddi:
    case Op::daddiu:
      if (dest == 0) return true;
      if (dest == rs) {  // in place: the common "daddiu $sp, $sp, -N" / loop counters
        add(gpr(dest), simm);
        return true;
      }
      if (dest_host >= 0) {
        if (const int source = cached(rs); source >= 0) {
          lea(hd, ptr[Reg64(source) + simm]);
        } else {
          mov(hd, gpr(rs));
          add(hd, simm);
        }
        return true;
      }
      load_reg(rax, rs);
      add(rax, simm);
      store_reg(dest, rax);
      return true;
    case Op::slti:
    case Op::sltiu: {
      if (dest == 0) return true;
      const Reg64 a = compare_source(rs);
      xor_(eax, eax);
      cmp(a, simm);
      if (in.op == Op::slti)
        setl(al);
      else
        setb(al);
      store_reg(dest, rax);
      return true;
    }
    case Op::andi:
    case Op::ori:
    case Op::xori:
      if (dest == 0) return true;
      if (dest_host >= 0) {
        if (dest != rs) mov(hd, gpr(rs));
        if (in.op == Op::andi)
          and_(hd, uimm);
        else if (in.op == Op::ori)
          or_(hd, uimm);
        else
          xor_(hd, uimm);
        return true;
      }
      load_reg(rax, rs);
      if (in.op == Op::andi)
        and_(rax, uimm);
      else if (in.op == Op::ori)
        or_(rax, uimm);
      else
        xor_(rax, uimm);
      store_reg(dest, rax);
      return true;
    case Op::lui:
      if (dest == 0) return true;
      if (dest_host >= 0) {
        mov(hd, s32(Word{uimm} << 16));
        return true;
      }
      mov(rax, s32(Word{uimm} << 16));
      store_reg(dest, rax);
      return true;
    case Op::sll:
    case Op::srl:
    case Op::sra:
      if (dest == 0) return true;
      load_reg32(eax, rt);
      if (in.op == Op::sll)
        shl(eax, sa);
      else if (in.op == Op::srl)
        shr(eax, sa);
      else
        sar(eax, sa);
      store_sx32();
      return true;
    case Op::sllv:
    case Op::srlv:
    case Op::srav:
      if (dest == 0) return true;
      load_reg32(ecx, rs);
      load_reg32(eax, rt);
      if (in.op == Op::sllv)
        shl(eax, cl);
      else if (in.op == Op::srlv)
        shr(eax, cl);
      else
        sar(eax, cl);
      store_sx32();
      return true;
    case Op::dsllv:
    case Op::dsrlv:
    case Op::dsrav:
      if (dest == 0) return true;
      load_reg(rcx, rs);
      load_reg(rax, rt);
      if (in.op == Op::dsllv)
        shl(rax, cl);
      else if (in.op == Op::dsrlv)
        shr(rax, cl);
      else
        sar(rax, cl);
      store_reg(dest, rax);
      return true;
    case Op::dsll:
    case Op::dsrl:
    case Op::dsra:
    case Op::dsll32:
    case Op::dsrl32:
    case Op::dsra32: {
      if (dest == 0) return true;
      const bool plus32 = in.op == Op::dsll32 || in.op == Op::dsrl32 || in.op == Op::dsra32;
      const int amount = static_cast<int>(sa + (plus32 ? 32 : 0));
      if (dest_host >= 0) {
        if (dest != rt) mov(hd, gpr(rt));
        if (in.op == Op::dsll || in.op == Op::dsll32)
          shl(hd, amount);
        else if (in.op == Op::dsrl || in.op == Op::dsrl32)
          shr(hd, amount);
        else
          sar(hd, amount);
        return true;
      }
      load_reg(rax, rt);
      if (in.op == Op::dsll || in.op == Op::dsll32)
        shl(rax, amount);
      else if (in.op == Op::dsrl || in.op == Op::dsrl32)
        shr(rax, amount);
      else
        sar(rax, amount);
      store_reg(dest, rax);
      return true;
    }
    case Op::clz:
    case Op::clo:
    case Op::dclz:
    case Op::dclo:
      if (!host_has_lzcnt()) return false;
      if (dest == 0) return true;
      if (in.op == Op::clz || in.op == Op::clo) {
        load_reg32(eax, rs);
        if (in.op == Op::clo) not_(eax);
        lzcnt(eax, eax);
      } else {
        load_reg(rax, rs);
        if (in.op == Op::dclo) not_(rax);
        lzcnt(rax, rax);
      }
      store_reg(dest, rax);
      return true;
    case Op::mfhi:
    case Op::mflo:
      if (dest == 0) return true;
      mov(rax, in.op == Op::mfhi ? hi() : lo());
      store_reg(dest, rax);
      return true;
    case Op::mthi:
    case Op::mtlo:
      load_reg(rax, rs);
      mov(in.op == Op::mthi ? hi() : lo(), rax);
      if (dest != 0) mov(gpr(dest), 0);
      return true;
    case Op::sync:  // R[rd] = R[rs]: no code for rd = 0, the only form Go emits (its atomics' barriers)
      if (dest == 0) return true;
      if (dest_host >= 0) {
        if (rs != dest) mov(hd, gpr(rs));
        return true;
      }
      load_reg(rax, rs);
      store_reg(dest, rax);
      return true;
    default: return false;
  }
}

}  // namespace cannonball::jit
