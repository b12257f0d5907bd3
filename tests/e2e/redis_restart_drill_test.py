"""Fault drill: Redis SIGKILLed and restarted under a check-in load.

redis-server persists with appendonly yes and appendfsync always in a
directory of its own; convened serves against it. Eight client threads keep
checking participants in (2 s deadline each) while Redis is SIGKILLed, kept
down for a few seconds and restarted on the same port and directory, and
convened is left alone. The drill asserts:

* every call that failed, during the outage or around it, failed with
  UNAVAILABLE and returned before its deadline (measured per call);
* health reads NOT_SERVING while Redis is down;
* the service serves again by itself once Redis is back (the time is
  printed), and convened never exited;
* every check-in that was acknowledged is there afterwards, read through the
  public API (ExportAttendanceReport and GetAttendanceCounts).

A client whose call failed retries it later with the same request id, as a
real check-in desk would; request ids make that safe."""
import csv
import datetime
import io
from concurrent.futures import ThreadPoolExecutor
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import grpc

from convene_e2e import (ConveneProcess, health_status, local_instant, timestamp, unary,
                         wait_until)
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2

DAYS = ["2022-03-15", "2022-03-16", "2022-03-17"]
PARTICIPANTS = 600
CLIENTS = 8
DEADLINE = 2.0          # each check-in's client deadline, seconds
LOAD_BEFORE_KILL = 2.0  # seconds of load before Redis dies
OUTAGE = 3.0            # seconds Redis stays down
LOAD_AFTER = 2.0        # seconds of load once the service serves again


