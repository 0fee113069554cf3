#!/usr/bin/env bash
# Builds the stale-memory reproducer (tests/guests/scavenge) in the variants its test compares.
#   tests/stale-memory/build.sh OUTDIR
# Produces:
#   OUTDIR/scavenge.elf        Go 1.26, default settings (madvdontneed=1)
#   OUTDIR/scavenge-md0.elf    Go 1.26 with GODEBUG madvdontneed=0 compiled in (the runtime then
#                              zeroes scavenged memory itself)
#   OUTDIR/scavenge-go125.elf  Go 1.25 (zeroes every reused span; toolchain through GOTOOLCHAIN)
#   OUTDIR/scavenge-native     linux/amd64, Go 1.26 (Linux's own madvise)
# With CANNONBALL_HEAVY=1 also the go-ethereum guest with a runtime.GC() after every block:
#   OUTDIR/gethguest-forcegc.elf      unsigned, 5 blocks x 12 txs x 8 slots (the small settings)
#   OUTDIR/gethguest-forcegc-md0.elf  the same with madvdontneed=0
#   OUTDIR/gethguest-forcegc-signed.elf  the default settings (3 signed blocks x 12 txs x 8 slots):
#                                     the run that never ends
#   OUTDIR/gethguest-forcegc-signed-md0.elf  the same with madvdontneed=0
# A target is rebuilt only when its sources, go.mod or this script are newer.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUESTS=$(cd "$HERE/../guests" && pwd)
GETH=$(cd "$HERE/../geth-guest" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

GO=${GO:-$(command -v go || true)}
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then
	GO=/usr/local/go/bin/go
fi
if [ -z "$GO" ]; then
	echo "build.sh: no go toolchain found (set GO=/path/to/go)" >&2
	exit 1
fi
export GOWORK=off GOFLAGS=-mod=mod
gocache=$("$GO" env GOCACHE 2>/dev/null || true)
if [ -z "$gocache" ] || [ "$gocache" = off ]; then
	export GOCACHE="$OUT/.gocache"
fi

# Go's linker flag for compiled-in GODEBUG defaults (what //go:debug lines become); madvdontneed
# is a run-time setting that //go:debug does not accept.
MD0="-X=runtime.godebugDefault=decoratemappings=0,madvdontneed=0"
MIPS="GOOS=linux GOARCH=mips64 GOMIPS64=softfloat CGO_ENABLED=0"

up_to_date() { # up_to_date OUTPUT DIR...
	local out=$1
	shift
	[ -e "$out" ] || return 1
	[ "$HERE/build.sh" -nt "$out" ] && return 1
	local d
	for d in "$@"; do
		[ -z "$(find "$d" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$out" | head -n1)" ] || return 1
	done
}

build() { # build OUTPUT SRCDIR PKG "ldflags" env...
	local out=$1 src=$2 pkg=$3 ld=$4
	shift 4
	up_to_date "$out" "$src" "$src/$pkg" && return 0
	echo "build.sh: building $(basename "$out")" >&2
	(cd "$src" && env "$@" "$GO" build -trimpath -ldflags="-buildid= $ld" -o "$out.tmp" "./$pkg")
	mv -f "$out.tmp" "$out"
}

build "$OUT/scavenge.elf" "$GUESTS" scavenge "" GOTOOLCHAIN=local GOPROXY=off $MIPS
build "$OUT/scavenge-md0.elf" "$GUESTS" scavenge "$MD0" GOTOOLCHAIN=local GOPROXY=off $MIPS
build "$OUT/scavenge-native" "$GUESTS" scavenge "" GOTOOLCHAIN=local GOPROXY=off GOOS=linux GOARCH=amd64 CGO_ENABLED=0

# Go 1.25: a go.mod copy that asks for 1.25, so the source tree is not touched.
GO125=${STALE_GO125_TOOLCHAIN:-go1.25.5}
if [ ! -e "$OUT/go125.mod" ] || [ "$GUESTS/go.mod" -nt "$OUT/go125.mod" ] || [ "$HERE/build.sh" -nt "$OUT/go125.mod" ]; then
	sed -e 's/^go [0-9.]*$/go 1.25/' "$GUESTS/go.mod" >"$OUT/go125.mod.tmp"
	mv -f "$OUT/go125.mod.tmp" "$OUT/go125.mod"
	: >"$OUT/go125.sum"
fi
if ! up_to_date "$OUT/scavenge-go125.elf" "$GUESTS" "$GUESTS/scavenge" || [ "$OUT/go125.mod" -nt "$OUT/scavenge-go125.elf" ]; then
	echo "build.sh: building scavenge-go125.elf ($GO125)" >&2
	(cd "$GUESTS" && env GOTOOLCHAIN="$GO125" $MIPS "$GO" build -modfile="$OUT/go125.mod" -trimpath \
		-ldflags=-buildid= -o "$OUT/scavenge-go125.elf.tmp" ./scavenge)
	mv -f "$OUT/scavenge-go125.elf.tmp" "$OUT/scavenge-go125.elf"
fi

if [ "${CANNONBALL_HEAVY:-0}" = 1 ]; then
	SMALL="-X main.forceGC=1 -X main.signTxs=0 -X main.blocks=5 -X main.txsPerBlock=12 -X main.slotsPerCall=8"
	build "$OUT/gethguest-forcegc.elf" "$GETH" . "$SMALL" GOTOOLCHAIN=local $MIPS
	build "$OUT/gethguest-forcegc-md0.elf" "$GETH" . "$SMALL $MD0" GOTOOLCHAIN=local $MIPS
	build "$OUT/gethguest-forcegc-signed.elf" "$GETH" . "-X main.forceGC=1" GOTOOLCHAIN=local $MIPS
	build "$OUT/gethguest-forcegc-signed-md0.elf" "$GETH" . "-X main.forceGC=1 $MD0" GOTOOLCHAIN=local $MIPS
fi
