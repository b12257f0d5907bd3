"""Fault drill: replicas killed under load. convene-calendar, two
convene-attendance replicas (A, B) and two convene-notification replicas
(N1, N2) over one private redis-server.

1. Eight clients spread Register and CheckIn calls over A and B; A is
   SIGKILLed mid-load. A client whose call failed retries it on B with the
   same request id. Asserted: every failure was on A and UNAVAILABLE; every
   acknowledged registration and check-in is there afterwards; nothing is
   doubled (one registration per participant, counts equal to what is
   listed).
2. The same clients' registrations for a webinar plan three reminders each,
   all due about 25 s after the start. Both dispatchers hold each batch they
   claim for a while (--dispatch_hold_for_testing), so with more reminders
   due than one batch holds, N1 is certain to hold one; it is SIGKILLed
   then, and N2 takes its reminders once the lease runs out. Asserted: each
   reminder reaches the stream sink exactly once, and the outbox holds
   exactly one notification per reminder (the technique of
   notification_test.py)."""
import csv
import datetime
import io
import signal
import threading
import time
import unittest
import zoneinfo

import grpc
from google.protobuf import duration_pb2

from convene_e2e import ProcessesTestCase, local_instant, timestamp, unary, wait_until
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2, notification_pb2

PARTICIPANTS = 1000
CLIENTS = 8
OFFSETS = 3              # reminders per webinar registration
DUE_IN = 25.0            # seconds from the policy to the first reminder
WEBINAR_ZONE = "Europe/Brussels"
WORKSHOP_DAY = "2022-03-15"


def badge_time(pid):
    """When the badge reader saw `pid` at the workshop door: between 08:30 and
    09:30 in Thessaloniki on WORKSHOP_DAY, inside the day's check-in window
    (the server's own clock, years later, is not)."""
    spread = datetime.timedelta(seconds=int(pid[1:]) * 3 % 3600)
    return timestamp(local_instant("Europe/Athens", f"{WORKSHOP_DAY}T08:30") + spread)


def local(dt):
    return dt.astimezone(zoneinfo.ZoneInfo(WEBINAR_ZONE)).strftime("%Y-%m-%dT%H:%M")


