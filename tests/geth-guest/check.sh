#!/usr/bin/env bash
# Runs the go-ethereum guest in the VM and natively and compares stdout.
#   tests/geth-guest/check.sh BUILD_DIR CANNONBALL
# BUILD_DIR is the OUTDIR of build.sh (built here if needed), CANNONBALL
# the VM CLI. Checks, with the default (interpreter) engine:
#   1. gethguest-small.elf: exit 0 and stdout byte-identical to gethguest-native, under the
#      interpreter and the JIT, whose final states must be identical;
#   2. gethguest-oracle.elf with --preimage-dir gethguest-oracle-data: exit 0 and
#      stdout identical to gethguest-native-signed -oracle-dir on the same directory;
#   3. the same with gethguest-oracle-data-bad: exit 1 ("claim ... is bad!").
# Prints the VM step counts. Exits non-zero on any mismatch.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR CANNONBALL" >&2
	exit 2
fi
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$SRC/build.sh" "$1"
OUT=$(cd "$1" && pwd)
CB=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fail=0

# vm NAME ELF [run args...]: runs ELF in the VM; sets VM_EXIT and VM_STEPS,
# stdout in $WORK/NAME.out.
vm() {
	local name=$1 elf=$2
	shift 2
	"$CB" load-elf --type multithreaded64-5 --path "$elf" --out "$WORK/$name.state.bin.gz" \
		--meta "$WORK/$name.meta.json" >/dev/null
	local t0 t1
	t0=$(date +%s.%N)
	if ! "$CB" run --input "$WORK/$name.state.bin.gz" --output "$WORK/$name.final.bin.gz" \
		--meta "$WORK/$name.meta.json" --info-at never \
		--guest-stdout "$WORK/$name.out" --guest-stderr "$WORK/$name.err" "$@" 2>"$WORK/$name.log"; then
		echo "FAIL $name: cannonball run failed:" >&2
		tail -n 5 "$WORK/$name.log" >&2
		VM_EXIT=-1 VM_STEPS=0
		return 0
	fi
	t1=$(date +%s.%N)
	local w
	w=$("$CB" witness --input "$WORK/$name.final.bin.gz")
	VM_EXIT=$(echo "$w" | sed -n 's/.*"exitCode": *\([0-9-]*\).*/\1/p')
	VM_STEPS=$(echo "$w" | sed -n 's/.*"step": *\([0-9]*\).*/\1/p')
	if grep -q "unrecognized syscall" "$WORK/$name.log"; then
		echo "FAIL $name: unrecognized syscall" >&2
		fail=1
	fi
	echo "$name: exit $VM_EXIT, $VM_STEPS steps, $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
}

# compare NAME WANT_EXIT NATIVE_OUT
compare() {
	local name=$1 want=$2 native=$3
	if [ "$VM_EXIT" != "$want" ]; then
		echo "FAIL $name: VM exit $VM_EXIT, want $want" >&2
		head -c 2000 "$WORK/$name.err" >&2 || true
		fail=1
	fi
	if ! cmp -s "$native" "$WORK/$name.out"; then
		echo "FAIL $name: VM stdout differs from native:" >&2
		diff "$native" "$WORK/$name.out" | head -n 20 >&2 || true
		fail=1
	else
		echo "$name: stdout matches native ($(wc -l <"$native") lines)"
	fi
}

"$OUT/gethguest-native" >"$WORK/small.native"
vm small "$OUT/gethguest-small.elf"
compare small 0 "$WORK/small.native"
vm small-jit "$OUT/gethguest-small.elf" --engine jit
compare small-jit 0 "$WORK/small.native"
if ! cmp -s <(gzip -dc "$WORK/small.final.bin.gz") <(gzip -dc "$WORK/small-jit.final.bin.gz"); then
	echo "FAIL small-jit: the JIT's final state differs from the interpreter's" >&2
	fail=1
else
	echo "small-jit: final state identical to the interpreter's"
fi

set +e
"$OUT/gethguest-native-signed" -oracle-dir "$OUT/gethguest-oracle-data" >"$WORK/oracle.native"
n1=$?
"$OUT/gethguest-native-signed" -oracle-dir "$OUT/gethguest-oracle-data-bad" >"$WORK/oracle-bad.native"
n2=$?
set -e
if [ $n1 -ne 0 ] || [ $n2 -ne 1 ]; then
	echo "FAIL native oracle runs: exit $n1 (want 0) and $n2 (want 1)" >&2
	fail=1
fi
vm oracle "$OUT/gethguest-oracle.elf" --preimage-dir "$OUT/gethguest-oracle-data"
compare oracle 0 "$WORK/oracle.native"
vm oracle-bad "$OUT/gethguest-oracle.elf" --preimage-dir "$OUT/gethguest-oracle-data-bad"
compare oracle-bad 1 "$WORK/oracle-bad.native"

if [ $fail -ne 0 ]; then
	echo "geth-guest: FAILED" >&2
	exit 1
fi
echo "geth-guest: ok"
