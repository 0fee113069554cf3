// Block-wide register cache: which guest registers a block keeps in host registers, and the code
// that keeps the Thread's slots current wherever anything else can see them.
//
// Constraints: the analysis must over-approximate what the emitters do. A cached register whose
// first use in the block (before the first helper call) reads it, or may keep its old value (the
// conditional movz/movn), is loaded at entry; every register an instruction may write natively
// counts as written from the next instruction on (what exits and helper calls write back), and a
// row this file does not know reads and writes every register. Helper calls (the interpreter
// helper, TLB fills) clobber rsi, rdi and r8-r11, and the interpreter helper reads and writes
// guest registers in the Thread: the cached ones are written back before and all reloaded after.
// Register $0 is never cached.
#include <algorithm>

#include "jit/emitter.h"

namespace cannonball::jit {

using namespace Xbyak;

namespace {

// Host registers the cache may use: caller-saved and not one the emitters use as scratch (rax,
// rcx, rdx), so only helper calls clobber them.
constexpr uint8_t CacheHosts[] = {x86::RSI, x86::RDI, x86::R8, 9, 10, 11};
constexpr unsigned MaxCached = sizeof(CacheHosts);

struct RegUse {
  uint32_t reads = 0;
  uint32_t writes = 0;
  bool helper = false;  // runs through the interpreter helper (a call)
};

constexpr uint32_t bit(unsigned r) { return r == 0 ? 0 : uint32_t{1} << r; }
constexpr uint32_t AllRegs = ~uint32_t{1};

// What a block instruction reads and writes as the emitters (emit_*.cpp) translate it.
RegUse reg_use(const PlannedInsn& in) {
  const uint32_t insn = in.insn;
  const unsigned rs = (insn >> 21) & 0x1F;
  const unsigned rt = (insn >> 16) & 0x1F;
  const unsigned rd = (insn >> 11) & 0x1F;
  RegUse u;
  if (in.op != Op::Invalid && info(in.op).jit != JitStatus::Native) {
    u.helper = true;
    return u;
  }
  switch (in.op) {
    case Op::clz:
    case Op::clo:
    case Op::dclz:
    case Op::dclo:
      if (!host_has_lzcnt()) {
        u.helper = true;
        return u;
      }
      u.reads = bit(rs);
      u.writes = bit(rd);
      return u;
    case Op::add:
    case Op::addu:
    case Op::sub:
    case Op::subu:
    case Op::and_:
    case Op::or_:
    case Op::xor_:
    case Op::nor:
    case Op::dadd:
    case Op::daddu:
    case Op::dsub:
    case Op::dsubu:
    case Op::slt:
    case Op::sltu:
    case Op::sllv:
    case Op::srlv:
    case Op::srav:
    case Op::dsllv:
    case Op::dsrlv:
    case Op::dsrav:
    case Op::mul:
      u.reads = bit(rs) | bit(rt);
      u.writes = bit(rd);
      return u;
    case Op::movz:
    case Op::movn:  // rd keeps its old value when the condition fails
      u.reads = bit(rs) | bit(rt) | bit(rd);
      u.writes = bit(rd);
      return u;
    case Op::addi:
    case Op::addiu:
    case Op::daddi:
    case Op::daddiu:
    case Op::slti:
    case Op::sltiu:
    case Op::andi:
    case Op::ori:
    case Op::xori:
      u.reads = bit(rs);
      u.writes = bit(rt);
      return u;
    case Op::lui: u.writes = bit(rt); return u;
    case Op::sll:
    case Op::srl:
    case Op::sra:
    case Op::dsll:
    case Op::dsrl:
    case Op::dsra:
    case Op::dsll32:
    case Op::dsrl32:
    case Op::dsra32:
      u.reads = bit(rt);
      u.writes = bit(rd);
      return u;
    case Op::mfhi:
    case Op::mflo: u.writes = bit(rd); return u;
    case Op::sync:  // R[rd] = R[rs]
    case Op::mthi:
    case Op::mtlo:  // a non-zero rd field is written 0
      u.reads = bit(rs);
      u.writes = bit(rd);
      return u;
    case Op::mult:
    case Op::multu:
    case Op::dmult:
    case Op::dmultu:
    case Op::div:
    case Op::divu:
    case Op::ddiv:
    case Op::ddivu:
      u.reads = bit(rs) | bit(rt);
      u.writes = bit(rd);
      return u;
    case Op::lb:
    case Op::lbu:
    case Op::lh:
    case Op::lhu:
    case Op::lw:
    case Op::lwu:
    case Op::ld:
      u.reads = bit(rs);
      u.writes = bit(rt);
      return u;
    case Op::sb:
    case Op::sh:
    case Op::sw:
    case Op::sd: u.reads = bit(rs) | bit(rt); return u;
    case Op::beq:
    case Op::bne: u.reads = bit(rs) | bit(rt); return u;
    case Op::blez:
    case Op::bgtz:
    case Op::bltz:
    case Op::bgez:
    case Op::jr: u.reads = bit(rs); return u;
    case Op::bltzal:
    case Op::bgezal:
      u.reads = bit(rs);
      u.writes = bit(31);
      return u;
    case Op::jalr:
      u.reads = bit(rs);
      u.writes = bit(rd);
      return u;
    case Op::jal: u.writes = bit(31); return u;
    case Op::j:
    case Op::Invalid: return u;
    default:  // a row this file does not know: assume the worst
      u.reads = AllRegs;
      u.writes = AllRegs;
      return u;
  }
}

}  // namespace

void Emitter::plan_registers() {
  for (unsigned r = 0; r < 32; ++r) cache_host_[r] = -1;
  cached_mask_ = 0;
  live_in_mask_ = 0;
  const size_t len = plan_->insns.size();

  // Accesses per register (reads and writes), which registers are read before being written up to
  // the first helper call, which are written natively at all, and how many helper calls there are.
  int accesses[32] = {};
  uint32_t first_read = 0, written_early = 0, written = 0, used = 0;
  bool before_call = true;
  int calls = 0;
  dirty_before_.assign(len + 1, 0);
  for (size_t i = 0; i < len; ++i) {
    const RegUse u = reg_use(plan_->insns[i]);
    if (u.helper) {
      before_call = false;
      ++calls;
    }
    if (before_call) {
      first_read |= u.reads & ~written_early;
      written_early |= u.writes;
    }
    written |= u.writes;
    used |= u.reads | u.writes;
    for (uint32_t m = u.reads; m != 0; m &= m - 1) ++accesses[__builtin_ctz(m)];
    for (uint32_t m = u.writes; m != 0; m &= m - 1) ++accesses[__builtin_ctz(m)];
    dirty_before_[i + 1] = written;
  }

  // A cached register saves every access but costs its entry load, its write-backs (one at the
  // exit taken) and a reload per helper call.
  struct Candidate {
    int score;
    unsigned r;
  };
  Candidate candidates[32];
  unsigned n = 0;
  for (uint32_t m = used & AllRegs; m != 0; m &= m - 1) {
    const auto r = static_cast<unsigned>(__builtin_ctz(m));
    const int score = accesses[r] - ((first_read >> r) & 1) - ((written >> r) & 1) - calls;
    if (score >= 1) candidates[n++] = Candidate{score, r};
  }
  std::sort(candidates, candidates + n,
            [](const Candidate& a, const Candidate& b) { return a.score != b.score ? a.score > b.score : a.r < b.r; });
  n = std::min(n, MaxCached);
  for (unsigned k = 0; k < n; ++k) {
    const unsigned r = candidates[k].r;
    cache_host_[r] = static_cast<int8_t>(CacheHosts[k]);
    cache_reg64_[r] = Reg64(CacheHosts[k]);
    cache_reg32_[r] = Reg32(CacheHosts[k]);
    cached_mask_ |= bit(r);
  }
  live_in_mask_ = first_read & cached_mask_;
  insn_counts_.regs_cached = n;
  for (uint32_t& dirty : dirty_before_) dirty &= cached_mask_;
}

const Operand& Emitter::gpr(unsigned r) {
  if (cache_host_[r] >= 0) return cache_reg64_[r];
  return mem64_[r];
}

const Operand& Emitter::gpr32(unsigned r) {
  if (cache_host_[r] >= 0) return cache_reg32_[r];
  return mem32_[r];
}

void Emitter::write_back(size_t index) {
  const uint32_t mask = dirty_before_[index];
  if (mask == 0) return;
  uint8_t* p = cursor();
  for (uint32_t m = mask; m != 0; m &= m - 1) {
    const auto r = static_cast<unsigned>(__builtin_ctz(m));
    p = x86::rm_rbx(p, true, 0x89, static_cast<unsigned>(cache_host_[r]), ThreadRegs + 8 * static_cast<int>(r));
  }
  commit(p);
}

void Emitter::reload_cached() {
  if (cached_mask_ == 0) return;
  uint8_t* p = cursor();
  for (uint32_t m = cached_mask_; m != 0; m &= m - 1) {
    const auto r = static_cast<unsigned>(__builtin_ctz(m));
    p = x86::rm_rbx(p, true, 0x8B, static_cast<unsigned>(cache_host_[r]), ThreadRegs + 8 * static_cast<int>(r));
  }
  commit(p);
}

}  // namespace cannonball::jit
