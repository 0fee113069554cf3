#!/usr/bin/env bash
# Builds the tests/guests corpus with Go 1.25 for differential tests.
#   tools/difftest/build-go125-guests.sh OUTDIR
#
# Why: the pinned upstream reference VM (tools/refvm) raises an exception on
# syscall 5153 (prctl), which Go 1.26 runtimes call at start-up, while
# cannonball treats it as a noop. Guests built with Go 1.25 never call it, so
# whole runs can be compared step for step.
#
# Produces OUTDIR/<name>.elf for every MIPS64 guest, the native helpers
# OUTDIR/host and OUTDIR/claimdata, and OUTDIR/claim-data (good claim).
# The guest module's go.mod says "go 1.26"; the build uses a copy that says
# "go 1.25" (-modfile=OUTDIR/go.mod), so the source tree is not touched.
# The toolchain is selected with GOTOOLCHAIN (default go1.25.5; the go command
# downloads it through the module proxy on first use).
# Idempotent: an output newer than its package's .go files, internal/,
# tests/guests/go.mod and this script is left alone.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../../tests/guests" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

GO=${GO:-$(command -v go || true)}
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then
	GO=/usr/local/go/bin/go
fi
if [ -z "$GO" ]; then
	echo "build-go125-guests.sh: no go toolchain found (set GO=/path/to/go)" >&2
	exit 1
fi
export GOTOOLCHAIN=${DIFFTEST_GOTOOLCHAIN:-go1.25.5}
export GOFLAGS=-mod=mod GOWORK=off
gocache=$("$GO" env GOCACHE 2>/dev/null || true)
if [ -z "$gocache" ] || [ "$gocache" = off ]; then
	export GOCACHE="$OUT/.gocache"
fi

# A go.mod copy that asks for Go 1.25 (rewritten only when the source changes).
MODFILE="$OUT/go.mod"
if [ ! -e "$MODFILE" ] || [ "$SRC/go.mod" -nt "$MODFILE" ] || [ "$HERE/build-go125-guests.sh" -nt "$MODFILE" ]; then
	sed -e 's/^go [0-9.]*$/go 1.25/' "$SRC/go.mod" >"$MODFILE.tmp"
	mv -f "$MODFILE.tmp" "$MODFILE"
	: >"$OUT/go.sum"
fi

MIPS_GUESTS="hello entry alloc keccak random eventfd goroutines sync deadlock panic compute compute-small claim"
NATIVE="host claimdata"

up_to_date() { # up_to_date OUTPUT PKGDIR
	local out=$1 pkg=$2
	[ -e "$out" ] || return 1
	[ "$MODFILE" -nt "$out" ] && return 1
	[ "$HERE/build-go125-guests.sh" -nt "$out" ] && return 1
	[ -z "$(find "$SRC/$pkg" "$SRC/internal" -name '*.go' -newer "$out" | head -n1)" ]
}

build() { # build OUTPUT PKGDIR env...
	local out=$1 pkg=$2
	shift 2
	if up_to_date "$out" "$pkg"; then
		return 0
	fi
	echo "build-go125-guests.sh: building $(basename "$out")" >&2
	(cd "$SRC" && env "$@" "$GO" build -modfile="$MODFILE" -trimpath -ldflags=-buildid= -o "$out.tmp" "./$pkg")
	mv -f "$out.tmp" "$out"
}

for g in $MIPS_GUESTS; do
	build "$OUT/$g.elf" "$g" GOOS=linux GOARCH=mips64 GOMIPS64=softfloat CGO_ENABLED=0
done
for n in $NATIVE; do
	build "$OUT/$n" "$n" CGO_ENABLED=0 GOOS= GOARCH=
done

# The claim guest's pre-image directory.
if [ ! -d "$OUT/claim-data" ] || [ ! -e "$OUT/claim-data.stamp" ] || [ "$OUT/claimdata" -nt "$OUT/claim-data.stamp" ]; then
	rm -rf "$OUT/claim-data"
	"$OUT/claimdata" "$OUT/claim-data"
	touch "$OUT/claim-data.stamp"
fi
