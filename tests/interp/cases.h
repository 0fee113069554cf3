// The single-step case tables, one function per instruction or syscall group. Expected values
// are derived by hand from the spec formulas (derivations in comments where not obvious).
#pragma once

#include <vector>

#include "tests/interp/step_case.h"

namespace cannonball::test {

std::vector<StepCase> alu_cases();        // SPECIAL ALU, immediates, lui, SPECIAL2 (spec §5.2–§5.4)
std::vector<StepCase> shift_cases();      // 32- and 64-bit shifts (spec §5.2)
std::vector<StepCase> hilo_cases();       // HI/LO group: moves, multiply, divide (spec §5.2)
std::vector<StepCase> branch_cases();     // branches and jumps (spec §5.5)
std::vector<StepCase> load_cases();       // loads (spec §5.6)
std::vector<StepCase> store_cases();      // stores (spec §5.6)
std::vector<StepCase> rmw_cases();        // ll/sc/lld/scd (spec §6)
std::vector<StepCase> fault_cases();      // invalid instructions, unaligned pc (spec §9)
std::vector<StepCase> syscall_cases();    // syscalls other than read/write (spec §7)
std::vector<StepCase> io_cases();         // read/write on every fd (spec §8)
std::vector<StepCase> scheduler_cases();  // single-step scheduler behaviour (spec §4)

// Every table above, unmodified (no LL variants).
std::vector<StepCase> all_step_cases();

// The data word most memory cases use and its bytes: 81 12 23 34 45 D6 67 78 (mixed signs so
// that every sub-word size has a negative and a positive slot).
inline constexpr Word DataWord = 0x8112'2334'45D6'6778ull;
// The rt value used by partial loads and by stores: bytes 11 22 33 44 55 66 77 88.
inline constexpr Word RtWord = 0x1122'3344'5566'7788ull;

}  // namespace cannonball::test
