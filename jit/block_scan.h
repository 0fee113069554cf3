// Block discovery: which guest instructions form one translated block, read from live memory.
//
// Constraints (the exactness contract, see README): a block is straight-line code on ONE page,
// optionally ending in a branch or jump plus its delay slot. It never contains a syscall, an
// ll/sc/lld/scd, an invalid word, or a branch whose delay slot is itself a branch, a block
// terminator, an instruction that may fault (div by zero), or lies on the next page. Those stay
// with the interpreter, the single source of truth for exceptions and scheduling.
#pragma once

#include <cstdint>
#include <vector>

#include "interp/instruction_table.h"
#include "runtime/memory.h"

namespace cannonball::jit {

inline constexpr unsigned MaxBlockInsns = 64;
// Tiering: code entered fewer times than this runs in the interpreter. Translating a block costs
// about as much as interpreting a hundred steps or more, so run-once start-up code is cheaper
// interpreted. Only entries at block leaders count (JitEngine runs straight-line cold code on in
// the interpreter), so a pc reaching the threshold is one that control keeps coming back to.
inline constexpr unsigned DefaultTranslateThreshold = 8;

enum class InsnClass : uint8_t {
  Normal,      // runs inside a block, cannot fault
  MayFault,    // runs inside a block, but exits before itself when it would fault (its row's fault)
  Branch,      // branch or jump: ends the block after its delay slot
  Terminator,  // never inside a block (rows whose jit column says Never, invalid words)
};

InsnClass classify(uint32_t insn);

struct PlannedInsn {
  Word pc;
  uint32_t insn;
  Op op;  // Op::Invalid only for a lax REGIMM branch (an untaken branch, spec §5.5)
};

struct BlockPlan {
  Word start_pc = 0;
  std::vector<PlannedInsn> insns;
  bool ends_in_branch = false;  // insns[size-2] is a branch, insns[size-1] its delay slot
  Word fallthrough_pc() const { return start_pc + 4 * insns.size(); }
};

// The block starting at `pc` (4-aligned, on an allocated page) into `plan` (its vector is reused,
// so scanning allocates nothing once it has grown); empty when the first instruction must run in
// the interpreter. At most `max_insns` instructions before a final branch + delay slot.
void scan_block(const Memory& memory, Word pc, unsigned max_insns, BlockPlan& plan);

}  // namespace cannonball::jit
