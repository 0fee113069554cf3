#!/usr/bin/env bash
# The JIT against the interpreter over the go-ethereum guest's whole xlarge run (about 1.16e10
# steps): bench/engines_far.py compares every proof (every 10^8 steps), raw snapshot (every 10^9),
# the final state and the guest's output byte for byte, then runs the JIT once more with
# `--cross-check %1e9`. Exit 1 on any divergence. Opt-in: CANNONBALL_HEAVY=1 (setup builds the
# xlarge guest then), else exit 77 = skipped. The interpreter's run takes minutes of CPU.
set -euo pipefail
if [ "${CANNONBALL_HEAVY:-0}" != 1 ]; then
  echo "skipped: set CANNONBALL_HEAVY=1 to compare the engines over 1.16e10 steps"
  exit 77
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=$(mktemp -d "${TMPDIR:-/tmp}/engines-far.XXXXXX")
trap 'rm -rf "$out"' EXIT
python3 bench/engines_far.py --cross-check-every 1000000000 --out "$out"
