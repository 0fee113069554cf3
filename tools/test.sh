#!/usr/bin/env bash
# Sets everything up and runs every test: the unit tests under AddressSanitizer +
# UndefinedBehaviorSanitizer, then the whole ctest suite of the release build (unit, CLI, guest
# corpus, end-to-end and differential tests). The release suite runs last so its summary is the
# closing line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SETUP_ASAN=1 SETUP_FUZZ=1 tools/setup.sh
echo "== ctest (ASan+UBSan: unit tests)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j2 -E '^(guest_|e2e_|audit_|asm_programs_|geth_guest|lockstep_corpus|cli_tests|difftest)')
echo "== fuzz (libFuzzer, ASan+UBSan): a short run of each target from its seed corpus"
FUZZ_SECONDS=${FUZZ_SECONDS:-8} tools/fuzz.sh
echo "== ctest (release: everything)"
(cd build && ctest --output-on-failure -j2)
