#!/usr/bin/env python3
"""How the load splits over a Redis Cluster: starts a cluster of N primaries
(no replicas) on loopback, convened on redis-cluster://, drives it with
convene-bench --server, and prints per primary the Redis CPU (INFO cpu) and
commands (INFO commandstats) spent during the run, and their share. On two
shared cores the throughput cannot grow with nodes: this shows the split and
the per-node cost. Measures; asserts nothing.

  CONVENE_BUILD_DIR=$PWD/build /usr/bin/python3 tests/bench/cluster_split.py N [RPCS] [SECONDS] [--global-node]
  (N primaries; RPCS: convene-bench's --rpcs, default CheckIn,Register)

--global-node adds one more primary that owns only the slots of the
single-slot tags ({cal}, {feed}, {ntf}, {att}, {sys}); the others share
every other slot. Its CPU is then exactly what those tags cost, beside what
the per-event tags cost the rest: whether a single slot is the bottleneck."""
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from convene_e2e import ConveneProcess, RedisCluster  # noqa: E402

B = os.environ.get("CONVENE_BUILD_DIR", "build")
global_node = "--global-node" in sys.argv
args = [a for a in sys.argv[1:] if a != "--global-node"]
n = int(args[0]) if len(args) > 0 else 3
rpcs = args[1] if len(args) > 1 else "CheckIn,Register"
seconds = args[2] if len(args) > 2 else "5"
SINGLE_SLOT_TAGS = ["cal", "feed", "ntf", "att", "sys"]


def crc16(data):
    """CRC16-XMODEM, Redis Cluster's key hash."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot_of_tag(tag):
    return crc16(tag.encode()) % 16384


def info(port):
    text = subprocess.run(["redis-cli", "-p", str(port), "INFO", "all"],
                          capture_output=True, text=True, timeout=10).stdout
    cpu = sum(float(v) for k, v in re.findall(r"^(used_cpu_(?:user|sys)):([\d.]+)", text, re.M))
    calls = sum(int(c) for name, c in re.findall(r"^cmdstat_([^:]+):calls=(\d+)", text, re.M)
                if name != "info")
    return cpu, calls


total_nodes = n + 1 if global_node else n
cluster = RedisCluster(primaries=total_nodes, replicas=0)
if global_node:
    single = {slot_of_tag(t): t for t in SINGLE_SLOT_TAGS}
    cluster.start(slot_owner=lambda slot: n if slot in single else slot * n // 16384)
else:
    cluster.start()
server = None
try:
    os.environ.setdefault("CONVENE_BUILD_DIR", B)
    server = ConveneProcess("convened/convened", cluster.address, extra_args=["--log_rpcs=false"])
    ports = cluster.ports[:total_nodes]
    before = {p: info(p) for p in ports}
    bench = subprocess.run([f"{B}/tests/bench/convene-bench", f"--server={server.target}",
                            "--in_flight=64", f"--seconds={seconds}", "--k1_seconds=0",
                            f"--rpcs={rpcs}"], capture_output=True, text=True, timeout=900)
    after = {p: info(p) for p in ports}
    print(bench.stdout, end="")
    total_cpu = sum(after[p][0] - before[p][0] for p in ports)
    total_calls = sum(after[p][1] - before[p][1] for p in ports)
    print(f"\n{total_nodes} primaries, {cluster.address}: Redis CPU and commands during the whole "
          "run (set-up included)" + (f"; the last owns only the slots of "
                                     f"{', '.join('{' + t + '}' for t in SINGLE_SLOT_TAGS)}"
                                     if global_node else ""))
    print(f"{'node':>18} {'CPU s':>8} {'share':>7} {'commands':>10} {'share':>7}")
    for p in ports:
        cpu, calls = after[p][0] - before[p][0], after[p][1] - before[p][1]
        print(f"{'127.0.0.1:' + str(p):>18} {cpu:8.2f} {100 * cpu / max(total_cpu, 1e-9):6.1f}% "
              f"{calls:10d} {100 * calls / max(total_calls, 1):6.1f}%")
    print(f"{'all':>18} {total_cpu:8.2f} {'':>7} {total_calls:10d}")
finally:
    if server:
        server.stop(signal.SIGKILL)
    cluster.cleanup()
