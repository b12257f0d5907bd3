#!/usr/bin/env python3
"""How the load splits over a Redis Cluster: starts a cluster of N primaries
(no replicas) on loopback, convened on redis-cluster://, drives it with
convene-bench --server, and prints per primary the Redis CPU (INFO cpu) and
commands (INFO commandstats) spent during the run, and their share. On two
shared cores the throughput cannot grow with nodes: this shows the split and
the per-node cost. Measures; asserts nothing.

  CONVENE_BUILD_DIR=$PWD/build /usr/bin/python3 tests/bench/cluster_split.py N [RPCS] [SECONDS] [--global-node]
  (N primaries; RPCS: convene-bench's --rpcs, default CheckIn,Register)

--tag-nodes adds one more primary per single-slot tag ({cal}, {feed},
{ntf}, {att}, {sys}), owning only that tag's slot; the N others share every
other slot. Each such node's CPU is then exactly what its tag costs, beside
what the per-event tags cost the rest: whether a single slot is the
bottleneck, and at how many busy event nodes it would become one."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from convene_e2e import ConveneProcess, RedisCluster  # noqa: E402

B = os.environ.get("CONVENE_BUILD_DIR", "build")
tag_nodes = "--tag-nodes" in sys.argv
args = [a for a in sys.argv[1:] if a != "--tag-nodes"]
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


total_nodes = n + len(SINGLE_SLOT_TAGS) if tag_nodes else n
cluster = RedisCluster(primaries=total_nodes, replicas=0)
tag_of_node = {}
if tag_nodes:
    single = {slot_of_tag(t): i for i, t in enumerate(SINGLE_SLOT_TAGS)}
    tag_of_node = {n + i: "{" + t + "}" for i, t in enumerate(SINGLE_SLOT_TAGS)}
    cluster.start(slot_owner=lambda slot: n + single[slot] if slot in single else slot * n // 16384)
else:
    cluster.start()
server = None
try:
    os.environ.setdefault("CONVENE_BUILD_DIR", B)
    server = ConveneProcess("convened/convened", cluster.address, extra_args=["--log_rpcs=false"])
    ports = cluster.ports[:total_nodes]
    before = {p: info(p) for p in ports}
    started = time.monotonic()
    bench = subprocess.run([f"{B}/tests/bench/convene-bench", f"--server={server.target}",
                            "--in_flight=64", f"--seconds={seconds}", "--k1_seconds=0",
                            f"--rpcs={rpcs}"], capture_output=True, text=True, timeout=900)
    after = {p: info(p) for p in ports}
    wall = time.monotonic() - started
    print(bench.stdout, end="")
    total_cpu = sum(after[p][0] - before[p][0] for p in ports)
    total_calls = sum(after[p][1] - before[p][1] for p in ports)
    print(f"\n{total_nodes} primaries, {cluster.address}: Redis CPU and commands during the whole "
          f"run ({wall:.1f} s, set-up included)" +
          ("; the last ones own one single-slot tag each" if tag_nodes else ""))
    print(f"{'node':>18} {'holds':>12} {'CPU s':>8} {'share':>7} {'busy':>6} {'commands':>10} {'share':>7}")
    for i, p in enumerate(ports):
        cpu, calls = after[p][0] - before[p][0], after[p][1] - before[p][1]
        holds = tag_of_node.get(i, "events" if tag_nodes else "")
        print(f"{'127.0.0.1:' + str(p):>18} {holds:>12} {cpu:8.2f} {100 * cpu / max(total_cpu, 1e-9):6.1f}% "
              f"{100 * cpu / wall:5.1f}% {calls:10d} {100 * calls / max(total_calls, 1):6.1f}%")
    print(f"{'all':>18} {'':>12} {total_cpu:8.2f} {'':>7} {100 * total_cpu / wall:5.1f}% {total_calls:10d}")
    if tag_nodes:
        event_cpu = sum(after[p][0] - before[p][0] for p in ports[:n])
        for i in range(n, total_nodes):
            p = ports[i]
            cpu = after[p][0] - before[p][0]
            if cpu > 0:
                print(f"{tag_of_node[i]}: {cpu / event_cpu * 100:.1f} s of CPU per 100 s on the event "
                      f"nodes: one core for it is saturated when the event nodes together burn "
                      f"{event_cpu / cpu:.0f} cores")
finally:
    if server:
        server.stop(signal.SIGKILL)
    cluster.cleanup()
