#!/usr/bin/env bash
# Builds the real op-program (optimism v1.19.0, from the Go module proxy) and the capture tool:
#
#   tools/opprogram/build.sh OUTDIR CANNONBALL
#     OUTDIR/op-program-client64.elf   the fault-proof client for MIPS64 (Cannon)
#     OUTDIR/prestate.bin.gz           its load-elf state (multithreaded64-5), the absolute prestate
#     OUTDIR/meta.json                 its symbol metadata
#     OUTDIR/op-program-host           the host for amd64 (serves pre-images in --server mode)
#     OUTDIR/capture-bin               the pre-image capture tool (see tools/opprogram/capture)
#
# Idempotent: each output is rebuilt only when older than go.mod, go.sum, this script or its
# sources. Set OPPROGRAM_FORCE=1 to rebuild everything.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 OUTDIR CANNONBALL" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cannonball="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
command -v go >/dev/null 2>&1 || { echo "opprogram: the go command is required" >&2; exit 1; }
cd "$here"
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

fresh() {  # fresh OUTPUT INPUTS... : OUTPUT exists and is newer than every input
  local o=$1
  shift
  [[ "${OPPROGRAM_FORCE:-0}" != 1 && -e "$o" ]] || return 1
  local f
  for f in "$@"; do [[ "$f" -nt "$o" ]] && return 1; done
  return 0
}
deps=("$here/go.mod" "$here/go.sum" "$here/build.sh")
opt=github.com/ethereum-optimism/optimism
build() {  # build OUTPUT PACKAGE [go build args...] ; env set by the caller
  local o=$1 pkg=$2
  shift 2
  local start
  start=$(date +%s)
  go build -trimpath "$@" -o "$o.tmp.$$" "$pkg"
  mv -f "$o.tmp.$$" "$o"
  echo "opprogram: built $(basename "$o") in $(( $(date +%s) - start ))s"
}

# The client: the package directory (not just main.go), so its godebug.go applies
# (decoratemappings=0: no prctl for named mappings). Version strings as upstream's justfile sets
# them for reproducible clients.
# madvdontneed=0 is compiled into the runtime's GODEBUG default (//go:debug does not accept it):
# MT-Cannon's madvise and munmap leave memory as it was (spec 7.3), but Go 1.26's runtime takes
# memory it gave back with MADV_DONTNEED as zeroed unless madvdontneed=0 (docs/audit-op-program.md,
# finding 1). Without it the large case's valid claim panics in the VM (growslice: len out of
# range in StateDB.SetCode, exit 2) under every VM, upstream's included, while the native program
# accepts it. Upstream's own releases are built with Go 1.24, whose runtime zeroes reused spans.
client="$out/op-program-client64.elf"
godebug="decoratemappings=0,madvdontneed=0"
if ! fresh "$client" "${deps[@]}"; then
  echo "opprogram: building op-program client (mips64, optimism $(go list -m -f '{{.Version}}' $opt))"
  GOOS=linux GOARCH=mips64 GOMIPS64=softfloat build "$client" "$opt/op-program/client/cmd" \
    -ldflags "-X $opt/op-program/version.Version=v0.0.0 -X $opt/op-program/version.Meta= -X=runtime.godebugDefault=$godebug"
  if ! grep -aq "$godebug" "$client"; then
    echo "opprogram: error: $client does not hold the GODEBUG default $godebug" >&2
    rm -f "$client"
    exit 1
  fi
fi
if ! fresh "$out/prestate.bin.gz" "$client" "$cannonball"; then
  "$cannonball" load-elf --type multithreaded64-5 --path "$client" \
    --out "$out/prestate.tmp.bin.gz" --meta "$out/meta.tmp.json"
  mv -f "$out/meta.tmp.json" "$out/meta.json"
  mv -f "$out/prestate.tmp.bin.gz" "$out/prestate.bin.gz"
  echo "opprogram: wrote prestate.bin.gz and meta.json"
fi
if ! fresh "$out/op-program-host" "${deps[@]}"; then
  echo "opprogram: building op-program host (amd64)"
  build "$out/op-program-host" "$opt/op-program/host/cmd"
fi
if ! fresh "$out/capture-bin" "${deps[@]}" "$here"/cmd/capture/*.go; then
  echo "opprogram: building the capture tool"
  build "$out/capture-bin" ./cmd/capture
fi
