#!/usr/bin/env bash
# Regenerates bench/results/ (report.md, report.json, steps_per_s.svg): sets everything up, then
# runs the same ELFs through upstream cannon, cannonball's interpreter and JIT, qemu-mips64 and
# the native amd64 build side by side. Extra arguments go to bench/compare.py. Then
# bench/challenger.py: CPU seconds of plain runs beside runs with each of op-challenger's flags and
# all of them (challenger.md/.json/.svg; CHALLENGER_ROUNDS rounds, default 3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
tools/opprogram/capture medium  # the op-program-medium row (cached; seconds once captured)
python3 bench/compare.py "$@"
exec python3 bench/challenger.py --rounds "${CHALLENGER_ROUNDS:-3}"
