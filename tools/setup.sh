#!/usr/bin/env bash
# Sets up everything cannonball needs on a fresh Debian 12 machine, idempotently:
# Debian packages, the C++ build, the upstream reference VM (from the Go module proxy), the Go
# guest corpus and the assembly test programs. Fast when everything is already in place.
#
#   tools/setup.sh            release build in build/
#   SETUP_ASAN=1 tools/setup.sh   also the ASan+UBSan build in build-asan/
#   SETUP_FUZZ=1 tools/setup.sh   also the libFuzzer targets in build-fuzz/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config python3
  libgtest-dev libgmock-dev libbenchmark-dev libcrypto++-dev zlib1g-dev libzstd-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libxbyak-dev libasmjit-dev libcapstone-dev
  gcc-mips64-linux-gnuabi64 binutils-mips64-linux-gnuabi64 qemu-user
  valgrind hyperfine strace
  libisal-dev  # parallel multi-member gzip state files (runtime/gzip_members.cpp)
  clang-16 libfuzzer-16-dev libclang-rt-16-dev  # the libFuzzer targets (tools/fuzz.sh)
)

log() { printf '[setup] %s\n' "$*"; }

# The machine's Go toolchain (1.26) lives in /usr/local/go on these machines.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; fi
command -v go >/dev/null 2>&1 || { echo "setup: Go 1.26 is required but 'go' is not on PATH" >&2; exit 1; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths relative to the checkout, so clones and worktrees of the project share cache hits.
export CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=true
configure() {  # configure DIR [cmake args...]
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  fi
}

log "building (release) in build/"
configure build -DCMAKE_BUILD_TYPE=Release
ninja -C build >/dev/null

if [ "${SETUP_ASAN:-0}" = 1 ]; then
  log "building (ASan+UBSan) in build-asan/"
  configure build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCANNONBALL_SANITIZE=ON -DCANNONBALL_BENCH=OFF
  ninja -C build-asan >/dev/null
fi

if [ "${SETUP_FUZZ:-0}" = 1 ]; then
  log "building the libFuzzer targets (clang-16, ASan+UBSan) in build-fuzz/"
  tools/fuzz.sh build
fi

log "building the upstream reference VM in build/refvm/"
tools/refvm/build.sh build/refvm
log "building the Go guest corpus in build/guests/"
tests/guests/build.sh build/guests
log "building the assembly test programs in build/asm/"
tests/asm/build.sh build/asm >/dev/null
log "building the audit trigger programs in build/audit/"
tests/audit/build.sh build/audit
log "building the op-program-like go-ethereum guest in build/geth-guest/"
tests/geth-guest/build.sh build/geth-guest >/dev/null
log "building the stale-memory reproducer in build/stale-memory/"
tests/stale-memory/build.sh build/stale-memory
if [ -x tools/difftest/build-go125-guests.sh ]; then
  log "building the Go 1.25 guest corpus for the differential tests in build/guests-go125/"
  tools/difftest/build-go125-guests.sh build/guests-go125
fi
log "installing Ray for tools/fleet into build/fleet-venv/"
tools/fleet/setup-venv.sh build/fleet-venv
log "ready"
