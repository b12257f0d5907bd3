#!/usr/bin/env python3
"""Scale curves (issue 19 item 4): how the read RPCs grow with the data, and
the live streams with their watchers. Starts a private redis-server (unix
socket) and convened replicas (--insecure, loopback), fills them through the
API and measures from Python's grpcio. Measures; asserts nothing.

  CONVENE_BUILD_DIR=$PWD/build /usr/bin/python3 tests/bench/scale_curves.py [registrations|watchers|all]
      [--sizes=10,1000,100000] [--watchers=1000] [--check_ins=20]
  (CONVENED=path: another convened binary, to compare two builds)

registrations: one event per size, filled with that many registrations
  (Register, 64 in flight, 50 cities and 50 organisations); then per event:
  ListRegistrations read in full (pages of 500: ms per full listing and per
  page) and GetAttendanceCounts (p50/p99 of 200 calls, and its answer's size).
watchers: WatchAttendanceCounts streams spread over two convened replicas,
  and WatchChanges streams (the change feed) on the first, --watchers of each;
  then --check_ins check-ins one after the other, each waiting until every
  watcher has seen it: the time from the CheckIn's answer to each watcher's
  update (p50, p99, max over every watcher and check-in). The watchers run
  in this one Python process (asyncio), so its own delay is part of the
  figure: read it as an upper bound.
"""
import asyncio
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from convene_e2e import ConveneProcess  # noqa: E402,F401  (puts build/python on the path)
import grpc  # noqa: E402
from convene.v1 import attendance_pb2 as A  # noqa: E402
from convene.v1 import attendance_pb2_grpc as AG  # noqa: E402
from convene.v1 import calendar_pb2 as C  # noqa: E402
from convene.v1 import calendar_pb2_grpc as CG  # noqa: E402
from convene.v1 import common_pb2 as M  # noqa: E402

