#!/usr/bin/env bash
# Builds the guest corpus.
#   tests/guests/build.sh OUTDIR
# Produces OUTDIR/<name>.elf for every MIPS64 guest, the native helpers
# OUTDIR/host and OUTDIR/claimdata, and the claim pre-image directories
# OUTDIR/claim-data (good claim) and OUTDIR/claim-data-bad.
# A target is rebuilt only when a .go file of its package, of the internal
# packages, go.mod or this script is newer than it. Standard library only: no network.
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

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOWORK=off
# A build cache is needed; fall back to one inside OUTDIR when HOME is unset.
gocache=$("$GO" env GOCACHE 2>/dev/null || true)
if [ -z "$gocache" ] || [ "$gocache" = off ]; then
	export GOCACHE="$OUT/.gocache"
fi

MIPS_GUESTS="hello entry alloc keccak random eventfd goroutines sync deadlock panic compute compute-small claim livelock tightloop atomics bigmem"
NATIVE="host claimdata"

# up_to_date OUTPUT PKGDIR: OUTPUT exists and is newer than all its inputs.
up_to_date() {
	local out=$1 pkg=$2
	[ -e "$out" ] || return 1
	[ "$SRC/go.mod" -nt "$out" ] && return 1
	[ "$SRC/build.sh" -nt "$out" ] && return 1
	[ -z "$(find "$SRC/$pkg" "$SRC/internal" -name '*.go' -newer "$out" | head -n1)" ]
}

build() { # build OUTPUT PKGDIR env...
	local out=$1 pkg=$2
	shift 2
	if up_to_date "$out" "$pkg"; then
		return 0
	fi
	echo "build.sh: building $(basename "$out")" >&2
	(cd "$SRC" && env "$@" "$GO" build -trimpath -ldflags=-buildid= -o "$out.tmp" "./$pkg")
	mv -f "$out.tmp" "$out"
}

for g in $MIPS_GUESTS; do
	build "$OUT/$g.elf" "$g" GOOS=linux GOARCH=mips64 GOMIPS64=softfloat CGO_ENABLED=0
done
for n in $NATIVE; do
	build "$OUT/$n" "$n" CGO_ENABLED=0 GOOS= GOARCH=
done

# Claim pre-image directories, regenerated when the generator changes.
gen() { # gen DIR flags...
	local d=$1 stamp="$1.stamp"
	shift
	if [ -d "$d" ] && [ -e "$stamp" ] && [ "$stamp" -nt "$OUT/claimdata" ]; then
		return 0
	fi
	rm -rf "$d"
	"$OUT/claimdata" "$@" "$d"
	touch "$stamp"
}
gen "$OUT/claim-data"
gen "$OUT/claim-data-bad" --bad
