"""End to end: the calendar service as two real replicas over one private
redis-server, called with Python grpcio. Changes written through one replica
reach watchers on the other; watchers resume from a sync token; a watcher does
not hold up a graceful stop."""
import queue
import signal
import threading
import time
import unittest

import grpc
from google.protobuf import field_mask_pb2

from convene_e2e import ConveneProcess, RedisServer, unary, wait_until
from convene.v1 import calendar_pb2, common_pb2


def workshop(title="CoP1 3rd workshop"):
    # Session hours are demo choices; the documents give only the dates.
    return calendar_pb2.Event(
        title=title, kind=calendar_pb2.EVENT_KIND_WORKSHOP, community="CoP1",
        city="Thessaloniki", country_code="EL", format=common_pb2.EVENT_FORMAT_HYBRID,
        time_zone="Europe/Athens", start_local="2022-03-15T09:00", end_local="2022-03-17T17:30",
        venue=calendar_pb2.Venue(name="Thessaloniki City Hall", address="Vasileos Georgiou A 1",
                                 city="Thessaloniki", in_person_capacity=25),
        online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/cop1-3",
                                         online_capacity=50),
        sessions=[calendar_pb2.Session(title="Municipality of Thessaloniki",
                                       start_local="2022-03-15T09:00", end_local="2022-03-15T13:00"),
                  calendar_pb2.Session(title="Guided tour of reception facilities",
                                       start_local="2022-03-15T14:30", end_local="2022-03-15T17:30",
                                       format=common_pb2.EVENT_FORMAT_IN_PERSON)])


def rfc5545_vevents(text):
    """The VEVENTs of an iCalendar text as {"UID": ..., "STATUS": ...,
    "SEQUENCE": ..., "DTSTART": unix seconds, "DTEND": ...}, the times read
    as RFC 5545 section 3.3.5 says and with
    nothing of the code under test: lines unfolded, a value ending in Z is
    UTC, one with a TZID is local time in that zone, a time in a DST gap read
    with the offset before the gap and an ambiguous one as its first
    occurrence (zoneinfo's fold=0 is exactly that rule)."""
    import datetime
    import zoneinfo
    lines = []
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t"):
            lines[-1] += line[1:]
        elif line:
            lines.append(line)
    out, current = [], None
    for line in lines:
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        params = dict(p.split("=", 1) for p in params)
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None and name in ("UID", "STATUS", "SEQUENCE"):
            current[name] = value
        elif current is not None and name in ("DTSTART", "DTEND"):
            local = datetime.datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
            if value.endswith("Z"):
                assert "TZID" not in params, line
                zone = datetime.timezone.utc
            else:
                zone = zoneinfo.ZoneInfo(params["TZID"])
            current[name] = int(local.replace(tzinfo=zone, fold=0).timestamp())
    return out


class Watcher:
    """Collects a WatchEventChanges stream on a background thread."""

    def __init__(self, channel, sync_token=""):
        call = channel.unary_stream(
            "/convene.v1.CalendarService/WatchEventChanges",
            request_serializer=calendar_pb2.WatchEventChangesRequest.SerializeToString,
            response_deserializer=calendar_pb2.EventChange.FromString)
        self.stream = call(calendar_pb2.WatchEventChangesRequest(sync_token=sync_token), timeout=60)
        self.changes = queue.Queue()
        self.ended_with = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for change in self.stream:
                self.changes.put(change)
        except grpc.RpcError as e:
            self.ended_with = e.code()

    def next(self, timeout=5):
        return self.changes.get(timeout=timeout)


