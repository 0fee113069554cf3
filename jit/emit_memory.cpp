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

#include <xbyak/xbyak_util.h>

#include <cstring>

#include "jit/helpers.h"

namespace cannonball::jit {

using namespace Xbyak;

namespace {

// A fixed instruction sequence assembled once by xbyak and copied into every block that needs it
// (the same bytes, without xbyak's per-instruction cost).
struct Snippet {
  uint8_t size = 0;
  uint8_t bytes[31] = {};
};

// The load/store bodies between the TLB probe (rax = address, rdx = Page*) and the register
// write: `and eax, mask` plus the access itself. Loads leave the value in rcx; a store's
// `before` is the mask, `after` swaps the value in ecx/rcx and writes it.
struct MemorySnippets {
  Snippet load[7];         // lb lbu lh lhu lw lwu ld
  Snippet mask[4];         // and eax, mask for sizes 1, 2, 4, 8 (a load into $0)
  Snippet store_after[4];  // sizes 1, 2, 4, 8
};

unsigned size_slot(unsigned size) { return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3; }
uint32_t offset_mask(unsigned size) { return static_cast<uint32_t>(PageSize - 1) & ~(size - 1); }

// Each snippet is assembled into a plain buffer that is only ever copied from: xbyak's own
// buffer would be a fresh mapping made writable and executable for the assembler's lifetime.
template <typename Body>
Snippet assemble(Body&& body) {
  alignas(16) uint8_t buffer[256];
  struct Assembler : CodeGenerator {
    explicit Assembler(uint8_t* buffer) : CodeGenerator(256, buffer) {}
  } a(buffer);
  body(a);
  Snippet snippet;
  snippet.size = static_cast<uint8_t>(a.getSize());
  std::memcpy(snippet.bytes, a.getCode(), a.getSize());
  return snippet;
}

MemorySnippets build_memory_snippets() {
  using namespace Xbyak::util;
  MemorySnippets s;
  const Op loads[7] = {Op::lb, Op::lbu, Op::lh, Op::lhu, Op::lw, Op::lwu, Op::ld};
  const unsigned load_sizes[7] = {1, 1, 2, 2, 4, 4, 8};
  for (int i = 0; i < 7; ++i)
    s.load[i] = assemble([&](CodeGenerator& a) {
      a.and_(eax, offset_mask(load_sizes[i]));
      switch (loads[i]) {
        case Op::lb: a.movsx(rcx, a.byte[rdx + rax]); break;
        case Op::lbu: a.movzx(ecx, a.byte[rdx + rax]); break;
        case Op::lh:
        case Op::lhu:
          a.movzx(ecx, a.word[rdx + rax]);
          a.rol(cx, 8);
          if (loads[i] == Op::lh)
            a.movsx(rcx, cx);
          else
            a.movzx(ecx, cx);
          break;
        case Op::lw:
        case Op::lwu:
          a.mov(ecx, a.dword[rdx + rax]);
          a.bswap(ecx);
          if (loads[i] == Op::lw) a.movsxd(rcx, ecx);
          break;
        default:
          a.mov(rcx, a.qword[rdx + rax]);
          a.bswap(rcx);
          break;
      }
    });
  for (unsigned size : {1u, 2u, 4u, 8u}) {
    s.mask[size_slot(size)] = assemble([&](CodeGenerator& a) { a.and_(eax, offset_mask(size)); });
    s.store_after[size_slot(size)] = assemble([&](CodeGenerator& a) {
      switch (size) {
        case 1: a.mov(a.byte[rdx + rax], cl); break;
        case 2:
          a.rol(cx, 8);
          a.mov(a.word[rdx + rax], cx);
          break;
        case 4:
          a.bswap(ecx);
          a.mov(a.dword[rdx + rax], ecx);
          break;
        default:
          a.bswap(rcx);
          a.mov(a.qword[rdx + rax], rcx);
          break;
      }
    });
  }
  return s;
}

const MemorySnippets& memory_snippets() {
  static const MemorySnippets snippets = build_memory_snippets();
  return snippets;
}

uint8_t* put(uint8_t* p, const Snippet& snippet) {
  std::memcpy(p, snippet.bytes, snippet.size);
  return p + snippet.size;
}

}  // namespace

bool host_has_movbe() {
  static const bool has = Xbyak::util::Cpu().has(Xbyak::util::Cpu::tMOVBE);
  return has;
}

Emitter::Fixup Emitter::emit_address_and_tlb(const PlannedInsn& in, bool is_store, int base_host) {
  const unsigned rs = (in.insn >> 21) & 0x1F;
  const auto simm = static_cast<int32_t>(static_cast<int16_t>(in.insn & 0xFFFF));
  static_assert(PageAddrBits == 12 && TlbTag == 0 && TlbWriteTag == 16 && TlbPage == 8);  // the probe's constants
  uint8_t* miss_field = nullptr;
  commit(x86::tlb_probe(cursor(), ThreadRegs + 8 * static_cast<int32_t>(rs), simm,
                        static_cast<uint32_t>(TlbEntries - 1), TlbEntryShift, is_store ? TlbWriteTag : TlbTag, TlbPage,
                        &miss_field, base_host));
  return static_cast<Fixup>(miss_field - top_);
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
  const MemorySnippets& snippets = memory_snippets();

  if (!is_store) {
    // A load into $0 changes nothing, but an observer watching its page still sees it: only the
    // TLB check remains.
    const auto retry = static_cast<uint32_t>(getSize());
    const int base_host = forwarded((in.insn >> 21) & 0x1F);
    const Fixup miss = emit_address_and_tlb(in, false, base_host);
    const int rt_host = cached(rt);
    const bool direct = rt_host >= 0 && in.op != Op::lh && in.op != Op::lhu && (size == 1 || host_has_movbe());
    if (rt != 0 && direct) {
      // Straight into the cache register (movbe swaps the bytes as it loads).
      commit(put(cursor(), snippets.mask[size_slot(size)]));
      const Reg64 h(rt_host);
      const Reg32 h32(rt_host);
      switch (in.op) {
        case Op::lb: movsx(h, byte[rdx + rax]); break;
        case Op::lbu: movzx(h32, byte[rdx + rax]); break;
        case Op::lw:
          movbe(h32, dword[rdx + rax]);
          movsxd(h, h32);
          break;
        case Op::lwu: movbe(h32, dword[rdx + rax]); break;
        default: movbe(h, qword[rdx + rax]); break;
      }
    } else if (rt != 0) {
      const int which = in.op == Op::lb    ? 0
                        : in.op == Op::lbu ? 1
                        : in.op == Op::lh  ? 2
                        : in.op == Op::lhu ? 3
                        : in.op == Op::lw  ? 4
                        : in.op == Op::lwu ? 5
                                           : 6;
      commit(put(cursor(), snippets.load[which]));
      store_reg(rt, rcx);
    } else {
      commit(put(cursor(), snippets.mask[size_slot(size)]));
    }
    // A cached base is reloaded with the whole cache after the fill; a forwarded one by the stub.
    const bool base_cached = cached((in.insn >> 21) & 0x1F) >= 0;
    cold_stubs_.push_back(ColdStub{ColdStub::Kind::LoadMiss, static_cast<uint32_t>(index), miss, retry,
                                   static_cast<uint32_t>(getSize()), static_cast<int8_t>(base_cached ? -1 : base_host)});
    return true;
  }

  const auto retry = static_cast<uint32_t>(getSize());
  const int base_host = forwarded((in.insn >> 21) & 0x1F);
  const Fixup slow = emit_address_and_tlb(in, true, base_host);
  const auto stub_base = static_cast<int8_t>(cached((in.insn >> 21) & 0x1F) >= 0 ? -1 : base_host);
  if (const int host = cached(rt); host >= 0 && (size == 1 || host_has_movbe())) {
    // Straight from the cache register (movbe swaps the bytes as it stores).
    commit(put(cursor(), snippets.mask[size_slot(size)]));
    switch (size) {
      case 1: mov(byte[rdx + rax], Reg8(host, true)); break;  // sil/dil, not dh/bh
      case 2: movbe(word[rdx + rax], Reg16(host)); break;
      case 4: movbe(dword[rdx + rax], Reg32(host)); break;
      default: movbe(qword[rdx + rax], Reg64(host)); break;
    }
    cold_stubs_.push_back(
        ColdStub{ColdStub::Kind::StoreSlow, static_cast<uint32_t>(index), slow, retry, static_cast<uint32_t>(getSize()), stub_base});
    return true;
  }
  uint8_t* p = put(cursor(), snippets.mask[size_slot(size)]);
  // The value into ecx/rcx: movzx ecx, byte/word [reg]; mov ecx, dword [reg]; mov rcx, [reg].
  if (const int host = cached(rt); host >= 0) {
    p = x86::mov_rr(p, x86::RCX, static_cast<unsigned>(host));  // the store uses only the low `size` bytes
  } else {
    const int32_t value = ThreadRegs + 8 * static_cast<int32_t>(rt);
    const uint16_t load_value = size == 1 ? 0x0FB6 : size == 2 ? 0x0FB7 : 0x8B;
    p = x86::rm_rbx(p, size == 8, load_value, x86::RCX, value);
  }
  commit(put(p, snippets.store_after[size_slot(size)]));
  cold_stubs_.push_back(
      ColdStub{ColdStub::Kind::StoreSlow, static_cast<uint32_t>(index), slow, retry, static_cast<uint32_t>(getSize()), stub_base});
  return true;
}

}  // namespace cannonball::jit
