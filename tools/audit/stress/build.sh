#!/usr/bin/env bash
# Builds the stress variants of the go-ethereum guest (tests/geth-guest) for the audit of
# docs/audit-op-program.md: the guest's sources plus stress.go.in (GOGC and GOMAXPROCS set at
# start-up from link-time strings) in OUTDIR/src, then one ELF per variant.
#   tools/audit/stress/build.sh OUTDIR
# Variants (unsigned transactions, 5 blocks x 12 txs x 8 slots unless named otherwise):
#   base, forcegc (runtime.GC() after every block), gogc10, gogc400, procs2, procs4,
#   big (5 blocks x 48 txs x 32 slots: heavy allocation), oracle-procs4 (the oracle ELF, signed,
#   size from the pre-image oracle, GOMAXPROCS 4), base-gctrace (GODEBUG gctrace=1 compiled in: one
#   line per GC cycle on stderr), and with MD0=1 the madvdontneed=0 twin of each.
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GETH=$(cd "$HERE/../../../tests/geth-guest" && pwd)
mkdir -p "$1/src"
OUT=$(cd "$1" && pwd)
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off

for f in "$GETH"/*.go "$GETH/go.mod" "$GETH/go.sum"; do
	case "$f" in *_test.go) continue ;; esac
	cmp -s "$f" "$OUT/src/$(basename "$f")" || cp "$f" "$OUT/src/"
done
cmp -s "$HERE/stress.go.in" "$OUT/src/stress.go" || cp "$HERE/stress.go.in" "$OUT/src/stress.go"

SMALL="-X main.signTxs=0 -X main.blocks=5 -X main.txsPerBlock=12 -X main.slotsPerCall=8"
build() { # build NAME "ldflags"
	local out="$OUT/$1.elf"
	if [ -e "$out" ] && [ -z "$(find "$OUT/src" "$HERE/build.sh" -newer "$out" | head -n1)" ]; then
		return 0
	fi
	echo "stress: building $1" >&2
	(cd "$OUT/src" && GOOS=linux GOARCH=mips64 GOMIPS64=softfloat CGO_ENABLED=0 \
		"$GO" build -trimpath -ldflags="-buildid= $2" -o "$out.tmp" .)
	mv -f "$out.tmp" "$out"
}
variant() { # variant NAME "ldflags"
	build "$1" "$2"
	if [ "${MD0:-0}" = 1 ]; then
		build "$1-md0" "$2 -X=runtime.godebugDefault=decoratemappings=0,madvdontneed=0"
	fi
}
variant base "$SMALL"
variant forcegc "$SMALL -X main.forceGC=1"
variant gogc10 "$SMALL -X main.stressGOGC=10"
variant gogc400 "$SMALL -X main.stressGOGC=400"
variant procs2 "$SMALL -X main.stressGOMAXPROCS=2"
variant procs4 "$SMALL -X main.stressGOMAXPROCS=4"
variant big "-X main.signTxs=0 -X main.blocks=5 -X main.txsPerBlock=48 -X main.slotsPerCall=32"
variant oracle-procs4 "-X main.useOracle=1 -X main.stressGOMAXPROCS=4"
build base-gctrace "$SMALL -X=runtime.godebugDefault=decoratemappings=0,gctrace=1"
