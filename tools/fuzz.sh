#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang-16 under ASan+UBSan in build-fuzz/ and
# runs them from their checked-in seed corpora.
#
#   tools/fuzz.sh                   build, then run every target for FUZZ_SECONDS (default 10) each
#   tools/fuzz.sh build             build only
#   tools/fuzz.sh run TARGET [libFuzzer flags...]
#                                   one target, e.g. a long run:
#                                   tools/fuzz.sh run fuzz_elf -runs=10000000
#
# Short runs (the CI step) use a scratch copy of each corpus and a fixed seed (FUZZ_SEED, default
# 1), so CI replays the same mutations on every run rather than failing on whichever new input a
# random seed happens to reach; new findings come from long runs, which grow build-fuzz/corpus/,
# use a random seed and write crash inputs to build-fuzz/artifacts/. A crash found by a long run is
# fixed and its input added to tests/fuzz/corpus/TARGET/. Exit status is non-zero on any crash.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
TARGETS=(fuzz_state_file fuzz_elf fuzz_matcher fuzz_host_protocol fuzz_meta fuzz_differential)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=true
# Leaks are not the subject here (the JIT keeps its code buffers until exit). libFuzzer's own leak
# pass (-detect_leaks) is off too: it re-runs every input that mallocs more than it frees, for a
# leak check that finds nothing with LeakSanitizer off.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

build() {
  command -v clang++-16 >/dev/null || { echo "fuzz: clang++-16 is missing (run tools/setup.sh)" >&2; exit 1; }
  if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang-16 CXX=clang++-16 cmake -S "$ROOT" -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCANNONBALL_FUZZ=ON -DCANNONBALL_BENCH=OFF >/dev/null
  fi
  ninja -C build-fuzz "${TARGETS[@]}" >/dev/null
}

# Scheduling flags for long runs of the two slow targets (flags given to `run` come after them, so
# they win). fuzz_state_file: inputs whose few KiB of deflate data inflate to megabytes take about
# a hundred times the median input's time; -entropic_scale_per_exec_time scales each input's
# energy by its time against the corpus average (0.1x for the slowest to 3x for the fastest), so
# those are still mutated, less often. fuzz_differential: for every feature an execution hits,
# libFuzzer searches its rare-feature list linearly while the feature's count is low; the list
# keeps every feature counted no more than the threshold times (default 255) and is trimmed only
# when a new feature appears, and on the grown corpus (~21k features) that search took a fifth of
# the time; a threshold of 16 keeps the entropic schedule with a shorter list. Neither is in the
# CI step, which replays fixed mutations from a fixed seed (time-scaled energy depends on timing).
long_run_flags() {
  case $1 in
    fuzz_state_file) echo -entropic_scale_per_exec_time=1 ;;
    fuzz_differential) echo -entropic_feature_frequency_threshold=16 ;;
  esac
}

run_one() {  # run_one TARGET [flags...]
  local target=$1
  shift
  mkdir -p build-fuzz/corpus/"$target" build-fuzz/artifacts
  # shellcheck disable=SC2046 # the flags are single words
  nice build-fuzz/tests/fuzz/"$target" -detect_leaks=0 -rss_limit_mb=4096 -artifact_prefix=build-fuzz/artifacts/"$target"- \
    $(long_run_flags "$target") "$@" build-fuzz/corpus/"$target" tests/fuzz/corpus/"$target"
}

case "${1:-all}" in
  build) build ;;
  run)
    shift
    build
    run_one "$@"
    ;;
  all)
    build
    seconds=${FUZZ_SECONDS:-10}
    for target in "${TARGETS[@]}"; do
      scratch=$(mktemp -d)
      echo "== fuzz: $target for ${seconds}s"
      mkdir -p build-fuzz/artifacts
      status=0
      build-fuzz/tests/fuzz/"$target" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -detect_leaks=0 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix=build-fuzz/artifacts/"$target"- "$scratch" tests/fuzz/corpus/"$target" \
        >"$scratch.log" 2>&1 || status=$?
      grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' "$scratch.log" || true
      if [ "$status" -ne 0 ]; then
        tail -40 "$scratch.log" >&2
        echo "fuzz: $target failed (exit $status); the input is in build-fuzz/artifacts/" >&2
        rm -rf "$scratch" "$scratch.log"
        exit 1
      fi
      rm -rf "$scratch" "$scratch.log"
    done
    ;;
  *) echo "usage: tools/fuzz.sh [build | run TARGET [flags...]]" >&2; exit 1 ;;
esac
