"""End to end: regression tests for attendance findings, one test per finding,
against convened over a private redis-server. Each states the intended
behaviour:

  a. a walk-in counts in by_city / by_organisation like any registration,
     also once cancelled (never below zero);
  b. waitlisted places are counted per city and per organisation;
  c. cities and organisations with ':' '|' and other text come out under
     exactly their own key, with no bogus group;
  d. session ids are stable: kept sessions keep theirs, a new session never
     reuses a removed one's id, removed sessions are shown (Event
     .removed_sessions, SessionCounts.removed, STATUS:CANCELLED in
     iCalendar) and their check-ins stay counted;
  e. a change in the number of days: dropped days are cancelled in every
     registration; added days go to "all days" registrations in their
     default mode, in registration order;
  f. ForgetParticipant leaves no trace of name, e-mail or organisation in
     the counts (group "(erased)", GroupCounts.erased, for the city too) or
     anywhere in Redis;
  g. a capacity raised by UpdateEvent promotes waitlist heads (FIFO) as soon
     as attendance takes the new revision from the calendar stream;
  h. a move after the event was shortened keeps one entry per date: the
     moved day wins over a day cancelled earlier on that date;
  i. a mode the event no longer offers is cancelled in every registration,
     seats and places in line alike: nobody is promoted into it;
  j. a check-out to a removed session is refused, as a check-in is;
  k. ForgetParticipant's request_id is bound to its participant: reused for
     another one it is INVALID_ARGUMENT and erases nothing, in any event;
  l. an unknown session_id is named as such, not as an unknown event;
  n. a retry of Register, ChangeMode or CancelRegistration returns the first
     answer (days, status, revision), not what later requests made of it;
  o. someone registered, but not for the day, walks in like anyone else
     while the room has a seat: the day is added to their registration;
  p. ListRegistrations of an event nobody created is NOT_FOUND, as
     GetAttendanceCounts and ExportAttendanceReport are (it answered an
     empty list, so a mistyped id looked like an event without
     registrations);
  q. the counts of a long event with many cities and organisations (a year
     of an online course, 60 participants) passed what one message holds:
     GetAttendanceCounts failed with RESOURCE_EXHAUSTED and
     WatchAttendanceCounts sent nothing, for every caller. `days` asks for
     some days; an answer that would still be too large is OUT_OF_RANGE
     naming days, and the whole event is refused from a few of its days'
     counters before Redis reads them all;
  r. someone registered who wants a day back, or a day they did not ask
     for, names it in ChangeMode and gets a seat, or the end of the
     waitlist: Register refuses a registered person and ChangeMode refused
     a cancelled day ("register again"), so the only way was to cancel
     every day and lose the seats they held;
  s. a participant's e-mail is refused at Register and at a walk-in when
     the mail sender would refuse it (quotes, angle brackets, commas,
     semicolons, parentheses, backslash, DEL: core::CheckMailAddress, the
     one rule both use), naming participant.email; display names,
     organisations, cities and an organiser contact's name hold no control
     character (DEL, C1 controls, line and paragraph separators included),
     so none can reach a mail header or a CSV row as a line break;
  t. the counters of an event are kept per day, so GetAttendanceCounts of
     one day of a year-long event reads that day (it read the whole year:
     260 ms of Redis for case q, whatever `days` asked for). An event
     stored by an earlier release (every counter in one hash) still counts
     right, the audit finds no drift in it, and its next change moves its
     counters to the per-day hashes;
  u. a participant whose browser or calendar sends "it-IT" (or "it_IT")
     registers, and is written to in Italian: Register took only a bare
     primary tag ("it") while the texts already read "it-IT" as Italian,
     two rules for one field (core/language_tag.h is now the one);
  v. a city or organisation typed with a space too many ("Brussels ",
     "Den  Haag", a no-break space pasted from a document) counts in the
     same group as the plain spelling: it made a group of its own, so the
     per-city counts split one city in two. A name of spaces only is no
     name;
  x. a watcher of the whole of case q's event is refused, and no longer
     takes the event's other watchers with it: the shared read of every
     day was refused too, ending a desk's watch of one day.
"""
import os
import queue
import subprocess
import threading
import unittest

import grpc

from convene_e2e import (BUILD_DIR, ConveneProcess, RedisServer, during_day, during_session, unary,
                         wait_for_attendance, wait_until)
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2
from google.protobuf import field_mask_pb2

A = attendance_pb2
K = calendar_pb2
IN_PERSON = common_pb2.ATTENDANCE_MODE_IN_PERSON
ONLINE = common_pb2.ATTENDANCE_MODE_ONLINE
CONFIRMED = A.REGISTRATION_STATUS_CONFIRMED
WAITLISTED = A.REGISTRATION_STATUS_WAITLISTED
CANCELLED = A.REGISTRATION_STATUS_CANCELLED
MODE_FIELDS = ("registered_in_person", "registered_online", "waitlisted_in_person",
               "waitlisted_online", "checked_in_in_person", "checked_in_online",
               "registered_total", "checked_in_total")


def has_field(message_class, name):
    return name in message_class.DESCRIPTOR.fields_by_name


def groups(day, kind):
    """{key: GroupCounts} of a DayCounts; a key listed twice fails loudly."""
    out = {}
    for g in getattr(day, kind):
        assert g.key not in out, f"{kind}: key {g.key!r} listed twice"
        out[g.key] = g
    return out


def counts_of(group, field):
    return 0 if group is None else getattr(group.counts, field)


def nonzero(group):
    return {f: getattr(group.counts, f) for f in MODE_FIELDS if getattr(group.counts, f)}


def vevents(calendar):
    """The VEVENTs of an iCalendar text as {property name: value} dicts
    (lines unfolded; parameters dropped)."""
    text = calendar.replace("\r\n ", "").replace("\r\n\t", "")
    events, current = [], None
    for line in text.split("\r\n"):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            name, value = line.split(":", 1)
            current[name.split(";", 1)[0]] = value
    return events


class AttendanceRegressionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.redis.start()
        cls.addClassCleanup(cls.redis.cleanup)
        cls.server = ConveneProcess("convened/convened", cls.redis.address)
        cls.addClassCleanup(cls.server.stop)
        cls.channel = grpc.insecure_channel(cls.server.target)
        cls.addClassCleanup(cls.channel.close)

    # -- helpers ------------------------------------------------------------
    def call(self, service, method, request, response_type):
        return unary(self.channel, service, method, request, response_type, timeout=15)

    def create_event(self, request_id, first, last, fmt=common_pb2.EVENT_FORMAT_HYBRID,
                     in_person_capacity=0, online_capacity=0, walk_ins=False, sessions=()):
        event = K.Event(title="Regression " + request_id, format=fmt, time_zone="Europe/Brussels",
                        start_local=f"{first}T09:00", end_local=f"{last}T17:00",
                        allow_walk_ins=walk_ins, sessions=list(sessions))
        if fmt != common_pb2.EVENT_FORMAT_ONLINE:
            event.venue.CopyFrom(K.Venue(name="Stadhuis", in_person_capacity=in_person_capacity))
        if fmt != common_pb2.EVENT_FORMAT_IN_PERSON:
            event.online.CopyFrom(K.OnlineAccess(platform="Jitsi", join_url="https://meet.example.org/r",
                                                 online_capacity=online_capacity))
        return self.call("CalendarService", "CreateEvent",
                         K.CreateEventRequest(request_id=request_id, event=event), K.Event)

    def update_event(self, event_id, paths, change):
        current = self.call("CalendarService", "GetEvent", K.GetEventRequest(event_id=event_id), K.Event)
        patch = K.Event()
        patch.CopyFrom(current)
        change(patch)
        return self.call("CalendarService", "UpdateEvent", K.UpdateEventRequest(
            event=patch, update_mask=field_mask_pb2.FieldMask(paths=paths),
            expected_revision=current.revision), K.Event)

    def register(self, ev, pid, city="", organisation="", mode=IN_PERSON, days=None,
                 name=None, email="", language=""):
        req = A.RegisterRequest(event_id=ev.id, request_id=f"reg-{ev.id}-{pid}", mode=mode,
                                participant=common_pb2.Participant(
                                    participant_id=pid, display_name=name or "Partner " + pid,
                                    email=email, city=city, organisation=organisation,
                                    language=language))
        for date, m in days or ():
            req.days.append(A.DayMode(date=date, mode=m))
        return self.call("AttendanceService", "Register", req, A.Registration)

    def cancel(self, ev, pid, dates=()):
        return self.call("AttendanceService", "CancelRegistration", A.CancelRegistrationRequest(
            event_id=ev.id, participant_id=pid, dates=list(dates),
            request_id=f"cancel-{ev.id}-{pid}-{'-'.join(dates)}"), A.Registration)

    def get_registration(self, ev, pid):
        return self.call("AttendanceService", "GetRegistration",
                         A.GetRegistrationRequest(event_id=ev.id, participant_id=pid), A.Registration)

    def check_in(self, ev, pid, day="", session_id="", mode=IN_PERSON, walk_in=None):
        # Shortly after the day (or session) starts: these events are far
        # from the server's clock, and a check-in must fall in the day's
        # check-in window (Event.check_in_margin).
        when = during_session(ev, session_id) if session_id else during_day(ev, day)
        req = A.CheckInRequest(event_id=ev.id, participant_id=pid, day=day, session_id=session_id,
                               mode=mode, request_id=f"in-{ev.id}-{pid}-{day}{session_id}-{mode}",
                               source=A.CHECK_IN_SOURCE_ONLINE_JOIN if mode == ONLINE
                               else A.CHECK_IN_SOURCE_DESK, occurred_time=when)
        if walk_in is not None:
            req.walk_in.CopyFrom(walk_in)
        return self.call("AttendanceService", "CheckIn", req, A.CheckInRecord)

    def counts(self, ev):
        return self.call("AttendanceService", "GetAttendanceCounts",
                         A.GetAttendanceCountsRequest(event_id=ev.id), A.AttendanceCounts)

    def day(self, counts, date):
        for d in counts.days:
            if d.date == date:
                return d
        self.fail(f"no day {date} in the counts ({[d.date for d in counts.days]})")

    def assert_no_negative(self, counts):
        for d in counts.days:
            for kind in ("by_city", "by_organisation"):
                for g in getattr(d, kind):
                    for f in MODE_FIELDS:
                        self.assertGreaterEqual(getattr(g.counts, f), 0,
                                                f"{d.date} {kind}[{g.key!r}].{f}")
            for f in MODE_FIELDS:
                self.assertGreaterEqual(getattr(d.counts, f), 0, f"{d.date}.{f}")

    def days_of(self, reg):
        return {d.date: (d.mode, d.status, d.waitlist_position) for d in reg.days}

    # -- a ------------------------------------------------------------------
    def test_a_walk_in_counts_by_city_and_organisation(self):
        day = "2027-05-10"
        ev = self.create_event("reg-a", day, day, in_person_capacity=10, walk_ins=True)
        rec = self.check_in(ev, "gent-walkin", day=day, walk_in=common_pb2.Participant(
            display_name="Walk-in Gent", city="Gent", organisation="Stad Gent"))
        self.assertTrue(rec.walk_in)
        self.assertFalse(rec.duplicate)

        d = self.day(self.counts(ev), day)
        self.assertEqual(d.counts.registered_in_person, 1)
        self.assertEqual(d.unique.walk_ins, 1)
        for kind, key in (("by_city", "Gent"), ("by_organisation", "Stad Gent")):
            with self.subTest(f"walk-in in {kind}"):
                g = groups(d, kind).get(key)
                self.assertIsNotNone(g, f"{kind} has no {key!r}: {list(groups(d, kind))}")
                self.assertEqual(g.counts.registered_in_person, 1, f"{kind}[{key!r}] {nonzero(g)}")
                self.assertEqual(g.counts.checked_in_in_person, 1, f"{kind}[{key!r}] {nonzero(g)}")

        self.cancel(ev, "gent-walkin")
        c = self.counts(ev)
        d = self.day(c, day)
        self.assertEqual(d.counts.registered_in_person, 0)
        for kind, key in (("by_city", "Gent"), ("by_organisation", "Stad Gent")):
            with self.subTest(f"cancelled walk-in in {kind}"):
                g = groups(d, kind).get(key)
                self.assertEqual(counts_of(g, "registered_in_person"), 0,
                                 f"{kind}[{key!r}] after the walk-in cancelled: {g and nonzero(g)}")
        with self.subTest("no negative counts"):
            self.assert_no_negative(c)

        self.register(ev, "gent-2", city="Gent", organisation="Stad Gent")
        d = self.day(self.counts(ev), day)
        for kind, key in (("by_city", "Gent"), ("by_organisation", "Stad Gent")):
            with self.subTest(f"a later registration in {kind}"):
                g = groups(d, kind).get(key)
                self.assertEqual(counts_of(g, "registered_in_person"), 1,
                                 f"{kind}[{key!r}]: {g and nonzero(g)}")

    # -- b ------------------------------------------------------------------
    def test_b_waitlisted_are_counted_per_city_and_organisation(self):
        day = "2027-05-17"
        ev = self.create_event("reg-b", day, day, fmt=common_pb2.EVENT_FORMAT_IN_PERSON,
                               in_person_capacity=5)
        cities = ["Torino", "Gent", "Utrecht", "Θεσσαλονίκη", "София"]
        orgs = ["Comune di Torino", "Stad Gent", "Gemeente Utrecht"]
        want_city, want_org = {}, {}
        for i in range(10):
            city, org = cities[(i * 2) % 5], orgs[i % 3]
            reg = self.register(ev, f"b{i}", city=city, organisation=org)
            if reg.status == WAITLISTED:
                want_city[city] = want_city.get(city, 0) + 1
                want_org[org] = want_org.get(org, 0) + 1
        d = self.day(self.counts(ev), day)
        self.assertEqual(d.counts.registered_in_person, 5)
        self.assertEqual(d.counts.waitlisted_in_person, 5)
        for kind, want in (("by_city", want_city), ("by_organisation", want_org)):
            with self.subTest(kind):
                got = {k: g.counts.waitlisted_in_person for k, g in groups(d, kind).items()
                       if g.counts.waitlisted_in_person}
                self.assertEqual(sum(got.values()), 5, f"{kind} waitlisted: {got}")
                self.assertEqual(got, want)

    # -- c ------------------------------------------------------------------
    def test_c_odd_group_text_is_its_own_key(self):
        day = "2027-09-01"
        ev = self.create_event("reg-c", day, day, in_person_capacity=10)
        city1, org1 = "Torino:reg:2027-09-01:in_person", "Rete: città|cities — Θεσσαλονίκη ünï"
        city2, org2 = "Gent|Ghent; x=y, z", "org:in:day:2027-09-01:online|Stad"
        self.register(ev, "odd-1", city=city1, organisation=org1)
        self.register(ev, "odd-2", city=city2, organisation=org2, mode=ONLINE)
        d = self.day(self.counts(ev), day)
        for kind, want in (("by_city", {city1: "registered_in_person", city2: "registered_online"}),
                           ("by_organisation", {org1: "registered_in_person", org2: "registered_online"})):
            with self.subTest(kind):
                got = groups(d, kind)
                self.assertEqual(sorted(got), sorted(want),
                                 f"{kind} keys: {[(k, nonzero(g)) for k, g in got.items()]}")
                for key, field in want.items():
                    expected = {field: 1, "registered_total": 1}
                    self.assertEqual(nonzero(got[key]), expected, f"{kind}[{key!r}]")

    # -- d ------------------------------------------------------------------
    def test_d_session_ids_are_stable_and_removed_sessions_stay_visible(self):
        d1, d2 = "2027-10-05", "2027-10-06"
        ev = self.create_event("reg-d", d1, d2, in_person_capacity=20, sessions=[
            K.Session(title="Opening", start_local=f"{d1}T09:30", end_local=f"{d1}T10:30"),
            K.Session(title="Peer review", start_local=f"{d1}T11:00", end_local=f"{d1}T12:00"),
            K.Session(title="Site visit", start_local=f"{d2}T09:30", end_local=f"{d2}T12:00",
                      format=common_pb2.EVENT_FORMAT_IN_PERSON)])
        ids = {s.title: s.id for s in ev.sessions}
        self.assertEqual(ids, {"Opening": "s1", "Peer review": "s2", "Site visit": "s3"})
        self.register(ev, "sess-1", city="Utrecht")
        self.assertFalse(self.check_in(ev, "sess-1", session_id="s2").duplicate)

        # Remove s1; send s2 and s3 with their ids.
        def drop_first(e):
            kept = [s for s in e.sessions if s.id != "s1"]
            del e.sessions[:]
            e.sessions.extend(kept)
        ev = self.update_event(ev.id, ["sessions"], drop_first)
        self.assertEqual({s.title: s.id for s in ev.sessions}, {"Peer review": "s2", "Site visit": "s3"})

        # A new session without id gets an id never used in the event.
        ev = self.update_event(ev.id, ["sessions"], lambda e: e.sessions.append(K.Session(
            title="Closing", start_local=f"{d2}T15:00", end_local=f"{d2}T16:00")))
        got = {s.title: s.id for s in ev.sessions}
        self.assertEqual(got["Peer review"], "s2")
        self.assertEqual(got["Site visit"], "s3")
        with self.subTest("new session id"):
            self.assertNotIn(got["Closing"], ("s1", "s2", "s3"),
                             "the new session reuses an id (s1 was removed, s2 and s3 are kept)")

        ev = self.call("CalendarService", "GetEvent", K.GetEventRequest(event_id=ev.id), K.Event)
        with self.subTest("Event.removed_sessions"):
            self.assertTrue(has_field(K.Event, "removed_sessions"),
                            "convene.v1.Event has no field removed_sessions")
            self.assertEqual([(s.id, s.title) for s in ev.removed_sessions], [("s1", "Opening")])

        # One update that removes a session and adds one: the new one gets
        # neither the id removed in the same update nor any earlier one.
        closing = got["Closing"]

        def swap(e):
            kept = [s for s in e.sessions if s.id != closing]
            del e.sessions[:]
            e.sessions.extend(kept)
            e.sessions.append(K.Session(title="Wrap-up", start_local=f"{d2}T16:00",
                                        end_local=f"{d2}T17:00"))
        swapped = self.update_event(ev.id, ["sessions"], swap)
        # Attendance follows the calendar's change stream: wait until it has
        # taken this revision.
        wait_for_attendance(self.channel, ev.id, swapped.revision)
        with self.subTest("remove and add in one update"):
            ids = {s.title: s.id for s in swapped.sessions}
            self.assertEqual((ids["Peer review"], ids["Site visit"]), ("s2", "s3"))
            self.assertNotIn(ids["Wrap-up"], ("s1", "s2", "s3", closing),
                             f"the new session reuses an id ({closing} was removed in the same update)")

        c = self.counts(ev)
        sessions = {s.session_id: s for s in self.day(c, d1).sessions}
        with self.subTest("the s2 check-in stays counted"):
            self.assertIn("s2", sessions)
            self.assertEqual(sessions["s2"].counts.checked_in_in_person, 1)
            self.assertEqual(sessions["s2"].unique.in_person_only, 1)
        with self.subTest("SessionCounts of the removed session"):
            self.assertTrue(has_field(A.SessionCounts, "removed"),
                            "convene.v1.SessionCounts has no field removed")
            self.assertIn("s1", sessions, f"sessions of {d1}: {sorted(sessions)}")
            self.assertTrue(sessions["s1"].removed)
            self.assertFalse(sessions["s2"].removed)

        ics = self.call("CalendarService", "ExportICalendar",
                        K.ExportICalendarRequest(event_id=ev.id), K.ExportICalendarResponse).calendar
        by_uid = {v.get("UID"): v for v in vevents(ics)}
        with self.subTest("iCalendar"):
            uid = f"s1.{ev.id}@convene"
            self.assertIn(uid, by_uid, f"UIDs: {sorted(by_uid)}")
            self.assertEqual(by_uid[uid].get("STATUS"), "CANCELLED")
            self.assertEqual(by_uid[f"s2.{ev.id}@convene"].get("STATUS"), "CONFIRMED")

    # -- e ------------------------------------------------------------------
    def test_e_dropped_days_are_cancelled_everywhere(self):
        d1, d2, d3 = "2027-11-02", "2027-11-03", "2027-11-04"
        ev = self.create_event("reg-e-short", d1, d3, in_person_capacity=10)
        self.register(ev, "all-ip")
        self.register(ev, "all-on", mode=ONLINE)
        self.register(ev, "d3-only", days=[(d3, IN_PERSON)])
        self.register(ev, "d1-d3", days=[(d1, IN_PERSON), (d3, ONLINE)])
        self.assertEqual(self.counts(ev).registrations, 4)

        updated = self.update_event(ev.id, ["end_local"], lambda e: setattr(e, "end_local", f"{d2}T17:00"))
        wait_for_attendance(self.channel, ev.id, updated.revision)
        for pid in ("all-ip", "all-on", "d3-only", "d1-d3"):
            with self.subTest(pid):
                reg = self.get_registration(ev, pid)
                days = self.days_of(reg)
                self.assertIn(d3, days, f"{pid}: {days}")
                self.assertEqual(days[d3][1], CANCELLED, f"{pid}: {d3} is {days[d3]}")
                if pid == "d3-only":
                    self.assertEqual(reg.status, CANCELLED)
                else:
                    self.assertNotEqual(reg.status, CANCELLED)
        c = self.counts(ev)
        self.assertEqual([d.date for d in c.days], [d1, d2])
        with self.subTest("registrations"):
            self.assertEqual(c.registrations, 3)
        self.assertEqual(self.day(c, d1).counts.registered_in_person, 2)
        self.assertEqual(self.day(c, d1).counts.registered_online, 1)
        self.assertEqual(self.day(c, d2).counts.registered_in_person, 1)

    def test_e_added_days_go_to_all_days_registrations_in_their_default_mode(self):
        d1, d2, d3, d4 = "2027-11-09", "2027-11-10", "2027-11-11", "2027-11-12"
        ev = self.create_event("reg-e-long", d1, d3, in_person_capacity=2)
        self.register(ev, "A")                                   # all days, in person
        self.register(ev, "B", days=[(d1, IN_PERSON), (d2, IN_PERSON)])
        self.register(ev, "C")
        self.register(ev, "D")
        self.register(ev, "E", mode=ONLINE)
        self.register(ev, "F")
        self.cancel(ev, "F")
        self.register(ev, "G")
        self.call("AttendanceService", "ChangeMode", A.ChangeModeRequest(
            event_id=ev.id, participant_id="G", mode=ONLINE, request_id="cm-G"), A.Registration)
        self.assertEqual(self.days_of(self.get_registration(ev, "D"))[d3], (IN_PERSON, WAITLISTED, 1))

        updated = self.update_event(ev.id, ["end_local"], lambda e: setattr(e, "end_local", f"{d4}T17:00"))
        wait_for_attendance(self.channel, ev.id, updated.revision)
        want = {"A": (IN_PERSON, CONFIRMED, 0), "C": (IN_PERSON, CONFIRMED, 0),
                "D": (IN_PERSON, WAITLISTED, 1), "E": (ONLINE, CONFIRMED, 0),
                "G": (IN_PERSON, WAITLISTED, 2)}
        for pid in "ABCDEFG":
            with self.subTest(pid):
                reg = self.get_registration(ev, pid)
                days = self.days_of(reg)
                if pid in want:
                    self.assertEqual(days.get(d4), want[pid], f"{pid}: {days}")
                else:
                    self.assertNotIn(d4, days, f"{pid}: {days}")
                if pid == "F":
                    self.assertEqual(reg.status, CANCELLED)
        c = self.counts(ev)
        self.assertEqual([d.date for d in c.days], [d1, d2, d3, d4])
        with self.subTest("counts of the added day"):
            got = {f: getattr(self.day(c, d4).counts, f) for f in MODE_FIELDS}
            self.assertEqual((got["registered_in_person"], got["waitlisted_in_person"],
                              got["registered_online"]), (2, 2, 1), got)
        self.assertEqual(c.registrations, 6)

    # -- f ------------------------------------------------------------------
    def test_f_forgotten_participant_leaves_no_trace(self):
        day = "2027-12-07"
        name, email = "Zbigniew Erasable-Testperson", "zbigniew.erasable@acme-erasable.example"
        org = "Acme Erasable Org"
        ev = self.create_event("reg-f", day, day, in_person_capacity=10)
        self.register(ev, "erase-me", city="Gent", organisation=org, name=name, email=email)
        self.register(ev, "keep-me", city="Gent", organisation="Stad Gent")
        self.check_in(ev, "erase-me", day=day)
        forgot = self.call("AttendanceService", "ForgetParticipant", A.ForgetParticipantRequest(
            event_id=ev.id, participant_id="erase-me", request_id="forget-f",
            reason="erasure request"), A.ForgetParticipantResponse)
        self.assertEqual(forgot.registrations_erased, 1)

        c = self.counts(ev)
        for d in c.days:
            orgs = groups(d, "by_organisation")
            with self.subTest(f"by_organisation {d.date}"):
                self.assertNotIn(org, orgs)
                self.assertIn("(erased)", orgs, f"keys: {sorted(orgs)}")
                erased = orgs["(erased)"]
                self.assertEqual(nonzero(erased), {"registered_in_person": 1, "checked_in_in_person": 1,
                                                   "registered_total": 1, "checked_in_total": 1})
                self.assertTrue(has_field(A.GroupCounts, "erased"),
                                "convene.v1.GroupCounts has no field erased")
                self.assertTrue(erased.erased)
                self.assertFalse(orgs["Stad Gent"].erased)
            with self.subTest(f"by_city {d.date}"):
                # A city of one would name them: their city counts as "(erased)" too.
                cities = groups(d, "by_city")
                self.assertEqual(counts_of(cities.get("Gent"), "registered_in_person"), 1)
                self.assertEqual(counts_of(cities.get("(erased)"), "registered_in_person"), 1)
                self.assertTrue(cities["(erased)"].erased)

        needles = {}
        for text in (name, email, org):
            raw = text.encode()
            needles[text] = raw
            needles[text + " (hex)"] = raw.hex().encode()
            needles[text + " (HEX)"] = raw.hex().upper().encode()

        def leftovers():
            found = {}
            for key, blob in self.keyspace():
                for label, needle in needles.items():
                    if needle in key or needle in blob:
                        found.setdefault(label, []).append(key.decode(errors="replace"))
            return found
        # The reminder planner and the feed relay follow the erasure a moment
        # later: wait for them, bounded.
        wait_until(lambda: not leftovers(), timeout=20, interval=0.2)
        self.assertEqual(leftovers(), {}, "personal data left in Redis after ForgetParticipant")

    def keyspace(self):
        """(key, everything stored under it) for every cv:* key, read by
        type with redis-cli."""
        reads = {b"string": ["GET"], b"hash": ["HGETALL"], b"set": ["SMEMBERS"],
                 b"zset": ["ZRANGE", None, "0", "-1"], b"list": ["LRANGE", None, "0", "-1"],
                 b"stream": ["XRANGE", None, "-", "+"]}
        out = []
        # Every node that holds keys (one, or each primary of a cluster).
        for target in self.redis.node_targets():
            def cli(*args):
                return subprocess.run(["redis-cli", *target, *args],
                                      capture_output=True, timeout=30, check=True).stdout
            for key in [k for k in cli("--scan", "--pattern", "cv:*").split(b"\n") if k]:
                kind = cli("TYPE", key).strip()
                self.assertIn(kind, reads, f"{key!r} is a {kind!r}")
                command = reads[kind]
                out.append((key, cli(command[0], key, *command[2:])))
        self.assertTrue(out)
        return out

    # -- g ------------------------------------------------------------------
    def test_g_raised_capacity_promotes_the_waitlist_at_once(self):
        day = "2027-12-14"
        ev = self.create_event("reg-g", day, day, fmt=common_pb2.EVENT_FORMAT_IN_PERSON,
                               in_person_capacity=2)
        for i in range(1, 6):
            self.register(ev, f"g{i}", city="Utrecht")
        self.assertEqual(self.days_of(self.get_registration(ev, "g5"))[day], (IN_PERSON, WAITLISTED, 3))

        updated = self.update_event(ev.id, ["venue"], lambda e: setattr(e.venue, "in_person_capacity", 4))
        wait_for_attendance(self.channel, ev.id, updated.revision)
        got = {pid: self.days_of(self.get_registration(ev, pid))[day] for pid in ("g3", "g4", "g5")}
        self.assertEqual(got, {"g3": (IN_PERSON, CONFIRMED, 0), "g4": (IN_PERSON, CONFIRMED, 0),
                               "g5": (IN_PERSON, WAITLISTED, 1)})
        d = self.day(self.counts(ev), day)
        self.assertEqual((d.counts.registered_in_person, d.counts.waitlisted_in_person,
                          d.in_person_capacity), (4, 1, 4))

        # Lowering takes no seat away.
        updated = self.update_event(ev.id, ["venue"], lambda e: setattr(e.venue, "in_person_capacity", 1))
        wait_for_attendance(self.channel, ev.id, updated.revision)
        d = self.day(self.counts(ev), day)
        self.assertEqual((d.counts.registered_in_person, d.counts.waitlisted_in_person), (4, 1))

        # Unlimited: everyone waiting gets a seat.
        updated = self.update_event(ev.id, ["venue"], lambda e: setattr(e.venue, "in_person_capacity", 0))
        wait_for_attendance(self.channel, ev.id, updated.revision)
        self.assertEqual(self.days_of(self.get_registration(ev, "g5"))[day], (IN_PERSON, CONFIRMED, 0))
        d = self.day(self.counts(ev), day)
        self.assertEqual((d.counts.registered_in_person, d.counts.waitlisted_in_person), (5, 0))


    # -- h ------------------------------------------------------------------
    def test_h_a_move_after_shortening_keeps_one_entry_per_date(self):
        ev = self.create_event("reg-h", "2031-06-10", "2031-06-12")
        self.register(ev, "h1")
        shorter = self.update_event(ev.id, ["end_local"],
                                    lambda e: setattr(e, "end_local", "2031-06-11T17:00"))
        wait_for_attendance(self.channel, ev.id, shorter.revision)
        self.assertEqual(self.days_of(self.get_registration(ev, "h1"))["2031-06-12"][1], CANCELLED)

        def move(e):
            e.start_local, e.end_local = "2031-06-11T09:00", "2031-06-12T17:00"
        moved = self.update_event(ev.id, ["start_local", "end_local"], move)
        wait_for_attendance(self.channel, ev.id, moved.revision)
        reg = self.get_registration(ev, "h1")
        self.assertEqual([(d.date, d.status) for d in reg.days],
                         [("2031-06-11", CONFIRMED), ("2031-06-12", CONFIRMED)])
        # Both days are hers to change.
        changed = self.call("AttendanceService", "ChangeMode", A.ChangeModeRequest(
            event_id=ev.id, participant_id="h1", mode=ONLINE, request_id="h-change"),
            A.Registration)
        self.assertEqual([(d.date, d.mode, d.status) for d in changed.days],
                         [("2031-06-11", ONLINE, CONFIRMED), ("2031-06-12", ONLINE, CONFIRMED)])
        c = self.counts(ev)
        self.assert_no_negative(c)
        self.assertEqual([(d.date, d.counts.registered_online, d.counts.registered_in_person)
                          for d in c.days],
                         [("2031-06-11", 1, 0), ("2031-06-12", 1, 0)])

    # -- i ------------------------------------------------------------------
    def test_i_a_mode_no_longer_offered_is_cancelled_not_promoted(self):
        day = "2031-06-20"
        ev = self.create_event("reg-i", day, day, in_person_capacity=10, online_capacity=1)
        for pid in ("i1", "i2", "i3"):
            self.register(ev, pid, city="Torino", mode=ONLINE)
        self.register(ev, "i4", city="Torino", mode=IN_PERSON)
        self.assertEqual(self.days_of(self.get_registration(ev, "i3"))[day], (ONLINE, WAITLISTED, 2))

        def in_person_only(e):
            e.format = common_pb2.EVENT_FORMAT_IN_PERSON
            e.ClearField("online")
        updated = self.update_event(ev.id, ["format", "online"], in_person_only)
        wait_for_attendance(self.channel, ev.id, updated.revision)
        for pid in ("i1", "i2", "i3"):
            reg = self.get_registration(ev, pid)
            self.assertEqual((self.days_of(reg)[day][1], reg.status), (CANCELLED, CANCELLED), pid)
        self.assertEqual(self.days_of(self.get_registration(ev, "i4"))[day], (IN_PERSON, CONFIRMED, 0))
        c = self.counts(ev)
        self.assert_no_negative(c)
        d = self.day(c, day)
        self.assertEqual((d.counts.registered_online, d.counts.waitlisted_online,
                          d.counts.registered_in_person), (0, 0, 1))
        torino = groups(d, "by_city")["Torino"]
        self.assertEqual(nonzero(torino), {"registered_in_person": 1, "registered_total": 1})
        self.assertEqual(c.registrations, 1)

    # -- j ------------------------------------------------------------------
    def test_j_a_check_out_to_a_removed_session_is_refused(self):
        day = "2031-06-24"
        session = K.Session(title="Morning", start_local=f"{day}T09:30", end_local=f"{day}T11:00")
        ev = self.create_event("reg-j", day, day, sessions=[session])
        sid = ev.sessions[0].id
        self.register(ev, "j1", mode=ONLINE)
        self.check_in(ev, "j1", session_id=sid, mode=ONLINE)
        updated = self.update_event(ev.id, ["sessions"], lambda e: e.ClearField("sessions"))
        wait_for_attendance(self.channel, ev.id, updated.revision)
        before = self.day(self.counts(ev), day)
        with self.assertRaises(grpc.RpcError) as refused:
            self.call("AttendanceService", "CheckOut", A.CheckOutRequest(
                event_id=ev.id, participant_id="j1", session_id=sid, request_id="j-out",
                source=A.CHECK_IN_SOURCE_ONLINE_LEAVE,
                occurred_time=during_session(ev, sid, minutes=30)), A.CheckInRecord)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("session_id", refused.exception.details())
        after = self.day(self.counts(ev), day)
        self.assertEqual(after.unique.last_online_leave, before.unique.last_online_leave)

    # -- k ------------------------------------------------------------------
    def test_k_a_forget_request_id_is_bound_to_its_participant(self):
        day = "2031-06-26"
        ev = self.create_event("reg-k", day, day)
        self.register(ev, "k1", name="Kora Alpha")
        self.register(ev, "k2", name="Kim Beta")

        def forget(pid, event_id=ev.id):
            return self.call("AttendanceService", "ForgetParticipant", A.ForgetParticipantRequest(
                event_id=event_id, participant_id=pid, request_id="k-erase", reason="art. 17"),
                A.ForgetParticipantResponse)
        self.assertEqual(forget("k1").registrations_erased, 1)
        self.assertEqual(forget("k1").registrations_erased, 1)  # a retry
        with self.assertRaises(grpc.RpcError) as refused:
            forget("k2")
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("request_id", refused.exception.details())
        kept = self.get_registration(ev, "k2")
        self.assertEqual((kept.participant.display_name, kept.forgotten), ("Kim Beta", False))
        # Nor from every event at once: not even in an event where the id
        # was never used.
        other = self.create_event("reg-k-other", day, day)
        self.register(other, "k2", name="Kim Beta")
        with self.assertRaises(grpc.RpcError) as refused:
            forget("k2", event_id="")
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        for event in (ev, other):
            kept = self.get_registration(event, "k2")
            self.assertEqual((kept.participant.display_name, kept.forgotten), ("Kim Beta", False))

    # -- l ------------------------------------------------------------------
    def test_l_an_unknown_session_is_named_as_such(self):
        day = "2031-06-27"
        session = K.Session(title="Only", start_local=f"{day}T09:30", end_local=f"{day}T11:00")
        ev = self.create_event("reg-l", day, day, sessions=[session])
        self.register(ev, "l1")
        with self.assertRaises(grpc.RpcError) as refused:
            self.call("AttendanceService", "CheckIn", A.CheckInRequest(
                event_id=ev.id, participant_id="l1", session_id="no-such-session",
                mode=IN_PERSON, source=A.CHECK_IN_SOURCE_DESK, request_id="l-in",
                occurred_time=during_day(ev, day)), A.CheckInRecord)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.assertIn("session_id", refused.exception.details())
        self.assertNotIn("event " + ev.id + " not found", refused.exception.details())


    # -- n ------------------------------------------------------------------
    def test_n_a_retry_returns_the_first_answer(self):
        day = "2031-06-29"
        ev = self.create_event("reg-n", day, day, in_person_capacity=1)

        def register(request_id, mode, city):
            return self.call("AttendanceService", "Register", A.RegisterRequest(
                event_id=ev.id, request_id=request_id, mode=mode,
                participant=common_pb2.Participant(participant_id="n1", display_name="Nia",
                                                   city=city)), A.Registration)

        def change(request_id, mode):
            return self.call("AttendanceService", "ChangeMode", A.ChangeModeRequest(
                event_id=ev.id, participant_id="n1", mode=mode, request_id=request_id),
                A.Registration)

        def gist(reg):
            return ([(d.date, d.mode, d.status, d.waitlist_position) for d in reg.days],
                    reg.status, reg.revision, reg.participant.city)
        first = register("n-first", IN_PERSON, "Gent")
        self.assertEqual(gist(first), ([(day, IN_PERSON, CONFIRMED, 0)], CONFIRMED, 1, "Gent"))
        changed = change("n-online", ONLINE)
        self.cancel(ev, "n1")
        again = register("n-again", IN_PERSON, "Torino")
        self.assertEqual(gist(again)[:2], ([(day, IN_PERSON, CONFIRMED, 0)], CONFIRMED))
        self.assertEqual(gist(register("n-first", IN_PERSON, "Gent")), gist(first))
        self.assertEqual(gist(change("n-online", ONLINE))[:3], gist(changed)[:3])
        self.assertEqual(gist(register("n-again", IN_PERSON, "Torino")), gist(again))
        # Retries changed nothing.
        now = self.get_registration(ev, "n1")
        self.assertEqual(gist(now), gist(again))


    # -- o ------------------------------------------------------------------
    def test_o_a_registration_for_other_days_walks_in(self):
        ev = self.create_event("reg-o", "2031-06-30", "2031-07-01", in_person_capacity=2,
                               walk_ins=True)
        self.register(ev, "o1", city="Utrecht", days=[("2031-06-30", IN_PERSON)])
        record = self.check_in(ev, "o1", day="2031-07-01")
        self.assertTrue(record.walk_in)
        reg = self.get_registration(ev, "o1")
        self.assertEqual(self.days_of(reg), {"2031-06-30": (IN_PERSON, CONFIRMED, 0),
                                             "2031-07-01": (IN_PERSON, CONFIRMED, 0)})
        self.assertFalse(reg.walk_in)  # the registration itself was not a walk-in
        d = self.day(self.counts(ev), "2031-07-01")
        self.assertEqual((d.counts.registered_in_person, d.counts.checked_in_in_person,
                          d.unique.walk_ins), (1, 1, 1))
        self.assertEqual(nonzero(groups(d, "by_city")["Utrecht"]),
                         {"registered_in_person": 1, "registered_total": 1,
                          "checked_in_in_person": 1, "checked_in_total": 1})
        # The room is full on the second day: the next one is refused, and
        # told why.
        self.register(ev, "o2", days=[("2031-06-30", IN_PERSON)])
        self.register(ev, "o3", days=[("2031-06-30", ONLINE)])
        self.check_in(ev, "o2", day="2031-07-01")
        with self.assertRaises(grpc.RpcError) as refused:
            self.check_in(ev, "o3", day="2031-07-01")
        self.assertEqual(refused.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("the room is full", refused.exception.details())
        self.assert_no_negative(self.counts(ev))

    # -- p ------------------------------------------------------------------
    def test_p_listing_the_registrations_of_no_event_is_not_found(self):
        unknown = "ev_00000000000000ff"
        for method, request, response in [
                ("ListRegistrations", A.ListRegistrationsRequest(event_id=unknown),
                 A.ListRegistrationsResponse),
                ("ListRegistrations", A.ListRegistrationsRequest(
                    event_id=unknown, status=CONFIRMED, city="Gent"), A.ListRegistrationsResponse),
                ("GetAttendanceCounts", A.GetAttendanceCountsRequest(event_id=unknown),
                 A.AttendanceCounts)]:
            with self.subTest(method=method, request=str(request)):
                with self.assertRaises(grpc.RpcError) as refused:
                    self.call("AttendanceService", method, request, response)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.NOT_FOUND)
                self.assertIn(f"event {unknown} not found", refused.exception.details())
        # An event without registrations yet is an empty list, not unknown.
        ev = self.create_event("reg-p", "2031-07-03", "2031-07-03")
        page = self.call("AttendanceService", "ListRegistrations",
                         A.ListRegistrationsRequest(event_id=ev.id), A.ListRegistrationsResponse)
        self.assertEqual(len(page.registrations), 0)

    # -- q ------------------------------------------------------------------
    def test_q_counts_of_a_long_event_are_asked_for_by_days(self):
        ev = self.create_event("reg-q", "2031-01-01", "2031-12-31", fmt=common_pb2.EVENT_FORMAT_ONLINE)
        for i in range(60):
            self.register(ev, f"q{i}", mode=ONLINE, city=f"{i:03d}" + "c" * 97,
                          organisation=f"{i:03d}" + "o" * 197)
        with self.assertRaises(grpc.RpcError) as refused:
            self.counts(ev)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.OUT_OF_RANGE,
                         refused.exception.details())
        self.assertTrue(refused.exception.details().startswith("days: "),
                        refused.exception.details())
        # Refused before Redis reads every day's counters (365 hashes, 150 ms
        # of Redis per refused call): a few days stand for the rest.
        self.rcli("CONFIG", "RESETSTAT")
        with self.assertRaises(grpc.RpcError) as refused:
            self.counts(ev)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.OUT_OF_RANGE)
        self.assertTrue(refused.exception.details().startswith("days: "),
                        refused.exception.details())
        day_reads = [int(line.split("calls=")[1].split(",")[0])
                     for line in self.rcli("INFO", "commandstats")
                     if line.startswith("cmdstat_hgetall:")]
        self.assertLess(sum(day_reads), 50, "every day's counters were read to refuse")
        some = self.call("AttendanceService", "GetAttendanceCounts", A.GetAttendanceCountsRequest(
            event_id=ev.id, days=["2031-12-31", "2031-01-01"]), A.AttendanceCounts)
        self.assertEqual([d.date for d in some.days], ["2031-01-01", "2031-12-31"])
        for d in some.days:
            self.assertEqual(d.counts.registered_online, 60)
            self.assertEqual(len(d.by_city), 60)
            self.assertEqual(len(d.by_organisation), 60)
        self.assertEqual(some.registrations, 60)
        for days, field in ((["2032-01-01"], "days[0]"), (["2031-01-01", "2031-02-30"], "days[1]"),
                            (["2031-01-01", "2031-01-01"], "days[1]")):
            with self.subTest(days=days):
                with self.assertRaises(grpc.RpcError) as refused:
                    self.call("AttendanceService", "GetAttendanceCounts",
                              A.GetAttendanceCountsRequest(event_id=ev.id, days=days),
                              A.AttendanceCounts)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertTrue(refused.exception.details().startswith(field),
                                refused.exception.details())
        watch = self.channel.unary_stream(
            "/convene.v1.AttendanceService/WatchAttendanceCounts",
            request_serializer=A.WatchAttendanceCountsRequest.SerializeToString,
            response_deserializer=A.AttendanceCounts.FromString)
        stream = watch(A.WatchAttendanceCountsRequest(event_id=ev.id, days=["2031-06-01"]),
                       timeout=30)
        first = next(stream)
        self.assertEqual([d.date for d in first.days], ["2031-06-01"])
        self.register(ev, "q-late", mode=ONLINE, city="Gent")
        second = next(stream)
        stream.cancel()
        self.assertEqual([d.date for d in second.days], ["2031-06-01"])
        self.assertEqual(second.days[0].counts.registered_online, 61)
        with self.assertRaises(grpc.RpcError) as refused:
            next(iter(watch(A.WatchAttendanceCountsRequest(event_id=ev.id), timeout=30)))
        self.assertEqual(refused.exception.code(), grpc.StatusCode.OUT_OF_RANGE)

    # -- r ------------------------------------------------------------------
    def test_r_a_registered_person_takes_a_day_back_or_adds_one(self):
        d1, d2, d3 = "2031-07-07", "2031-07-08", "2031-07-09"
        ev = self.create_event("reg-r", d1, d3, in_person_capacity=1)
        self.register(ev, "r1", city="Torino", days=[(d1, IN_PERSON), (d2, IN_PERSON)])
        self.cancel(ev, "r1", dates=[d2])
        self.register(ev, "r2", days=[(d1, ONLINE)])

        def change(pid, request_id, days):
            return self.call("AttendanceService", "ChangeMode", A.ChangeModeRequest(
                event_id=ev.id, participant_id=pid, request_id=request_id,
                days=[A.DayMode(date=d, mode=m) for d, m in days]), A.Registration)

        # r1 takes day 2 back and adds day 3: seats, both free.
        reg = change("r1", "r-back", [(d2, IN_PERSON), (d3, ONLINE)])
        self.assertEqual(self.days_of(reg), {d1: (IN_PERSON, CONFIRMED, 0), d2: (IN_PERSON, CONFIRMED, 0),
                                             d3: (ONLINE, CONFIRMED, 0)})
        self.assertEqual(self.days_of(self.get_registration(ev, "r1")), self.days_of(reg))
        # r2 adds day 2 in the room, which r1 fills: the end of its waitlist.
        reg = change("r2", "r-add", [(d2, IN_PERSON)])
        self.assertEqual(self.days_of(reg), {d1: (ONLINE, CONFIRMED, 0), d2: (IN_PERSON, WAITLISTED, 1)})
        counts = self.counts(ev)
        self.assertEqual((self.day(counts, d2).counts.registered_in_person,
                          self.day(counts, d2).counts.waitlisted_in_person), (1, 1))
        self.assertEqual(nonzero(groups(self.day(counts, d2), "by_city")["Torino"]),
                         {"registered_in_person": 1, "registered_total": 1})
        # r1 drops day 2 again (a new request: the first one's id would be a
        # retry): r2 is promoted, as for any freed seat.
        self.call("AttendanceService", "CancelRegistration", A.CancelRegistrationRequest(
            event_id=ev.id, participant_id="r1", dates=[d2], request_id="r-drop-again"), A.Registration)
        self.assertEqual(self.days_of(self.get_registration(ev, "r2"))[d2], (IN_PERSON, CONFIRMED, 0))
        self.assert_no_negative(self.counts(ev))

        # Refused, changing nothing: a date that is not a day of the event,
        # and a registration with every day cancelled (Register takes it).
        before = self.days_of(self.get_registration(ev, "r1"))
        with self.assertRaises(grpc.RpcError) as refused:
            change("r1", "r-strange", [(d3, IN_PERSON), ("2031-07-10", IN_PERSON)])
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("2031-07-10 is not a day of the event", refused.exception.details())
        self.assertEqual(self.days_of(self.get_registration(ev, "r1")), before)
        self.cancel(ev, "r2")
        with self.assertRaises(grpc.RpcError) as refused:
            change("r2", "r-gone", [(d1, ONLINE)])
        self.assertEqual(refused.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("register again", refused.exception.details())
        self.assertEqual(self.get_registration(ev, "r2").status, CANCELLED)

    # -- s ------------------------------------------------------------------
    def test_s_participant_texts_follow_the_mail_senders_rules(self):
        ev = self.create_event("reg-s", "2031-07-14", "2031-07-14", walk_ins=True)
        bad_emails = ["a<b@example.org", "a>b@example.org", 'a"b@example.org', "a,b@example.org",
                      "a;b@example.org", "a(b@example.org", "a)b@example.org", "a\\b@example.org",
                      "a\x7fb@example.org", "a b@example.org", "a\tb@example.org"]
        for i, email in enumerate(bad_emails):
            with self.subTest(email=email):
                with self.assertRaises(grpc.RpcError) as refused:
                    self.register(ev, f"s-bad-{i}", email=email)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("participant.email", refused.exception.details())
                with self.assertRaises(grpc.RpcError) as refused:
                    self.check_in(ev, f"s-walk-{i}", day="2031-07-14", walk_in=common_pb2.Participant(
                        display_name="Walk In", email=email))
                self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("participant.email", refused.exception.details())
        bad_texts = ["Ana\x7f", "Ana\u0085Bob", "Ana\u2028Bob", "Ana\u2029", "Ana\r\nBcc: x@y.org",
                     "Ana\u009b"]
        for field in ("name", "organisation", "city"):
            for i, text in enumerate(bad_texts):
                with self.subTest(field=field, text=text):
                    kwargs = {field: text}
                    with self.assertRaises(grpc.RpcError) as refused:
                        self.register(ev, f"s-{field}-{i}", **kwargs)
                    self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                    self.assertIn("participant." + ("display_name" if field == "name" else field),
                                  refused.exception.details())
                    self.assertIn("control character", refused.exception.details())
        # Refused, nothing was stored.
        page = self.call("AttendanceService", "ListRegistrations",
                         A.ListRegistrationsRequest(event_id=ev.id), A.ListRegistrationsResponse)
        self.assertEqual([r.participant.participant_id for r in page.registrations], [])
        # What the mail sender takes, Register takes.
        reg = self.register(ev, "s-good", email="o'brien+convene@example.org", name="Seán Ó Briain")
        self.assertEqual(reg.participant.email, "o'brien+convene@example.org")
        # The organiser contact's name goes into Reply-To: the same rule.
        for text in bad_texts:
            with self.subTest(contact_name=text):
                with self.assertRaises(grpc.RpcError) as refused:
                    self.update_event(ev.id, ["organiser_contact"], lambda e: e.organiser_contact.CopyFrom(
                        K.Contact(name=text, email="desk@example.org")))
                self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("event.organiser_contact.name", refused.exception.details())

    # -- t ------------------------------------------------------------------
    def rcli(self, *args):
        return subprocess.run(["redis-cli", *self.redis.cli_target(), *args], capture_output=True,
                              text=True, timeout=30, check=True).stdout.splitlines()

    def audit_drift(self):
        out = subprocess.run([os.path.join(BUILD_DIR, "services", "admin", "convene-admin"), "audit",
                              "--redis=" + self.redis.address],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return [line for line in out.stdout.splitlines() if line.startswith("drift ")]

    def fold_counters(self, main, dates):
        """Stores the event's counters as an earlier release did: every
        counter in the one hash."""
        for date in dates:
            day = self.rcli("HGETALL", f"{main}:{date}")
            self.assertTrue(day)
            self.rcli("HSET", main, *day)
            self.rcli("DEL", f"{main}:{date}")
        self.rcli("DEL", main + ":days")
        self.rcli("HDEL", main, "layout")

    def test_t_counters_stored_by_an_earlier_release_still_count(self):
        d1, d2, d3 = "2031-08-04", "2031-08-05", "2031-08-06"
        ev = self.create_event("reg-t", d1, d3, in_person_capacity=1, walk_ins=True)
        self.register(ev, "t1", city="Gent", organisation="Acme", days=[(d1, IN_PERSON), (d2, IN_PERSON)])
        self.register(ev, "t2", city="Gent", organisation="Bolt", days=[(d1, IN_PERSON), (d3, ONLINE)])
        self.register(ev, "t3", city="Namur", days=[(d2, ONLINE), (d3, IN_PERSON)])
        self.cancel(ev, "t1", dates=[d2])
        self.check_in(ev, "t1", day=d1)
        self.check_in(ev, "t3", day=d2, mode=ONLINE)
        before = self.counts(ev)
        main = f"cv:{{ev:{ev.id}}}:counts"
        # Stored per day: the event's hash keeps no field of a date.
        self.assertEqual(set(self.rcli("SMEMBERS", main + ":days")), {d1, d2, d3})
        flat = self.rcli("HGETALL", main)
        self.assertEqual(dict(zip(flat[::2], flat[1::2]))["layout"], "2")
        self.assertFalse([f for f in flat[::2] if any(d in f for d in (d1, d2, d3))], flat)
        one = self.call("AttendanceService", "GetAttendanceCounts",
                        A.GetAttendanceCountsRequest(event_id=ev.id, days=[d2]), A.AttendanceCounts)
        self.assertEqual(list(one.days), [self.day(before, d2)])

        self.fold_counters(main, (d1, d2, d3))
        again = self.counts(ev)
        again.ClearField("as_of")
        before.ClearField("as_of")
        self.assertEqual(again, before)
        for date in (d1, d2, d3):
            one = self.call("AttendanceService", "GetAttendanceCounts",
                            A.GetAttendanceCountsRequest(event_id=ev.id, days=[date]), A.AttendanceCounts)
            self.assertEqual(list(one.days), [self.day(before, date)])
        self.assertFalse([line for line in self.audit_drift() if ev.id in line])

        # Its next change moves the counters, and counts on from them.
        self.register(ev, "t4", city="Namur", organisation="Acme", days=[(d2, IN_PERSON)])
        flat = self.rcli("HGETALL", main)
        self.assertEqual(dict(zip(flat[::2], flat[1::2]))["layout"], "2")
        self.assertFalse([f for f in flat[::2] if any(d in f for d in (d1, d2, d3))], flat)
        after = self.counts(ev)
        self.assertEqual(after.registrations, before.registrations + 1)
        self.assertEqual(self.day(after, d1), self.day(before, d1))
        self.assertEqual(self.day(after, d3), self.day(before, d3))
        was, now = self.day(before, d2), self.day(after, d2)
        self.assertEqual((now.counts.registered_in_person, now.counts.registered_online,
                          now.counts.checked_in_online, now.unique.online_only),
                         (was.counts.registered_in_person + 1, 1, 1, 1))
        self.assertEqual(nonzero(groups(now, "by_city")["Namur"]),
                         {"registered_in_person": 1, "registered_online": 1, "registered_total": 2,
                          "checked_in_online": 1, "checked_in_total": 1})
        self.assertEqual(nonzero(groups(now, "by_organisation")["Acme"]),
                         {"registered_in_person": 1, "registered_total": 1})
        self.assertFalse([line for line in self.audit_drift() if ev.id in line])
        # convene-admin resheet moves them too, without a change.
        self.fold_counters(main, (d1, d2, d3))
        done = subprocess.run([os.path.join(BUILD_DIR, "services", "admin", "convene-admin"), "resheet",
                               "--redis=" + self.redis.address], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        flat = self.rcli("HGETALL", main)
        self.assertEqual(dict(zip(flat[::2], flat[1::2]))["layout"], "2")
        self.assertFalse([f for f in flat[::2] if any(d in f for d in (d1, d2, d3))], flat)
        resheeted = self.counts(ev)
        for c in (resheeted, after):
            c.ClearField("as_of")
            c.ClearField("version")  # a rewritten sheet is a change for watchers
        self.assertEqual(resheeted, after)

        # Watchers of different days share one read of the days they ask
        # for: each still gets its own days after a change.
        watch = self.channel.unary_stream(
            "/convene.v1.AttendanceService/WatchAttendanceCounts",
            request_serializer=A.WatchAttendanceCountsRequest.SerializeToString,
            response_deserializer=A.AttendanceCounts.FromString)
        streams = [watch(A.WatchAttendanceCountsRequest(event_id=ev.id, days=days), timeout=30)
                   for days in ([d1], [d3], [])]
        firsts = [next(s) for s in streams]
        self.register(ev, "t5", city="Gent", days=[(d1, ONLINE)])
        seconds = [next(s) for s in streams]
        for s in streams:
            s.cancel()
        self.assertEqual([[d.date for d in m.days] for m in seconds], [[d1], [d3], [d1, d2, d3]])
        for first, second in zip(firsts, seconds):
            self.assertGreater(second.version, first.version)
        self.assertEqual(seconds[0].days[0].counts.registered_online, 1)
        self.assertEqual(seconds[2].days[0].counts.registered_online, 1)
        self.assertEqual(seconds[1].days[0], self.day(after, d3))


    # -- u ------------------------------------------------------------------
    def test_u_a_regional_language_tag_registers(self):
        ev = self.create_event("reg-u", "2031-07-15", "2031-07-15")
        for i, tag in enumerate(["it-IT", "it_IT", "EL", "pt-BR", "zh-Hant-TW"]):
            with self.subTest(tag=tag):
                reg = self.register(ev, f"t-{i}", language=tag)
                self.assertEqual(reg.participant.language, tag)
        for i, tag in enumerate(["italiano", "i", "it-", "it--IT", "it IT"]):
            with self.subTest(tag=tag):
                with self.assertRaises(grpc.RpcError) as refused:
                    self.register(ev, f"t-bad-{i}", language=tag)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("participant.language", refused.exception.details())
        page = self.call("AttendanceService", "ListRegistrations",
                         A.ListRegistrationsRequest(event_id=ev.id), A.ListRegistrationsResponse)
        self.assertEqual(sorted(r.participant.participant_id for r in page.registrations),
                         [f"t-{i}" for i in range(5)])

    # -- v ------------------------------------------------------------------
    def test_v_spaces_around_a_city_do_not_make_another_city(self):
        day = "2031-07-16"
        ev = self.create_event("reg-v", day, day, walk_ins=True)
        self.register(ev, "u-1", city="Brussels", organisation="Stad Gent")
        self.register(ev, "u-2", city=" Brussels ", organisation="Stad  Gent")
        self.register(ev, "u-3", city="Brussels\u00a0", organisation="\u00a0Stad Gent")
        self.register(ev, "u-4", city="Den  Haag")
        self.check_in(ev, "u-5", day=day, walk_in=common_pb2.Participant(
            display_name=" Walk-in ", city="Brussels  "))
        d = self.day(self.counts(ev), day)
        self.assertEqual(sorted(groups(d, "by_city")), ["Brussels", "Den Haag"])
        self.assertEqual(groups(d, "by_city")["Brussels"].counts.registered_in_person, 4)
        self.assertEqual(groups(d, "by_organisation")["Stad Gent"].counts.registered_in_person, 3)
        reg = self.call("AttendanceService", "GetRegistration", A.GetRegistrationRequest(
            event_id=ev.id, participant_id="u-5"), A.Registration)
        self.assertEqual((reg.participant.display_name, reg.participant.city),
                         ("Walk-in", "Brussels"))
        with self.assertRaises(grpc.RpcError) as refused:
            self.register(ev, "u-6", name=" \u00a0 ")
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("participant.display_name", refused.exception.details())


    # -- w ------------------------------------------------------------------
    def test_w_every_day_with_counters_is_listed_for_the_audit(self):
        """A change lists a day in the set of counted days only when it
        writes to a day hash it found no counter in (the rest of the calls
        skip the write): whatever path made a day's hash, including a
        walk-in on a day nobody registered for and an event moved to other
        dates, the audit's set still lists it."""
        d1, d2, d3 = "2031-09-01", "2031-09-02", "2031-09-03"
        ev = self.create_event("reg-w", d1, d3, in_person_capacity=1, walk_ins=True)
        main = f"cv:{{ev:{ev.id}}}:counts"

        def unlisted(dates):
            listed = set(self.rcli("SMEMBERS", main + ":days"))
            return [d for d in dates if self.rcli("EXISTS", f"{main}:{d}") == ["1"] and d not in listed]
        self.register(ev, "w1", city="Gent", days=[(d1, IN_PERSON)])
        self.register(ev, "w2", city="Gent", days=[(d1, IN_PERSON)])  # waits
        self.register(ev, "w3", organisation="Acme", days=[(d3, ONLINE)])
        self.check_in(ev, "w4", day=d2, walk_in=common_pb2.Participant(display_name="Wanda",
                                                                         city="Namur"))
        self.check_in(ev, "w1", day=d1)
        self.check_in(ev, "w3", day=d3, mode=ONLINE)
        self.cancel(ev, "w1", dates=[d1])  # w2 takes the seat
        self.assertEqual(unlisted((d1, d2, d3)), [])
        self.assertEqual(set(self.rcli("SMEMBERS", main + ":days")), {d1, d2, d3})

        # A move by a week: the counters move to hashes of the new dates.
        e1, e3 = "2031-09-08", "2031-09-10"

        def move(e):
            e.start_local, e.end_local = f"{e1}T09:00", f"{e3}T17:00"
        moved = self.update_event(ev.id, ["start_local", "end_local"], move)
        wait_for_attendance(self.channel, ev.id, moved.revision)
        self.assertEqual(unlisted((d1, d2, d3, e1, "2031-09-09", e3)), [])
        self.assertTrue({e1, e3} <= set(self.rcli("SMEMBERS", main + ":days")))
        self.register(ev, "w5", days=[("2031-09-09", ONLINE)])
        self.assertEqual(unlisted((e1, "2031-09-09", e3)), [])
        self.assertFalse([line for line in self.audit_drift() if ev.id in line])
        # The audit finds a counter a hand edit left on a day the set lists.
        self.rcli("HINCRBY", f"{main}:{e3}", "reg:" + e3 + ":online", "5")
        out = subprocess.run([os.path.join(BUILD_DIR, "services", "admin", "convene-admin"), "audit",
                              "--redis=" + self.redis.address],
                             capture_output=True, text=True, timeout=120)
        self.assertIn(f"drift {ev.id} reg:{e3}:online stored=6 computed=1", out.stdout)
        self.assertEqual(out.returncode, 3, out.stderr)
        subprocess.run([os.path.join(BUILD_DIR, "services", "admin", "convene-admin"), "audit",
                        "--redis=" + self.redis.address, "--event=" + ev.id, "--repair"],
                       capture_output=True, timeout=120, check=True)
        self.assertFalse([line for line in self.audit_drift() if ev.id in line])

    # -- x ------------------------------------------------------------------
    def test_x_a_watch_of_too_many_days_does_not_end_the_other_watches(self):
        """The watchers of an event on one server share one read of the days
        they watch. A watcher of the whole of case q's event is refused
        (OUT_OF_RANGE), but while it was being refused the shared read was
        of every day and refused too: a registration landing then ended the
        event's other streams, a desk watching one day, with OUT_OF_RANGE.
        Whole-event watchers opened as people register are refused, and the
        desk's stream goes on with its day's counts after each change (the
        same race, held open, is tests/integration/attendance
        counts_hub_integration_test.cc)."""
        ev = self.create_event("reg-x", "2031-01-01", "2031-12-31", fmt=common_pb2.EVENT_FORMAT_ONLINE)
        for i in range(60):
            self.register(ev, f"x{i}", mode=ONLINE, city=f"{i:03d}" + "c" * 97,
                          organisation=f"{i:03d}" + "o" * 197)
        watch = self.channel.unary_stream(
            "/convene.v1.AttendanceService/WatchAttendanceCounts",
            request_serializer=A.WatchAttendanceCountsRequest.SerializeToString,
            response_deserializer=A.AttendanceCounts.FromString)
        desk = watch(A.WatchAttendanceCountsRequest(event_id=ev.id, days=["2031-06-01"]),
                     timeout=120)
        self.addCleanup(desk.cancel)
        seen = queue.Queue()

        def follow():
            try:
                for c in desk:
                    seen.put(c)
            except grpc.RpcError as e:
                seen.put(e)
        threading.Thread(target=follow, daemon=True).start()
        first = seen.get(timeout=30)
        self.assertNotIsInstance(first, grpc.RpcError)
        self.assertEqual(first.days[0].counts.registered_online, 60)

        def refused(stream):
            try:
                next(stream)
            except grpc.RpcError as e:
                return e.code()
            return None
        for round in range(8):
            wholes = [watch(A.WatchAttendanceCountsRequest(event_id=ev.id), timeout=30)
                      for _ in range(4)]
            self.register(ev, f"x-late-{round}", mode=ONLINE, city="Gent")
            for w in wholes:
                self.assertEqual(refused(w), grpc.StatusCode.OUT_OF_RANGE)
            while True:
                c = seen.get(timeout=30)
                if isinstance(c, grpc.RpcError):
                    self.fail(f"round {round}: the desk's watch ended: {c.code()} {c.details()}")
                self.assertEqual([d.date for d in c.days], ["2031-06-01"])
                if c.days[0].counts.registered_online == 61 + round:
                    break


if __name__ == "__main__":
    unittest.main(verbosity=2)
