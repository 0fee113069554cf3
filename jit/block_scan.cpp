#include "jit/block_scan.h"

namespace cannonball::jit {

InsnClass classify(uint32_t insn) {
  const Op op = decode(insn);
  if (op == Op::Invalid) return is_lax_regimm(insn) ? InsnClass::Branch : InsnClass::Terminator;
  const InstructionInfo& row = info(op);
  if (row.jit == JitStatus::Never) return InsnClass::Terminator;
  if (row.group == Group::Branch || row.group == Group::Jump) return InsnClass::Branch;
  // A branch's delay-slot fault cannot happen inside a block (blocks start outside delay slots
  // and end at their branch's slot); any other fault the row declares exits the block before it.
  if (row.fault != Fault::None) return InsnClass::MayFault;
  return InsnClass::Normal;
}

void scan_block(const Memory& memory, Word pc, unsigned max_insns, BlockPlan& plan) {
  plan.insns.clear();
  plan.ends_in_branch = false;
  plan.start_pc = pc;
  const Word page_index = pc >> PageAddrBits;
  const Page* page = memory.find_page(page_index);
  if (page == nullptr || (pc & 3) != 0) return;
  auto fetch = [&](Word at) { return load_be32(page->bytes + (at & (PageSize - 4))); };
  for (Word at = pc; plan.insns.size() < max_insns && (at >> PageAddrBits) == page_index; at += 4) {
    const uint32_t insn = fetch(at);
    const InsnClass kind = classify(insn);
    if (kind == InsnClass::Terminator) break;
    if (kind == InsnClass::Branch) {
      const Word slot = at + 4;
      if ((slot >> PageAddrBits) != page_index) break;
      const uint32_t slot_insn = fetch(slot);
      if (classify(slot_insn) != InsnClass::Normal) break;
      plan.insns.push_back({at, insn, decode(insn)});
      plan.insns.push_back({slot, slot_insn, decode(slot_insn)});
      plan.ends_in_branch = true;
      break;
    }
    plan.insns.push_back({at, insn, decode(insn)});
  }
}

}  // namespace cannonball::jit
