// Multiply and divide (spec §5.4): mult/multu/dmult/dmultu/div/divu/ddiv/ddivu write HI/LO, mul
// writes rd.
//
// Constraints: 32-bit halves are sign-extended (mult and multu alike); dmult/dmultu keep the full
// 128-bit product; INT_MIN / -1 is defined (quotient INT_MIN, remainder 0) and must not reach
// idiv, which would trap the host; a zero divisor exits the block BEFORE the instruction so the
// interpreter raises the exception with an exact state. Like the interpreter, every HI/LO row
// writes 0 to a non-zero rd field.
#include "jit/emitter.h"

namespace cannonball::jit {

using namespace Xbyak;

bool Emitter::emit_muldiv(const PlannedInsn& in, size_t index) {
  const uint32_t insn = in.insn;
  const unsigned rs = (insn >> 21) & 0x1F;
  const unsigned rt = (insn >> 16) & 0x1F;
  const unsigned rd = (insn >> 11) & 0x1F;
  auto store_halves = [&](const Reg64& high, const Reg64& low) {
    mov(hi(), high);
    mov(lo(), low);
  };
  auto clear_rd = [&] {
    if (rd != 0) mov(gpr(rd), 0);
  };

  switch (in.op) {
    case Op::mul:
      if (rd == 0) return true;
      load_reg32(eax, rs);
      imul(eax, gpr32(rt));
      movsxd(rax, eax);
      store_reg(rd, rax);
      return true;
    case Op::mult:
    case Op::multu:
      if (in.op == Op::mult) {
        movsxd(rax, gpr32(rs));
        movsxd(rcx, gpr32(rt));
      } else {
        load_reg32(eax, rs);
        load_reg32(ecx, rt);
      }
      imul(rax, rcx);  // the low 64 bits are the exact product either way
      mov(rdx, rax);
      sar(rdx, 32);
      movsxd(rax, eax);
      store_halves(rdx, rax);
      clear_rd();
      return true;
    case Op::dmult:
    case Op::dmultu:
      load_reg(rax, rs);
      if (in.op == Op::dmult)
        imul(gpr(rt));
      else
        mul(gpr(rt));
      store_halves(rdx, rax);
      clear_rd();
      return true;
    case Op::div:
    case Op::divu: {
      Fixup done = 0;  // the INT_MIN / -1 path jumps over the division
      load_reg32(ecx, rt);
      test(ecx, ecx);
      exit_before(index, jcc_forward(x86::CondE));
      load_reg32(eax, rs);
      if (in.op == Op::div) {
        cmp(ecx, -1);
        const Fixup normal = jcc_forward(x86::CondNE);
        neg(eax);  // INT32_MIN / -1 wraps; remainder 0
        movsxd(rax, eax);
        xor_(edx, edx);
        store_halves(rdx, rax);
        done = jmp_forward();
        bind(normal);
        cdq();
        idiv(ecx);
      } else {
        xor_(edx, edx);
        div(ecx);
      }
      movsxd(rax, eax);
      movsxd(rdx, edx);
      store_halves(rdx, rax);
      if (done != 0) bind(done);
      clear_rd();
      return true;
    }
    case Op::ddiv:
    case Op::ddivu: {
      Fixup done = 0;  // the INT_MIN / -1 path jumps over the division
      load_reg(rcx, rt);
      test(rcx, rcx);
      exit_before(index, jcc_forward(x86::CondE));
      load_reg(rax, rs);
      if (in.op == Op::ddiv) {
        cmp(rcx, -1);
        const Fixup normal = jcc_forward(x86::CondNE);
        neg(rax);  // INT64_MIN / -1 wraps; remainder 0
        xor_(edx, edx);
        store_halves(rdx, rax);
        done = jmp_forward();
        bind(normal);
        cqo();
        idiv(rcx);
      } else {
        xor_(edx, edx);
        div(rcx);
      }
      store_halves(rdx, rax);
      if (done != 0) bind(done);
      clear_rd();
      return true;
    }
    default: return false;
  }
}

}  // namespace cannonball::jit
