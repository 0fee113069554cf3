#!/usr/bin/env bash
# Regenerates bench/results/ (report.md, report.json, steps_per_s.svg): sets everything up, then
# runs the same ELFs through upstream cannon, cannonball's interpreter and JIT, qemu-mips64 and
# the native amd64 build side by side. Extra arguments go to bench/compare.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
exec python3 bench/compare.py "$@"
