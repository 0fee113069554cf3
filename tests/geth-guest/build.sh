#!/usr/bin/env bash
# Builds the go-ethereum guest.
#   tests/geth-guest/build.sh OUTDIR
# Produces, from the one program in this directory:
#   OUTDIR/gethguest-small.elf    unsigned txs, 5 blocks x 12 txs x 8 slots
#   OUTDIR/gethguest-large.elf    signed txs, 40 blocks x 24 txs x 16 slots
#   OUTDIR/gethguest-xlarge.elf   signed txs, 80 blocks x 24 txs x 16 slots (about 10^10 steps;
#                                 only with CANNONBALL_HEAVY=1, for bench/serve_bench.py)
#   OUTDIR/gethguest-oracle.elf   signed txs, size and claim from the pre-image oracle
#   OUTDIR/gethguest-native       linux/amd64, link-time settings of the small ELF
#   OUTDIR/gethguest-native-signed  linux/amd64, signed txs (for the large and oracle sizes)
#   OUTDIR/gethguest-oracle-data[-bad]  pre-image directories for the oracle ELF
# A target is rebuilt only when a .go file, go.mod, go.sum or this script is
# newer. go-ethereum comes from the Go module proxy (GOFLAGS=-mod=mod).
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off
gocache=$("$GO" env GOCACHE 2>/dev/null || true)
if [ -z "$gocache" ] || [ "$gocache" = off ]; then
	export GOCACHE="$OUT/.gocache"
fi
gomodcache=$("$GO" env GOMODCACHE 2>/dev/null || true)
if [ -z "$gomodcache" ]; then
	export GOMODCACHE="$OUT/.gomodcache"
fi

# Oracle run size (the pre-image directory), kept small: signing costs a
# fixed ~190 M steps (secp256k1 tables) before the first block.
ORACLE_BLOCKS=2 ORACLE_TXS=6 ORACLE_SLOTS=8

up_to_date() { # up_to_date OUTPUT
	local out=$1
	[ -e "$out" ] || return 1
	for f in "$SRC/go.mod" "$SRC/go.sum" "$SRC/build.sh"; do
		[ "$f" -nt "$out" ] && return 1
	done
	[ -z "$(find "$SRC" -maxdepth 1 -name '*.go' -newer "$out" | head -n1)" ]
}

build() { # build OUTPUT "ldflags" env...
	local out=$1 ldx=$2
	shift 2
	if up_to_date "$out"; then
		return 0
	fi
	echo "build.sh: building $(basename "$out")" >&2
	(cd "$SRC" && env "$@" "$GO" build -trimpath -ldflags="-buildid= $ldx" -o "$out.tmp" .)
	mv -f "$out.tmp" "$out"
}

MIPS="GOOS=linux GOARCH=mips64 GOMIPS64=softfloat CGO_ENABLED=0"
# MT-Cannon's madvise and munmap leave memory as it was (spec 7.3), while the Go 1.26 runtime takes
# memory it released with MADV_DONTNEED as zeroed unless madvdontneed=0: built without it, the
# medium and large guests die in the VM with "marked free object in span" (exit 2) after their
# first garbage collections that reuse released spans. Setting the default replaces the one go.mod's
# go line gives, so decoratemappings=0 is stated too: otherwise the runtime names its mappings with
# prctl (5153), which the reference upstream VM rejects. The op-program client is built the same way.
MIPS_GODEBUG="-X=runtime.godebugDefault=decoratemappings=0,madvdontneed=0"
NATIVE="GOOS=linux GOARCH=amd64 CGO_ENABLED=0"
SMALL="-X main.signTxs=0 -X main.blocks=5 -X main.txsPerBlock=12 -X main.slotsPerCall=8"
LARGE="-X main.blocks=40 -X main.txsPerBlock=24 -X main.slotsPerCall=16"
MEDIUM="-X main.blocks=6 -X main.txsPerBlock=24 -X main.slotsPerCall=16"

build "$OUT/gethguest-small.elf" "$SMALL $MIPS_GODEBUG" $MIPS
build "$OUT/gethguest-large.elf" "$LARGE $MIPS_GODEBUG" $MIPS
build "$OUT/gethguest-medium.elf" "$MEDIUM $MIPS_GODEBUG" $MIPS
if [ "${CANNONBALL_HEAVY:-0}" = 1 ]; then
	build "$OUT/gethguest-xlarge.elf" "-X main.blocks=80 -X main.txsPerBlock=24 -X main.slotsPerCall=16 $MIPS_GODEBUG" $MIPS
fi
build "$OUT/gethguest-oracle.elf" "-X main.useOracle=1 $MIPS_GODEBUG" $MIPS
build "$OUT/gethguest-native" "$SMALL" $NATIVE
build "$OUT/gethguest-native-signed" "$LARGE" $NATIVE
build "$OUT/gethguest-native-medium" "$MEDIUM" $NATIVE

gen() { # gen DIR flags...
	local d=$1 stamp="$1.stamp"
	shift
	if [ -d "$d" ] && [ -e "$stamp" ] && [ "$stamp" -nt "$OUT/gethguest-native-signed" ]; then
		return 0
	fi
	rm -rf "$d"
	"$OUT/gethguest-native-signed" -write-preimages "$d" \
		-blocks $ORACLE_BLOCKS -txs $ORACLE_TXS -slots $ORACLE_SLOTS "$@"
	touch "$stamp"
}
gen "$OUT/gethguest-oracle-data"
gen "$OUT/gethguest-oracle-data-bad" -bad
