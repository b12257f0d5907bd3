"""End to end: every Convene binary, started as a real process against a
private redis-server, answers grpc.health.v1 and reflection to a client nobody
here wrote (python3-grpcio); follows Redis going away and coming back without
a restart; and stops cleanly on SIGTERM."""
import signal
import subprocess
import time
import unittest

import grpc

from convene_e2e import (SERVICE_NAMES, ConveneProcess, RedisServer,
                         health_status, reflection_services, unary, wait_until)
from convene.v1 import calendar_pb2

BINARIES = {
    "calendar/convene-calendar": ["convene.v1.CalendarService"],
    "attendance/convene-attendance": ["convene.v1.AttendanceService"],
    "notification/convene-notification": ["convene.v1.NotificationService"],
    "convened/convened": SERVICE_NAMES,
}


class HealthAndReflectionTest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer()
        self.redis.start()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.stop(signal.SIGKILL)
        self.redis.cleanup()

    def start(self, binary, extra_args=()):
        p = ConveneProcess(binary, self.redis.address, extra_args)
        self.procs.append(p)
        return p

    def test_each_binary_serves_health_and_reflection(self):
        for binary, services in BINARIES.items():
            with self.subTest(binary=binary):
                p = self.start(binary)
                with grpc.insecure_channel(p.target) as ch:
                    for name in services + [""]:
                        self.assertEqual(
                            wait_until(lambda: health_status(ch, name) == "SERVING", 10) and "SERVING",
                            "SERVING", f"{binary} health of {name!r}")
                    self.assertEqual(health_status(ch, "convene.v1.NoSuchService"), "NOT_FOUND")
                    listed = reflection_services(ch)
                    for name in services:
                        self.assertIn(name, listed)
                    self.assertIn("grpc.health.v1.Health", listed)
                self.assertEqual(p.stop(signal.SIGTERM), 0, f"{binary} exit code after SIGTERM")

    def test_convened_lists_all_three_services(self):
        p = self.start("convened/convened")
        with grpc.insecure_channel(p.target) as ch:
            listed = reflection_services(ch)
        self.assertTrue(set(SERVICE_NAMES) <= set(listed), listed)

    def test_convened_reports_every_services_metrics(self):
        p = self.start("convened/convened", ["--metrics_listen=127.0.0.1:0"])
        with grpc.insecure_channel(p.target) as ch:
            self.assertTrue(wait_until(lambda: health_status(ch, "") == "SERVING", 10))
            for _ in range(3):
                with self.assertRaises(grpc.RpcError) as missing:
                    unary(ch, "CalendarService", "GetEvent",
                          calendar_pb2.GetEventRequest(event_id="ev_missing"), calendar_pb2.Event)
                self.assertEqual(missing.exception.code(), grpc.StatusCode.NOT_FOUND)
        m = p.metrics()
        self.assertEqual(m['convene_rpc_requests_total{method="/convene.v1.CalendarService/GetEvent",'
                           'code="NOT_FOUND"}'], 3.0)
        self.assertEqual(m['convene_rpc_duration_seconds_count{method="/convene.v1.CalendarService/GetEvent"}'], 3.0)
        self.assertEqual(m["convene_notification_reminders_due"], 0.0)
        self.assertIn("convene_attendance_sheet_lag_seconds", m)
        for name in SERVICE_NAMES + ["convene.writes"]:
            self.assertEqual(m[f'convene_health_serving{{service="{name}"}}'], 1.0, name)
        self.assertEqual(p.stop(signal.SIGTERM), 0)

    def test_health_follows_redis_outage_without_restart(self):
        p = self.start("convened/convened")
        name = "convene.v1.CalendarService"
        with grpc.insecure_channel(p.target) as ch:
            self.assertTrue(wait_until(lambda: health_status(ch, name) == "SERVING", 10))
            self.redis.kill()
            self.assertTrue(wait_until(lambda: health_status(ch, name) == "NOT_SERVING", 10),
                            "health should report NOT_SERVING while Redis is down")
            self.assertEqual(health_status(ch, ""), "NOT_SERVING")
            self.redis.start()
            self.assertTrue(wait_until(lambda: health_status(ch, name) == "SERVING", 15),
                            "health should come back without restarting the service")
        self.assertEqual(p.stop(signal.SIGTERM), 0)

    def test_attendance_reports_when_calendar_changes_wait_too_long(self):
        """Attendance takes calendar changes from the calendar's stream; its
        health name convene.attendance.sheets reads NOT_SERVING while the
        oldest change not applied has waited more than 10 s (here: another
        replica holds the follower's lease and does nothing), and SERVING
        again once a follower catches up. GET /metrics (--metrics_listen)
        reports the same: the lag in seconds, the health, and the RPCs."""
        name = "convene.attendance.sheets"
        p = self.start("attendance/convene-attendance", ["--metrics_listen=127.0.0.1:0"])
        self.assertIsNotNone(p.metrics_port, "no 'metrics on' line")
        lag = "convene_attendance_sheet_lag_seconds"
        serving = 'convene_health_serving{service="convene.attendance.sheets"}'

        def cli(*args):
            return subprocess.run(["redis-cli", *self.redis.cli_target(), *args],
                                  capture_output=True, text=True, timeout=10).stdout.strip()

        with grpc.insecure_channel(p.target) as ch:
            self.assertTrue(wait_until(lambda: health_status(ch, name) == "SERVING", 10))
            # A replica that took the lease and hung; a change 30 s old.
            self.assertEqual(cli("SET", "cv:{att}:sheet-lease", "hung-replica", "PX", "600000"), "OK")
            # A read already waiting (up to 0.5 s) may still take one batch;
            # the next one finds the lease held by the other replica.
            time.sleep(1.5)
            old_id = f"{int(time.time() * 1000) - 30000}-0"
            self.assertEqual(cli("XADD", "cv:{cal}:changes", old_id, "type", "created",
                                 "event", "ev_hung", "revision", "1"), old_id)
            self.assertTrue(wait_until(lambda: health_status(ch, name) == "NOT_SERVING", 10),
                            "a 30 s old change nobody applied should read NOT_SERVING")
            stuck = p.metrics()
            self.assertGreaterEqual(stuck[lag], 30.0, stuck)
            self.assertEqual(stuck[serving], 0.0)
            checks = ('convene_rpc_requests_total{method="/grpc.health.v1.Health/Check",'
                      'code="OK"}')
            self.assertGreaterEqual(stuck[checks], 2.0)
            # The service itself still serves.
            self.assertEqual(health_status(ch, "convene.v1.AttendanceService"), "SERVING")
            self.assertEqual(cli("DEL", "cv:{att}:sheet-lease"), "1")
            self.assertTrue(wait_until(lambda: health_status(ch, name) == "SERVING", 15),
                            "the follower should take the lease over and catch up")
            caught_up = p.metrics()
            self.assertLess(caught_up[lag], 10.0, caught_up)
            self.assertEqual(caught_up[serving], 1.0)
        self.assertEqual(p.stop(signal.SIGTERM), 0)

    def test_rpcs_fail_unavailable_within_deadline_while_redis_is_down(self):
        p = self.start("calendar/convene-calendar")
        event = calendar_pb2.Event(
            title="Interim meeting", format=3, time_zone="Europe/Brussels",
            start_local="2021-09-13T09:30", end_local="2021-09-14T17:30",
            venue=calendar_pb2.Venue(name="Eurocities", address="Square de Meeus 1, Brussels"),
            online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example/j/1"))

        def create(request_id, timeout=5.0):
            return unary(ch, "CalendarService", "CreateEvent",
                         calendar_pb2.CreateEventRequest(request_id=request_id, event=event),
                         calendar_pb2.Event, timeout=timeout)

        with grpc.insecure_channel(p.target) as ch:
            created = create("e2e-1")
            self.redis.kill()
            for _ in range(5):
                started = time.monotonic()
                with self.assertRaises(grpc.RpcError) as failure:
                    unary(ch, "CalendarService", "GetEvent",
                          calendar_pb2.GetEventRequest(event_id=created.id),
                          calendar_pb2.Event, timeout=3.0)
                self.assertEqual(failure.exception.code(), grpc.StatusCode.UNAVAILABLE,
                                 failure.exception.details())
                self.assertLess(time.monotonic() - started, 3.0)
            # Back without restarting the service. This Redis keeps no data
            # across the kill, so the event is made again and read back.
            self.redis.start()

            def works():
                try:
                    return create("e2e-2", timeout=2.0)
                except grpc.RpcError:
                    return None
            again = wait_until(works, 15, interval=0.2)
            self.assertIsNotNone(again, "calls should succeed again once Redis is back")
            read = unary(ch, "CalendarService", "GetEvent",
                         calendar_pb2.GetEventRequest(event_id=again.id), calendar_pb2.Event)
            self.assertEqual(read.title, "Interim meeting")
        self.assertEqual(p.stop(signal.SIGTERM), 0)

if __name__ == "__main__":
    unittest.main(verbosity=2)
