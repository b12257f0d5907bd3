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
  7. check-in times: CheckIn and CheckOut are accepted only inside the
     day's check-in window, Event.check_in_margin (unset: 12 h; 0 to 7
     days) before and after the day, whose span (the later of the event's
     start and the day's local 00:00 to the earlier of its end and the next
     local 00:00) is taken in the venue's zone; the time judged is
     occurred_time, or the server's clock when it is unset. Outside:
     FAILED_PRECONDITION naming occurred_time and the window, nothing
     counted. A session check-in is judged by the session's day. The old
     "at most 24 h in the future" rule is gone. A retry (request_id) of an
     accepted check-in still gets the first record;
  8. the change feed keeps what README promises: each event's changes in
     exactly the order they were made, and across events the order of
     their write times (change_time never goes back; changes of two events
     in the same millisecond may come in either order);
  9. a reason given to CancelRegistration reaches the change feed.
"""
import datetime
import threading
import time
import unittest
import zoneinfo

import grpc

from convene_e2e import (ConveneProcess, RedisServer, decode_position, local_instant,
                         local_timestamp, position_token, timestamp,
                         unary, wait_for_attendance, wait_until)
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2, notification_pb2
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2

A = attendance_pb2
K = calendar_pb2
IN_PERSON = common_pb2.ATTENDANCE_MODE_IN_PERSON
ONLINE = common_pb2.ATTENDANCE_MODE_ONLINE
MAX_ID = "18446744073709551615-18446744073709551615"
ATHENS = "Europe/Athens"
UTC = datetime.timezone.utc


def athens(local):
    """A wall-clock time in Thessaloniki as a Timestamp ("...T07:59:59.999"
    keeps its milliseconds)."""
    return local_timestamp(ATHENS, local)


def wall_clock(zone, local):
    """How a window bound is written in messages, from Python's zoneinfo:
    "2031-05-20T08:00 EEST (+03:00)" (seconds only when not zero)."""
    dt = local_instant(zone, local).astimezone(zoneinfo.ZoneInfo(zone))
    text = dt.strftime("%Y-%m-%dT%H:%M") + (dt.strftime(":%S") if dt.second else "")
    offset = dt.strftime("%z")
    return f"{text} {dt.tzname()} ({offset[:3]}:{offset[3:]})"


def window_message(date, zone, from_local, until_local):
    """The start of the FAILED_PRECONDITION message for a time outside the
    check-in window of `date`."""
    return (f"occurred_time: check-ins for {date} are accepted from "
            f"{wall_clock(zone, from_local)} to {wall_clock(zone, until_local)}")


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
        page = self.call("CalendarService", "ListChanges", K.ListChangesRequest(page_size=100),
                         K.ListChangesResponse)
        feed_epoch, _ = decode_position(page.next_position)
        events = self.call("CalendarService", "ListEventChanges",
                           K.ListEventChangesRequest(page_size=100), K.ListEventChangesResponse)
        calendar_epoch, _ = decode_position(events.next_sync_token)
        self.assertTrue(feed_epoch and calendar_epoch)
        # Well-formed ids the feed never issued, in this feed's epoch.
        for stream_id in ("99999999999999-0", MAX_ID):
            with self.subTest(stream_id=stream_id):
                e = self.refused("CalendarService", "ListChanges",
                                 K.ListChangesRequest(position=position_token(feed_epoch, stream_id)),
                                 K.ListChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION, e.details())
                self.assertIn("not a position of this feed", e.details())
                e = self.refused("CalendarService", "ListEventChanges",
                                 K.ListEventChangesRequest(
                                     sync_token=position_token(calendar_epoch, stream_id)),
                                 K.ListEventChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION, e.details())
        # A real position of another Redis (or of this one before a reset):
        # another epoch, so the client is told to resync, never read on.
        last = page.changes[-1].position
        foreign = position_token("0123456789abcdef", decode_position(last)[1])
        e = self.refused("CalendarService", "ListChanges", K.ListChangesRequest(position=foreign),
                         K.ListChangesResponse)
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION, e.details())
        self.assertIn("issued by another Redis, or by this one before its data was reset",
                      e.details())
        stream = self.channel.unary_stream("/convene.v1.CalendarService/WatchChanges",
                                           request_serializer=K.WatchChangesRequest.SerializeToString,
                                           response_deserializer=K.Change.FromString)
        with self.assertRaises(grpc.RpcError) as caught:
            list(stream(K.WatchChangesRequest(position=foreign), timeout=10))
        self.assertEqual(caught.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        # Bare stream ids (what positions were before tokens) and junk are
        # not positions at all.
        for position in ("banana", "1-", "-1-0", "1-2-3", "99999999999999-0",
                         decode_position(last)[1]):
            with self.subTest(position=position):
                e = self.refused("CalendarService", "ListChanges",
                                 K.ListChangesRequest(position=position), K.ListChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
                e = self.refused("CalendarService", "ListEventChanges",
                                 K.ListEventChangesRequest(sync_token=position),
                                 K.ListEventChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
        # A position in this feed's epoch whose id is not written the way
        # the feed writes ids (a space, a sign, a leading zero) was never
        # issued: INVALID_ARGUMENT, not INTERNAL from Redis ("1-1 ") nor
        # read as if it were "1-1".
        for stream_id in ("1-1 ", " 1-1", "+1-1", "01-1", "1-01", "1-+1"):
            with self.subTest(forged=stream_id):
                e = self.refused("CalendarService", "ListChanges",
                                 K.ListChangesRequest(position=position_token(feed_epoch, stream_id)),
                                 K.ListChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
                self.assertIn("not a position this service issued", e.details())
                e = self.refused("CalendarService", "ListEventChanges",
                                 K.ListEventChangesRequest(
                                     sync_token=position_token(calendar_epoch, stream_id)),
                                 K.ListEventChangesResponse)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
                with self.assertRaises(grpc.RpcError) as caught:
                    list(stream(K.WatchChangesRequest(
                        position=position_token(feed_epoch, stream_id)), timeout=10))
                self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        # The newest position itself is fine: nothing after it yet. (Read to
        # the end by has_more: other tests' large events end pages early, and
        # the relay may still be copying their changes.)
        def nothing_after_the_newest():
            position = ""
            while True:
                page = self.call("CalendarService", "ListChanges",
                                 K.ListChangesRequest(position=position), K.ListChangesResponse)
                position = page.changes[-1].position if page.changes else position
                if not page.has_more:
                    break
            return len(self.call("CalendarService", "ListChanges",
                                 K.ListChangesRequest(position=position),
                                 K.ListChangesResponse).changes) == 0
        self.assertTrue(wait_until(nothing_after_the_newest, 15))

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
            # At the desk on the day (inside its check-in window; test 7f
            # retries a check-in made without an occurred time).
            return A.CheckInRequest(event_id=first.id, participant_id=pid, day="2031-05-04",
                                    mode=IN_PERSON, source=A.CHECK_IN_SOURCE_DESK,
                                    request_id="edges-key-ci",
                                    occurred_time=athens("2031-05-04T09:05"))
        self.call("AttendanceService", "CheckIn", check_in("thess-k1"), A.CheckInRecord)
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

    def test_6_a_list_events_page_token_carries_its_instant_only_as_issued(self):
        """ListEvents' tokens hold the start instant of the next page's first
        event; like the offsets of the other lists, only the digits the list
        wrote are a token ("+5", " 5", "05" or an instant past any Timestamp
        were taken and read as positions)."""
        import base64
        for day in ("2031-07-01", "2031-07-02"):
            self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
                request_id=f"edges-6-page-{day}", event=self.workshop(day, day)), K.Event)
        page = self.call("CalendarService", "ListEvents", K.ListEventsRequest(page_size=1),
                         K.ListEventsResponse)
        raw = base64.urlsafe_b64decode(page.next_page_token + "=" * (-len(page.next_page_token) % 4))
        tag, ms, rest = raw.decode().split("|", 2)
        self.assertEqual(len(self.call("CalendarService", "ListEvents", K.ListEventsRequest(
            page_size=1, page_token=page.next_page_token), K.ListEventsResponse).events), 1)
        for forged in ("+" + ms, " " + ms, ms + " ", "0" + ms, "-" + "9" * 18,
                       "9223372036854775807", "-9223372036854775808"):
            token = base64.urlsafe_b64encode(f"{tag}|{forged}|{rest}".encode()).decode().rstrip("=")
            with self.subTest(ms=forged):
                e = self.refused("CalendarService", "ListEvents",
                                 K.ListEventsRequest(page_size=1, page_token=token),
                                 K.ListEventsResponse)
                self.assert_invalid(e, "page_token")

    def test_6_every_text_limit_counts_characters_not_bytes(self):
        """Audit finding 3: request_id, Webhook.secret and the forget reason
        were counted in UTF-8 bytes, so "Ω" (one character, two bytes) met
        half the limit, and an 8-character secret passed the 16 minimum."""
        omega = "Ω"

        def create_event(request_id):
            return K.CreateEventRequest(request_id=request_id,
                                        event=self.workshop("2031-06-02", "2031-06-02"))

        def register(request_id, pid):
            return A.RegisterRequest(
                event_id=self.event.id, request_id=request_id, mode=IN_PERSON,
                participant=common_pb2.Participant(participant_id=pid, display_name="Eleni"))
        with self.subTest("request_id: 128 characters fit, 129 do not"):
            self.call("CalendarService", "CreateEvent", create_event(omega * 128), K.Event)
            self.assert_invalid(self.refused("CalendarService", "CreateEvent",
                                             create_event(omega * 129), K.Event), "request_id")
            self.call("AttendanceService", "Register", register(omega * 128, "thess-6a"),
                      A.Registration)
            self.assert_invalid(self.refused("AttendanceService", "Register",
                                             register(omega * 129, "thess-6b"), A.Registration),
                                "request_id")

        def forget(pid, reason):
            return A.ForgetParticipantRequest(event_id=self.event.id, participant_id=pid,
                                              request_id="edges-6-forget-" + pid, reason=reason)
        with self.subTest("the forget reason: 1000 characters fit, 1001 do not"):
            self.call("AttendanceService", "Register", register("edges-6-reg-f", "thess-6f"),
                      A.Registration)
            self.assert_invalid(self.refused("AttendanceService", "ForgetParticipant",
                                             forget("thess-6f", omega * 1001),
                                             A.ForgetParticipantResponse), "reason")
            self.assertEqual(self.call("AttendanceService", "GetRegistration", A.GetRegistrationRequest(
                event_id=self.event.id, participant_id="thess-6f"), A.Registration)
                .participant.display_name, "Eleni")
            self.call("AttendanceService", "ForgetParticipant", forget("thess-6f", omega * 1000),
                      A.ForgetParticipantResponse)

        def webhook(secret):
            return notification_pb2.CreateWebhookRequest(webhook=notification_pb2.Webhook(
                url="https://hooks.example.org/edges", secret=secret, event_ids=[self.event.id]))
        with self.subTest("Webhook.secret: 16-256 characters"):
            for secret in (omega * 8, omega * 15, omega * 257):
                self.assert_invalid(self.refused("NotificationService", "CreateWebhook",
                                                 webhook(secret), notification_pb2.Webhook),
                                    "webhook.secret")
            for secret in (omega * 16, omega * 256):
                made = self.call("NotificationService", "CreateWebhook", webhook(secret),
                                 notification_pb2.Webhook)
                self.call("NotificationService", "DeleteWebhook",
                          notification_pb2.DeleteWebhookRequest(webhook_id=made.id),
                          notification_pb2.DeleteWebhookResponse)

    def test_6_an_overlong_id_gets_its_own_code_not_resource_exhausted(self):
        """Audit finding 4: an 8,000-character id was echoed whole into the
        status message, past gRPC's metadata limit, so the client got
        RESOURCE_EXHAUSTED instead of NOT_FOUND."""
        long_id = "ev_" + "9" * 8000
        for method, request, response in [
                ("GetEvent", K.GetEventRequest(event_id=long_id), K.Event),
                ("GetAgenda", K.GetAgendaRequest(event_id=long_id), K.Agenda)]:
            with self.subTest(method=method):
                e = self.refused("CalendarService", method, request, response)
                self.assertIn(e.code(), (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT),
                              e.details())
                self.assertLess(len(e.details()), 1100)
        for method, request, response in [
                ("GetReminderPolicy", notification_pb2.GetReminderPolicyRequest(event_id=long_id),
                 notification_pb2.ReminderPolicy),
                ("DeleteWebhook", notification_pb2.DeleteWebhookRequest(webhook_id=long_id),
                 notification_pb2.DeleteWebhookResponse),
                ("AckNotification", notification_pb2.AckNotificationRequest(
                    subscriber="mailer", notification_id=long_id),
                 notification_pb2.AckNotificationResponse)]:
            with self.subTest(method=method):
                e = self.refused("NotificationService", method, request, response)
                self.assertIn(e.code(), (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT),
                              e.details())

    # -- 7 --------------------------------------------------------------------
    def event_with_margin(self, request_id, first, last, margin=None, start="09:00", end="17:00",
                          hybrid=False, sessions=()):
        """A workshop in Thessaloniki; `margin`: seconds, a Duration, or None
        (check_in_margin unset)."""
        event = self.workshop(first, last, start, end)
        if margin is not None:
            event.check_in_margin.CopyFrom(margin if isinstance(margin, duration_pb2.Duration)
                                           else duration_pb2.Duration(seconds=margin))
        if hybrid:
            event.format = common_pb2.EVENT_FORMAT_HYBRID
            event.online.CopyFrom(K.OnlineAccess(platform="Jitsi",
                                                 join_url="https://meet.example.org/thess"))
        event.sessions.extend(sessions)
        return self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id=request_id, event=event), K.Event)

    def register(self, event, *pids, mode=IN_PERSON):
        for pid in pids:
            self.call("AttendanceService", "Register", A.RegisterRequest(
                event_id=event.id, request_id=f"edges-7-reg-{event.id}-{pid}", mode=mode,
                participant=common_pb2.Participant(participant_id=pid, display_name="Partner " + pid)),
                A.Registration)

    def check_in(self, event, pid, when, day="", session_id="", mode=IN_PERSON, request_id=None):
        """A CheckInRequest at `when` (a Timestamp, or None: no occurred_time)."""
        request = A.CheckInRequest(
            event_id=event.id, participant_id=pid, day=day, session_id=session_id, mode=mode,
            source=A.CHECK_IN_SOURCE_ONLINE_JOIN if mode == ONLINE else A.CHECK_IN_SOURCE_DESK,
            request_id=request_id or f"edges-7-ci-{pid}-{day}{session_id}-{mode}-{time.monotonic_ns()}")
        if when is not None:
            request.occurred_time.CopyFrom(when)
        return request

    def check_out(self, event, pid, when, day="", request_id=None):
        """A CheckOutRequest (an online leave) at `when`, as check_in."""
        request = A.CheckOutRequest(
            event_id=event.id, participant_id=pid, day=day,
            source=A.CHECK_IN_SOURCE_ONLINE_LEAVE,
            request_id=request_id or f"edges-7-out-{pid}-{day}-{time.monotonic_ns()}")
        if when is not None:
            request.occurred_time.CopyFrom(when)
        return request

    def counts(self, event):
        """GetAttendanceCounts without its as_of (when it was read)."""
        counts = self.call("AttendanceService", "GetAttendanceCounts",
                           A.GetAttendanceCountsRequest(event_id=event.id), A.AttendanceCounts)
        counts.ClearField("as_of")
        return counts

    def day_counts(self, event, date):
        return next(d for d in self.counts(event).days if d.date == date)

    def accepted(self, request, method="CheckIn"):
        return self.call("AttendanceService", method, request, A.CheckInRecord)

    def assert_outside(self, request, date, from_local, until_local, side, zone=ATHENS,
                       method="CheckIn"):
        """`request` is refused as outside the check-in window of `date`, which
        runs from `from_local` to `until_local` (wall clock in `zone`)."""
        e = self.refused("AttendanceService", method, request, A.CheckInRecord)
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION, e.details())
        want = window_message(date, zone, from_local, until_local)
        self.assertTrue(e.details().startswith(want), f"{e.details()!r}\ndoes not start with\n{want!r}")
        self.assertIn(f"is {side} that", e.details())

    def test_7a_no_occurred_time_months_ahead_is_refused_and_counts_nothing(self):
        # A workshop about four months from now (in Thessaloniki's calendar).
        today = datetime.datetime.now(zoneinfo.ZoneInfo(ATHENS)).date()
        date = (today + datetime.timedelta(days=120)).isoformat()
        ev = self.event_with_margin("edges-7a", date, date)
        self.assertEqual(ev.check_in_margin.ToTimedelta(), datetime.timedelta(hours=12))
        self.register(ev, "thess-7a")
        before = self.counts(ev)
        registration = self.call("AttendanceService", "GetRegistration", A.GetRegistrationRequest(
            event_id=ev.id, participant_id="thess-7a"), A.Registration)
        # No occurred_time: judged by the server's clock, months before the
        # window (09:00 - 12 h to 17:00 + 12 h).
        day_before = (datetime.date.fromisoformat(date) - datetime.timedelta(days=1)).isoformat()
        day_after = (datetime.date.fromisoformat(date) + datetime.timedelta(days=1)).isoformat()
        self.assert_outside(self.check_in(ev, "thess-7a", None, day=date), date,
                            f"{day_before}T21:00", f"{day_after}T05:00", "before")
        # Nothing counted, nothing about the registration changed.
        self.assertEqual(self.counts(ev), before)
        self.assertEqual(sum(d.counts.checked_in_total + d.unique.total for d in before.days), 0)
        self.assertEqual(self.call("AttendanceService", "GetRegistration", A.GetRegistrationRequest(
            event_id=ev.id, participant_id="thess-7a"), A.Registration), registration)
        # The control: the same person, at the door on the day, is counted.
        self.accepted(self.check_in(ev, "thess-7a", athens(f"{date}T08:55"), day=date))
        self.assertEqual(self.day_counts(ev, date).counts.checked_in_in_person, 1)

    def test_7b_two_days_ahead_inside_the_window_is_accepted(self):
        # The old rule refused anything more than 24 h ahead. Now a time two
        # days ahead is fine when it lies in the day's window: here the day
        # (00:00 to 24:00 in Thessaloniki, no margin) that holds it.
        when = (datetime.datetime.now(UTC) + datetime.timedelta(days=2)).replace(microsecond=0)
        date = when.astimezone(zoneinfo.ZoneInfo(ATHENS)).date()
        ev = self.event_with_margin("edges-7b", date.isoformat(),
                                    (date + datetime.timedelta(days=1)).isoformat(), margin=0,
                                    start="00:00", end="00:00")
        self.assertEqual([d.date for d in self.counts(ev).days], [date.isoformat()])
        self.register(ev, "thess-7b")
        self.assertGreater(when - datetime.datetime.now(UTC), datetime.timedelta(hours=47))
        record = self.accepted(self.check_in(ev, "thess-7b", timestamp(when), day=date.isoformat()))
        self.assertFalse(record.duplicate)
        self.assertEqual(record.check_in_time.ToDatetime(UTC), when)
        self.assertEqual(self.day_counts(ev, date.isoformat()).counts.checked_in_in_person, 1)

    def test_7b_an_event_before_1970_takes_check_ins_in_its_window(self):
        # Supported years start at 1900: window bounds before 1970 are
        # negative milliseconds (the script read them as "no number" and
        # answered INTERNAL).
        day = "1950-05-04"
        ev = self.event_with_margin("edges-7b-1950", day, day, margin=3600)
        self.register(ev, "p1950")
        window = (day, f"{day}T08:00", f"{day}T18:00")
        self.assert_outside(self.check_in(ev, "p1950", athens(f"{day}T07:00:00"), day=day),
                            *window, "before")
        record = self.accepted(self.check_in(ev, "p1950", athens(f"{day}T09:30:00"), day=day))
        self.assertEqual(record.check_in_time, athens(f"{day}T09:30:00"))
        self.assertEqual(self.day_counts(ev, day).counts.checked_in_in_person, 1)

    def test_7b_sheets_of_an_older_release_get_their_windows_from_resheet(self):
        # A sheet written before windows existed (simulated by removing its
        # field, and the packed "rules" field, which that release had not
        # either) takes check-ins at any time; `convene-admin resheet`
        # rewrites every sheet, and the rule applies again.
        import subprocess
        from convene_e2e import BUILD_DIR
        day = "2031-06-10"
        ev = self.event_with_margin("edges-7b-resheet", day, day, margin=3600)
        self.register(ev, "old-1", "old-2")
        target = self.redis.cli_target()
        removed = subprocess.run(["redis-cli", *target, "HDEL",
                                  f"cv:{{ev:{ev.id}}}:sheet", "check_in_windows", "rules"],
                                 capture_output=True, text=True, timeout=10)
        self.assertEqual(removed.stdout.strip(), "2", removed.stderr)
        self.accepted(self.check_in(ev, "old-1", athens(f"{day}T01:00:00"), day=day))
        # Calendar changes attendance missed (trimmed before it read them)
        # are marked until resheet has rebuilt every sheet.
        marked = subprocess.run(["redis-cli", *target, "SET", "cv:{att}:sheet-gap",
                                 "calendar changes were trimmed (test)"],
                                capture_output=True, text=True, timeout=10)
        self.assertEqual(marked.stdout.strip(), "OK", marked.stderr)
        done = subprocess.run([f"{BUILD_DIR}/services/admin/convene-admin", "resheet",
                               "--redis=" + self.redis.address],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertRegex(done.stdout, r"resheet: (\d+) events, \1 sheets rewritten, 0 failed")
        mark = subprocess.run(["redis-cli", *target, "EXISTS", "cv:{att}:sheet-gap"],
                              capture_output=True, text=True, timeout=10)
        self.assertEqual(mark.stdout.strip(), "0", "resheet clears the missed-changes mark")
        self.assert_outside(self.check_in(ev, "old-2", athens(f"{day}T01:00:00"), day=day),
                            day, f"{day}T08:00", f"{day}T18:00", "before")
        # Registrations and check-ins are untouched.
        counts = self.day_counts(ev, day).counts
        self.assertEqual((counts.registered_in_person, counts.checked_in_in_person), (2, 1))

    def test_7c_window_bounds_are_exact_in_the_venue_zone(self):
        # One day, 09:00-17:00 EEST, margin 1 h: 08:00:00 to 18:00:00 local.
        day = "2031-05-20"
        ev = self.event_with_margin("edges-7c-one", day, day, margin=3600)
        self.assertEqual(ev.check_in_margin.seconds, 3600)
        self.register(ev, "p1", "p2", "p3")
        window = (day, f"{day}T08:00", f"{day}T18:00")
        self.assert_outside(self.check_in(ev, "p1", athens(f"{day}T07:59:59"), day=day),
                            *window, "before")
        self.assert_outside(self.check_in(ev, "p1", athens(f"{day}T07:59:59.999"), day=day),
                            *window, "before")
        first = self.accepted(self.check_in(ev, "p1", athens(f"{day}T08:00:00"), day=day))
        self.assertEqual(first.check_in_time, athens(f"{day}T08:00:00"))
        self.assertFalse(first.duplicate)
        last = self.accepted(self.check_in(ev, "p2", athens(f"{day}T18:00:00"), day=day))
        self.assertEqual(last.check_in_time, athens(f"{day}T18:00:00"))
        self.assert_outside(self.check_in(ev, "p3", athens(f"{day}T18:00:00.001"), day=day),
                            *window, "after")
        self.assert_outside(self.check_in(ev, "p3", athens(f"{day}T18:00:01"), day=day),
                            *window, "after")
        self.assertEqual(self.day_counts(ev, day).counts.checked_in_in_person, 2)

        # Three days over the start of summer time (Sunday 30 March 2031,
        # 03:00 EET -> 04:00 EEST), margin 1 h, with a session on the last
        # day. The middle day is local 00:00 to 00:00, 23 hours long: its
        # window runs from 29 March 23:00 EET to 31 March 01:00 EEST.
        ev = self.event_with_margin("edges-7c-three", "2031-03-29", "2031-03-31", margin=3600,
                                    sessions=[K.Session(title="Site visit",
                                                        start_local="2031-03-31T10:00",
                                                        end_local="2031-03-31T11:00")])
        session = ev.sessions[0].id
        self.register(ev, "p1", "p2", "p3", "p4", "p5")
        middle = ("2031-03-30", "2031-03-29T23:00", "2031-03-31T01:00")
        self.assertEqual(local_instant(ATHENS, middle[2]) - local_instant(ATHENS, middle[1]),
                         datetime.timedelta(hours=25))
        self.assert_outside(self.check_in(ev, "p1", athens("2031-03-29T22:59:59"), day=middle[0]),
                            *middle, "before")
        self.accepted(self.check_in(ev, "p1", athens("2031-03-29T23:00:00"), day=middle[0]))
        self.accepted(self.check_in(ev, "p2", athens("2031-03-31T01:00:00"), day=middle[0]))
        self.assert_outside(self.check_in(ev, "p3", athens("2031-03-31T01:00:01"), day=middle[0]),
                            *middle, "after")
        # The first day runs 09:00 to its local midnight: until 01:00 EET.
        first_day = ("2031-03-29", "2031-03-29T08:00", "2031-03-30T01:00")
        self.accepted(self.check_in(ev, "p4", athens("2031-03-30T01:00:00"), day=first_day[0]))
        self.assert_outside(self.check_in(ev, "p5", athens("2031-03-30T01:00:01"), day=first_day[0]),
                            *first_day, "after")
        self.assert_outside(self.check_in(ev, "p5", athens("2031-03-29T07:59:59"), day=first_day[0]),
                            *first_day, "before")
        # A session check-in is judged by the session's day (31 March, local
        # 00:00 to 17:00, so 30 March 23:00 to 31 March 18:00 EEST), not by
        # the session's own hours.
        last_day = ("2031-03-31", "2031-03-30T23:00", "2031-03-31T18:00")
        self.assert_outside(self.check_in(ev, "p1", athens("2031-03-30T22:30"), session_id=session),
                            *last_day, "before")
        self.accepted(self.check_in(ev, "p1", athens("2031-03-30T23:00"), session_id=session))
        self.accepted(self.check_in(ev, "p2", athens("2031-03-31T17:45"), session_id=session))
        self.assert_outside(self.check_in(ev, "p3", athens("2031-03-31T18:00:01"), session_id=session),
                            *last_day, "after")
        counts = self.counts(ev)
        by_date = {d.date: d for d in counts.days}
        self.assertEqual(by_date["2031-03-29"].counts.checked_in_in_person, 1)
        self.assertEqual(by_date["2031-03-30"].counts.checked_in_in_person, 2)
        self.assertEqual(by_date["2031-03-31"].counts.checked_in_in_person, 0)
        sessions = {s.session_id: s for s in by_date["2031-03-31"].sessions}
        self.assertEqual(sessions[session].counts.checked_in_in_person, 2)

    def test_7d_check_out_obeys_the_same_window(self):
        day = "2031-06-03"
        ev = self.event_with_margin("edges-7d", day, day, margin=1800, hybrid=True)
        self.register(ev, "p1", "p2", mode=ONLINE)
        window = (day, f"{day}T08:30", f"{day}T17:30")
        # No join recorded: that is what a leave is refused for first.
        e = self.refused("AttendanceService", "CheckOut",
                         self.check_out(ev, "p2", athens(f"{day}T20:00"), day=day), A.CheckInRecord)
        self.assertEqual(e.code(), grpc.StatusCode.FAILED_PRECONDITION, e.details())
        self.assertIn("no online join", e.details())
        self.assertFalse(e.details().startswith("occurred_time"), e.details())

        self.accepted(self.check_in(ev, "p1", athens(f"{day}T09:00"), day=day, mode=ONLINE))
        # No occurred_time: the server's clock, years before the window.
        self.assert_outside(self.check_out(ev, "p1", None, day=day), *window, "before",
                            method="CheckOut")
        self.assert_outside(self.check_out(ev, "p1", athens(f"{day}T08:29:59"), day=day), *window,
                            "before", method="CheckOut")
        self.assert_outside(self.check_out(ev, "p1", athens(f"{day}T17:30:01"), day=day), *window,
                            "after", method="CheckOut")
        unique = self.day_counts(ev, day).unique
        self.assertFalse(unique.HasField("last_online_leave"), unique)
        left = self.accepted(self.check_out(ev, "p1", athens(f"{day}T17:30"), day=day,
                                            request_id="edges-7d-leave"), "CheckOut")
        self.assertEqual(left.last_leave_time, athens(f"{day}T17:30"))
        self.assertEqual(self.day_counts(ev, day).unique.last_online_leave, athens(f"{day}T17:30"))
        # A retry of the accepted leave, sent again the next day with the
        # time of its sending: the first answer (see 7f), nothing moves.
        again = self.accepted(self.check_out(ev, "p1", athens("2031-06-04T12:00"), day=day,
                                             request_id="edges-7d-leave"), "CheckOut")
        self.assertEqual(again.last_leave_time, athens(f"{day}T17:30"))
        self.assertEqual(self.day_counts(ev, day).unique.last_online_leave, athens(f"{day}T17:30"))

    def test_7e_check_in_margin_is_checked_defaulted_and_updatable(self):
        day = "2031-07-01"
        for request_id, margin in [
                ("edges-7e-negative", duration_pb2.Duration(seconds=-1)),
                ("edges-7e-negative-nanos", duration_pb2.Duration(seconds=0, nanos=-1)),
                ("edges-7e-over", duration_pb2.Duration(seconds=7 * 86400 + 1)),
                ("edges-7e-over-nanos", duration_pb2.Duration(seconds=7 * 86400, nanos=1))]:
            with self.subTest(margin=str(margin)):
                event = self.workshop(day, day)
                event.check_in_margin.CopyFrom(margin)
                self.assert_invalid(self.refused("CalendarService", "CreateEvent", K.CreateEventRequest(
                    request_id=request_id, event=event), K.Event), "event.check_in_margin")
        for request_id, margin, want in [("edges-7e-week", 7 * 86400, 7 * 86400),
                                         ("edges-7e-zero", 0, 0),
                                         ("edges-7e-unset", None, 12 * 3600)]:
            with self.subTest(margin=margin):
                made = self.event_with_margin(request_id, day, day, margin=margin)
                got = self.call("CalendarService", "GetEvent", K.GetEventRequest(event_id=made.id),
                                K.Event)
                for ev in (made, got):
                    # Always set on output, 0 included.
                    self.assertTrue(ev.HasField("check_in_margin"))
                    self.assertEqual((ev.check_in_margin.seconds, ev.check_in_margin.nanos), (want, 0))

        # Unset: 12 h, so 07:00 (2 h early) is fine.
        ev = self.event_with_margin("edges-7e-update", day, day)
        self.register(ev, "p1", "p2", "p3", "p4")
        self.accepted(self.check_in(ev, "p1", athens(f"{day}T07:00"), day=day))

        def update(paths, **fields):
            current = self.call("CalendarService", "GetEvent", K.GetEventRequest(event_id=ev.id), K.Event)
            return current, K.UpdateEventRequest(
                event=K.Event(id=ev.id, **fields), update_mask=field_mask_pb2.FieldMask(paths=paths),
                expected_revision=current.revision)
        current, request = update(["check_in_margin"], check_in_margin=duration_pb2.Duration(seconds=3600))
        updated = self.call("CalendarService", "UpdateEvent", request, K.Event)
        self.assertEqual((updated.check_in_margin.seconds, updated.revision),
                         (3600, current.revision + 1))
        # Attendance follows the calendar's change stream: wait until it has
        # taken this revision.
        wait_for_attendance(self.channel, ev.id, updated.revision)
        one_hour = (day, f"{day}T08:00", f"{day}T18:00")
        self.assert_outside(self.check_in(ev, "p2", athens(f"{day}T07:00"), day=day), *one_hour,
                            "before")
        self.accepted(self.check_in(ev, "p2", athens(f"{day}T08:00"), day=day))
        # An update of something else keeps the margin.
        _, request = update(["title"], title="CONNECTION workshop, Thessaloniki (final)")
        updated = self.call("CalendarService", "UpdateEvent", request, K.Event)
        self.assertEqual(updated.check_in_margin.seconds, 3600)
        wait_for_attendance(self.channel, ev.id, updated.revision)
        self.assert_outside(self.check_in(ev, "p3", athens(f"{day}T07:59"), day=day), *one_hour,
                            "before")
        # A bad margin in an update changes nothing.
        current, request = update(["check_in_margin"],
                                  check_in_margin=duration_pb2.Duration(seconds=-60))
        self.assert_invalid(self.refused("CalendarService", "UpdateEvent", request, K.Event),
                            "event.check_in_margin")
        after = self.call("CalendarService", "GetEvent", K.GetEventRequest(event_id=ev.id), K.Event)
        self.assertEqual((after.revision, after.check_in_margin.seconds), (current.revision, 3600))
        # Three days: two days early is fine.
        _, request = update(["check_in_margin"], check_in_margin=duration_pb2.Duration(seconds=3 * 86400))
        updated = self.call("CalendarService", "UpdateEvent", request, K.Event)
        self.assertEqual(updated.check_in_margin.seconds, 3 * 86400)
        wait_for_attendance(self.channel, ev.id, updated.revision)
        self.accepted(self.check_in(ev, "p3", athens("2031-06-29T09:00"), day=day))
        # In the mask but not set: unset on input, 12 h again.
        _, request = update(["check_in_margin"])
        updated = self.call("CalendarService", "UpdateEvent", request, K.Event)
        self.assertEqual(updated.check_in_margin.seconds, 12 * 3600)
        wait_for_attendance(self.channel, ev.id, updated.revision)
        self.assert_outside(self.check_in(ev, "p4", athens("2031-06-30T09:00"), day=day), day,
                            "2031-06-30T21:00", "2031-07-02T05:00", "before")
        self.accepted(self.check_in(ev, "p4", athens("2031-06-30T21:00"), day=day))
        self.assertEqual(self.day_counts(ev, day).counts.checked_in_in_person, 4)

    def test_7f_a_retry_of_an_accepted_check_in_gets_the_first_record(self):
        # What a retry must repeat: the request_id is bound to the request's
        # fingerprint, which leaves out occurred_time (the service fills an
        # unset one from its clock, so the time cannot be part of what a
        # retry repeats: a retry sent later would never match). So a retry
        # carrying another time, or none, is the same request: it gets the
        # first record whatever the time, and is not judged by the window.
        # Both are tested: (1) explicit times; (2) a byte-for-byte identical
        # retry without occurred_time, once the server's clock has left the
        # window it was accepted in.
        day = "2031-08-05"
        ev = self.event_with_margin("edges-7f", day, day, margin=3600)
        self.register(ev, "p1")
        first = self.accepted(self.check_in(ev, "p1", athens(f"{day}T09:05"), day=day,
                                            request_id="edges-7f-1"))
        self.assertFalse(first.duplicate)
        for label, when in [("the same time", athens(f"{day}T09:05")),
                            ("the next day", athens("2031-08-06T12:00")),
                            ("no time (the server's clock, years before)", None)]:
            with self.subTest(retry=label):
                again = self.accepted(self.check_in(ev, "p1", when, day=day, request_id="edges-7f-1"))
                self.assertTrue(again.duplicate)
                self.assertEqual((again.check_in_time, again.join_count),
                                 (first.check_in_time, first.join_count))
        # Anything that is not a retry is judged by the window.
        self.assert_outside(self.check_in(ev, "p1", athens("2031-08-06T12:00"), day=day,
                                          request_id="edges-7f-2"),
                            day, f"{day}T08:00", f"{day}T18:00", "after")
        counts = self.day_counts(ev, day)
        self.assertEqual((counts.counts.checked_in_in_person, counts.unique.total), (1, 1))

        # (2) An event that ends a few seconds from now, without margin: a
        # check-in without occurred_time is accepted now; once the window
        # has closed the identical request still gets its first record,
        # while a new one is refused.
        now = datetime.datetime.now(zoneinfo.ZoneInfo(ATHENS))
        if now.time() >= datetime.time(23, 59, 30):  # keep it one local day
            time.sleep(40)
            now = datetime.datetime.now(zoneinfo.ZoneInfo(ATHENS))
        start = now.replace(microsecond=0) - datetime.timedelta(minutes=1)
        if start.date() != now.date():
            start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        end = now.replace(microsecond=0) + datetime.timedelta(seconds=6)
        today = now.date().isoformat()
        event = self.workshop(today, today)
        event.start_local = start.strftime("%Y-%m-%dT%H:%M:%S")
        event.end_local = end.strftime("%Y-%m-%dT%H:%M:%S")
        event.check_in_margin.CopyFrom(duration_pb2.Duration(seconds=0))
        live = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-7f-live", event=event), K.Event)
        self.register(live, "p1", "p2")
        request = self.check_in(live, "p1", None, day=today, request_id="edges-7f-live-1")
        sent = datetime.datetime.now(UTC)
        record = self.accepted(request)
        self.assertFalse(record.duplicate)
        self.assertLessEqual(abs(record.check_in_time.ToDatetime(UTC) - sent),
                             datetime.timedelta(seconds=2))
        wait = end.astimezone(UTC) - datetime.datetime.now(UTC) + datetime.timedelta(seconds=1)
        time.sleep(max(0.0, wait.total_seconds()))
        self.assert_outside(self.check_in(live, "p2", None, day=today, request_id="edges-7f-live-2"),
                            today, start.strftime("%Y-%m-%dT%H:%M:%S"),
                            end.strftime("%Y-%m-%dT%H:%M:%S"), "after")
        again = self.accepted(request)
        self.assertTrue(again.duplicate)
        self.assertEqual(again.check_in_time, record.check_in_time)
        self.assertEqual(self.day_counts(live, today).counts.checked_in_in_person, 1)

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


    # -- 10 -------------------------------------------------------------------
    def test_10_unknown_enum_values_are_refused_naming_the_field(self):
        """Audit finding 6: local_time_policy=99 was stored as REJECT and
        ListNotifications with state=99 answered OK, where Event.kind=99 is
        refused."""
        event = self.workshop("2031-06-09", "2031-06-09")
        event.local_time_policy = 99
        e = self.refused("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-10-policy", event=event), K.Event)
        self.assert_invalid(e, "event.local_time_policy")
        self.assertIn("unknown value 99", e.details())
        # Nothing was made, and the key was not used up.
        event.local_time_policy = common_pb2.LOCAL_TIME_POLICY_LATER
        made = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-10-policy", event=event), K.Event)
        self.assertEqual(made.local_time_policy, common_pb2.LOCAL_TIME_POLICY_LATER)
        update = K.Event(id=made.id, local_time_policy=99)
        e = self.refused("CalendarService", "UpdateEvent", K.UpdateEventRequest(
            event=update, update_mask=field_mask_pb2.FieldMask(paths=["local_time_policy"]),
            expected_revision=made.revision), K.Event)
        self.assert_invalid(e, "event.local_time_policy")
        self.assertEqual(self.call("CalendarService", "GetEvent", K.GetEventRequest(event_id=made.id),
                                   K.Event).local_time_policy, common_pb2.LOCAL_TIME_POLICY_LATER)

        e = self.refused("NotificationService", "ListNotifications",
                         notification_pb2.ListNotificationsRequest(event_id=made.id, state=99),
                         notification_pb2.ListNotificationsResponse)
        self.assert_invalid(e, "state")
        self.assertIn("unknown value 99", e.details())

    def test_10_every_enum_of_every_request_is_checked_in_one_place(self):
        """ListRegistrations with status=99 answered OK with every
        registration (the filter dropped), where ListNotifications' state=99
        is refused; other RPCs refused unknown numbers each in its own words
        ("format, kind or status: unknown enum value", "kinds: 99 is not a
        change kind", "policy.muted_notices:  is not a ..." without the
        number). Every enum a request carries, nested and repeated ones
        included, is now checked before any handler reads it."""
        self.call("AttendanceService", "Register", A.RegisterRequest(
            event_id=self.event.id, request_id="edges-10b-reg", mode=IN_PERSON,
            participant=common_pb2.Participant(participant_id="thess-10b", display_name="Eleni")),
            A.Registration)
        at = athens("2031-03-10T10:00")
        for service, method, request, response, field in [
                ("AttendanceService", "ListRegistrations", A.ListRegistrationsRequest(
                    event_id=self.event.id, status=99), A.ListRegistrationsResponse, "status"),
                ("CalendarService", "ListEvents", K.ListEventsRequest(format=99),
                 K.ListEventsResponse, "format"),
                ("CalendarService", "ListEvents", K.ListEventsRequest(status=99),
                 K.ListEventsResponse, "status"),
                ("CalendarService", "ListChanges", K.ListChangesRequest(
                    kinds=[K.CHANGE_KIND_CHECKED_IN, 99]), K.ListChangesResponse, "kinds[1]"),
                ("AttendanceService", "CheckIn", A.CheckInRequest(
                    event_id=self.event.id, participant_id="thess-10b", day="2031-03-10",
                    mode=IN_PERSON, source=99, request_id="edges-10b-ci", occurred_time=at),
                 A.CheckInRecord, "source"),
                ("AttendanceService", "ChangeMode", A.ChangeModeRequest(
                    event_id=self.event.id, participant_id="thess-10b", request_id="edges-10b-cm",
                    days=[A.DayMode(date="2031-03-10", mode=99)]), A.Registration, "days[0].mode"),
                ("NotificationService", "SetReminderPolicy", notification_pb2.SetReminderPolicyRequest(
                    policy=notification_pb2.ReminderPolicy(
                        event_id=self.event.id,
                        muted_notices=[notification_pb2.NOTIFICATION_KIND_PROMOTED, 99])),
                 notification_pb2.ReminderPolicy, "policy.muted_notices[1]")]:
            with self.subTest(method=method, field=field):
                e = self.refused(service, method, request, response)
                self.assert_invalid(e, f"{field}: unknown value 99")
        # Nothing changed: no check-in, the same mode, the default policy.
        counts = self.call("AttendanceService", "GetAttendanceCounts",
                           A.GetAttendanceCountsRequest(event_id=self.event.id), A.AttendanceCounts)
        self.assertEqual(sum(d.counts.checked_in_total for d in counts.days), 0)
        reg = self.call("AttendanceService", "GetRegistration", A.GetRegistrationRequest(
            event_id=self.event.id, participant_id="thess-10b"), A.Registration)
        self.assertTrue(all(d.mode == IN_PERSON for d in reg.days))
        policy = self.call("NotificationService", "GetReminderPolicy",
                           notification_pb2.GetReminderPolicyRequest(event_id=self.event.id),
                           notification_pb2.ReminderPolicy)
        self.assertTrue(policy.is_default)

    # -- 11 -------------------------------------------------------------------
    def test_11_an_event_with_its_removed_sessions_stays_readable(self):
        """An organiser who replaced all 200 sessions of an event eight times
        made it 4.3 MB (removed sessions are kept, without bound): the ninth
        UpdateEvent was stored but answered RESOURCE_EXHAUSTED, and from then
        on GetEvent and ExportICalendar of the event, every ListEvents page
        holding it and every ListEventChanges or ListChanges page reaching
        its changes failed the same way, for every caller: the feeds were
        stuck at that change. An event's text, its removed sessions'
        included, is bounded; the update that would pass the bound is
        refused (INVALID_ARGUMENT naming event.sessions) and changes
        nothing."""
        day = "2031-08-05"

        def sessions(generation):
            return [K.Session(title=f"Round {generation} table {i}",
                              start_local=f"{day}T{9 + i * 2 // 60:02d}:{i * 2 % 60:02d}",
                              end_local=f"{day}T{9 + i * 2 // 60:02d}:{i * 2 % 60 + 1:02d}",
                              description="d" * 2000, room="r" * 100)
                    for i in range(200)]
        event = self.workshop(day, day)
        event.sessions.extend(sessions(0))
        made = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-11", event=event), K.Event)
        refused = None
        for generation in range(1, 12):
            current = self.call("CalendarService", "GetEvent",
                                K.GetEventRequest(event_id=made.id), K.Event)
            update = K.UpdateEventRequest(
                event=K.Event(id=made.id, sessions=sessions(generation)),
                update_mask=field_mask_pb2.FieldMask(paths=["sessions"]),
                expected_revision=current.revision)
            try:
                self.call("CalendarService", "UpdateEvent", update, K.Event)
            except grpc.RpcError as e:
                refused = e
                break
        self.assertIsNotNone(refused, "eleven replacements of 200 sessions were all taken")
        self.assert_invalid(refused, "event.sessions")
        self.assertIn("removed sessions", refused.details())
        after = self.call("CalendarService", "GetEvent", K.GetEventRequest(event_id=made.id), K.Event)
        self.assertEqual(after.revision, current.revision)  # the refused update changed nothing
        self.assertLess(after.ByteSize(), 2 * 1024 * 1024)
        self.assertGreater(self.call("CalendarService", "ExportICalendar", K.ExportICalendarRequest(
            event_id=made.id), K.ExportICalendarResponse).vevent_count, 0)
        self.assertEqual([e.id for e in self.call("CalendarService", "ListEvents", K.ListEventsRequest(
            **{"from": after.start_time, "to": after.end_time}, page_size=1),
            K.ListEventsResponse).events], [made.id])
        # Every change of the event can be read, one at a time.
        token, seen = "", 0
        for _ in range(1000):
            page = self.call("CalendarService", "ListEventChanges", K.ListEventChangesRequest(
                sync_token=token, page_size=1), K.ListEventChangesResponse)
            seen += sum(1 for c in page.changes if c.event_id == made.id)
            token = page.next_sync_token
            if not page.has_more:
                break
        self.assertEqual(seen, after.revision)
        # Sessions with next to no text weigh too: each is a Session with
        # its times in every answer and a VEVENT in every export. Replaced
        # 200 at a time they are refused long before the event's answers
        # pass the message limit.
        tiny = self.workshop(day, day)
        tiny.sessions.extend(sessions(0)[:1])
        made = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="edges-11-tiny", event=tiny), K.Event)
        refused = None
        for generation in range(1, 16):
            current = self.call("CalendarService", "GetEvent",
                                K.GetEventRequest(event_id=made.id), K.Event)
            update = K.UpdateEventRequest(
                event=K.Event(id=made.id, sessions=[
                    K.Session(title="x", start_local=s.start_local, end_local=s.end_local)
                    for s in sessions(generation)]),
                update_mask=field_mask_pb2.FieldMask(paths=["sessions"]),
                expected_revision=current.revision)
            try:
                self.call("CalendarService", "UpdateEvent", update, K.Event)
            except grpc.RpcError as e:
                refused = e
                break
        self.assertIsNotNone(refused, "fifteen replacements of 200 sessions were all taken")
        self.assert_invalid(refused, "event.sessions")
        self.assertGreater(self.call("CalendarService", "ExportICalendar", K.ExportICalendarRequest(
            event_id=made.id), K.ExportICalendarResponse).vevent_count, 1000)

    # -- 12 -------------------------------------------------------------------
    def test_12_pages_of_large_events_stay_under_the_message_limit(self):
        """Five events of 0.9 MB each (200 sessions with long descriptions,
        within every limit) made every ListEvents page holding them, and
        every ListEventChanges and ListChanges page reaching their changes,
        fail with RESOURCE_EXHAUSTED at the default page sizes: a feed
        consumer was stuck there. A page now ends early, with more to
        follow, before it would pass the message limit."""
        day = "2031-09-01"
        ids = []
        for n in range(5):
            event = self.workshop(day, day)
            event.sessions.extend(
                K.Session(title=f"Table {n}.{i}",
                          start_local=f"{day}T{9 + i * 2 // 60:02d}:{i * 2 % 60:02d}",
                          end_local=f"{day}T{9 + i * 2 // 60:02d}:{i * 2 % 60 + 1:02d}",
                          description="d" * 4500)
                for i in range(200))
            ids.append(self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
                request_id=f"edges-12-{n}", event=event), K.Event).id)
        window = {"from": athens(f"{day}T00:00"), "to": athens(f"{day}T23:00")}
        listed, token = [], ""
        for _ in range(20):
            page = self.call("CalendarService", "ListEvents", K.ListEventsRequest(
                **window, page_token=token), K.ListEventsResponse)
            listed += [e.id for e in page.events]
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(sorted(listed), sorted(ids))

        def walk(method, request_type, response_type, position_field, next_field):
            seen, position = [], ""
            for _ in range(500):
                page = self.call("CalendarService", method, request_type(
                    **{position_field: position}), response_type)
                seen += [c.event_id for c in page.changes if c.event_id in ids]
                position = getattr(page, next_field)
                if not page.has_more:
                    break
            return seen
        self.assertEqual(sorted(walk("ListEventChanges", K.ListEventChangesRequest,
                                    K.ListEventChangesResponse, "sync_token",
                                    "next_sync_token")), sorted(ids))
        self.assertTrue(wait_until(lambda: len(walk(
            "ListChanges", K.ListChangesRequest, K.ListChangesResponse, "position",
            "next_position")) == len(ids), 30))
        # One calendar for all five cannot be one answer: the caller is
        # told to narrow it (as for too many events), not RESOURCE_EXHAUSTED.
        e = self.refused("CalendarService", "ExportICalendar",
                         K.ExportICalendarRequest(**window), K.ExportICalendarResponse)
        self.assertEqual(e.code(), grpc.StatusCode.OUT_OF_RANGE, e.details())
        self.assertIn("narrow the window or the filters", e.details())
        self.assertEqual(self.call("CalendarService", "ExportICalendar", K.ExportICalendarRequest(
            event_id=ids[0]), K.ExportICalendarResponse).vevent_count, 200)

    # -- 13 -------------------------------------------------------------------
    def test_13_a_notice_kind_muted_twice_is_refused_like_an_offset_twice(self):
        """SetReminderPolicy stored muted_notices [PROMOTED, PROMOTED] as
        given (GetReminderPolicy answered the kind twice), where an offset
        listed twice is refused."""
        N = notification_pb2
        for policy in (N.ReminderPolicy(event_id=self.event.id, muted_notices=[
                           N.NOTIFICATION_KIND_PROMOTED, N.NOTIFICATION_KIND_WAITLISTED,
                           N.NOTIFICATION_KIND_PROMOTED]),
                       N.ReminderPolicy(event_id=self.event.id, before_event=[
                           duration_pb2.Duration(seconds=3600), duration_pb2.Duration(seconds=3600)])):
            with self.subTest(policy=str(policy)):
                e = self.refused("NotificationService", "SetReminderPolicy",
                                 N.SetReminderPolicyRequest(policy=policy), N.ReminderPolicy)
                self.assert_invalid(e, "policy.muted_notices[2]" if policy.muted_notices
                                    else "policy.before_event[1]")
                self.assertIn("listed twice", e.details())
        self.assertTrue(self.call("NotificationService", "GetReminderPolicy",
                                  N.GetReminderPolicyRequest(event_id=self.event.id),
                                  N.ReminderPolicy).is_default)


if __name__ == "__main__":
    unittest.main()
