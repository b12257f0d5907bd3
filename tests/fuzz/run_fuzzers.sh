#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang under ASan+UBSan (only
# convene_core and the targets: no gRPC) and runs each for a bounded time on a
# copy of its seed corpus, so the committed corpus never grows.
#
#   bash tests/fuzz/run_fuzzers.sh          # 20 s per target, as test.sh does
#   bash tests/fuzz/run_fuzzers.sh 600      # 10 minutes per target
#   CONVENE_FUZZ_TARGETS="iso_duration_fuzzer" bash tests/fuzz/run_fuzzers.sh 60
#
# Prints one summary line per target and exits non-zero if any target found
# something (a crash, a failed FUZZ_CHECK, a sanitizer report, a leak, a
# timeout, too much memory). The input that did it is kept under
# $CONVENE_FUZZ_FINDINGS (default build-fuzz/fuzz-findings/<target>/); run the
# target binary on that file to reproduce (see README "Fuzzing").
#
# Environment: CONVENE_FUZZ_BUILD_DIR (default build-fuzz), CONVENE_FUZZ_TARGETS
# (default: every directory under tests/fuzz/corpus), CONVENE_FUZZ_SEED (a
# fixed libFuzzer seed, for runs that repeat themselves; default a new one
# each run, printed in the summary), CONVENE_JOBS.
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]   (a positive whole number; default 20)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fuzz_src="$root/tests/fuzz"
build="${CONVENE_FUZZ_BUILD_DIR:-$root/build-fuzz}"
findings="${CONVENE_FUZZ_FINDINGS:-$build/fuzz-findings}"
jobs="${CONVENE_JOBS:-$(nproc)}"

if [ -n "${CONVENE_FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$CONVENE_FUZZ_TARGETS"
else
  targets=()
  for dir in "$fuzz_src"/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "run_fuzzers: $tool is missing (bash deploy/local/install-deps.sh installs it)" >&2
    exit 1
  fi
done

echo "fuzz: building ${targets[*]} with clang into $build"
# CC/CXX only matter on the first configure; the cache keeps them after that.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCONVENE_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! cmake --build "$build" -j "$jobs" --target "${targets[@]}" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "run_fuzzers: the build failed" >&2
  exit 1
fi

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

# The last value libFuzzer printed for `key` ("cov:", "corp:") or stat line.
last_field() { grep -o "$1 *[0-9]*" "$2" | tail -n 1 | grep -o '[0-9]*$' || true; }

failed=()
for target in "${targets[@]}"; do
  binary="$build/tests/fuzz/$target"
  corpus="$work/$target"
  log="$work/$target.log"
  mkdir -p "$findings/$target"
  cp -R "$fuzz_src/corpus/$target" "$corpus"
  seed_flag=()
  if [ -n "${CONVENE_FUZZ_SEED:-}" ]; then seed_flag=(-seed="$CONVENE_FUZZ_SEED"); fi
  status=0
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/$target/" "${seed_flag[@]}" \
    "$corpus" >"$log" 2>&1 || status=$?
  summary="seed=$(last_field 'INFO: Seed:' "$log")"
  summary+=" runs=$(last_field 'stat::number_of_executed_units:' "$log")"
  summary+=" exec/s=$(last_field 'stat::average_exec_per_sec:' "$log")"
  summary+=" cov=$(last_field 'cov:' "$log") corpus=$(last_field 'corp:' "$log")"
  summary+=" peak_rss=$(last_field 'stat::peak_rss_mb:' "$log")MB"
  if [ "$status" -eq 0 ]; then
    printf 'fuzz: %-30s ok     %s\n' "$target" "$summary"
    continue
  fi
  failed+=("$target")
  printf 'fuzz: %-30s FOUND  %s (exit %d)\n' "$target" "$summary" "$status"
  # The report, from the first check or sanitizer line on, without
  # libFuzzer's progress lines, its own frames and the stats.
  sed -n '/FUZZ_CHECK\|==ERROR\|runtime error\|ALARM\|out-of-memory\|deadly signal/,$p' "$log" |
    grep -v -e '^#[0-9]' -e ' in fuzzer::' -e '__sanitizer_print_stack_trace' \
      -e 'libc.so' -e 'libc_start' -e ' in _start ' -e ' in raise ' -e 'pthread_kill' \
      -e 'NOTE: libFuzzer' -e 'Combine libFuzzer' -e '^stat::' -e '^$' |
    sed 's/^/  | /' | head -n 60
  artifact="$(grep -o "Test unit written to .*" "$log" | tail -n 1 | sed 's/Test unit written to //')"
  if [ -n "$artifact" ]; then
    echo "  reproduce: $binary $artifact"
  fi
done

if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets found something: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, nothing found"
