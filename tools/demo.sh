#!/usr/bin/env bash
# The main job: set everything up, then run the real op-program (v1.19.0) on the captured tiny
# case exactly as op-challenger runs a Cannon VM, under upstream cannon, cannonball's interpreter
# and its JIT, with a proof at the middle step, and print the figures side by side
# (build/demo/opprogram/). Then the bundled hello guest with proofs (build/demo/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/setup.sh
mkdir -p build/demo
rm -rf build/demo/opprogram
python3 tools/opprogram/run_case.py build/opprogram/tiny-valid --proof -2 --work build/demo/opprogram \
  --report build/demo/opprogram/report.json
proof=$(ls build/demo/opprogram/jit-proof-*/proofs/*.json.gz | head -n 1)
echo "op-program proof (JIT run, identical under all three VMs): $proof"
gzip -dc "$proof" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps({k: (v if len(str(v)) < 80 else str(v)[:76] + "...") for k, v in p.items()}, indent=2))'

out=build/demo
mkdir -p "$out"
cb=build/tools/cannonball
$cb load-elf --type multithreaded64-5 --path build/guests/hello.elf --out "$out/state.bin.gz" --meta "$out/meta.json"
$cb run --input "$out/state.bin.gz" --output "$out/out.bin.gz" --meta "$out/meta.json" \
  --proof-at '=0,=1000,=100000' --proof-fmt "$out/proof-%d.json" --info-at '%100000'
$cb witness --input "$out/out.bin.gz"
echo "proofs: $(ls "$out"/proof-*.json | tr '\n' ' ')"
