#!/usr/bin/env bash
# Configures and builds Convene into build/ (or $CONVENE_BUILD_DIR) with
# ccache. Extra arguments go to cmake's configure step.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${CONVENE_BUILD_DIR:-$root/build}"
jobs="${CONVENE_JOBS:-$(nproc)}"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CONVENE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j "$jobs"
