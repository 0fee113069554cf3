#!/usr/bin/env bash
# The medium and large op-program cases (opt-in: CANNONBALL_HEAVY=1, else exit 77 = skipped).
# Captures the case if needed (tools/opprogram/capture SIZE), names the interesting steps of the
# valid run (pre-image traffic, hints, futex waits, clone, GC work, the last step, ...) with
# build/tools/opprogram_stepfind, then runs both claims under upstream, the interpreter and the
# JIT as op-challenger would, proving each of those steps with every VM (byte-identical proofs)
# and cross-checking the JIT against the interpreter over the whole valid run.
#
#   tests/opprogram/heavy.sh medium|large
set -euo pipefail
size=${1:?usage: heavy.sh medium|large}
if [ "${CANNONBALL_HEAVY:-0}" != 1 ]; then
  echo "skipped: set CANNONBALL_HEAVY=1 to run the $size op-program case"
  exit 77
fi
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tools/opprogram/capture "$size"
out=build/opprogram
work=$(mktemp -d "${TMPDIR:-/tmp}/opprogram-$size.XXXXXX")
trap 'rm -rf "$work"' EXIT
case_dir=$out/$size-valid
mapfile -t host < <(cd "$case_dir" && python3 -c 'import json,os; a=json.load(open("case.json"))["host_argv"]; print("\n".join(a))')
(cd "$case_dir" && ../../tools/opprogram_stepfind --input ../prestate.bin.gz --meta ../meta.json -- "${host[@]}") \
  > "$work/steps.json"
cp "$work/steps.json" "$out/$size-valid.steps.json.tmp" && mv "$out/$size-valid.steps.json.tmp" "$out/$size-valid.steps.json"
mapfile -t proofs < <(python3 - "$work/steps.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text[text.index('{\n  "steps"'):])  # the host's own log lines come first on stdout
kinds = ["preimage-key-write", "preimage-read", "hint-write", "futex-wait", "futex-wake", "clone", "gc-work",
         "mmap", "clock-gettime", "load-linked", "sc-ok", "sc-fail", "forced-preemption", "yield", "exit-group"]
picked = []
def pick(step, why):
    if step not in picked:
        picked.append(step)
        print(f"{why} at step {step}", file=sys.stderr)
# The first and the last occurrence of each kind the run has (stepfind keeps the first two and the last).
for kind in kinds:
    seen = [e for e in d["events"] if e["kind"] == kind]
    if seen:
        pick(seen[0]["step"], f"first {kind} ({seen[0]['detail']})")
        pick(seen[-1]["step"], f"last {kind} ({seen[-1]['detail']})")
pick(d["steps"] // 2, "middle step")
pick(d["steps"] - 1, "last step")
if len(picked) < 10:
    sys.exit(f"error: only {len(picked)} interesting steps found")
print("\n".join(f"--proof={s}" for s in picked))
PY
)
if [ "${#proofs[@]}" -lt 10 ]; then
  echo "error: the step finder named ${#proofs[@]} steps to prove, want >= 10" >&2
  exit 1
fi
echo "proving ${#proofs[@]} steps"
python3 tools/opprogram/run_case.py "$case_dir" "${proofs[@]}" --cross-check '%100000000' \
  --report "$out/$size-valid.report.json"
python3 tools/opprogram/run_case.py "$out/$size-invalid" --proof=-1 --report "$out/$size-invalid.report.json"
