#!/usr/bin/env bash
# The main job on the bundled default guest: set everything up, then load the hello guest, run it
# to the end with proofs at a few steps, and print its witness. Outputs go to build/demo/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
out=build/demo
mkdir -p "$out"
cb=build/tools/cannonball
$cb load-elf --type multithreaded64-5 --path build/guests/hello.elf --out "$out/state.bin.gz" --meta "$out/meta.json"
$cb run --input "$out/state.bin.gz" --output "$out/out.bin.gz" --meta "$out/meta.json" \
  --proof-at '=0,=1000,=100000' --proof-fmt "$out/proof-%d.json" --info-at '%100000'
$cb witness --input "$out/out.bin.gz"
echo "proofs: $(ls "$out"/proof-*.json | tr '\n' ' ')"