class ReplicaKillDrillTest(ProcessesTestCase):
    spawn_args = ("--log_rpcs=false",)

    def setUp(self):
        super().setUp()
        self.calendar = self.spawn("calendar/convene-calendar")
        self.a = self.spawn("attendance/convene-attendance")
        self.b = self.spawn("attendance/convene-attendance")
        # Both dispatchers hold what they claim, N1 longer; the lease (5 s)
        # outlasts N2's hold, so only a dead dispatcher's batch moves.
        self.n1 = self.spawn("notification/convene-notification", "--notices=false", "--dispatch_lease=5s",
                             "--dispatch_hold_for_testing=3s")
        self.n2 = self.spawn("notification/convene-notification", "--notices=false", "--dispatch_lease=5s",
                             "--dispatch_hold_for_testing=2s")
        self.ch_cal, self.ch_a, self.ch_b, self.ch_n2 = (
            self.channel(p) for p in (self.calendar, self.a, self.b, self.n2))

    def create_events(self):
        workshop = unary(self.ch_cal, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="replica-drill-workshop", event=calendar_pb2.Event(
                title="CoP1 3rd workshop", format=common_pb2.EVENT_FORMAT_HYBRID,
                time_zone="Europe/Athens", start_local="2022-03-15T09:00",
                end_local="2022-03-17T17:30",
                venue=calendar_pb2.Venue(name="Thessaloniki City Hall", in_person_capacity=5000),
                online=calendar_pb2.OnlineAccess(platform="Zoom",
                                                  join_url="https://meet.example.org/cop1-3"))),
            calendar_pb2.Event, timeout=10)
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
        start = start.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
        webinar = unary(self.ch_cal, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="replica-drill-webinar", event=calendar_pb2.Event(
                title="CONNECTION webinar", format=common_pb2.EVENT_FORMAT_ONLINE,
                time_zone=WEBINAR_ZONE, city="Brussels", start_local=local(start),
                end_local=local(start + datetime.timedelta(hours=2)),
                online=calendar_pb2.OnlineAccess(platform="Zoom",
                                                  join_url="https://meet.example.org/webinar"))),
            calendar_pb2.Event, timeout=10)
        return workshop, webinar, start

    def list_all(self, channel, method, request, response_type, field):
        out, token = [], ""
        for _ in range(100):
            request.page_token = token
            page = unary(channel, type(self).SERVICE[method], method, request, response_type,
                         timeout=30)
            out.extend(getattr(page, field))
            token = page.next_page_token
            if not token:
                break
        return out

    SERVICE = {"ListRegistrations": "AttendanceService",
               "ListScheduledReminders": "NotificationService"}

    def test_killed_replicas_lose_no_acknowledged_write_and_send_no_reminder_twice(self):
        workshop, webinar, start = self.create_events()
        due = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=DUE_IN)
        lead = (start - due).total_seconds()
        unary(self.ch_n2, "NotificationService", "SetReminderPolicy",
              notification_pb2.SetReminderPolicyRequest(policy=notification_pb2.ReminderPolicy(
                  event_id=webinar.id,
                  before_event=[duration_pb2.Duration(seconds=int(lead) + i)
                                for i in range(OFFSETS)])),
              notification_pb2.ReminderPolicy, timeout=30)

        # --- 1. Attendance: A dies mid-load, clients move to B. ---
        people = [f"p{i:04d}" for i in range(PARTICIPANTS)]
        lock = threading.Lock()
        acked = {"workshop": set(), "check-in": set(), "webinar": set()}
        failures = []  # (replica, code, details)
        unfinished = []

        def calls(pid):
            yield "workshop", "Register", attendance_pb2.RegisterRequest(
                event_id=workshop.id, request_id="reg-w-" + pid,
                mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                participant=common_pb2.Participant(participant_id=pid,
                                                   display_name="Partner " + pid)), \
                attendance_pb2.Registration
            yield "check-in", "CheckIn", attendance_pb2.CheckInRequest(
                event_id=workshop.id, participant_id=pid, day=WORKSHOP_DAY,
                mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                source=attendance_pb2.CHECK_IN_SOURCE_BADGE, request_id="ci-" + pid,
                occurred_time=badge_time(pid)), \
                attendance_pb2.CheckInRecord
            yield "webinar", "Register", attendance_pb2.RegisterRequest(
                event_id=webinar.id, request_id="reg-n-" + pid,
                mode=common_pb2.ATTENDANCE_MODE_ONLINE,
                participant=common_pb2.Participant(
                    participant_id=pid, display_name="Partner " + pid,
                    email=pid + "@example.org", time_zone="Europe/Rome", language="it")), \
                attendance_pb2.Registration

        def client(k):
            replicas = [("A", self.ch_a), ("B", self.ch_b)]
            current = k % 2
            for pid in people[k::CLIENTS]:
                for kind, method, request, response_type in calls(pid):
                    for _ in range(4):
                        name, ch = replicas[current]
                        try:
                            unary(ch, "AttendanceService", method, request, response_type,
                                  timeout=5)
                            with lock:
                                acked[kind].add(pid)
                            break
                        except grpc.RpcError as e:
                            with lock:
                                failures.append((name, e.code(), e.details()))
                            current = 1 - current  # the same request id, on the other one
                            time.sleep(0.05)
                    else:
                        with lock:
                            unfinished.append((kind, pid))

        threads = [threading.Thread(target=client, args=(k,), daemon=True)
                   for k in range(CLIENTS)]
        load_started = time.monotonic()
        for t in threads:
            t.start()
        total = 3 * PARTICIPANTS
        self.assertTrue(wait_until(lambda: sum(map(len, acked.values())) >= total // 3, 30, 0.01),
                        "the load did not get going")
        with lock:
            at_kill = sum(map(len, acked.values()))
        self.a.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        for t in threads:
            t.join(60)
        load_seconds = time.monotonic() - load_started
        print(f"\nattendance: {sum(map(len, acked.values()))} of {total} writes acknowledged in "
              f"{load_seconds:.1f} s; replica A SIGKILLed after {at_kill} "
              f"({killed_at - load_started:.1f} s in); {len(failures)} calls failed and were "
              f"retried on B with their request ids")
        self.assertEqual(unfinished, [])
        self.assertTrue(failures, "no call was in flight on A or sent to it after the kill")
        for name, code, details in failures:
            self.assertEqual((name, code), ("A", grpc.StatusCode.UNAVAILABLE), details)

        listed = self.list_all(self.ch_b, "ListRegistrations", attendance_pb2.ListRegistrationsRequest(
            event_id=workshop.id, page_size=500), attendance_pb2.ListRegistrationsResponse,
            "registrations")
        ids = [r.participant.participant_id for r in listed]
        self.assertEqual(len(ids), len(set(ids)), "a registration is there twice")
        self.assertEqual(acked["workshop"] - set(ids), set(), "acknowledged registrations lost")
        report = unary(self.ch_b, "AttendanceService", "ExportAttendanceReport",
                       attendance_pb2.ExportAttendanceReportRequest(event_id=workshop.id),
                       attendance_pb2.ExportAttendanceReportResponse, timeout=30)
        rows = list(csv.DictReader(io.StringIO(report.csv)))
        checked_in = {r["participant_id"] for r in rows if r[f"{WORKSHOP_DAY} check-in"]}
        self.assertEqual(len(rows), len({r["participant_id"] for r in rows}))
        self.assertEqual(acked["check-in"] - checked_in, set(), "acknowledged check-ins lost")
        counts = unary(self.ch_b, "AttendanceService", "GetAttendanceCounts",
                       attendance_pb2.GetAttendanceCountsRequest(event_id=workshop.id),
                       attendance_pb2.AttendanceCounts)
        day = next(d for d in counts.days if d.date == WORKSHOP_DAY)
        # Retried calls counted once: the counts are what is listed.
        self.assertEqual(day.counts.registered_in_person, len(ids))
        self.assertEqual(day.counts.checked_in_in_person, len(checked_in))
        self.assertEqual(counts.registrations, len(ids))
        webinar_regs = self.list_all(self.ch_b, "ListRegistrations",
                                     attendance_pb2.ListRegistrationsRequest(
                                         event_id=webinar.id, page_size=500),
                                     attendance_pb2.ListRegistrationsResponse, "registrations")
        webinar_ids = [r.participant.participant_id for r in webinar_regs]
        self.assertEqual(len(webinar_ids), len(set(webinar_ids)))
        self.assertEqual(acked["webinar"] - set(webinar_ids), set(), "acknowledged registrations lost")
        print(f"attendance: all {len(acked['workshop'])} registrations, {len(acked['check-in'])} "
              f"check-ins and {len(acked['webinar'])} webinar registrations present, none twice; "
              f"counts match (registered {day.counts.registered_in_person}, checked in "
              f"{day.counts.checked_in_in_person})")

        # --- 2. Notification: N1 dies holding a claimed batch. ---
        expected = OFFSETS * len(webinar_ids)
        planned = wait_until(lambda: len(self.list_all(
            self.ch_n2, "ListScheduledReminders",
            notification_pb2.ListScheduledRemindersRequest(event_id=webinar.id, page_size=1000),
            notification_pb2.ListScheduledRemindersResponse, "reminders")) == expected,
            max(1.0, (due - datetime.datetime.now(datetime.timezone.utc)).total_seconds() - 1),
            0.5)
        self.assertTrue(planned, "not every webinar registration was planned before it was due")
        self.assertGreater(expected, 1000, "fewer reminders than one batch: N1 might hold none")

        # Three subscribers at once (issue 15): the every-event "mailer"; a
        # "mailer" filtered to the workshop, which has no reminders (before
        # the fix it consumed the webinar's from the shared group, and the
        # every-event "mailer" never got them); and an "archive" filtered to
        # the webinar, which must get every reminder too, once.
        rlock = threading.Lock()
        received = {"mailer": [], "mailer/workshop": [], "archive/webinar": []}
        done = {name: threading.Event() for name in received}

        def sink(name, subscriber, event_ids, wanted):
            sub = self.ch_n2.unary_stream(
                "/convene.v1.NotificationService/SubscribeNotifications",
                request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
                response_deserializer=notification_pb2.Notification.FromString)
            ack = self.ch_n2.unary_unary(
                "/convene.v1.NotificationService/AckNotification",
                request_serializer=notification_pb2.AckNotificationRequest.SerializeToString,
                response_deserializer=notification_pb2.AckNotificationResponse.FromString)
            stream = sub(notification_pb2.SubscribeNotificationsRequest(
                subscriber=subscriber, event_ids=event_ids,
                ack_timeout=duration_pb2.Duration(seconds=60)), timeout=90)
            try:
                for n in stream:
                    with rlock:
                        received[name].append(n.notification_id)
                        if wanted and len(received[name]) >= wanted:
                            done[name].set()
                    ack(notification_pb2.AckNotificationRequest(
                        subscriber=subscriber, notification_id=n.notification_id), timeout=10)
                    if done[name].is_set():
                        break
            except grpc.RpcError:
                pass
            finally:
                stream.cancel()

        sinks = [("mailer", "mailer", [], expected),
                 ("mailer/workshop", "mailer", [workshop.id], 0),
                 ("archive/webinar", "archive", [webinar.id], expected)]
        consumers = [threading.Thread(target=sink, args=args, daemon=True) for args in sinks]
        for c in consumers:
            c.start()
        consumer = consumers[0]
        first_due = due - datetime.timedelta(seconds=OFFSETS - 1)
        time.sleep(max(0.0, (first_due - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))
        n1_holds = lambda: f":{self.n1.proc.pid}:" in self.redis_cli("HVALS", "cv:{ntf}:lease-owners")
        self.assertTrue(wait_until(n1_holds, 10, 0.02), "N1 never held a claimed batch")
        self.n1.stop(signal.SIGKILL)
        n1_killed = time.monotonic()
        for name in ("mailer", "archive/webinar"):
            self.assertTrue(done[name].wait(60),
                            f"{name}: only {len(received[name])} of {expected} reminders arrived")
        delivered_at = time.monotonic()
        consumer.join(15)
        consumers[2].join(15)
        for name in ("mailer", "archive/webinar"):
            self.assertEqual(len(received[name]), expected, name)
            self.assertEqual(len(set(received[name])), expected, f"{name}: a reminder arrived twice")
        # The workshop has no reminders: its filtered "mailer" saw none, and
        # took none from the every-event "mailer" (checked above).
        self.assertEqual(received["mailer/workshop"], [])
        self.assertEqual(self.redis_cli("XLEN", "cv:{ntf}:outbox"), str(expected),
                         "the outbox does not hold exactly one notification per reminder")
        self.assertEqual(self.redis_cli("ZCARD", "cv:{ntf}:due"), "0")
        self.assertEqual(self.redis_cli("ZCARD", "cv:{ntf}:leases"), "0")
        print(f"notification: {expected} reminders planned; N1 SIGKILLed holding a batch; all "
              f"{expected} delivered exactly once to the every-event \"mailer\" and to the "
              f"webinar-filtered \"archive\", none to the workshop-filtered \"mailer\"; the last "
              f"{delivered_at - n1_killed:.1f} s after the kill (N1's lease: 5 s)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
