"""End to end: the API contract at its edges (issue 16), one test per
finding, against convened over a private redis-server:

  1. feed positions: a malformed one is INVALID_ARGUMENT, one beyond the
     newest change (never issued by this feed, or by a wiped Redis) is
     FAILED_PRECONDITION; never INTERNAL, never silently accepted;
  2. years and instants: local times outside 1900..2200 and Timestamps
     outside RFC 3339 (or with nanos outside 0..999999999) are refused with
     INVALID_ARGUMENT naming the field, by every RPC that takes them;
  3. an idempotency key (request_id) is bound to its request: reused with a
     different one it is refused (INVALID_ARGUMENT naming request_id) and
     nothing changes; a true retry still gets the first result;
  4. time after 2037: events in 2040-2060 get the instants Python's
     zoneinfo gives for the same tz database (start, end, agenda in a
     viewer's zone, and an iCalendar DTSTART in UTC), DST included;
  5. a request that is not valid protobuf (invalid UTF-8 in a string field)
     gets what the README's error table says, UNIMPLEMENTED from gRPC's own
     parser, and changes nothing;
  6. limits mean what the proto and README say: texts are counted in
     characters (a 150-character Greek title fits a 200-char limit), and a
     page size above its maximum is refused, not cut;
  8. the change feed keeps what README promises: each event's changes in
     exactly the order they were made, and across events the order of
     their write times (change_time never goes back; changes of two events
     in the same millisecond may come in either order);
  9. a reason given to CancelRegistration reaches the change feed.
"""
import datetime
import threading
import unittest
import zoneinfo

import grpc

from convene_e2e import ConveneProcess, RedisServer, unary, wait_until
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2
from google.protobuf import timestamp_pb2

A = attendance_pb2
K = calendar_pb2
IN_PERSON = common_pb2.ATTENDANCE_MODE_IN_PERSON
MAX_ID = "18446744073709551615-18446744073709551615"


class ApiEdgesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.redis.start()
        cls.addClassCleanup(cls.redis.cleanup)
        cls.server = ConveneProcess("convened/convened", cls.redis.address)
        cls.addClassCleanup(cls.server.stop)
        cls.channel = grpc.insecure_channel(cls.server.target)
        cls.addClassCleanup(cls.channel.close)
        cls.event = cls.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-event", event=cls.workshop("2031-03-10", "2031-03-11")), K.Event)

    @classmethod
    def call(cls, service, method, request, response_type):
        return unary(cls.channel, service, method, request, response_type, timeout=15)

    @staticmethod
    def workshop(first, last, start="09:00", end="17:00"):
        return K.Event(title="CONNECTION workshop, Thessaloniki", format=common_pb2.EVENT_FORMAT_IN_PERSON,
                       time_zone="Europe/Athens", start_local=f"{first}T{start}",
                       end_local=f"{last}T{end}",
                       venue=K.Venue(name="Dimarchio", in_person_capacity=40))

    def refused(self, service, method, request, response_type):
        with self.assertRaises(grpc.RpcError) as caught:
            self.call(service, method, request, response_type)
        return caught.exception

    def assert_invalid(self, error, field):
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT, error.details())
        self.assertTrue(error.details().startswith(field), error.details())

    # -- 1 --------------------------------------------------------------------
    def test_1_positions_are_refused_not_echoed(self):
        self.call("AttendanceService", "Register", A.RegisterRequest(
            event_id=self.event.id, request_id="edges-reg-1", mode=IN_PERSON,
            participant=common_pb2.Participant(participant_id="thess-1", display_name="Eleni")),
            A.Registration)
        self.assertTrue(wait_until(lambda: len(self.call(
            "CalendarService", "ListChanges", K.ListChangesRequest(page_size=100),
            K.ListChangesResponse).changes) >= 2, 15))
        for position in ("99999999999999-0", MAX_ID):
            with self.subTest(position=position):
                e = self.refused("CalendarService", "ListChanges",
                                 K.ListChangesRequest(position=position), K.ListChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION, e.details())
                self.assertIn("not a position of this feed", e.details())
                e = self.refused("CalendarService", "ListEventChanges",
                                 K.ListEventChangesRequest(sync_token=position),
                                 K.ListEventChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION, e.details())
        for position in ("banana", "1-", "-1-0", "1-2-3"):
            with self.subTest(position=position):
                e = self.refused("CalendarService", "ListChanges",
                                 K.ListChangesRequest(position=position), K.ListChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
        # The newest position itself is fine: nothing after it yet.
        page = self.call("CalendarService", "ListChanges", K.ListChangesRequest(page_size=100),
                         K.ListChangesResponse)
        newest = self.call("CalendarService", "ListChanges",
                           K.ListChangesRequest(position=page.changes[-1].position),
                           K.ListChangesResponse)
        self.assertEqual(len(newest.changes), 0)

    # -- 2 --------------------------------------------------------------------
    def test_2_years_outside_the_supported_range_are_refused(self):
        for first, last in (("9999-12-30", "9999-12-30"), ("0001-01-01", "0001-01-01"),
                            ("1899-12-31", "1899-12-31"), ("2200-12-31", "2201-01-01")):
            with self.subTest(first=first):
                e = self.refused("CalendarService", "CreateEvent", K.CreateEventRequest(
                    request_id=f"edges-year-{first}", event=self.workshop(first, last)), K.Event)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
                self.assertIn("supported years 1900..2200", e.details())
        made = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-year-2200", event=self.workshop("2200-12-30", "2200-12-31")), K.Event)
        self.assertEqual(made.end_time.ToJsonString()[:4], "2200")

    def test_2_timestamps_are_checked_in_one_place(self):
        bad = [timestamp_pb2.Timestamp(seconds=0, nanos=-1),
               timestamp_pb2.Timestamp(seconds=0, nanos=2000000000),
               timestamp_pb2.Timestamp(seconds=-(2 ** 63)),
               timestamp_pb2.Timestamp(seconds=-62135596801),   # year 0
               timestamp_pb2.Timestamp(seconds=253402300800)]   # year 10000
        for ts in bad:
            with self.subTest(seconds=ts.seconds, nanos=ts.nanos):
                self.assert_invalid(self.refused("CalendarService", "ListEvents",
                                                 K.ListEventsRequest(**{"from": ts}),
                                                 K.ListEventsResponse), "from.")
                self.assert_invalid(self.refused("CalendarService", "ExportICalendar",
                                                 K.ExportICalendarRequest(to=ts),
                                                 K.ExportICalendarResponse), "to.")
                self.assert_invalid(self.refused("AttendanceService", "CheckIn", A.CheckInRequest(
                    event_id=self.event.id, participant_id="thess-1", day="2031-03-10",
                    mode=IN_PERSON, source=A.CHECK_IN_SOURCE_DESK, request_id="edges-ci",
                    occurred_time=ts), A.CheckInRecord), "occurred_time.")
        # Nothing was checked in by the refused calls.
        counts = self.call("AttendanceService", "GetAttendanceCounts",
                           A.GetAttendanceCountsRequest(event_id=self.event.id), A.AttendanceCounts)
        self.assertEqual(sum(d.counts.checked_in_total for d in counts.days), 0)

    # -- 3 --------------------------------------------------------------------
    def test_3_a_request_id_reused_for_another_request_is_refused(self):
        first = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-key-event", event=self.workshop("2031-05-04", "2031-05-04")), K.Event)
        retry = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-key-event", event=self.workshop("2031-05-04", "2031-05-04")), K.Event)
        self.assertEqual((retry.id, retry.revision), (first.id, first.revision))
        other = self.workshop("2031-05-04", "2031-05-04")
        other.title = "Another workshop"
        self.assert_invalid(self.refused("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-key-event", event=other), K.Event), "request_id")
        self.assertEqual(self.call("CalendarService", "GetEvent", K.GetEventRequest(
            event_id=first.id), K.Event).title, first.title)

        def register(pid, mode=IN_PERSON):
            return A.RegisterRequest(
                event_id=first.id, request_id="edges-key-reg", mode=mode,
                participant=common_pb2.Participant(participant_id=pid, display_name="Maria"))
        made = self.call("AttendanceService", "Register", register("thess-k1"), A.Registration)
        again = self.call("AttendanceService", "Register", register("thess-k1"), A.Registration)
        self.assertEqual(again.revision, made.revision)
        for changed in (register("thess-k2"), register("thess-k1", common_pb2.ATTENDANCE_MODE_ONLINE)):
            with self.subTest(changed=str(changed.participant.participant_id) + str(changed.mode)):
                self.assert_invalid(self.refused("AttendanceService", "Register", changed,
                                                 A.Registration), "request_id")
        with self.assertRaises(grpc.RpcError) as unknown:
            self.call("AttendanceService", "GetRegistration", A.GetRegistrationRequest(
                event_id=first.id, participant_id="thess-k2"), A.Registration)
        self.assertEqual(unknown.exception.code(), grpc.StatusCode.NOT_FOUND)

        def check_in(pid):
            return A.CheckInRequest(event_id=first.id, participant_id=pid, day="2031-05-04",
                                    mode=IN_PERSON, source=A.CHECK_IN_SOURCE_DESK,
                                    request_id="edges-key-ci")
        self.call("AttendanceService", "CheckIn", check_in("thess-k1"), A.CheckInRecord)
        # A retry without an occurred time: the server's clock moved on, the
        # request did not.
        retried = self.call("AttendanceService", "CheckIn", check_in("thess-k1"), A.CheckInRecord)
        self.assertTrue(retried.duplicate)
        self.assert_invalid(self.refused("AttendanceService", "CheckIn", check_in("thess-k9"),
                                         A.CheckInRecord), "request_id")

    # -- 4 --------------------------------------------------------------------
    def test_4_events_after_2037_get_the_instants_zoneinfo_gives(self):
        cases = [("Europe/Brussels", "2045-07-10", "10:00", "America/New_York"),
                 ("Europe/Brussels", "2045-01-16", "10:00", "Asia/Tokyo"),
                 ("Europe/Athens", "2052-03-31", "09:30", "Europe/London"),
                 ("Europe/Amsterdam", "2060-10-31", "14:00", "Australia/Sydney"),
                 ("Europe/Rome", "2039-06-01", "18:00", "America/Sao_Paulo")]
        for zone, date, time_of_day, viewer in cases:
            with self.subTest(zone=zone, date=date):
                event = K.Event(title=f"CONNECTION webinar {date}",
                                format=common_pb2.EVENT_FORMAT_ONLINE, time_zone=zone,
                                start_local=f"{date}T{time_of_day}", end_local=f"{date}T23:00",
                                online=K.OnlineAccess(platform="Jitsi",
                                                      join_url="https://meet.example.org/c"))
                made = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
                    request_id=f"edges-2037-{zone}-{date}", event=event), K.Event)
                local = datetime.datetime.fromisoformat(f"{date}T{time_of_day}").replace(
                    tzinfo=zoneinfo.ZoneInfo(zone))
                want = local.astimezone(datetime.timezone.utc)
                self.assertEqual(made.start_time.ToDatetime(datetime.timezone.utc), want)
                agenda = self.call("CalendarService", "GetAgenda", K.GetAgendaRequest(
                    event_id=made.id, viewer_time_zone=viewer), K.Agenda)
                start = agenda.days[0].start
                self.assertEqual(start.instant.ToDatetime(datetime.timezone.utc), want)
                seen = want.astimezone(zoneinfo.ZoneInfo(viewer))
                self.assertEqual(start.viewer_local, seen.strftime("%Y-%m-%dT%H:%M"))
                offset = local.strftime("%z")
                self.assertEqual(start.venue_utc_offset, offset[:3] + ":" + offset[3:])
                ics = self.call("CalendarService", "ExportICalendar", K.ExportICalendarRequest(
                    event_id=made.id), K.ExportICalendarResponse).calendar.replace("\r\n ", "")
                self.assertIn(f"DTSTART;TZID={zone}:{date.replace('-', '')}T"
                              f"{time_of_day.replace(':', '')}00", ics)
                # Its VTIMEZONE gives the offset in force that day.
                self.assertIn(f"TZOFFSETTO:{offset}", ics)

    # -- 5 --------------------------------------------------------------------
    def test_5_invalid_utf8_is_refused_before_any_handler_and_changes_nothing(self):
        before = self.call("CalendarService", "ListEvents", K.ListEventsRequest(page_size=500),
                           K.ListEventsResponse)
        raw = self.channel.unary_unary("/convene.v1.CalendarService/CreateEvent",
                                       request_serializer=lambda b: b,
                                       response_deserializer=lambda b: b)
        # Field 1 (request_id, a string) holding the bytes ff fe; then a valid
        # event, so only the UTF-8 is wrong.
        event = self.workshop("2031-07-01", "2031-07-01").SerializeToString()

        def varint(n):
            out = b""
            while True:
                out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
                n >>= 7
                if not n:
                    return out

        def body(request_id):
            return b"\x0a" + varint(len(request_id)) + request_id + b"\x12" + varint(len(event)) + event
        with self.assertRaises(grpc.RpcError) as caught:
            raw(body(b"\xff\xfe"), timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        # The same bytes with a valid request_id make an event: only the
        # UTF-8 was wrong.
        made = K.Event.FromString(raw(body(b"edges-utf8-ok"), timeout=10))
        self.call("CalendarService", "CancelEvent", K.CancelEventRequest(
            event_id=made.id, reason="test control"), K.Event)
        after = self.call("CalendarService", "ListEvents", K.ListEventsRequest(page_size=500),
                          K.ListEventsResponse)
        self.assertEqual(len(after.events), len(before.events) + 1)  # the control

    # -- 6 --------------------------------------------------------------------
    def test_6_texts_count_characters_and_page_sizes_are_refused_not_cut(self):
        greek = "Εργαστήριο " * 14  # 154 characters, 294 bytes of UTF-8
        self.assertGreater(len(greek.encode()), 200)
        event = self.workshop("2031-04-01", "2031-04-01")
        event.title = greek[:150]
        made = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-greek-150", event=event), K.Event)
        self.assertEqual(made.title, greek[:150])
        event.title = (greek * 2)[:201]
        e = self.refused("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-greek-201", event=event), K.Event)
        self.assert_invalid(e, "event.title")
        self.assertIn("201 characters long; at most 200", e.details())
        for service, method, request, response in [
                ("CalendarService", "ListEvents", K.ListEventsRequest(page_size=501),
                 K.ListEventsResponse),
                ("CalendarService", "ListEventChanges", K.ListEventChangesRequest(page_size=1001),
                 K.ListEventChangesResponse),
                ("CalendarService", "ListChanges", K.ListChangesRequest(page_size=1001),
                 K.ListChangesResponse),
                ("AttendanceService", "ListRegistrations", A.ListRegistrationsRequest(
                    event_id=self.event.id, page_size=501), A.ListRegistrationsResponse),
                ("CalendarService", "ListEvents", K.ListEventsRequest(page_size=-1),
                 K.ListEventsResponse)]:
            with self.subTest(method=method, page_size=request.page_size):
                self.assert_invalid(self.refused(service, method, request, response), "page_size")

    # -- 8 --------------------------------------------------------------------
    def test_8_feed_order_within_an_event_exact_across_events_by_time(self):
        events = [self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id=f"edges-order-{i}", event=self.workshop("2031-06-0%d" % (i + 1),
                                                               "2031-06-0%d" % (i + 1))), K.Event)
                  for i in range(2)]
        per_event = 40
        errors = []

        def register_all(ev):
            try:
                for n in range(per_event):
                    self.call("AttendanceService", "Register", A.RegisterRequest(
                        event_id=ev.id, request_id=f"order-{ev.id}-{n}", mode=IN_PERSON,
                        participant=common_pb2.Participant(participant_id=f"p{n:03d}",
                                                           display_name=f"Partner {n}")),
                        A.Registration)
            except grpc.RpcError as e:  # reported below, in the test's thread
                errors.append(e)
        threads = [threading.Thread(target=register_all, args=(ev,)) for ev in events]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])

        def created():
            out, position = [], ""
            while True:
                page = self.call("CalendarService", "ListChanges", K.ListChangesRequest(
                    position=position, page_size=1000), K.ListChangesResponse)
                out += list(page.changes)
                if not page.changes:
                    return out
                position = page.changes[-1].position
        ids = {ev.id for ev in events}
        self.assertTrue(wait_until(lambda: sum(
            1 for c in created() if c.event_id in ids
            and c.kind == K.CHANGE_KIND_REGISTRATION_CREATED) == 2 * per_event, 20))
        feed = [c for c in created() if c.event_id in ids]
        for ev in events:
            order = [c.participant_id for c in feed
                     if c.event_id == ev.id and c.kind == K.CHANGE_KIND_REGISTRATION_CREATED]
            self.assertEqual(order, [f"p{n:03d}" for n in range(per_event)])
        times = [c.change_time.ToMilliseconds() for c in feed]
        self.assertEqual(times, sorted(times), "change_time went back across events")

    # -- 9 --------------------------------------------------------------------
    def test_9_a_cancellation_reason_reaches_the_feed(self):
        self.call("AttendanceService", "Register", A.RegisterRequest(
            event_id=self.event.id, request_id="edges-reg-9", mode=IN_PERSON,
            participant=common_pb2.Participant(participant_id="thess-9", display_name="Nikos")),
            A.Registration)
        self.call("AttendanceService", "CancelRegistration", A.CancelRegistrationRequest(
            event_id=self.event.id, participant_id="thess-9", request_id="edges-cancel-9",
            reason="flight cancelled"), A.Registration)

        def cancelled():
            page = self.call("CalendarService", "ListChanges", K.ListChangesRequest(
                event_id=self.event.id, page_size=100), K.ListChangesResponse)
            return [c for c in page.changes if c.participant_id == "thess-9"
                    and c.kind == K.CHANGE_KIND_REGISTRATION_CANCELLED]
        self.assertTrue(wait_until(lambda: cancelled(), 15))
        self.assertEqual(cancelled()[0].reason, "flight cancelled")


if __name__ == "__main__":
    unittest.main()