def scan_time(pid, day):
    """When the badge reader at the door saw `pid` on `day`: between 08:30 and
    09:30 in Thessaloniki, inside the day's check-in window (the server's own
    clock, years later, is not)."""
    spread = datetime.timedelta(seconds=int(pid[1:]) * 6 % 3600)
    return timestamp(local_instant("Europe/Athens", f"{day}T08:30") + spread)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PersistentRedis:
    """redis-server on a loopback port with AOF fsynced on every write, in a
    directory that survives restarts."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="convene-drill-redis-")
        self.port = free_port()
        self.proc = None
        self.log = os.path.join(self.dir, "redis.log")

    @property
    def address(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--logfile", self.log, "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(self.ping, 15):
            raise RuntimeError("redis-server did not answer PING")

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisRestartDrillTest(unittest.TestCase):
    def setUp(self):
        self.redis = PersistentRedis()
        self.redis.start()
        self.server = ConveneProcess("convened/convened", self.redis.address,
                                     extra_args=["--log_rpcs=false"])
        self.channel = grpc.insecure_channel(self.server.target)

    def tearDown(self):
        self.channel.close()
        if self.server.proc.poll() is None:
            self.server.stop(signal.SIGKILL)
        self.redis.cleanup()

    def call(self, method, request, response_type, timeout=10):
        return unary(self.channel, "AttendanceService", method, request, response_type,
                     timeout=timeout)

    def test_acknowledged_check_ins_survive_a_redis_kill_and_the_service_recovers(self):
        event = unary(self.channel, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="redis-restart-drill", event=calendar_pb2.Event(
                title="CoP1 3rd workshop", format=common_pb2.EVENT_FORMAT_HYBRID,
                time_zone="Europe/Athens", start_local="2022-03-15T09:00",
                end_local="2022-03-17T17:30",
                venue=calendar_pb2.Venue(name="Thessaloniki City Hall"),
                online=calendar_pb2.OnlineAccess(platform="Zoom",
                                                  join_url="https://meet.example.org/cop1-3"))),
            calendar_pb2.Event, timeout=10)
        people = [f"p{i:04d}" for i in range(PARTICIPANTS)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda pid: self.call("Register", attendance_pb2.RegisterRequest(
                event_id=event.id, request_id="reg-" + pid,
                mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                participant=common_pb2.Participant(participant_id=pid,
                                                   display_name="Partner " + pid)),
                attendance_pb2.Registration), people))

        # Work: each (participant, day) once, day by day; a failed one goes
        # back to the end of the queue with its request id.
        todo = [(pid, day) for day in DAYS for pid in people]
        todo.reverse()
        lock = threading.Lock()
        acknowledged = {}  # (participant, day) -> when the reply came
        failures = []      # (code, elapsed, when, details)
        stop = threading.Event()

        def client():
            while not stop.is_set():
                with lock:
                    if not todo:
                        return
                    pid, day = todo.pop()
                started = time.monotonic()
                try:
                    self.call("CheckIn", attendance_pb2.CheckInRequest(
                        event_id=event.id, participant_id=pid, day=day,
                        mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                        source=attendance_pb2.CHECK_IN_SOURCE_BADGE,
                        request_id=f"ci-{pid}-{day}", occurred_time=scan_time(pid, day)),
                        attendance_pb2.CheckInRecord, timeout=DEADLINE)
                    with lock:
                        acknowledged[(pid, day)] = time.monotonic()
                    time.sleep(0.03)  # a badge reader, not a flood
                except grpc.RpcError as e:
                    now = time.monotonic()
                    with lock:
                        failures.append((e.code(), now - started, now, e.details()))
                        todo.insert(0, (pid, day))
                    time.sleep(0.05)

        threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
        load_started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(LOAD_BEFORE_KILL)
        killed_at = time.monotonic()
        self.redis.kill()
        # While Redis is down: health follows, calls fail fast.
        not_serving = wait_until(lambda: health_status(
            self.channel, "convene.v1.AttendanceService") == "NOT_SERVING", OUTAGE, 0.1)
        time.sleep(max(0.0, killed_at + OUTAGE - time.monotonic()))
        self.redis.start()
        restarted_at = time.monotonic()
        recovered = wait_until(
            lambda: any(t > restarted_at for t in list(acknowledged.values())), 30, 0.01)
        with lock:
            recovered_at = min([t for t in acknowledged.values() if t > restarted_at],
                               default=time.monotonic())
        serving = wait_until(lambda: health_status(
            self.channel, "convene.v1.AttendanceService") == "SERVING", 10, 0.1)
        time.sleep(LOAD_AFTER)
        stop.set()
        for t in threads:
            t.join(DEADLINE + 5)
        load_seconds = time.monotonic() - load_started

        # A reply Redis sent just before it died may still be on its way.
        grace = 0.3
        before_kill = sum(1 for t in acknowledged.values() if t < killed_at + grace)
        during_outage = sum(1 for t in acknowledged.values()
                            if killed_at + grace <= t <= restarted_at)

        def phase(when):
            return ("before the kill" if when < killed_at else
                    "Redis down" if when <= restarted_at else
                    "Redis back, not served yet" if when <= recovered_at else "served again")
        by_phase = {}
        for code, elapsed, when, _ in failures:
            by_phase.setdefault(phase(when), []).append(elapsed)
        print(f"\n{len(acknowledged)} check-ins acknowledged in {load_seconds:.1f} s of load "
              f"({before_kill} before the kill, {during_outage} while Redis was down); "
              f"{len(failures)} calls failed, all UNAVAILABLE: " +
              ", ".join(f"{ph}: {len(v)}, slowest {max(v) * 1000:.0f} ms"
                        for ph, v in by_phase.items()))
        print(f"Redis SIGKILLed, restarted {restarted_at - killed_at:.1f} s later on the same "
              f"port and directory; first check-in acknowledged {recovered_at - restarted_at:.2f} s "
              f"after the restart ({recovered_at - killed_at:.1f} s after the kill)")

        self.assertIsNone(self.server.proc.poll(), "convened exited")
        self.assertTrue(recovered, "no check-in was acknowledged after Redis came back")
        self.assertLess(recovered_at - restarted_at, 10, "the service took too long to recover")
        self.assertTrue(not_serving, "health did not read NOT_SERVING while Redis was down")
        self.assertTrue(serving, "health did not read SERVING again")
        self.assertGreater(before_kill, 0)
        self.assertEqual(during_outage, 0, "check-ins were acknowledged with Redis down")
        self.assertTrue(by_phase.get("Redis down"), "no call failed while Redis was down")
        for code, elapsed, when, details in failures:
            self.assertEqual(code, grpc.StatusCode.UNAVAILABLE,
                             f"{phase(when)}: {code}: {details}")
            self.assertLess(elapsed, DEADLINE,
                            f"{phase(when)}: returned after {elapsed:.2f} s: {details}")

        # Every acknowledged check-in is there, through the public API.
        report = self.call("ExportAttendanceReport", attendance_pb2.ExportAttendanceReportRequest(
            event_id=event.id), attendance_pb2.ExportAttendanceReportResponse, timeout=30)
        present = set()
        for row in csv.DictReader(io.StringIO(report.csv)):
            for day in DAYS:
                if row[f"{day} check-in"]:
                    present.add((row["participant_id"], day))
        missing = set(acknowledged) - present
        self.assertEqual(missing, set(), f"{len(missing)} acknowledged check-ins lost")
        counts = self.call("GetAttendanceCounts", attendance_pb2.GetAttendanceCountsRequest(
            event_id=event.id), attendance_pb2.AttendanceCounts)
        for d in counts.days:
            acked = sum(1 for _, day in acknowledged if day == d.date)
            self.assertGreaterEqual(d.counts.checked_in_in_person, acked, d.date)
            self.assertEqual(d.counts.checked_in_in_person,
                             sum(1 for _, day in present if day == d.date), d.date)
        print(f"all {len(acknowledged)} acknowledged check-ins present after the restart "
              f"({len(present)} recorded in all)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