BUILD = os.environ.get("CONVENE_BUILD_DIR", "build")
CONVENED = os.environ.get("CONVENED", os.path.join(BUILD, "services/convened/convened"))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
flags = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
what = args[0] if args else "all"
sizes = [int(s) for s in flags.get("sizes", "10,1000,100000").split(",")]
n_watchers = int(flags.get("watchers", "1000"))
n_check_ins = int(flags.get("check_ins", "20"))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class System:
    """A private redis-server and `replicas` convened on it."""

    def __init__(self, replicas=1):
        self.dir = tempfile.mkdtemp(prefix="scale-")
        self.sock = os.path.join(self.dir, "r.sock")
        self.redis = subprocess.Popen(["redis-server", "--unixsocket", self.sock, "--port", "0", "--save", "",
                                       "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(self.sock):
                break
            time.sleep(0.05)
        self.servers = []
        for _ in range(replicas):
            p = subprocess.Popen([CONVENED, "--insecure",
                                  "--listen=127.0.0.1:0", f"--redis=unix://{self.sock}", "--log_rpcs=false",
                                  "--notices=false"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = ""
            while "listening on" not in line:
                line = p.stdout.readline()
                if not line and p.poll() is not None:
                    raise RuntimeError("convened did not start")
            self.servers.append((p, line.split("listening on ")[1].split()[0]))

    def targets(self):
        return [t for _, t in self.servers]

    def close(self):
        for p, _ in self.servers:
            p.terminate()
            p.wait()
        self.redis.terminate()
        self.redis.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def today_event(cal, title):
    day = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return cal.CreateEvent(C.CreateEventRequest(request_id="scale-" + title, event=C.Event(
        title=title, format=M.EVENT_FORMAT_HYBRID, time_zone="UTC", city="Utrecht",
        start_local=day + "T00:00", end_local=day + "T23:59",
        venue=C.Venue(name="Stadhuis", in_person_capacity=0), online=C.OnlineAccess(
            platform="Zoom", join_url="https://meet.example.org/scale", online_capacity=0))), timeout=30)


def fill(att, event_id, n):
    """n registrations, 64 in flight."""
    started, pending, i = time.monotonic(), [], 0
    while i < n or pending:
        while i < n and len(pending) < 64:
            pending.append(att.Register.future(A.RegisterRequest(
                event_id=event_id, request_id=f"r{i}",
                mode=M.ATTENDANCE_MODE_IN_PERSON if i % 3 else M.ATTENDANCE_MODE_ONLINE,
                participant=M.Participant(participant_id=f"p{i}", display_name=f"Person {i}",
                                          email=f"p{i}@example.org", city=f"City {i % 50}",
                                          organisation=f"Organisation {i % 50}")), timeout=60))
            i += 1
        pending.pop(0).result()
    return time.monotonic() - started


def registrations():
    system = System()
    try:
        channel = grpc.insecure_channel(system.targets()[0])
        cal, att = CG.CalendarServiceStub(channel), AG.AttendanceServiceStub(channel)
        print("ListRegistrations (every page of 500) and GetAttendanceCounts, one event each, "
              "convened on a private redis-server")
        print(f"{'registrations':>13} {'fill s':>7} {'list ms':>9} {'pages':>6} {'ms/page':>8} "
              f"{'counts p50 ms':>14} {'p99 ms':>7} {'counts bytes':>13}")
        for n in sizes:
            event = today_event(cal, f"scale {n}")
            filled = fill(att, event.id, n)
            t0, pages, token, listed = time.monotonic(), 0, "", 0
            while True:
                page = att.ListRegistrations(A.ListRegistrationsRequest(
                    event_id=event.id, page_size=500, page_token=token), timeout=60)
                pages += 1
                listed += len(page.registrations)
                token = page.next_page_token
                if not token:
                    break
            list_ms = (time.monotonic() - t0) * 1000
            assert listed == n, (listed, n)
            times, size = [], 0
            for _ in range(200):
                t = time.monotonic()
                counts = att.GetAttendanceCounts(A.GetAttendanceCountsRequest(event_id=event.id), timeout=30)
                times.append((time.monotonic() - t) * 1000)
                size = counts.ByteSize()
            print(f"{n:>13} {filled:>7.1f} {list_ms:>9.1f} {pages:>6} {list_ms / pages:>8.2f} "
                  f"{statistics.median(times):>14.2f} {pct(times, 99):>7.2f} {size:>13}", flush=True)
        channel.close()
    finally:
        system.close()


async def watchers():
    system = System(replicas=2)
    try:
        targets = system.targets()
        setup = grpc.insecure_channel(targets[0])
        cal, att = CG.CalendarServiceStub(setup), AG.AttendanceServiceStub(setup)
        event = today_event(cal, "scale watchers")
        fill(att, event.id, n_check_ins)
        # Several channels per replica: one HTTP/2 connection carries at most
        # ~100 concurrent streams by default.
        channels = [grpc.aio.insecure_channel(targets[i % 2], options=[("grpc.use_local_subchannel_pool", 1)])
                    for i in range(max(2, n_watchers // 50))]
        seen_counts = [0] * n_watchers   # checked-in total each counts watcher has seen
        seen_changes = [set() for _ in range(n_watchers)]  # participants each feed watcher saw checked in
        arrivals = {}  # (kind, k) -> list of arrival times
        opened = {"counts": 0, "changes": 0}

        async def watch_counts(i):
            stub = AG.AttendanceServiceStub(channels[i % len(channels)])
            call = stub.WatchAttendanceCounts(A.WatchAttendanceCountsRequest(event_id=event.id))
            first = True
            async for update in call:
                if first:
                    opened["counts"] += 1
                    first = False
                total = sum(d.counts.checked_in_total for d in update.days)
                now = time.monotonic()
                for k in range(seen_counts[i] + 1, total + 1):
                    arrivals.setdefault(("counts", k), []).append(now)
                seen_counts[i] = max(seen_counts[i], total)

        async def watch_changes(i):
            stub = CG.CalendarServiceStub(channels[(2 * i) % len(channels)])  # the first replica's channels
            call = stub.WatchChanges(C.WatchChangesRequest(event_id=event.id,
                                                           kinds=[C.CHANGE_KIND_CHECKED_IN]))
            opened["changes"] += 1
            async for change in call:
                k = int(change.participant_id[1:]) + 1
                if k not in seen_changes[i]:
                    seen_changes[i].add(k)
                    arrivals.setdefault(("changes", k), []).append(time.monotonic())

        tasks = [asyncio.create_task(watch_counts(i)) for i in range(n_watchers)]
        tasks += [asyncio.create_task(watch_changes(i)) for i in range(n_watchers)]
        try:
            await measure(event, channels, tasks, opened, arrivals)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
            for ch in channels:
                await ch.close(grace=0)
            setup.close()
    finally:
        system.close()


async def measure(event, channels, tasks, opened, arrivals):
    """Waits for the watchers, makes the check-ins one at a time, prints the table."""
    deadline = time.monotonic() + 60
    while opened["counts"] < n_watchers and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)  # the feed watchers' streams are live
    aatt = AG.AttendanceServiceStub(channels[0])
    latencies = {"counts": [], "changes": []}
    missing = {"counts": 0, "changes": 0}
    for k in range(1, n_check_ins + 1):
        await aatt.CheckIn(A.CheckInRequest(event_id=event.id, participant_id=f"p{k - 1}",
                                            day=datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
                                            mode=M.ATTENDANCE_MODE_IN_PERSON if (k - 1) % 3 else
                                            M.ATTENDANCE_MODE_ONLINE,
                                            source=A.CHECK_IN_SOURCE_BADGE if (k - 1) % 3 else
                                            A.CHECK_IN_SOURCE_ONLINE_JOIN, request_id=f"c{k}"), timeout=30)
        answered = time.monotonic()
        until = answered + 15
        while time.monotonic() < until and (len(arrivals.get(("counts", k), [])) < opened["counts"]
                                            or len(arrivals.get(("changes", k), [])) < opened["changes"]):
            await asyncio.sleep(0.005)
        for kind in ("counts", "changes"):
            got = arrivals.get((kind, k), [])
            latencies[kind] += [(t - answered) * 1000 for t in got]
            missing[kind] += opened[kind] - len(got)
    print(f"\n{n_watchers} WatchAttendanceCounts watchers over 2 replicas ({opened['counts']} open) and "
          f"{n_watchers} WatchChanges watchers ({opened['changes']} open); {n_check_ins} check-ins, "
          "one at a time; ms from the CheckIn's answer to each watcher's update")
    print(f"{'stream':<24} {'updates':>8} {'missing':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, name in (("counts", "WatchAttendanceCounts"), ("changes", "WatchChanges")):
        v = latencies[kind] or [float("nan")]
        print(f"{name:<24} {len(latencies[kind]):>8} {missing[kind]:>8} {statistics.median(v):>8.1f} "
              f"{pct(v, 99):>8.1f} {max(v):>8.1f}", flush=True)


if what in ("registrations", "all"):
    registrations()
if what in ("watchers", "all"):
    # Not asyncio.run: its final cleanup of leftover tasks can wait for ever
    # on one of grpc.aio's threads. watchers() has stopped every process it
    # started; leave without that cleanup.
    asyncio.new_event_loop().run_until_complete(watchers())
    sys.stdout.flush()
    os._exit(0)