class CalendarE2ETest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer()
        self.redis.start()
        self.a = ConveneProcess("calendar/convene-calendar", self.redis.address)
        self.b = ConveneProcess("calendar/convene-calendar", self.redis.address)
        self.ch_a = grpc.insecure_channel(self.a.target)
        self.ch_b = grpc.insecure_channel(self.b.target)

    def tearDown(self):
        self.ch_a.close()
        self.ch_b.close()
        self.a.stop(signal.SIGKILL)
        self.b.stop(signal.SIGKILL)
        self.redis.cleanup()

    def create(self, channel, request_id, event):
        return unary(channel, "CalendarService", "CreateEvent",
                     calendar_pb2.CreateEventRequest(request_id=request_id, event=event),
                     calendar_pb2.Event)

    def test_a_change_through_one_replica_reaches_a_watcher_on_the_other(self):
        watcher = Watcher(self.ch_b)
        time.sleep(0.3)  # let the stream open before the change is made
        started = time.monotonic()
        made = self.create(self.ch_a, "e2e-watch-1", workshop())
        change = watcher.next(timeout=5)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual(change.type, calendar_pb2.EVENT_CHANGE_TYPE_CREATED)
        self.assertEqual(change.event_id, made.id)
        self.assertEqual(change.event.sessions[1].format, common_pb2.EVENT_FORMAT_IN_PERSON)

        unary(self.ch_a, "CalendarService", "CancelEvent",
              calendar_pb2.CancelEventRequest(event_id=made.id, reason="moved online"),
              calendar_pb2.Event)
        cancelled = watcher.next(timeout=5)
        self.assertEqual(cancelled.type, calendar_pb2.EVENT_CHANGE_TYPE_CANCELLED)
        self.assertEqual(cancelled.reason, "moved online")
        self.assertEqual(cancelled.revision, 2)

    def test_a_watcher_resumes_after_its_sync_token_in_order(self):
        self.create(self.ch_a, "r-1", workshop("first"))
        page = unary(self.ch_a, "CalendarService", "ListEventChanges",
                     calendar_pb2.ListEventChangesRequest(), calendar_pb2.ListEventChangesResponse)
        token = page.next_sync_token
        self.create(self.ch_a, "r-2", workshop("second"))
        self.create(self.ch_a, "r-3", workshop("third"))
        watcher = Watcher(self.ch_b, sync_token=token)
        self.assertEqual(watcher.next().event.title, "second")
        self.assertEqual(watcher.next().event.title, "third")
        self.create(self.ch_a, "r-4", workshop("fourth"))
        self.assertEqual(watcher.next().event.title, "fourth")
        self.assertTrue(watcher.changes.empty())

    def test_an_open_watcher_does_not_hold_up_a_graceful_stop(self):
        watcher = Watcher(self.ch_b)
        time.sleep(0.3)
        started = time.monotonic()
        self.assertEqual(self.b.stop(signal.SIGTERM, timeout=15), 0)
        self.assertLess(time.monotonic() - started, 5.0)
        watcher.thread.join(5)
        self.assertEqual(watcher.ended_with, grpc.StatusCode.UNAVAILABLE)

    def test_list_events_pages_show_each_event_as_get_event_does(self):
        """ListEvents answers from the stored documents without decoding
        them; every event on every page must still be exactly what GetEvent
        answers, updates, removed sessions and cancellations included, and
        the pages must hold each matching event once."""
        made = []
        for i in range(23):
            e = workshop(f"CoP{1 + i % 3} workshop {i}")
            e.community = f"CoP{1 + i % 3}"
            e.start_local = f"2022-03-{1 + i:02d}T09:00"
            e.end_local = f"2022-03-{1 + i:02d}T17:30"
            del e.sessions[:]
            e.sessions.append(calendar_pb2.Session(title="Morning", start_local=f"2022-03-{1 + i:02d}T09:00",
                                                   end_local=f"2022-03-{1 + i:02d}T12:00"))
            e.sessions.append(calendar_pb2.Session(title="Afternoon", start_local=f"2022-03-{1 + i:02d}T14:00",
                                                   end_local=f"2022-03-{1 + i:02d}T17:30"))
            made.append(self.create(self.ch_a, f"list-{i}", e))
        # One moved to the afternoon only, one cancelled.
        moved = calendar_pb2.Event(id=made[4].id, sessions=[made[4].sessions[1]])
        unary(self.ch_a, "CalendarService", "UpdateEvent",
              calendar_pb2.UpdateEventRequest(event=moved, update_mask={"paths": ["sessions"]},
                                              expected_revision=made[4].revision),
              calendar_pb2.Event)
        unary(self.ch_a, "CalendarService", "CancelEvent",
              calendar_pb2.CancelEventRequest(event_id=made[7].id, reason="venue closed"),
              calendar_pb2.Event)
        for community in ("", "CoP2"):
            listed, token = [], ""
            while True:
                page = unary(self.ch_b, "CalendarService", "ListEvents",
                             calendar_pb2.ListEventsRequest(page_size=5, page_token=token,
                                                            community=community),
                             calendar_pb2.ListEventsResponse)
                listed.extend(page.events)
                token = page.next_page_token
                if not token:
                    break
            want = [e.id for e in made if not community or e.community == community]
            self.assertEqual(sorted(e.id for e in listed), sorted(want), community)
            for e in listed:
                got = unary(self.ch_b, "CalendarService", "GetEvent",
                            calendar_pb2.GetEventRequest(event_id=e.id), calendar_pb2.Event)
                self.assertEqual(e, got, f"ListEvents and GetEvent differ for {e.id}")
        by_id = {e.id: e for e in listed}
        if made[4].id in by_id:
            self.assertEqual(len(by_id[made[4].id].removed_sessions), 1)

    def test_bad_input_is_invalid_argument_naming_the_field(self):
        bad = workshop()
        bad.time_zone = "Europe/Saloniki"
        with self.assertRaises(grpc.RpcError) as e:
            self.create(self.ch_a, "bad-1", bad)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("event.time_zone", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch_a, "CalendarService", "GetEvent",
                  calendar_pb2.GetEventRequest(event_id="ev_nope"), calendar_pb2.Event)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_exported_icalendar_parses_elsewhere_and_matches_the_agenda(self):
        import icalendar  # Debian's python3-icalendar: a parser nobody here wrote
        made = self.create(self.ch_a, "ics-1", workshop())
        brussels = workshop("CONNECTION interim meeting")
        brussels.city, brussels.country_code, brussels.time_zone = "Brussels", "BE", "Europe/Brussels"
        brussels.start_local, brussels.end_local = "2021-09-13T09:00", "2021-09-14T17:30"
        brussels.description = "Fortschritt, Zeitplan; Koordinierung, \\ und Ελληνικά / български"
        del brussels.sessions[:]
        other = self.create(self.ch_a, "ics-2", brussels)
        unary(self.ch_a, "CalendarService", "CancelEvent",
              calendar_pb2.CancelEventRequest(event_id=other.id, reason="held online"),
              calendar_pb2.Event)

        reply = unary(self.ch_b, "CalendarService", "ExportICalendar",
                      calendar_pb2.ExportICalendarRequest(include_cancelled=True),
                      calendar_pb2.ExportICalendarResponse)
        self.assertEqual(reply.vevent_count, 3)
        cal = icalendar.Calendar.from_ical(reply.calendar)
        vevents = {str(c["UID"]): c for c in cal.walk("VEVENT")}
        self.assertEqual(len(vevents), 3)
        tzids = {str(c["TZID"]) for c in cal.walk("VTIMEZONE")}
        self.assertEqual(tzids, {"Europe/Athens", "Europe/Brussels"})

        agenda = unary(self.ch_b, "CalendarService", "GetAgenda",
                       calendar_pb2.GetAgendaRequest(event_id=made.id, viewer_time_zone="America/New_York"),
                       calendar_pb2.Agenda)
        # One VEVENT per session; days without sessions have agenda items
        # for the whole day but no VEVENT of their own.
        items = [item for day in agenda.days for item in day.items if item.session_id]
        self.assertEqual(len(items), 2)
        for item in items:
            vevent = vevents[f"{item.session_id}.{made.id}@convene"]
            start = vevent.decoded("DTSTART")
            end = vevent.decoded("DTEND")
            self.assertEqual(int(start.timestamp()), item.start.instant.seconds)
            self.assertEqual(int(end.timestamp()), item.end.instant.seconds)
        self.assertEqual(items[0].start.viewer_local, "2022-03-15T03:00")

        cancelled = vevents[f"{other.id}@convene"]
        self.assertEqual(str(cancelled["STATUS"]), "CANCELLED")
        self.assertEqual(int(cancelled["SEQUENCE"]), 1)
        self.assertIn("Ελληνικά / български", str(cancelled["DESCRIPTION"]))
        self.assertEqual(int(cancelled.decoded("DTSTART").timestamp()), other.start_time.seconds)

    def test_exported_times_read_as_rfc5545_says_are_the_events_instants(self):
        # An event resolved by EARLIER or LATER in a DST gap or overlap has
        # instants an RFC 5545 reader would not get from its stored local
        # time (it reads a gap time with the offset before the gap and an
        # ambiguous time as its first occurrence): whatever the policy, the
        # export must lead every reader to the event's own instants.
        cases = [("2030-03-31T02:30", policy) for policy in (
                     common_pb2.LOCAL_TIME_POLICY_RFC5545, common_pb2.LOCAL_TIME_POLICY_EARLIER,
                     common_pb2.LOCAL_TIME_POLICY_LATER)] + \
                [("2030-10-27T02:30", policy) for policy in (
                     common_pb2.LOCAL_TIME_POLICY_RFC5545, common_pb2.LOCAL_TIME_POLICY_EARLIER,
                     common_pb2.LOCAL_TIME_POLICY_LATER)]
        for n, (start_local, policy) in enumerate(cases):
            label = f"{start_local} {common_pb2.LocalTimePolicy.Name(policy)}"
            with self.subTest(label):
                event = workshop(f"Night shift {n}")
                event.time_zone = "Europe/Brussels"
                event.start_local, event.end_local = start_local, start_local[:11] + "05:00"
                event.local_time_policy = policy
                del event.sessions[:]
                made = self.create(self.ch_a, f"dst-{n}", event)
                reply = unary(self.ch_a, "CalendarService", "ExportICalendar",
                              calendar_pb2.ExportICalendarRequest(event_id=made.id),
                              calendar_pb2.ExportICalendarResponse)
                (vevent,) = rfc5545_vevents(reply.calendar)
                self.assertEqual(vevent["DTSTART"], made.start_time.seconds, label)
                self.assertEqual(vevent["DTEND"], made.end_time.seconds, label)

                # The same for sessions, one of them starting in the gap or
                # overlap.
                event.sessions.extend([
                    calendar_pb2.Session(title="Opening", start_local=start_local,
                                         end_local=start_local[:11] + "04:00"),
                    calendar_pb2.Session(title="Close", start_local=start_local[:11] + "04:00",
                                         end_local=start_local[:11] + "05:00")])
                made = self.create(self.ch_a, f"dst-sessions-{n}", event)
                reply = unary(self.ch_a, "CalendarService", "ExportICalendar",
                              calendar_pb2.ExportICalendarRequest(event_id=made.id),
                              calendar_pb2.ExportICalendarResponse)
                by_uid = {v["UID"]: v for v in rfc5545_vevents(reply.calendar)}
                self.assertEqual(len(by_uid), 2)
                for session in made.sessions:
                    vevent = by_uid[f"{session.id}.{made.id}@convene"]
                    self.assertEqual(vevent["DTSTART"], session.start_time.seconds, label)
                    self.assertEqual(vevent["DTEND"], session.end_time.seconds, label)

    def test_a_whole_event_entry_replaced_by_sessions_is_cancelled(self):
        # A subscribed calendar that imported the event without sessions must
        # be told to drop that entry once sessions take its place, and get it
        # back when they go.
        event = workshop("Partner meeting")
        del event.sessions[:]
        made = self.create(self.ch_a, "whole-1", event)

        def export():
            reply = unary(self.ch_b, "CalendarService", "ExportICalendar",
                          calendar_pb2.ExportICalendarRequest(event_id=made.id),
                          calendar_pb2.ExportICalendarResponse)
            vevents = rfc5545_vevents(reply.calendar)
            # "Number of VEVENTs in it": cancelled entries are VEVENTs too.
            self.assertEqual(reply.vevent_count, len(vevents))
            return {v["UID"]: (v["STATUS"], int(v["SEQUENCE"])) for v in vevents}

        whole = f"{made.id}@convene"
        self.assertEqual(export(), {whole: ("CONFIRMED", 0)})

        def update(sessions):
            return unary(self.ch_a, "CalendarService", "UpdateEvent", calendar_pb2.UpdateEventRequest(
                event=calendar_pb2.Event(id=made.id, sessions=sessions),
                update_mask=field_mask_pb2.FieldMask(paths=["sessions"]),
                expected_revision=made.revision), calendar_pb2.Event)
        made = update([calendar_pb2.Session(title="Opening", start_local="2022-03-15T09:00",
                                            end_local="2022-03-15T13:00")])
        session = f"{made.sessions[0].id}.{made.id}@convene"
        self.assertEqual(export(), {whole: ("CANCELLED", 1), session: ("CONFIRMED", 1)})
        made = update([])
        self.assertEqual(export(), {whole: ("CONFIRMED", 2), session: ("CANCELLED", 2)})

        # An event that always had sessions never had a whole-event entry.
        always = self.create(self.ch_a, "whole-2", workshop("Always by session"))
        reply = unary(self.ch_b, "CalendarService", "ExportICalendar",
                      calendar_pb2.ExportICalendarRequest(event_id=always.id),
                      calendar_pb2.ExportICalendarResponse)
        self.assertEqual(sorted(v["UID"] for v in rfc5545_vevents(reply.calendar)),
                         sorted(f"{s.id}.{always.id}@convene" for s in always.sessions))
        self.assertEqual(reply.vevent_count, len(always.sessions))

    def test_an_event_whose_programme_was_reworked_can_still_be_exported(self):
        # A ten-day conference with a long description and 200 sessions,
        # its programme replaced again and again: the removed sessions stay
        # in the export as STATUS:CANCELLED entries (each id for ever), and
        # every revision the server accepts must still export, or calendar
        # integrations lose the event, and with it every sync of the rest.
        sessions = [calendar_pb2.Session(title=f"Panel {d + 1}.{k + 1}",
                                         start_local=f"2027-05-{10 + d:02d}T{8 + k // 2:02d}:{k % 2 * 30:02d}",
                                         end_local=f"2027-05-{10 + d:02d}T{8 + k // 2:02d}:{k % 2 * 30 + 25:02d}")
                    for d in range(10) for k in range(20)]
        event = workshop("CONNECTION final conference")
        event.description = ("Partners, cities and NGOs of the network meet for the final "
                             "conference; ") * 60
        event.description = event.description[:5000]
        event.start_local, event.end_local = "2027-05-10T08:00", "2027-05-19T23:00"
        del event.sessions[:]
        event.sessions.extend(sessions)
        made = self.create(self.ch_a, "final-conference", event)
        removed = 0
        for round_ in range(12):
            reply = unary(self.ch_b, "CalendarService", "ExportICalendar",
                          calendar_pb2.ExportICalendarRequest(event_id=made.id),
                          calendar_pb2.ExportICalendarResponse, timeout=30)
            statuses = [v["STATUS"] for v in rfc5545_vevents(reply.calendar)]
            self.assertEqual((statuses.count("CONFIRMED"), statuses.count("CANCELLED")),
                             (len(sessions), removed), f"round {round_}")
            try:
                made = unary(self.ch_a, "CalendarService", "UpdateEvent", calendar_pb2.UpdateEventRequest(
                    event=calendar_pb2.Event(id=made.id, sessions=sessions),
                    update_mask=field_mask_pb2.FieldMask(paths=["sessions"]),
                    expected_revision=made.revision), calendar_pb2.Event, timeout=30)
            except grpc.RpcError as e:
                # The event's own bound (1 MiB, removed sessions included).
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
                self.assertIn("event.sessions", e.details())
                break
            removed += len(sessions)
        self.assertGreaterEqual(removed, 1000)

    def test_the_agenda_has_no_day_for_a_date_the_venue_skipped(self):
        # Samoa went from 2011-12-29 24:00 (-10:00) to 2011-12-31 00:00
        # (+14:00): the 30th never happened in Apia.
        event = workshop("Across the date line")
        event.city, event.country_code, event.time_zone = "Apia", "WS", "Pacific/Apia"
        event.start_local, event.end_local = "2011-12-29T20:00", "2011-12-31T03:00"
        del event.sessions[:]
        made = self.create(self.ch_a, "apia-1", event)
        agenda = unary(self.ch_b, "CalendarService", "GetAgenda",
                       calendar_pb2.GetAgendaRequest(event_id=made.id, viewer_time_zone="UTC"),
                       calendar_pb2.Agenda)
        self.assertEqual([d.venue_date for d in agenda.days], ["2011-12-29", "2011-12-31"])
        self.assertEqual(agenda.days[0].end.instant, agenda.days[1].start.instant)

    def test_a_session_past_midnight_shows_on_both_days_of_the_agenda(self):
        """A conference dinner from 21:00 to 01:00 showed on its first day
        only: the second day answered as if nothing were going on (or, with
        no session starting that day, the event's whole-day hours). A
        calendar shows it on both days, still going on after midnight."""
        event = workshop("Conference dinner and night session")
        event.start_local, event.end_local = "2022-03-15T09:00", "2022-03-16T13:00"
        del event.sessions[:]
        event.sessions.extend([
            calendar_pb2.Session(title="Plenary", start_local="2022-03-15T09:00",
                                 end_local="2022-03-15T12:00"),
            calendar_pb2.Session(title="Dinner and night session", start_local="2022-03-15T21:00",
                                 end_local="2022-03-16T01:00"),
            calendar_pb2.Session(title="Closing", start_local="2022-03-16T10:00",
                                 end_local="2022-03-16T13:00")])
        made = self.create(self.ch_a, "night-session-1", event)
        night = next(s for s in made.sessions if s.title == "Dinner and night session")
        agenda = unary(self.ch_b, "CalendarService", "GetAgenda",
                       calendar_pb2.GetAgendaRequest(event_id=made.id, viewer_time_zone="Europe/Brussels"),
                       calendar_pb2.Agenda)
        days = {d.venue_date: d for d in agenda.days}
        self.assertEqual(sorted(days), ["2022-03-15", "2022-03-16"])
        first = [i.session_id for i in days["2022-03-15"].items]
        second = [i.session_id for i in days["2022-03-16"].items]
        self.assertIn(night.id, first)
        self.assertEqual(second[0], night.id, "the night session goes on after midnight")
        self.assertEqual(len(second), 2, second)
        going_on = days["2022-03-16"].items[0]
        self.assertTrue(going_on.continues_from_earlier_day)
        self.assertFalse(days["2022-03-15"].items[1].continues_from_earlier_day)
        self.assertEqual(going_on.start.venue_local, "2022-03-15T21:00")
        self.assertEqual(going_on.end.venue_local, "2022-03-16T01:00")
        # The second day with nothing else on: the session, not the event's
        # whole-day hours (09:00 onwards, long after it ended).
        del event.sessions[2]
        event.end_local = "2022-03-16T01:00"
        made = self.create(self.ch_a, "night-session-2", event)
        agenda = unary(self.ch_b, "CalendarService", "GetAgenda",
                       calendar_pb2.GetAgendaRequest(event_id=made.id), calendar_pb2.Agenda)
        last = agenda.days[-1]
        self.assertEqual(last.venue_date, "2022-03-16")
        self.assertEqual([i.title for i in last.items], ["Dinner and night session"])

    def test_find_meeting_times_for_partner_cities(self):
        request = calendar_pb2.FindMeetingTimesRequest(
            participants=[calendar_pb2.MeetingParticipant(city="Brussels"),
                          calendar_pb2.MeetingParticipant(city="Thessaloniki"),
                          calendar_pb2.MeetingParticipant(city="Tampere")],
            duration_minutes=60, from_date="2022-03-15", to_date="2022-03-15",
            range_time_zone="Europe/Brussels", step_minutes=15, max_results=3)
        reply = unary(self.ch_a, "CalendarService", "FindMeetingTimes", request,
                      calendar_pb2.FindMeetingTimesResponse)
        self.assertEqual(len(reply.slots), 3)
        best = reply.slots[0]
        self.assertEqual([t.local_start for t in best.local_times],
                         ["2022-03-15T12:00", "2022-03-15T13:00", "2022-03-15T13:00"])
        self.assertEqual(best.local_times[1].time_zone, "Europe/Athens")
        request.participants.add(city="Tokyo")
        none = unary(self.ch_a, "CalendarService", "FindMeetingTimes", request,
                     calendar_pb2.FindMeetingTimesResponse)
        self.assertEqual(len(none.slots), 0)
        request.participants.add(city="Atlantis")
        with self.assertRaises(grpc.RpcError) as e:
            unary(self.ch_a, "CalendarService", "FindMeetingTimes", request,
                  calendar_pb2.FindMeetingTimesResponse)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("participants[4].city", e.exception.details())


if __name__ == "__main__":
    unittest.main(verbosity=2)
