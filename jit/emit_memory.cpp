// Loads and stores (spec §5.6) through the software TLB.
//
// Constraints: guest memory is big-endian and Page::bytes holds it in guest byte order, so a
// naturally aligned sub-word access is one host load/store at (addr & 0xFFF & ~(size-1)) plus a
// byte swap. Reads never allocate: a TLB miss calls jit_tlb_fill, which maps absent pages to a
// shared zero page; a page an observer watches is never mapped, so a load from it runs through
// the interpreter helper (which reports the access). A store takes the fast path only when the
// TLB entry's write tag matches, which the runtime grants only for pages that are merkle-dirty,
// hold no translated code, do not hold the LL reservation word and are not watched
// (JitRuntime::store_allowed, revoked whenever one of those stops being true). Otherwise the
// whole instruction runs through the interpreter helper, which marks the page dirty, clears the
// reservation, invalidates code (the block then exits right after the store) and refills the
// TLB slot. lwl/lwr/ldl/ldr/swl/swr/sdl/sdr always use it.
#include "jit/emitter.h"

#include "jit/helpers.h"

namespace cannonball::jit {

using namespace Xbyak;

void Emitter::emit_address_and_tlb(const PlannedInsn& in, bool is_store, Label& miss) {
  const unsigned rs = (in.insn >> 21) & 0x1F;
  const auto simm = static_cast<int32_t>(static_cast<int16_t>(in.insn & 0xFFFF));
  load_reg(rax, rs);
  if (simm != 0) add(rax, simm);
  mov(rcx, rax);
  shr(rcx, PageAddrBits);
  mov(edx, ecx);
  and_(edx, static_cast<uint32_t>(TlbEntries - 1));
  shl(edx, TlbEntryShift);
  cmp(rcx, qword[r12 + rdx + (is_store ? TlbWriteTag : TlbTag)]);
  jne(miss, T_NEAR);
  mov(rdx, qword[r12 + rdx + TlbPage]);
}

bool Emitter::emit_memory(const PlannedInsn& in, size_t index) {
  const unsigned rt = (in.insn >> 16) & 0x1F;
  unsigned size = 0;
  bool is_store = false;
  switch (in.op) {
    case Op::lb:
    case Op::lbu: size = 1; break;
    case Op::lh:
    case Op::lhu: size = 2; break;
    case Op::lw:
    case Op::lwu: size = 4; break;
    case Op::ld: size = 8; break;
    case Op::sb:
      size = 1;
      is_store = true;
      break;
    case Op::sh:
      size = 2;
      is_store = true;
      break;
    case Op::sw:
      size = 4;
      is_store = true;
      break;
    case Op::sd:
      size = 8;
      is_store = true;
      break;
    default: return false;
  }
  const uint32_t offset_mask = static_cast<uint32_t>(PageSize - 1) & ~(size - 1);

  if (!is_store) {
    // A load into $0 changes nothing, but an observer watching its page still sees it: only the
    // TLB check remains.
    Label& retry = new_label();
    Label& miss = new_label();
    Label& done = new_label();
    L(retry);
    emit_address_and_tlb(in, false, miss);
    and_(eax, offset_mask);
    if (rt != 0) {
      switch (in.op) {
        case Op::lb: movsx(rcx, byte[rdx + rax]); break;
        case Op::lbu: movzx(ecx, byte[rdx + rax]); break;
        case Op::lh:
        case Op::lhu:
          movzx(ecx, word[rdx + rax]);
          rol(cx, 8);
          if (in.op == Op::lh)
            movsx(rcx, cx);
          else
            movzx(ecx, cx);
          break;
        case Op::lw:
        case Op::lwu:
          mov(ecx, dword[rdx + rax]);
          bswap(ecx);
          if (in.op == Op::lw) movsxd(rcx, ecx);
          break;
        default:
          mov(rcx, qword[rdx + rax]);
          bswap(rcx);
          break;
      }
      store_reg(rt, rcx);
    }
    L(done);
    cold_code_.push_back([this, &retry, &miss, &done, index] {
      L(miss);
      mov(rdi, r14);
      mov(rsi, rcx);
      call_helper(reinterpret_cast<const void*>(&jit_tlb_fill));
      test(eax, eax);
      jnz(retry, T_NEAR);
      emit_interpreter_call(index);  // a watched page: the interpreter reports the access
      jmp(done, T_NEAR);
    });
    return true;
  }

  Label& slow = new_label();
  Label& done = new_label();
  emit_address_and_tlb(in, true, slow);
  and_(eax, offset_mask);
  const Address value = reg(rt);
  switch (size) {
    case 1:
      movzx(ecx, byte[rbx + ThreadRegs + 8 * static_cast<int>(rt)]);
      mov(byte[rdx + rax], cl);
      break;
    case 2:
      movzx(ecx, word[rbx + ThreadRegs + 8 * static_cast<int>(rt)]);
      rol(cx, 8);
      mov(word[rdx + rax], cx);
      break;
    case 4:
      mov(ecx, dword[rbx + ThreadRegs + 8 * static_cast<int>(rt)]);
      bswap(ecx);
      mov(dword[rdx + rax], ecx);
      break;
    default:
      mov(rcx, value);
      bswap(rcx);
      mov(qword[rdx + rax], rcx);
      break;
  }
  L(done);
  cold_code_.push_back([this, &slow, &done, index] {
    L(slow);
    emit_interpreter_call(index);
    jmp(done, T_NEAR);
  });
  return true;
}

}  // namespace cannonball::jit
