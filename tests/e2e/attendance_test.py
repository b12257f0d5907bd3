"""End to end: the attendance service as two real replicas over one private
redis-server, with the calendar service that owns the events. A check-in
through replica A reaches a WatchAttendanceCounts stream on replica B within
a second; concurrent registrations from real clients respect capacity."""
import queue
import signal
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import grpc

from convene_e2e import ConveneProcess, RedisServer, during_day, unary
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2


class AttendanceE2ETest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer()
        self.redis.start()
        self.calendar = ConveneProcess("calendar/convene-calendar", self.redis.address)
        self.a = ConveneProcess("attendance/convene-attendance", self.redis.address)
        self.b = ConveneProcess("attendance/convene-attendance", self.redis.address)
        self.ch_cal = grpc.insecure_channel(self.calendar.target)
        self.ch_a = grpc.insecure_channel(self.a.target)
        self.ch_b = grpc.insecure_channel(self.b.target)
        # The Thessaloniki workshop; hours are demo choices.
        event = calendar_pb2.Event(
            title="CoP1 3rd workshop", format=common_pb2.EVENT_FORMAT_HYBRID,
            time_zone="Europe/Athens", start_local="2022-03-15T09:00", end_local="2022-03-17T17:30",
            venue=calendar_pb2.Venue(name="Thessaloniki City Hall", in_person_capacity=10),
            online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/x"))
        self.event = unary(self.ch_cal, "CalendarService", "CreateEvent",
                           calendar_pb2.CreateEventRequest(request_id="e2e-att", event=event),
                           calendar_pb2.Event)

    def tearDown(self):
        for ch in (self.ch_cal, self.ch_a, self.ch_b):
            ch.close()
        for p in (self.calendar, self.a, self.b):
            p.stop(signal.SIGKILL)
        self.redis.cleanup()

    def register(self, channel, pid, city, mode=common_pb2.ATTENDANCE_MODE_IN_PERSON):
        return unary(channel, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=self.event.id, request_id="reg-" + pid, mode=mode,
            participant=common_pb2.Participant(participant_id=pid, display_name="Partner " + pid,
                                               city=city)), attendance_pb2.Registration)

    def test_a_check_in_on_one_replica_reaches_a_watcher_on_the_other(self):
        self.register(self.ch_a, "torino-1", "Torino")
        watch = self.ch_b.unary_stream(
            "/convene.v1.AttendanceService/WatchAttendanceCounts",
            request_serializer=attendance_pb2.WatchAttendanceCountsRequest.SerializeToString,
            response_deserializer=attendance_pb2.AttendanceCounts.FromString)
        stream = watch(attendance_pb2.WatchAttendanceCountsRequest(event_id=self.event.id), timeout=30)
        updates = queue.Queue()

        def consume():
            try:
                for counts in stream:
                    updates.put(counts)
            except grpc.RpcError:
                pass  # cancelled at the end of the test
        threading.Thread(target=consume, daemon=True).start()
        first = updates.get(timeout=5)
        self.assertEqual(first.days[0].counts.registered_in_person, 1)
        self.assertEqual(first.days[0].counts.checked_in_in_person, 0)

        started = time.monotonic()
        unary(self.ch_a, "AttendanceService", "CheckIn", attendance_pb2.CheckInRequest(
            event_id=self.event.id, participant_id="torino-1", day="2022-03-15",
            mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
            source=attendance_pb2.CHECK_IN_SOURCE_DESK, request_id="ci-1",
            # At the desk ten minutes after the doors open (the event is in
            # 2022: the server's own clock is far outside the day's window).
            occurred_time=during_day(self.event, "2022-03-15")),
            attendance_pb2.CheckInRecord)
        while True:
            update = updates.get(timeout=5)
            if update.days[0].counts.checked_in_in_person == 1:
                break
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(update.days[0].unique.in_person_only, 1)
        stream.cancel()

    def test_many_watchers_on_both_replicas_follow_a_burst_to_its_last_counts(self):
        """Each replica reads an event's counts once per change and hands
        them to all its watchers: with 40 watchers (20 per replica, some
        opened during the burst) and 60 registrations from 6 concurrent
        clients through both replicas, every watcher sees versions only
        rise and ends on the counts GetAttendanceCounts gives after the
        burst (10 seats taken, 50 waiting)."""
        watch_a, watch_b = (ch.unary_stream(
            "/convene.v1.AttendanceService/WatchAttendanceCounts",
            request_serializer=attendance_pb2.WatchAttendanceCountsRequest.SerializeToString,
            response_deserializer=attendance_pb2.AttendanceCounts.FromString)
            for ch in (self.ch_a, self.ch_b))
        streams, seen = [], []

        def open_watcher(i):
            stream = (watch_a if i % 2 else watch_b)(
                attendance_pb2.WatchAttendanceCountsRequest(event_id=self.event.id), timeout=60)
            versions = []
            streams.append(stream)
            seen.append(versions)

            def consume():
                try:
                    for counts in stream:
                        versions.append((counts.version, counts.days[0].counts.registered_in_person,
                                         counts.days[0].counts.waitlisted_in_person))
                except grpc.RpcError:
                    pass  # cancelled at the end of the test
            threading.Thread(target=consume, daemon=True).start()

        for i in range(20):
            open_watcher(i)
        with ThreadPoolExecutor(max_workers=6) as pool:
            done = [pool.submit(self.register, self.ch_a if n % 2 else self.ch_b, f"p{n}", "Torino")
                    for n in range(60)]
            for i in range(20, 40):
                open_watcher(i)
            for f in done:
                f.result()
        final = unary(self.ch_a, "AttendanceService", "GetAttendanceCounts",
                      attendance_pb2.GetAttendanceCountsRequest(event_id=self.event.id),
                      attendance_pb2.AttendanceCounts)
        self.assertEqual((final.days[0].counts.registered_in_person,
                          final.days[0].counts.waitlisted_in_person), (10, 50))
        want = (final.version, 10, 50)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(not v or v[-1] != want for v in seen):
            time.sleep(0.05)
        for i, versions in enumerate(seen):
            self.assertTrue(versions, f"watcher {i} got nothing")
            self.assertEqual(versions[-1], want, f"watcher {i}: {versions[-3:]}")
            rising = [v[0] for v in versions]
            self.assertEqual(rising, sorted(set(rising)), f"watcher {i}: versions {rising}")
        for stream in streams:
            stream.cancel()

    def test_an_organisers_update_is_what_attendance_answers_next(self):
        """Attendance takes calendar changes from the calendar's stream; the
        calendar answers UpdateEvent once attendance follows the change, so
        the organiser's very next call (on either replica, no waiting) sees
        the new capacity: a raised room promotes the waitlist at once."""
        from google.protobuf import field_mask_pb2
        self.register(self.ch_a, "first", "Torino")
        event, revision = self.event, self.event.revision
        for i in range(20):
            seats = 1 + i
            updated = unary(self.ch_cal, "CalendarService", "UpdateEvent",
                            calendar_pb2.UpdateEventRequest(
                                event=calendar_pb2.Event(
                                    id=event.id, venue=calendar_pb2.Venue(in_person_capacity=seats)),
                                update_mask=field_mask_pb2.FieldMask(paths=["venue.in_person_capacity"]),
                                expected_revision=revision), calendar_pb2.Event)
            revision = updated.revision
            replica = self.ch_a if i % 2 else self.ch_b
            counts = unary(replica, "AttendanceService", "GetAttendanceCounts",
                           attendance_pb2.GetAttendanceCountsRequest(event_id=event.id),
                           attendance_pb2.AttendanceCounts)
            self.assertEqual(counts.event_revision, revision, f"update {i}")
            self.assertEqual(counts.days[0].in_person_capacity, seats, f"update {i}")
            if i > 0:
                # Last round's newcomer waited for a seat; the seat just
                # added went to them.
                waited = unary(replica, "AttendanceService", "GetRegistration",
                               attendance_pb2.GetRegistrationRequest(event_id=event.id,
                                                                     participant_id=f"p{i - 1}"),
                               attendance_pb2.Registration)
                self.assertEqual(waited.days[0].status,
                                 attendance_pb2.REGISTRATION_STATUS_CONFIRMED, f"update {i}")
            # The room is full again: the next newcomer waits.
            r = self.register(replica, f"p{i}", "Utrecht")
            self.assertEqual(r.days[0].status, attendance_pb2.REGISTRATION_STATUS_WAITLISTED,
                             f"update {i}")

    def test_concurrent_clients_never_overfill_the_room(self):
        def one(i):
            channel = (self.ch_a, self.ch_b)[i % 2]
            return self.register(channel, f"p{i}", "Torino").status
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(one, range(40)))
        self.assertEqual(statuses.count(attendance_pb2.REGISTRATION_STATUS_CONFIRMED), 10)
        self.assertEqual(statuses.count(attendance_pb2.REGISTRATION_STATUS_WAITLISTED), 30)
        counts = unary(self.ch_b, "AttendanceService", "GetAttendanceCounts",
                       attendance_pb2.GetAttendanceCountsRequest(event_id=self.event.id),
                       attendance_pb2.AttendanceCounts)
        self.assertEqual(counts.days[0].counts.registered_in_person, 10)
        self.assertEqual(counts.days[0].counts.waitlisted_in_person, 30)

    def test_bad_input_names_the_field(self):
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch_a, "AttendanceService", "CheckIn", attendance_pb2.CheckInRequest(
                event_id=self.event.id, participant_id="x", day="2022-03-15", session_id="s1",
                mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                source=attendance_pb2.CHECK_IN_SOURCE_DESK, request_id="bad"),
                attendance_pb2.CheckInRecord)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("session_id", e.exception.details())


if __name__ == "__main__":
    unittest.main(verbosity=2)
