#!/usr/bin/env bash
# Runs every ELF given under the audit lens and keeps its figures:
#   tools/audit/stress/run.sh CANNONBALL OUTDIR ELF[:PREIMAGE_DIR[:NAME]]...
# For each: OUTDIR/NAME.{txt,json,svg,stdout,stderr,log} (audit report, --debug-info, timeline,
# guest output, the run's log with its exit line). Engine: $ENGINE (default jit). STOP_AT caps
# the steps (default 2000000000).
set -euo pipefail
if [ $# -lt 3 ]; then
	echo "usage: $0 CANNONBALL OUTDIR ELF[:PREIMAGE_DIR[:NAME]]..." >&2
	exit 2
fi
CB=$1
OUT=$2
shift 2
mkdir -p "$OUT"
for spec in "$@"; do
	IFS=: read -r elf pre name <<<"$spec"
	name=${name:-$(basename "$elf" .elf)}
	state="$OUT/$name.state.bin.gz"
	"$CB" load-elf --type multithreaded64-5 --path "$elf" --out "$state" --meta "$OUT/$name.meta.json"
	extra=()
	[ -n "$pre" ] && extra=(--preimage-dir "$pre")
	start=$(date +%s.%N)
	set +e
	"$CB" run --input "$state" --output "" --meta "$OUT/$name.meta.json" --engine "${ENGINE:-jit}" \
		--stop-at "=${STOP_AT:-2000000000}" --info-at never "${extra[@]}" \
		--guest-stdout "$OUT/$name.stdout" --guest-stderr "$OUT/$name.stderr" \
		--audit-report "$OUT/$name.txt" --debug-info "$OUT/$name.json" --timeline "$OUT/$name.svg" \
		>"$OUT/$name.log" 2>&1
	rc=$?
	set -e
	echo "$name: run exit $rc, $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}") s, $(grep -o 'exited=[a-z]* code=[0-9]*' "$OUT/$name.log" | tail -1)"
	rm -f "$state"
done
