#!/usr/bin/env bash
# Build upstream's reference Cannon VM (the MT-Cannon implementation binary,
# state version 8 / multithreaded64-5) from its published Go module.
#
#   tools/refvm/build.sh OUTDIR        -> OUTDIR/cannon
#
# Idempotent: does nothing when OUTDIR/cannon is newer than go.mod, go.sum and
# this script. Needs only a Go toolchain (>= the `go` line in go.mod); modules
# come from the Go module proxy via the go command, checked against go.sum.
# Set REFVM_FORCE=1 to rebuild unconditionally.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
outdir="$1"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
out="$outdir/cannon"

if [[ "${REFVM_FORCE:-0}" != 1 && -x "$out" ]]; then
  stale=0
  for f in "$here/go.mod" "$here/go.sum" "$here/build.sh"; do
    if [[ "$f" -nt "$out" ]]; then stale=1; fi
  done
  if [[ $stale -eq 0 ]]; then
    echo "refvm: $out is up to date"
    exit 0
  fi
fi

if ! command -v go >/dev/null 2>&1; then
  echo "refvm: the go command is required (see tools/refvm/README.md)" >&2
  exit 1
fi

cd "$here"
# A go.work somewhere above must not pull this module into a workspace, and
# the committed go.sum must be used as is (no silent edits).
export GOWORK=off
export GOFLAGS="-mod=readonly -buildvcs=false"
# Pure Go build: no C compiler needed, and the VM does not use cgo anyway.
export CGO_ENABLED=0

pkg="github.com/ethereum-optimism/optimism/cannon"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
echo "refvm: building $pkg ($(go list -m -f '{{.Version}}' github.com/ethereum-optimism/optimism)) -> $out"
start=$(date +%s)
go build -trimpath -o "$tmp" "$pkg"
mv -f "$tmp" "$out"
trap - EXIT
echo "refvm: built in $(( $(date +%s) - start ))s"
