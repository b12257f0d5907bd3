#!/usr/bin/env python3
"""Where a call's CPU goes: runs convened and a redis-server as processes of
their own, drives them with convene-bench --server, and prints after each
row the CPU time (user + system, from /proc) convened and Redis spent per
call during exactly that row, and convened's context switches per call
(every thread's, from /proc: on a virtual machine each costs several
microseconds of kernel time). Measures; asserts nothing.

  CONVENE_BUILD_DIR=build python3 tests/bench/per_call_cpu.py [RPCS]
  (RPCS: convene-bench's --rpcs, default CheckIn)"""
import os
import re
import shutil
import subprocess
import sys
import time
import tempfile
B = os.environ.get("CONVENE_BUILD_DIR", "build")
D = tempfile.mkdtemp(prefix="convene-per-call-")
redis = subprocess.Popen(["redis-server", "--unixsocket", f"{D}/redis.sock", "--port", "0",
                          "--save", "", "--appendonly", "no", "--dir", D], stdout=subprocess.DEVNULL)
time.sleep(0.5)
conv = subprocess.Popen([f"{B}/services/convened/convened", "--insecure", "--listen=127.0.0.1:0",
                         f"--redis=unix://{D}/redis.sock", "--log_rpcs=false",
                         # No registration notices: they would fall due ten seconds after
                         # the registrations, in the middle of a later row, and with no
                         # webhook or mail server here they would be retried throughout.
                         "--notices=false"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
addr = None
while addr is None:
    m = re.search(r"listening on (\S+)", conv.stdout.readline())
    if m: addr = m.group(1)
tick = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def switches(pid):
    """Context switches (voluntary + involuntary) of every thread of pid."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in open(f"/proc/{pid}/task/{task}/status"):
                if "ctxt_switches:" in line:
                    total += int(line.split()[-1])
        except FileNotFoundError:
            pass  # a thread that ended between the listing and the read
    return total
rpcs = sys.argv[1] if len(sys.argv) > 1 else "CheckIn"
bench = subprocess.Popen([f"{B}/tests/bench/convene-bench", f"--server={addr}",
                          f"--server_redis=unix://{D}/redis.sock", "--in_flight=64", "--seconds=5",
                          "--k1_seconds=0", "--alternate=false", "--reference_rows=false",
                          f"--rpcs={rpcs}"], stdout=subprocess.PIPE, text=True)
mark = None
row = re.compile(r"^(\S.{27})\s+(\d+)\s")
for line in bench.stdout:
    print(line, end="", flush=True)
    m = row.match(line)
    if not m:
        continue
    now = (time.monotonic(), cpu(conv.pid), cpu(redis.pid), switches(conv.pid))
    name, qps = m.group(1).strip(), float(m.group(2))
    if mark is not None and not name.startswith("baseline"):
        calls = qps * (now[0] - mark[0])
        print(f"  -> {name}: convened {1e6*(now[1]-mark[1])/calls:.1f} us CPU/call, "
              f"redis {1e6*(now[2]-mark[2])/calls:.1f} us CPU/call over {calls:.0f} calls; "
              f"convened {(now[3]-mark[3])/calls:.2f} context switches/call", flush=True)
    mark = now
bench.wait()
conv.terminate()
conv.wait()
redis.terminate()
redis.wait()
shutil.rmtree(D, ignore_errors=True)
