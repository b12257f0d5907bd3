#!/usr/bin/env bash
# Compares convene-bench figures of two builds on this machine, in ABBA order
# (old, new, new, old per round) so that drift of a shared, noisy machine
# falls on both sides alike, and prints each run and the medians.
#
#   tests/bench/compare_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR [ROUNDS] [RPCS]
#   tests/bench/compare_builds.sh /tmp/before/build build 2 CheckIn,Register
#
# Each run: convene-bench --in_flight=64 --seconds=5 --rpcs=RPCS. Nothing
# else should run meanwhile (no build, no tests).
set -euo pipefail
old="${1:?old build dir}"; new="${2:?new build dir}"
rounds="${3:-2}"; rpcs="${4:-CheckIn,Register}"
out="$(mktemp)"; trap 'rm -f "$out"' EXIT
for _ in $(seq 1 "$rounds"); do
  for which in old new new old; do
    dir="$old"; [ "$which" = new ] && dir="$new"
    line="$(timeout 300 "$dir/tests/bench/convene-bench" --in_flight=64 --seconds=5 --rpcs="$rpcs" 2>&1 |
      awk -v want="$rpcs" 'BEGIN { n = split(want, w, ","); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
                           ($1 in keep) { printf "%s=%s ", $1, $2 }')"
    echo "$which $line" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    which, *pairs = line.split()
    for pair in pairs:
        rpc, qps = pair.split("=")
        runs[(rpc, which)].append(int(qps))
for rpc in sorted({r for r, _ in runs}):
    old, new = statistics.median(runs[(rpc, "old")]), statistics.median(runs[(rpc, "new")])
    print(f"{rpc}: old median {old:.0f} QPS {runs[(rpc, 'old')]}, new median {new:.0f} QPS "
          f"{runs[(rpc, 'new')]}: {100 * (new - old) / old:+.1f}%")
PY
