#!/usr/bin/env bash
# qemu-check.sh OUTDIR
#
# Runs the qemu cross-check variants OUTDIR/qemu/<program>.elf (built by
# build.sh without CANNON_ONLY) under qemu-mips64 and compares the exit
# status with expected.txt. Programs expected to raise a VM exception are
# skipped: qemu does not model the VM's exceptions. stdin is /dev/null so
# that read(0, ...) sees EOF. Exit status: 0 if all pass, 1 otherwise.
set -uo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$1
QEMU=${QEMU:-qemu-mips64}
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "qemu-check.sh: $QEMU not found (install qemu-user)" >&2
    exit 2
fi

pass=0; fail=0; skip=0
while read -r prog kind arg; do
    case "$prog" in ''|'#'*) continue ;; esac
    elf="$OUT/qemu/$prog.elf"
    if [ "$kind" != exit ]; then
        echo "SKIP $prog (expects VM exception: $arg)"
        skip=$((skip + 1)); continue
    fi
    if [ ! -f "$elf" ]; then
        echo "FAIL $prog: $elf missing (run build.sh first)"
        fail=$((fail + 1)); continue
    fi
    out=$("$QEMU" "$elf" </dev/null 2>&1)
    rc=$?
    if [ "$rc" = "$arg" ]; then
        echo "PASS $prog"
        pass=$((pass + 1))
    else
        echo "FAIL $prog: exit $rc, expected $arg (status = id of the first failing check)"
        [ -n "$out" ] && printf '     output: %s\n' "$out"
        fail=$((fail + 1))
    fi
done < "$HERE/expected.txt"

echo "qemu-check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
