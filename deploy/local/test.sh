#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the whole
# suite (unit, integration against private redis-servers, end-to-end), then
# the Redis and time-zone cores once more under AddressSanitizer and
# UndefinedBehaviorSanitizer. Ends with ctest's summary; exits non-zero on
# any failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

bash deploy/local/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

echo "== build"
bash deploy/local/build.sh

echo "== sanitizer build (core and storage)"
CONVENE_BUILD_DIR="$root/build-asan" CONVENE_BUILD_TYPE=Debug \
  cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DCONVENE_SANITIZE=ON >/dev/null
cmake --build "$root/build-asan" -j "$(nproc)" --target core_unit_tests storage_integration_tests

echo "== tests under ASan+UBSan"
"$root/build-asan/tests/unit/core/core_unit_tests" --gtest_brief=1
"$root/build-asan/tests/integration/storage/storage_integration_tests" --gtest_brief=1

echo "== fuzzing (libFuzzer under ASan+UBSan, clang, convene_core only)"
# 20 s per target on a copy of the seed corpus, with a fixed seed so that a
# run repeats itself; any finding fails the test command. Longer runs with
# new seeds: README "Fuzzing".
CONVENE_FUZZ_SEED="${CONVENE_FUZZ_SEED:-1}" bash "$root/tests/fuzz/run_fuzzers.sh"

echo "== tests"
cd build
ctest --output-on-failure -j 2 --timeout 600
