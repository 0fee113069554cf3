// cannonball: a drop-in for upstream `cannon` (load-elf, witness, run) plus disasm.
// Exit codes (spec §12, §17.3, §17.D): 0 success; 1 with "error: ..." for CLI and I/O errors;
// 2 for a VM exception during run; 130 when interrupted.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "runtime/interrupt.h"
#include "tools/cannonball/cli_common.h"

namespace {

void print_usage(FILE* out) {
  std::fputs(
      "cannonball: a bit-exact MT-Cannon (multithreaded64-5, state version 8) VM\n\n"
      "usage: cannonball <command> [options]\n\n"
      "commands:\n"
      "  load-elf   load a MIPS64 ELF into an initial state file (and write meta.json)\n"
      "  witness    print the witness and state hash of a state file\n"
      "  run        run a state, writing proofs, snapshots and the final state\n"
      "  disasm     disassemble guest code from an ELF or state file\n"
      "  lockstep   run the JIT and the interpreter side by side, comparing the full state\n"
      "  serve      trace a state once, then serve hashes, proofs and positions over HTTP\n\n"
      "run `cannonball <command> --help` for a command's options.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    print_usage(stderr);
    return 1;
  }
  const std::string command = argv[1];
  try {
    if (command == "load-elf") return cannonball::load_elf_main(argc - 1, argv + 1);
    if (command == "witness") return cannonball::witness_main(argc - 1, argv + 1);
    if (command == "run") return cannonball::run_main(argc - 1, argv + 1);
    if (command == "disasm") return cannonball::disasm_main(argc - 1, argv + 1);
    if (command == "lockstep") return cannonball::lockstep_main(argc - 1, argv + 1);
    if (command == "serve") return cannonball::serve_main(argc - 1, argv + 1);
    if (command == "--help" || command == "-h" || command == "help") {
      print_usage(stdout);
      return 0;
    }
    std::fprintf(stderr, "error: unknown command '%s'\n", command.c_str());
    print_usage(stderr);
    return 1;
  } catch (const cannonball::Interrupted&) {
    // Nothing was written: outputs are only renamed into place after the work is done.
    std::fputs("command interrupted\n", stderr);
    return 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
