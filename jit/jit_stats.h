// Counters the JIT keeps for tests, benchmarks and --debug output.
#pragma once

#include "runtime/word.h"

namespace cannonball::jit {

struct JitStats {
  Word blocks_translated = 0;
  Word code_bytes = 0;  // bytes of generated code emitted (blocks and their cold paths)
  Word blocks_invalidated = 0;
  Word insns_native = 0;  // translated instructions emitted as host code
  Word insns_helper = 0;  // translated instructions that call the interpreter helper
  Word regs_cached = 0;   // guest registers blocks keep in host registers, summed over blocks
  Word code_flushes = 0;
  Word block_entries = 0;          // entries from C++ into generated code
  Word jit_steps = 0;              // steps run by generated code
  Word interp_steps = 0;           // steps the engine left to the interpreter
  Word cold_entries = 0;           // entries declined because the pc was not hot yet (tiering)
  Word tlb_flushes = 0;            // whole-TLB flushes
  Word tlb_fills = 0;              // TLB slot fills (misses and store slow paths)
  Word store_fills = 0;            // stores that found no write permission
  Word store_fills_granted = 0;    // ... and got it without the interpreter (store_fill)
  Word tlb_store_revocations = 0;  // all store permissions revoked (memory was hashed)
  Word tlb_zero_page_drops = 0;    // zero-page entries dropped (a page was allocated)
};

}  // namespace cannonball::jit
