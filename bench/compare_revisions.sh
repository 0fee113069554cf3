#!/usr/bin/env bash
# Side-by-side figures for the GiB-scale work: builds another revision (default: the merge base
# with main's first parent before this work, given as REV) next to this tree, then runs both
# revisions' gib_bench and `cannonball witness` on the same 1 GiB random state, alternating,
# in one run. Figures are printed as they come; compare ratios, not absolute times.
#
#   bench/compare_revisions.sh REV [ROUNDS]
# CANNONBALL_BENCH_MIB sets the memory size (default 1024). cpu_s is the CPU time of all the
# process's threads per iteration: on a busy machine it is the steadier figure.
# Needs the release build (tools/setup.sh). The other revision is built under build/rev-<sha>/
# with this tree's bench/gib_bench.cpp (it uses only API both revisions have).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
REV=${1:?usage: bench/compare_revisions.sh REV [ROUNDS]}
ROUNDS=${2:-2}
SHA=$(git rev-parse --short "$REV")
OLD=$ROOT/build/rev-$SHA

if [ ! -x "$OLD/build/bench/gib_bench" ]; then
  rm -rf "$OLD/src"
  mkdir -p "$OLD/src"
  git archive "$SHA" | tar -x -C "$OLD/src"
  grep -q gib_bench "$OLD/src/bench/CMakeLists.txt" ||
    printf '\nadd_executable(gib_bench gib_bench.cpp)\ntarget_link_libraries(gib_bench PRIVATE cannonball_runtime benchmark::benchmark_main)\n' >>"$OLD/src/bench/CMakeLists.txt"
  export CCACHE_BASEDIR=$OLD/src CCACHE_NOHASHDIR=true
  cmake -S "$OLD/src" -B "$OLD/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$OLD/build" -j2 cannonball >/dev/null
fi
cp bench/gib_bench.cpp "$OLD/src/bench/"  # this tree's benchmark, against the old runtime
ninja -C "$OLD/build" -j2 gib_bench >/dev/null
ninja -C build -j2 gib_bench cannonball >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cannonball-compare-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CANNONBALL_BENCH_DIR=$WORK

echo "## gib_bench: $SHA (before) and this tree (after), alternating"
for round in $(seq "$ROUNDS"); do
  for side in before after; do
    bin=build/bench/gib_bench
    [ $side = before ] && bin=$OLD/build/bench/gib_bench
    echo "### round $round, $side"
    "$bin" --benchmark_counters_tabular=true 2>&1 | grep -E '^BM_|^Benchmark'
  done
done

# CLI rows: `witness` (load + one merkle root) of the same random state, for both revisions.
CANNONBALL_BENCH_KEEP=1 build/bench/gib_bench --benchmark_filter='BM_StateFileWriteRandom' >/dev/null
echo "## cannonball witness of the $(( $(stat -c %s "$WORK/cannonball-gib-bench.bin") >> 20 )) MiB state"
for round in $(seq "$ROUNDS"); do
  for file in cannonball-gib-bench.bin cannonball-gib-bench.bin.gz; do
    for side in before after; do
      bin=build/tools/cannonball
      [ $side = before ] && bin=$OLD/build/tools/cannonball
      /usr/bin/time -f "round $round $side witness $file: %e s wall, %U s user + %S s sys, %M KiB peak RSS" \
        "$bin" witness --input "$WORK/$file" >/dev/null
    done
  done
done
