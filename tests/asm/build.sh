#!/usr/bin/env bash
# build.sh OUTDIR
#
# Assembles every tests/asm/<group>.S into
#   OUTDIR/<group>.elf        (CANNON_ONLY defined: the full VM test)
#   OUTDIR/qemu/<group>.elf   (CANNON_ONLY undefined: qemu cross-check)
# and rejects any program whose disassembly contains a mnemonic that is not
# listed in supported-mnemonics.txt. A ".word" in an executable section is
# only accepted directly after a raw_insn_* label (the RAW macro).
#
# Idempotent: an ELF newer than its source, check.inc, the allow-list and
# this script is left alone (it was already built and checked).
set -euo pipefail
shopt -s nullglob

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$1
mkdir -p "$OUT/qemu"

CROSS=${CROSS:-mips64-linux-gnuabi64-}
CC=${CROSS}gcc
OBJDUMP=${CROSS}objdump
for tool in "$CC" "$OBJDUMP"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build.sh: $tool not found (install gcc-mips64-linux-gnuabi64 binutils-mips64-linux-gnuabi64)" >&2
        exit 2
    fi
done

CFLAGS=(-march=mips64 -mno-imadd -mno-branch-likely -msoft-float -mno-abicalls
        -fno-pic -nostdlib -static -EB -mabi=64
        -Wl,-e,_start -Wl,--build-id=none -I "$HERE")

ALLOW="$HERE/supported-mnemonics.txt"
allowed=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$ALLOW" | grep -v '^$' | sort -u)

# check_mnemonics ELF NAME: fail with a message naming the program and the
# offending instruction.
check_mnemonics() {
    local elf=$1 name=$2
    local bad dis
    if ! dis=$("$OBJDUMP" -d "$elf"); then
        echo "build.sh: $name: objdump failed" >&2
        return 1
    fi
    if ! bad=$(printf '%s\n' "$dis" | awk -v allowed="$allowed" '
        BEGIN { n = split(allowed, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
        /^[0-9a-f]+ <.*>:$/ { lbl = $2; next }
        /^ *[0-9a-f]+:\t/ {
            split($0, f, "\t")
            m = f[3]; sub(/[ \t].*/, "", m)
            if (m == "") { lbl = ""; next }
            if (m == ".word" && lbl ~ /^<raw_insn_/) { lbl = ""; next }
            if (!(m in ok)) { addr = f[1]; gsub(/ /, "", addr); print addr " " f[3] (f[4] != "" ? " " f[4] : "") }
            lbl = ""
        }'); then
        echo "build.sh: $name: mnemonic scan failed" >&2
        return 1
    fi
    if [ -n "$bad" ]; then
        echo "build.sh: $name: unsupported instruction(s):" >&2
        printf '%s\n' "$bad" | sed 's/^/    /' >&2
        return 1
    fi
}

status=0
for src in "$HERE"/*.S; do
    name=$(basename "$src" .S)
    for variant in cannon qemu; do
        if [ "$variant" = cannon ]; then
            elf="$OUT/$name.elf"; defs=(-DCANNON_ONLY)
        else
            elf="$OUT/qemu/$name.elf"; defs=()
        fi
        if [ -f "$elf" ] && [ "$elf" -nt "$src" ] && [ "$elf" -nt "$HERE/check.inc" ] \
           && [ "$elf" -nt "$ALLOW" ] && [ "$elf" -nt "$HERE/build.sh" ]; then
            continue
        fi
        tmp="$elf.tmp"
        if ! "$CC" "${CFLAGS[@]}" "${defs[@]}" -o "$tmp" "$src"; then
            echo "build.sh: $name ($variant): assembly failed" >&2
            rm -f "$tmp"; status=1; continue
        fi
        if ! check_mnemonics "$tmp" "$name ($variant)"; then
            rm -f "$tmp"; status=1; continue
        fi
        mv -f "$tmp" "$elf"
        echo "built $elf"
    done
done
exit $status
