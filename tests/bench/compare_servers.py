#!/usr/bin/env python3
"""Compares two convened builds under the same client: one convene-bench
binary (its default load, --server mode) against each convened, each run as
its own process over its own fresh redis-server, in ABBA order (old, new,
new, old per round) so that a noisy shared machine's drift falls on both
alike. Prints each run and the medians per row. Measures; asserts nothing.

  python3 tests/bench/compare_servers.py BENCH OLD_CONVENED NEW_CONVENED [ROUNDS] [RPCS]
  (NEW_ARGS="--notices=false" in the environment: extra flags for the new convened)
  python3 tests/bench/compare_servers.py build/tests/bench/convene-bench \
      /tmp/before/build/services/convened/convened build/services/convened/convened 2 CheckIn,Register
"""
import collections
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import os
import time
bench, old_convened, new_convened = sys.argv[1:4]
new_args = os.environ.get("NEW_ARGS", "").split()
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 2
rpcs = sys.argv[5] if len(sys.argv) > 5 else "CheckIn,Register"
def run(convened, extra=()):
    d = tempfile.mkdtemp(prefix="abba-")
    r = subprocess.Popen(["redis-server", "--unixsocket", f"{d}/r.sock", "--port", "0", "--save", "",
                          "--appendonly", "no", "--dir", d], stdout=subprocess.DEVNULL)
    time.sleep(0.4)
    c = subprocess.Popen([convened, "--insecure", "--listen=127.0.0.1:0", f"--redis=unix://{d}/r.sock",
                          "--log_rpcs=false", *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    addr = None
    while addr is None:
        m = re.search(r"listening on (\S+)", c.stdout.readline())
        if m: addr = m.group(1)
    out = subprocess.run([bench, f"--server={addr}", f"--server_redis=unix://{d}/r.sock", "--in_flight=64",
                          "--seconds=5", "--k1_seconds=0", "--reference_rows=false", f"--rpcs={rpcs}"], capture_output=True, text=True, timeout=300).stdout
    c.terminate(); c.wait(); r.terminate(); r.wait(); shutil.rmtree(d, ignore_errors=True)
    got = {}
    for line in out.splitlines():
        m = re.match(r"^(\S.*?)\s+(\d+)\s+\d+\.\d+", line)
        if m and m.group(1).split()[0] in rpcs.split(",") and "K=1" not in m.group(1):
            got[m.group(1)] = float(m.group(2))
    return got
runs = collections.defaultdict(list)
for _ in range(rounds):
    for which in ("old", "new", "new", "old"):
        got = run(old_convened) if which == "old" else run(new_convened, new_args)
        print(which, got, flush=True)
        for k, v in got.items(): runs[(k, which)].append(v)
for rpc in sorted({k for k, _ in runs}):
    o, n = statistics.median(runs[(rpc, "old")]), statistics.median(runs[(rpc, "new")])
    print(f"{rpc}: old convened median {o:.0f} QPS {runs[(rpc,'old')]}, new convened median {n:.0f} QPS {runs[(rpc,'new')]}: {100*(n-o)/o:+.1f}%")
