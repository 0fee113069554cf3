// Branches and jumps (spec §5.5): the decision is taken before the delay slot runs, the delay slot
// runs inside the block, then the block chains to the target.
//
// Constraints: the condition reads rs/rt before the delay slot may overwrite them, and the link
// register is written at the branch (the delay slot sees it), exactly as the interpreter does.
// ebp holds "taken" (conditional branches) or the target pc (jr/jalr) across the delay slot; it is
// callee-saved, so helper calls inside the delay slot keep it. An unknown REGIMM rt is an untaken
// branch without link.
#include "jit/emitter.h"

namespace cannonball::jit {

using namespace Xbyak;

namespace {

Word branch_target(const PlannedInsn& in) { return in.pc + 4 + (sign_extend(in.insn & 0xFFFF, 16) << 2); }

Word jump_target(const PlannedInsn& in) { return cannonball::jump_target(in.insn, in.pc + 4); }

}  // namespace

void Emitter::emit_branch_decision(const PlannedInsn& in, bool fuse) {
  const unsigned rs = (in.insn >> 21) & 0x1F;
  const unsigned rt = (in.insn >> 16) & 0x1F;
  const unsigned rd = (in.insn >> 11) & 0x1F;
  // The flags of the compare become ebp = taken, or stay in the flags (nothing emitted between
  // here and the block end's jcc changes them: the link write is two movs, the slot emits nothing).
  auto decide = [&](x86::Cond cond, void (Emitter::*setcc)(const Operand&)) {
    if (fuse) {
      fused_ = true;
      fused_cond_ = cond;
      return;
    }
    (this->*setcc)(bpl);
    movzx(ebp, bpl);
  };
  auto zero_compare = [&](x86::Cond cond, void (Emitter::*setcc)(const Operand&)) {
    if (const int host = forwarded(rs); host >= 0)
      test(Reg64(host), Reg64(host));  // the flags of cmp x, 0 (CF = OF = 0)
    else
      cmp(gpr(rs), 0);
    decide(cond, setcc);
  };
  switch (in.op) {
    case Op::beq:
    case Op::bne:
      if (const int host = cached(rs); host >= 0) {
        cmp(Reg64(host), gpr(rt));
      } else {
        load_reg(rax, rs);
        cmp(rax, gpr(rt));
      }
      if (in.op == Op::beq)
        decide(x86::CondE, &Emitter::sete);
      else
        decide(x86::CondNE, &Emitter::setne);
      break;
    case Op::blez: zero_compare(x86::CondLE, &Emitter::setle); break;
    case Op::bgtz: zero_compare(x86::CondG, &Emitter::setg); break;
    case Op::bltz:
    case Op::bltzal: zero_compare(x86::CondL, &Emitter::setl); break;
    case Op::bgez:
    case Op::bgezal: zero_compare(x86::CondGE, &Emitter::setge); break;
    case Op::jr: load_reg(rbp, rs); break;
    case Op::jalr:
      load_reg(rbp, rs);
      if (rd != 0) {
        mov(rax, in.pc + 8);
        store_reg(rd, rax);
      }
      break;
    case Op::j:
    case Op::jal:
    case Op::Invalid: break;  // lax REGIMM: never taken
    default: break;
  }
  if (in.op == Op::bltzal || in.op == Op::bgezal || in.op == Op::jal) {
    mov(rax, in.pc + 8);
    store_reg(31, rax);
  }
}

void Emitter::emit_block_end() {
  write_back(plan_->insns.size());  // movs: the flags of a fused branch survive
  if (!plan_->ends_in_branch) {
    emit_chain(plan_->fallthrough_pc());
    return;
  }
  const PlannedInsn& in = plan_->insns[plan_->insns.size() - 2];
  switch (in.op) {
    case Op::jr:
    case Op::jalr:
      mov(rax, rbp);
      emit_dispatch_rax();
      return;
    case Op::j:
    case Op::jal: emit_chain(jump_target(in)); return;
    case Op::Invalid: emit_chain(in.pc + 8); return;
    default: break;
  }
  Fixup taken;
  if (fused_) {
    taken = jcc_forward(fused_cond_);
    fused_ = false;
  } else {
    test(ebp, ebp);
    taken = jcc_forward(x86::CondNE);
  }
  emit_chain(in.pc + 8);
  bind(taken);
  emit_chain(branch_target(in));
}

}  // namespace cannonball::jit
