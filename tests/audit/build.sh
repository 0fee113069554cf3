#!/usr/bin/env bash
# Builds the audit trigger programs: tests/audit/build.sh OUTDIR -> OUTDIR/<name>.elf
# Same toolchain and flags as the assembly tests, and the same check that only supported
# instructions appear (tests/asm/supported-mnemonics.txt).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
CC=${CC_MIPS:-mips64-linux-gnuabi64-gcc}
OBJDUMP=${OBJDUMP_MIPS:-mips64-linux-gnuabi64-objdump}
FLAGS=(-march=mips64 -mno-imadd -mno-branch-likely -msoft-float -mno-abicalls -fno-pic -nostdlib -static -EB -mabi=64
       -Wl,-Ttext=0x10000 -Wl,--build-id=none -Wl,-e,_start)
mapfile -t allowed < <(grep -v '^#' "$SRC/../asm/supported-mnemonics.txt" | awk 'NF{print $1}')
for src in "$SRC"/*.S; do
  name=$(basename "$src" .S)
  elf="$OUT/$name.elf"
  if [ -e "$elf" ] && [ "$elf" -nt "$src" ] && [ "$elf" -nt "$SRC/common.inc" ]; then continue; fi
  "$CC" "${FLAGS[@]}" -o "$elf.tmp" "$src"
  while read -r mnemonic; do
    ok=0
    for a in "${allowed[@]}"; do [ "$a" = "$mnemonic" ] && ok=1 && break; done
    if [ $ok = 0 ]; then echo "build.sh: $name uses unsupported instruction '$mnemonic'" >&2; rm -f "$elf.tmp"; exit 1; fi
  done < <("$OBJDUMP" -d --section=.text "$elf.tmp" | awk -F'\t' '/^ +[0-9a-f]+:\t/ && NF>=3 {print $3}' | awk '{print $1}' | sort -u)
  mv "$elf.tmp" "$elf"
done
