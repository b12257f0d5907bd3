"""Model-based test of attendance: one private redis-server, TWO convened
replicas on loopback, every call sent to a replica picked at random, checked
against an independent Python oracle (attendance_oracle.py).

It runs many seeded sequences; each creates a fresh event (1-4 days, hybrid,
in person or online, capacities 0 = unlimited or small so that waitlists
form, walk-ins on or off, sessions of mixed formats) and makes a bounded
number of random steps: CreateEvent, UpdateEvent (capacities up and down,
sessions added and removed keeping the ids of kept ones, dates moved by whole
days, days added or removed at the end), Register (all days with a default
mode, or per-day modes; cities and organisations with ':' '|' ';' '=' ','
spaces, Greek and Cyrillic, and empty), ChangeMode, CancelRegistration,
CheckIn (desk, badge, online join; day and session; repeats; walk-ins),
CheckOut, ForgetParticipant, and now and then a burst of 10-30 Register /
Cancel / CheckIn calls fired at once at both replicas. Events get a
check_in_margin (unset, 0, a minute, hours, days, 7 days; changed by
UpdateEvent too), some span the end of summer time; check-in and check-out
times are mostly inside the day's check-in window (now and then exactly on
its bounds), and now and then outside it (by a millisecond, a second or
days), or unset (the server's clock, years before these events), which the
oracle refuses by its own computation of the window.

The oracle: (i) the predictive model gives the expected status of every call
made one at a time and every registration's per-day status and waitlist
position; (ii) after every step or burst, a tally from ListRegistrations (all
pages) and the check-ins the test saw accepted is compared with every field
of GetAttendanceCounts, and invariants are checked (waitlist positions 1..n
in FIFO order, no free seat while someone waits, confirmed <= capacity
unless it was lowered afterwards). After a burst the model takes the
server's registrations (invariants checked first). At the end of each
sequence `convene-admin audit` must exit 0 with no drift lines.

The rules (the service's intended semantics) are stated, and implemented,
in attendance_oracle.py.

Environment:
  CONVENE_MODEL_SEED=N        reproduce a run (the seed is printed first)
  CONVENE_MODEL_SECONDS=S     bound on the whole run (default 100); a soak:
                              CONVENE_MODEL_SECONDS=1800 /usr/bin/python3 -u \\
                                tests/e2e/attendance_model_test.py
  CONVENE_MODEL_SEQUENCE=K    run only sequence K of that seed
  CONVENE_MODEL_KEEP_GOING=1  on a mismatch abandon the sequence and go on
                              (default: stop at the first); a summary of the
                              kinds of mismatch is printed at the end
"""
import collections
import os
import random
import re
import subprocess
import threading
import time
import traceback
import unittest
from concurrent.futures import ThreadPoolExecutor

import grpc

from convene_e2e import BUILD_DIR, ConveneProcess, RedisServer, unary, wait_for_attendance
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2

import attendance_oracle as O

A = attendance_pb2
K = calendar_pb2

ZONES = ["Europe/Brussels", "Europe/Athens", "Europe/Rome", "Europe/Amsterdam", "Europe/Sofia"]
NAMES = ["Giulia Rossi", "Daan de Vries", "Ελένη Παπαδοπούλου", "Иван Петров", "Amélie Dubois",
         "Jan Peeters", "Marco Bianchi", "Σοφία Νικολάου", "Мария Иванова", "Lotte Jansen",
         "Ahmed El Amrani", "Zeynep Yılmaz", "O'Brien, Seán", "Anna-Lena Müller"]
SLOTS = [("09:30", "10:30"), ("11:00", "12:00"), ("13:30", "14:30"), ("15:00", "16:00")]
# check_in_margin as sent, (seconds, nanos); None: unset (12 h).
MARGINS = [None, None, None, (0, 0), (60, 0), (3600, 0), (5417, 0), (90, 250_000_000),
           (12 * 3600, 0), (30 * 3600, 0), (7 * 86400, 0)]


def city_pool(first_day):
    return ["Torino", "Gent", "Utrecht", "Θεσσαλονίκη", "София", "",
            f"Torino:reg:{first_day}:in_person", "Sant'Antonio: a|b", "x;y=z,w",
            "Bruxelles Brussel", f"city:in:day:{first_day}:online", "Köln|Kraków", "Gent ",
            "Den  Haag", "\u00a0Gent\u2009"]


ORG_POOL = ["Stad Gent", "Stad  Gent ", "Comune di Torino", "", "Δήμος Θεσσαλονίκης", "Столична община",
            "A:B|C;D=E,F", "NGO org:reg:x", "Ünïcödé GmbH & Co.", "Cities, Network; EU=1",
            "wait:2031-06-01:in_person"]


def ts(ms):
    return timestamp_pb2.Timestamp(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000)


def margin_text(margin):
    return "unset" if margin is None else f"{margin[0]}.{margin[1]:09d}s"


def shift_date(date, days):
    import datetime
    return (datetime.date.fromisoformat(date) + datetime.timedelta(days=days)).isoformat()


class Mismatch(Exception):
    """lines; hard: the model's state can no longer be trusted (a call's
    outcome or a registration differs), as opposed to a wrong count."""

    def __init__(self, lines, hard=True):
        super().__init__(lines)
        self.lines, self.hard = lines, hard


class Sequence:
    """One sequence: a fresh event and a bounded number of random steps."""

    def __init__(self, run, number, rng):
        self.run, self.number, self.rng = run, number, rng
        self.stats = run.stats
        self.step = 0
        self.op = "CreateEvent"
        self.n_sessions = 0
        self.request_n = 0

    # -- calls ------------------------------------------------------------
    def rid(self, what):
        self.request_n += 1
        return f"{what}-{self.run.seed}-{self.number}-{self.request_n}"

    def call(self, service, method, request, response_type, channel=None):
        channel = channel or self.rng.choice(self.run.channels)
        self.stats["operations"] += 1
        try:
            return "OK", unary(channel, service, method, request, response_type, timeout=15), ""
        except grpc.RpcError as e:
            return e.code().name, None, e.details()

    @property
    def method(self):
        return self.op.split(" ", 1)[0]

    def expect(self, outcome, code, details):
        label = self.method
        if code == "OK" and label == "CheckIn":
            if outcome.value.get("walk_in"):
                label += " walk-in"
            elif outcome.value.get("duplicate"):
                label += " duplicate"
        if outcome.note and code in outcome.codes:
            label += " " + outcome.note
        self.run.coverage[f"{label} {code}"] += 1
        if code not in outcome.codes:
            raise Mismatch([f"{self.method}: status expected {sorted(outcome.codes)}, got {code} ({details})"])
        wrong = outcome.refusal and code != "OK" and outcome.refusal(details)
        if wrong:
            raise Mismatch([f"{self.method}: {code} {wrong}; got {details!r}"])

    def check_in_time(self, date, outside=0.12, unset=0.04):
        """When a check-in or check-out for `date` (a day of the event, or a
        session's) happened, as (occurred ms or None for unset, the test's
        clock in ms): mostly inside the day's check-in window as the oracle
        computes it, now and then exactly on a bound, sometimes outside (by a
        millisecond, a second or up to three days), or unset (the server's
        clock, years before these events)."""
        rng = self.rng
        now = int(time.time() * 1000)
        window = self.model.event.check_in_window(date)
        if window is None:  # an old session's date: the call fails before the time counts
            return O.local_ms(self.model.event.time_zone, f"{date}T12:00"), now
        lo, hi = window
        r = rng.random()
        if r < unset and (now + O.NOW_SLACK_MS < lo or now - O.NOW_SLACK_MS > hi):
            kind, at = "unset", None
        elif r < unset + outside:
            gap = rng.choice([1, 1000, rng.randint(2, 3 * 86_400_000)])
            kind, at = rng.choice([("early", lo - gap), ("late", hi + gap)])
        else:
            r = rng.random()
            kind, at = (("first ms", lo) if r < 0.08 else ("last ms", hi) if r < 0.16
                        else ("inside", rng.randint(lo, hi)))
        self.run.coverage[f"time {kind}"] += 1
        return at, now

    # -- the event --------------------------------------------------------
    def new_session(self, date):
        self.n_sessions += 1
        start, end = self.rng.choice(SLOTS)
        fmts = [f for f in ("in_person", "online") if O.offers(self.fmt, f)]
        if self.fmt == "hybrid":
            fmts.append("hybrid")
        choice = self.rng.choice(fmts + ["unspecified"])
        return K.Session(title=f"Session {self.n_sessions} {self.rng.choice(['Ω', 'Ж', 'é', ''])}",
                         start_local=f"{date}T{start}", end_local=f"{date}T{end}",
                         format=O.FORMAT_TO_PB.get(choice, common_pb2.EVENT_FORMAT_UNSPECIFIED))

    def create_event(self):
        rng = self.rng
        self.fmt = rng.choice(["hybrid", "hybrid", "in_person", "online"])
        n_days = rng.randint(1, 4)
        if rng.random() < 0.15:
            # Over the end of summer time (Sunday 26 October 2031): a 25-hour day.
            first = shift_date("2031-10-23", rng.randrange(0, 4))
        else:
            first = shift_date("2031-06-10", rng.randrange(0, 60))
        last = shift_date(first, n_days - 1)
        caps = [0, 1, 1, 2, 2, 3, 5]
        event = K.Event(
            title=f"Model sequence {self.number}", format=O.FORMAT_TO_PB[self.fmt],
            time_zone=rng.choice(ZONES), start_local=f"{first}T09:00", end_local=f"{last}T17:00",
            allow_walk_ins=rng.random() < 0.6)
        if O.offers(self.fmt, O.IN_PERSON):
            event.venue.CopyFrom(K.Venue(name="Sala Rossa", in_person_capacity=rng.choice(caps)))
        if O.offers(self.fmt, O.ONLINE):
            event.online.CopyFrom(K.OnlineAccess(platform="Jitsi", join_url="https://meet.example.org/m",
                                                 online_capacity=rng.choice(caps)))
        days = O.days_between(first, last)
        for _ in range(rng.randint(0, 4)):
            event.sessions.append(self.new_session(rng.choice(days)))
        margin = rng.choice(MARGINS)
        if margin is not None:
            event.check_in_margin.CopyFrom(duration_pb2.Duration(seconds=margin[0], nanos=margin[1]))
        self.op = f"CreateEvent {first}..{last} {event.time_zone} margin {margin_text(margin)}"
        code, ev, details = self.call("CalendarService", "CreateEvent",
                                      K.CreateEventRequest(request_id=self.rid("ev"), event=event), K.Event)
        if code != "OK":
            raise Mismatch([f"CreateEvent: {code} {details}"])
        self.event_pb = ev
        self.model = O.AttendanceModel(O.EventInfo(ev, margin))
        self.same_margin(ev)
        ids = [s.id for s in ev.sessions]
        if len(set(ids)) != len(ids) or "" in ids:
            raise Mismatch([f"CreateEvent: session ids {ids}"])
        self.cities = city_pool(first)
        self.pids = [f"p{i}" for i in range(rng.randint(6, 14))]
        self.names = {pid: NAMES[i % len(NAMES)] for i, pid in enumerate(self.pids)}

    def participant(self, pid):
        name = self.names.get(pid) or self.rng.choice(NAMES)
        return {"participant_id": pid, "display_name": name,
                "email": f"{pid}.{self.number}@example.org" if self.rng.random() < 0.7 else "",
                "city": self.rng.choice(self.cities), "organisation": self.rng.choice(ORG_POOL)}

    def same_margin(self, ev):
        """The event's check_in_margin as the oracle has it (always set on output)."""
        got = (ev.check_in_margin.seconds * 1000 + ev.check_in_margin.nanos // 1_000_000
               if ev.HasField("check_in_margin") else None)
        if got != self.model.event.margin_ms:
            raise Mismatch([f"{self.method}: check_in_margin expected {self.model.event.margin_ms} ms, "
                            f"got {got if got is None else str(got) + ' ms'}"])

    def offered(self):
        return [m for m in O.MODES if self.model.event.offers(m)]

    def some_mode(self, rare_unoffered=0.05):
        if self.rng.random() < rare_unoffered:
            return self.rng.choice(O.MODES)
        return self.rng.choice(self.offered())

    # -- steps ------------------------------------------------------------
    def op_register(self, pid=None):
        rng, m = self.rng, self.model
        if pid is None:
            free = [p for p in self.pids if p not in m.regs or m.regs[p].status() == O.CANCELLED]
            pid = rng.choice(free) if free and rng.random() < 0.7 else rng.choice(self.pids)
        person = self.participant(pid)
        mode = self.some_mode()
        days = []
        if rng.random() < 0.5:
            for d in rng.sample(m.event.days, rng.randint(1, len(m.event.days))):
                days.append((d, self.some_mode(0.03)))
        self.op = f"Register {pid} mode={mode} days={days or 'all'} city={person['city']!r} org={person['organisation']!r}"
        req = A.RegisterRequest(event_id=m.event.id, request_id=self.rid("reg"), mode=O.MODE_TO_PB[mode],
                                participant=common_pb2.Participant(**person))
        for d, dm in days:
            # Now and then leave the day's mode to the request's.
            if dm == mode and rng.random() < 0.3:
                req.days.append(A.DayMode(date=d))
            else:
                req.days.append(A.DayMode(date=d, mode=O.MODE_TO_PB[dm]))
        outcome = m.register(pid, person, mode, days)
        code, reg, details = self.call("AttendanceService", "Register", req, A.Registration)
        self.expect(outcome, code, details)
        if code == "OK":
            self.same_registration(outcome.value, reg)

    def same_registration(self, expected, reg):
        lines = O.diff_views({expected["pid"]: expected}, {reg.participant.participant_id: O.view_from_proto(reg)})
        if lines:
            raise Mismatch([f"{self.method}: the answer differs from the model"] + lines)

    def registered(self, active=True):
        return [pid for pid, r in self.model.regs.items()
                if not active or r.status() != O.CANCELLED]

    def op_change_mode(self):
        rng, m = self.rng, self.model
        candidates = self.registered()
        pid = rng.choice(candidates) if candidates and rng.random() < 0.93 else f"x{rng.randint(0, 9)}"
        gone = [p for p, r in m.regs.items() if r.status() == O.CANCELLED]
        if pid in m.regs and m.regs[pid].status() == O.CANCELLED or (gone and rng.random() < 0.04):
            # A cancelled registration now and then (nothing to change, or
            # a named day refused), else someone never registered.
            pid = rng.choice(gone) if gone and rng.random() < 0.5 else f"x{rng.randint(0, 9)}"
        mode = self.some_mode()
        days = []
        if pid in m.regs and (rng.random() < 0.5 or m.regs[pid].status() == O.CANCELLED):
            held = m.regs[pid].days
            live = [d for d, (_, s) in held.items() if s != O.CANCELLED]
            cancelled = [d for d, (_, s) in held.items() if s == O.CANCELLED]
            new = [d for d in m.event.days if d not in held]
            if cancelled and (not live or rng.random() < 0.4):
                # A cancelled day among them: taken back (a seat or the end
                # of the waitlist), or refused when it is no longer a day of
                # the event or every day is cancelled.
                live = live + [rng.choice(cancelled)]
            if new and (not live or rng.random() < 0.4):
                live = live + [rng.choice(new)]  # a day they never asked for: added
            if rng.random() < 0.01:
                live = live + ["2099-01-01"]  # never a day of the event
            for d in rng.sample(live, rng.randint(1, len(live))):
                days.append((d, self.some_mode(0.03)))
        self.op = f"ChangeMode {pid} mode={mode} days={days or 'all'}"
        req = A.ChangeModeRequest(event_id=m.event.id, participant_id=pid, request_id=self.rid("cm"),
                                  mode=O.MODE_TO_PB[mode],
                                  days=[A.DayMode(date=d, mode=O.MODE_TO_PB[dm]) for d, dm in days])
        outcome = m.change_mode(pid, mode, days)
        code, reg, details = self.call("AttendanceService", "ChangeMode", req, A.Registration)
        self.expect(outcome, code, details)
        if code == "OK":
            self.same_registration(outcome.value, reg)

    def op_cancel(self):
        rng, m = self.rng, self.model
        candidates = self.registered(active=rng.random() < 0.9)
        pid = rng.choice(candidates) if candidates and rng.random() < 0.95 else f"x{rng.randint(0, 9)}"
        dates = []
        if pid in m.regs and rng.random() < 0.5:
            all_dates = list(m.regs[pid].days)
            dates = rng.sample(all_dates, rng.randint(1, len(all_dates)))
        self.op = f"CancelRegistration {pid} dates={dates or 'all'}"
        req = A.CancelRegistrationRequest(event_id=m.event.id, participant_id=pid, dates=dates,
                                          request_id=self.rid("cx"), reason="model test")
        outcome = m.cancel(pid, dates)
        code, reg, details = self.call("AttendanceService", "CancelRegistration", req, A.Registration)
        self.expect(outcome, code, details)
        if code == "OK":
            self.same_registration(outcome.value, reg)

    def op_check_in(self, repeat=None):
        rng, m = self.rng, self.model
        ev = m.event
        if repeat is None and m.facts.checkins and rng.random() < 0.15:
            live = [k for k, f in m.facts.checkins.items()
                    if (k[1] == "day" and k[2] in ev.days) or
                    (k[1] == "session" and not ev.sessions[k[2]].removed)]
            if live:
                repeat = rng.choice(live)
        walk_in = None
        if repeat:
            pid, kind, scope_id, mode = repeat
            day, session = (scope_id, "") if kind == "day" else ("", scope_id)
        else:
            registered = self.registered()
            if registered and rng.random() < 0.7:
                pid = rng.choice(registered)
            else:
                pid = rng.choice(self.pids + [f"w{self.number}-{rng.randint(0, 30)}"])
            mode = rng.choice(O.MODES) if rng.random() < 0.1 else self.some_mode(0)
            sessions = list(ev.sessions.values())
            held = [(d, md) for d, (md, st) in m.regs[pid].days.items()
                    if st == O.CONFIRMED and d in ev.days] if pid in m.regs else []
            others = [d for d in ev.days if pid in m.regs and
                      m.regs[pid].days.get(d, [None, None])[1] != O.CONFIRMED]
            if others and ev.offers(O.IN_PERSON) and rng.random() < (0.12 if held else 0.3):
                # Registered, with no seat that day (other days, a place in
                # line, a cancelled day): walks in like anyone else.
                day, session, mode = rng.choice(others), "", O.IN_PERSON
            elif held and rng.random() < 0.6:
                # Mostly someone who may come in: a confirmed day, in its
                # mode (or online, open to every confirmed person).
                day, mode = rng.choice(held)
                mode = O.ONLINE if rng.random() < 0.2 and ev.offers(O.ONLINE) else mode
                on_day = [x for x in ev.active_sessions() if x.date == day and O.offers(x.format, mode)]
                if on_day and rng.random() < 0.35:
                    day, session = "", rng.choice(on_day).id
                else:
                    session = ""
            elif sessions and rng.random() < 0.35:
                s = rng.choice(sessions) if rng.random() < 0.15 else rng.choice(
                    ev.active_sessions() or sessions)
                day, session = "", s.id
            else:
                day, session = rng.choice(ev.days), ""
            if pid not in m.regs and mode == O.IN_PERSON and not session and rng.random() < 0.85:
                walk_in = self.participant(pid)
        if mode == O.IN_PERSON:
            source = rng.choice([A.CHECK_IN_SOURCE_DESK, A.CHECK_IN_SOURCE_BADGE])
        else:
            source = A.CHECK_IN_SOURCE_ONLINE_JOIN
        at, now = self.check_in_time(day or ev.sessions[session].date)
        self.op = (f"CheckIn {pid} {'day ' + day if day else 'session ' + session} {mode} at "
                   f"{'unset' if at is None else at}"
                   f"{' walk-in city=%r org=%r' % (walk_in['city'], walk_in['organisation']) if walk_in else ''}")
        req = A.CheckInRequest(event_id=ev.id, participant_id=pid, day=day, session_id=session,
                               mode=O.MODE_TO_PB[mode], source=source, request_id=self.rid("in"))
        if at is not None:
            req.occurred_time.CopyFrom(ts(at))
        if walk_in:
            req.walk_in.CopyFrom(common_pb2.Participant(**walk_in))
        outcome = m.check_in(pid, day, session, mode, walk_in, at, now)
        code, rec, details = self.call("AttendanceService", "CheckIn", req, A.CheckInRecord)
        self.expect(outcome, code, details)
        if code == "OK":
            want = outcome.value
            got = {"duplicate": rec.duplicate, "walk_in": rec.walk_in, "day": rec.day,
                   "time": O.ts_ms(rec, "check_in_time"), "joins": rec.join_count}
            if want != got:
                raise Mismatch([f"{self.method}: record expected {want}, got {got}"])

    def op_check_out(self):
        rng, m = self.rng, self.model
        ev = m.event
        live = [k for k in m.facts.checkins
                if k[3] == O.ONLINE and ((k[1] == "day" and k[2] in ev.days) or
                                         (k[1] == "session" and not ev.sessions[k[2]].removed))]
        if live and rng.random() < 0.8:
            pid, kind, scope_id, _ = rng.choice(live)
            day, session = (scope_id, "") if kind == "day" else ("", scope_id)
        else:
            pid = rng.choice(self.pids)
            day, session = rng.choice(ev.days), ""
        at, now = self.check_in_time(day or ev.sessions[session].date)
        self.op = (f"CheckOut {pid} {'day ' + day if day else 'session ' + session} at "
                   f"{'unset' if at is None else at}")
        req = A.CheckOutRequest(event_id=ev.id, participant_id=pid, day=day, session_id=session,
                                source=A.CHECK_IN_SOURCE_ONLINE_LEAVE, request_id=self.rid("out"))
        if at is not None:
            req.occurred_time.CopyFrom(ts(at))
        outcome = m.check_out(pid, day, session, at, now)
        code, rec, details = self.call("AttendanceService", "CheckOut", req, A.CheckInRecord)
        self.expect(outcome, code, details)
        if code == "OK" and O.ts_ms(rec, "last_leave_time") != outcome.value["leave"]:
            raise Mismatch([f"{self.method}: last_leave_time expected {outcome.value['leave']}, "
                            f"got {O.ts_ms(rec, 'last_leave_time')}"])

    def op_forget(self):
        rng, m = self.rng, self.model
        pid = rng.choice(list(m.regs)) if m.regs and rng.random() < 0.9 else rng.choice(self.pids)
        self.op = f"ForgetParticipant {pid}"
        outcome = m.forget(pid)
        code, resp, details = self.call(
            "AttendanceService", "ForgetParticipant",
            A.ForgetParticipantRequest(event_id=m.event.id, participant_id=pid,
                                       request_id=self.rid("fg"), reason="model test"),
            A.ForgetParticipantResponse)
        self.expect(outcome, code, details)
        if code == "OK" and (resp.registrations_erased != outcome.value or
                             list(resp.event_ids) != [m.event.id]):
            raise Mismatch([f"{self.method}: expected registrations_erased={outcome.value} "
                            f"event_ids=[{m.event.id}], got {resp.registrations_erased} {list(resp.event_ids)}"])

    def op_update(self):
        rng, m = self.rng, self.model
        ev = m.event
        kinds = ["capacity", "capacity", "sessions", "days", "margin", "format"]
        # Dates move day i -> day i; kept simple where the rules say nothing
        # (check-ins and removed sessions of moved days).
        if not m.facts.checkins and not any(s.removed for s in ev.sessions.values()):
            kinds += ["move", "move"]
        kind = rng.choice(kinds)
        patch = K.Event()
        patch.CopyFrom(self.event_pb)
        old_days = list(ev.days)
        old_caps = dict(ev.capacity)
        kept, added = [], []
        margin = False  # the check_in_margin sent, when this update sends one
        # Formats every active session's own format fits in.
        formats = [f for f in ("hybrid", "in_person", "online") if f != self.fmt and all(
            s.format == common_pb2.EVENT_FORMAT_UNSPECIFIED or
            (f == "hybrid" or O.PB_TO_FORMAT.get(s.format) == f)
            for s in self.event_pb.sessions)]
        if kind == "format" and not formats:
            kind = "capacity"
        if kind == "format":
            new_fmt = rng.choice(formats)
            patch.format = O.FORMAT_TO_PB[new_fmt]
            if not O.offers(new_fmt, O.IN_PERSON):
                patch.ClearField("venue")
            elif not patch.venue.name:
                patch.venue.CopyFrom(K.Venue(name="Sala Rossa",
                                             in_person_capacity=rng.choice([0, 1, 2, 3])))
            if not O.offers(new_fmt, O.ONLINE):
                patch.ClearField("online")
            elif not patch.online.join_url:
                patch.online.CopyFrom(K.OnlineAccess(platform="Jitsi",
                                                     join_url="https://meet.example.org/m",
                                                     online_capacity=rng.choice([0, 1, 2, 3])))
            mask = ["format", "venue", "online"]
            self.op = f"UpdateEvent format {self.fmt} -> {new_fmt}"
        elif kind == "margin":
            margin = rng.choice(MARGINS)
            if margin is None:
                patch.ClearField("check_in_margin")  # in the mask, unset: 12 h
            else:
                patch.check_in_margin.CopyFrom(duration_pb2.Duration(seconds=margin[0],
                                                                     nanos=margin[1]))
            mask = ["check_in_margin"]
            self.op = f"UpdateEvent check_in_margin {ev.margin_ms} ms -> {margin_text(margin)}"
        elif kind == "capacity":
            mode = rng.choice(self.offered())
            new = rng.choice([c for c in (0, 1, 2, 3, 4, 6) if c != ev.capacity[mode]])
            if mode == O.IN_PERSON:
                patch.venue.in_person_capacity = new
                mask = ["venue"]
            else:
                patch.online.online_capacity = new
                mask = ["online"]
            self.op = f"UpdateEvent {mode} capacity {ev.capacity[mode]} -> {new}"
        elif kind == "sessions":
            active = list(self.event_pb.sessions)
            remove = rng.sample(active, rng.randint(0, min(2, len(active))))
            if not remove and len(active) >= 7:
                remove = active[:1]
            kept = [s for s in active if s not in remove]
            n_add = rng.randint(0 if remove else 1, 2 if len(kept) < 7 else 0)
            added = [self.new_session(rng.choice(ev.days)) for _ in range(n_add)]
            del patch.sessions[:]
            patch.sessions.extend(kept + added)
            mask = ["sessions"]
            self.op = (f"UpdateEvent sessions: remove {[s.id for s in remove]}, "
                       f"add {[(s.title, s.start_local, O.PB_TO_FORMAT.get(s.format)) for s in added]}")
        elif kind == "move":
            delta = rng.choice([-3, -2, -1, 1, 2, 3, 7])
            if not ("2031-05-20" <= shift_date(ev.days[0], delta) and
                    shift_date(ev.days[-1], delta) <= "2031-09-20"):
                delta = -delta
            patch.start_local = shift_date(ev.days[0], delta) + self.event_pb.start_local[10:]
            patch.end_local = shift_date(ev.days[-1], delta) + self.event_pb.end_local[10:]
            del patch.sessions[:]
            for s in self.event_pb.sessions:
                moved = K.Session()
                moved.CopyFrom(s)
                moved.start_local = shift_date(s.start_local[:10], delta) + s.start_local[10:]
                moved.end_local = shift_date(s.end_local[:10], delta) + s.end_local[10:]
                moved.ClearField("start_time")
                moved.ClearField("end_time")
                patch.sessions.append(moved)
            kept = list(patch.sessions)
            mask = ["start_local", "end_local", "sessions"]
            self.op = f"UpdateEvent move by {delta} days"
        else:
            n = len(ev.days)
            choices = [k for k in range(1, 5) if k != n]
            if m.facts.on_dates([shift_date(ev.days[0], i) for i in range(n, 4)]):
                choices = [k for k in choices if k < n]  # not over dates with check-ins
            if not choices:
                return self.op_register()
            new_n = rng.choice(choices)
            last = shift_date(ev.days[0], new_n - 1)
            patch.end_local = last + self.event_pb.end_local[10:]
            kept = [s for s in self.event_pb.sessions if s.start_local[:10] <= last]
            del patch.sessions[:]
            patch.sessions.extend(kept)
            mask = ["end_local", "sessions"]
            self.op = f"UpdateEvent days {n} -> {new_n}"
        self.run.coverage["UpdateEvent " + kind] += 1
        used_before = set(ev.used_session_ids)
        code, new, details = self.call(
            "CalendarService", "UpdateEvent",
            K.UpdateEventRequest(event=patch, update_mask=field_mask_pb2.FieldMask(paths=mask),
                                 expected_revision=self.event_pb.revision), K.Event)
        if code != "OK":
            raise Mismatch([f"{self.method}: expected OK, got {code} ({details})"])
        problems = []
        got = {s.title: s.id for s in new.sessions}
        for s in kept:
            if got.get(s.title) != s.id:
                problems.append(f"{self.method}: kept session {s.id} ({s.title!r}) came back as {got.get(s.title)}")
        for s in added:
            sid = got.get(s.title)
            if not sid or sid in used_before:
                problems.append(f"{self.method}: new session {s.title!r} got id {sid!r}; "
                                f"ids used before: {sorted(used_before)}")
        self.event_pb = new
        # Attendance follows the calendar's change stream; what follows is
        # checked once it has taken this revision.
        wait_for_attendance(self.rng.choice(self.run.channels), new.id, new.revision)
        m.event.apply(new)
        if margin is not False:
            m.event.set_margin(margin)
        self.same_margin(new)  # changed as sent, or kept by updates of other fields
        removed_ids = sorted(s.id for s in m.event.sessions.values() if s.removed)
        if O.has_field(K.Event, "removed_sessions"):
            shown = sorted(s.id for s in new.removed_sessions)
            if shown != removed_ids:
                problems.append(f"{self.method}: Event.removed_sessions expected {removed_ids}, got {shown}")
        elif removed_ids:
            problems.append(f"{self.method}: Event has no removed_sessions field (removed: {removed_ids})")
        if problems:
            raise Mismatch(problems)
        if m.event.days != old_days:
            m.days_changed(old_days, m.event.days)
        if kind == "format":
            self.fmt = new_fmt
            m.modes_dropped()
        for mode in O.MODES:
            if m.event.offers(mode) and m.event.capacity[mode] != old_caps[mode]:
                m.capacity_changed(mode, old_caps[mode], m.event.capacity[mode])

    # -- a burst of concurrent calls ----------------------------------------
    def op_burst(self):
        rng, m = self.rng, self.model
        ev = m.event
        n = rng.randint(10, 30)
        active = self.registered()
        # Who may be cancelled is never registered again in the same burst
        # (one active participant is, to see ALREADY_EXISTS under load).
        again, cancellable = active[:1], active[1:]
        free = [p for p in self.pids if p not in active] + \
               [f"b{self.number}-{self.stats['bursts']}-{i}" for i in range(6)]
        calls = []
        for i in range(n):
            kind = rng.choices(["register", "cancel", "checkin"], [5, 2, 4])[0]
            channel = self.run.channels[i % 2] if rng.random() < 0.5 else rng.choice(self.run.channels)
            if kind == "cancel" and cancellable:
                pid = rng.choice(cancellable)
                dates = []
                if rng.random() < 0.4:
                    dates = rng.sample(list(m.regs[pid].days), 1)
                calls.append(("cancel", pid, channel, A.CancelRegistrationRequest(
                    event_id=ev.id, participant_id=pid, dates=dates, request_id=self.rid("bcx")), None))
            elif kind == "checkin":
                walk = rng.random() < 0.3 or not active
                pid = f"bw{self.number}-{self.stats['bursts']}-{rng.randint(0, 4)}" if walk else rng.choice(active)
                mode = O.IN_PERSON if walk else self.some_mode(0)
                sessions = ev.active_sessions()
                if sessions and not walk and rng.random() < 0.3:
                    day, session = "", rng.choice(sessions).id
                else:
                    day, session = rng.choice(ev.days), ""
                date = day or ev.sessions[session].date
                at, _ = self.check_in_time(date, outside=0.1, unset=0)
                req = A.CheckInRequest(
                    event_id=ev.id, participant_id=pid, day=day, session_id=session,
                    mode=O.MODE_TO_PB[mode], request_id=self.rid("bin"), occurred_time=ts(at),
                    source=A.CHECK_IN_SOURCE_ONLINE_JOIN if mode == O.ONLINE else A.CHECK_IN_SOURCE_BADGE)
                if walk:
                    req.walk_in.CopyFrom(common_pb2.Participant(**self.participant(pid)))
                lo, hi = ev.check_in_window(date)
                # Outside the window: refused whatever else happens at once.
                refusal = None if lo <= at <= hi else ev.window_refusal(date, at)
                calls.append(("checkin", pid, channel, req, refusal))
            else:
                pid = rng.choice(free + again)
                person = self.participant(pid)
                mode = self.some_mode(0)
                req = A.RegisterRequest(event_id=ev.id, request_id=self.rid("breg"), mode=O.MODE_TO_PB[mode],
                                        participant=common_pb2.Participant(**person))
                if rng.random() < 0.4:
                    for d in rng.sample(ev.days, rng.randint(1, len(ev.days))):
                        req.days.append(A.DayMode(date=d, mode=O.MODE_TO_PB[self.some_mode(0)]))
                calls.append(("register", pid, channel, req, None))
        self.op = f"burst of {len(calls)}: " + ", ".join(f"{c[0]} {c[1]}" for c in calls)
        barrier = threading.Barrier(len(calls))
        methods = {"register": ("Register", A.Registration), "cancel": ("CancelRegistration", A.Registration),
                   "checkin": ("CheckIn", A.CheckInRecord)}

        def fire(c):
            kind, pid, channel, req, _ = c
            method, rtype = methods[kind]
            try:
                barrier.wait(10)
            except threading.BrokenBarrierError:
                pass
            try:
                return "OK", unary(channel, "AttendanceService", method, req, rtype, timeout=20), ""
            except grpc.RpcError as e:
                return e.code().name, None, e.details()

        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            results = list(pool.map(fire, calls))
        self.stats["operations"] += len(calls)
        self.stats["bursts"] += 1
        allowed = {"register": {"OK", "ALREADY_EXISTS", "FAILED_PRECONDITION"},
                   "cancel": {"OK"}, "checkin": {"OK", "FAILED_PRECONDITION"}}
        problems = []
        first_records = collections.defaultdict(list)
        for (kind, pid, _, req, refusal), (code, resp, details) in zip(calls, results):
            if code not in allowed[kind]:
                problems.append(f"burst {kind} {pid}: unexpected {code} ({details})")
                continue
            if refusal is not None:
                self.run.coverage[f"burst check-in outside the window {code}"] += 1
                wrong = "accepted" if code == "OK" else refusal(details)
                if wrong:
                    problems.append(f"burst check-in {pid} at {req.occurred_time.ToMilliseconds()} "
                                    f"(outside the window): {wrong} ({code} {details!r})")
                continue
            if code != "OK":
                continue
            if kind == "register":
                m.meta[pid] = (len(req.days) == 0, O.PB_TO_MODE[req.mode])
            elif kind == "checkin":
                mode = O.PB_TO_MODE[req.mode]
                key = (pid, "session", req.session_id, mode) if req.session_id else (pid, "day", req.day, mode)
                first_records[key].append((resp, req))
        for key, records in first_records.items():
            firsts = [(r, q) for r, q in records if not r.duplicate]
            known = m.facts.checkins.get(key)
            if known is not None:
                if firsts:
                    problems.append(f"burst check-in {key}: counted again (duplicate=false) "
                                    f"after an earlier check-in")
                known["joins"] += len(records)
                continue
            if len(firsts) != 1:
                problems.append(f"burst check-in {key}: {len(firsts)} answers with duplicate=false "
                                f"among {len(records)} accepted")
                if not firsts:
                    continue
            rec, req = firsts[0]
            # The day and time are the request's, not the answer's: a record
            # dated or timed wrongly would otherwise be counted as it says.
            date = req.day or ev.sessions[req.session_id].date
            at = req.occurred_time.ToMilliseconds()
            if (rec.day, O.ts_ms(rec, "check_in_time")) != (date, at):
                problems.append(f"burst check-in {key}: record for {rec.day} at "
                                f"{O.ts_ms(rec, 'check_in_time')}, expected {date} at {at}")
            m.facts.add(key[0], key[1], key[2], key[3], date, at, rec.walk_in)
            m.facts.checkins[key]["joins"] = len(records)
            if rec.walk_in and key[0] not in m.meta:
                # A new walk-in registration; a registration that took a
                # walk-in day keeps what it was registered as.
                m.meta[key[0]] = (False, O.IN_PERSON)
        if problems:
            raise Mismatch(problems)
        self.compare(after_burst=True)

    # -- comparison ---------------------------------------------------------
    def server_registrations(self):
        views, order, token = {}, [], ""
        page_size = self.rng.choice([0, 2, 5, 17])
        for _ in range(1000):
            code, page, details = self.call("AttendanceService", "ListRegistrations", A.ListRegistrationsRequest(
                event_id=self.model.event.id, page_size=page_size, page_token=token), A.ListRegistrationsResponse)
            if code != "OK":
                raise Mismatch([f"ListRegistrations: {code} {details}"])
            for r in page.registrations:
                pid = r.participant.participant_id
                if pid in views:
                    raise Mismatch([f"ListRegistrations: {pid} listed twice (page_size {page_size})"])
                views[pid] = O.view_from_proto(r)
                order.append(pid)
            token = page.next_page_token
            if not token:
                return views, order
        raise Mismatch(["ListRegistrations: more than 1000 pages"])

    def compare(self, after_burst=False):
        self.stats["comparisons"] += 1
        m = self.model
        views, order = self.server_registrations()
        code, counts, details = self.call("AttendanceService", "GetAttendanceCounts",
                                          A.GetAttendanceCountsRequest(event_id=m.event.id), A.AttendanceCounts)
        if code != "OK":
            raise Mismatch([f"GetAttendanceCounts: {code} {details}"])
        problems = []
        if not after_burst:
            problems += O.diff_views(m.views(), views, m.order(), order)
        problems += O.check_invariants(m.event, views, m.allowance)
        if after_burst:
            # FIFO order among the waiting who were waiting before the burst
            # is kept: nobody who arrived during the burst is ahead of them.
            for (date, mode), line in m.waitlists.items():
                now = sorted((v_pos, pid) for pid, v in views.items()
                             for d, md, st, v_pos in v["days"] if d == date and md == mode and st == O.WAITLISTED)
                still = [pid for _, pid in now if pid in line]
                if still != [pid for pid in line if pid in still]:
                    problems.append(f"waitlist ({date}, {mode}): order of earlier arrivals changed: "
                                    f"was {line}, now {[pid for _, pid in now]}")
        expected = O.expected_counts(m.event, views, m.facts)
        wrong_counts = O.diff_counts(expected, O.counts_to_dict(counts))
        if problems:
            raise Mismatch(problems + wrong_counts)
        if after_burst:
            m.resync(views, order)
        if wrong_counts:
            if not self.run.keep_going:
                raise Mismatch(wrong_counts, hard=False)
            # The model's state is still right: note it and go on.
            self.run.record(self, wrong_counts, hard=False)

    # -- the sequence -------------------------------------------------------
    def run_steps(self, deadline):
        rng = self.rng
        self.create_event()
        self.compare()
        n_steps = rng.randint(15, 60)
        bursts = 0
        ops = [(self.op_register, 26), (self.op_change_mode, 9), (self.op_cancel, 10),
               (self.op_check_in, 24), (self.op_check_out, 5), (self.op_forget, 3),
               (self.op_update, 11), (self.op_burst, 3)]
        for self.step in range(1, n_steps + 1):
            if time.monotonic() > deadline:
                break
            op = rng.choices([o for o, _ in ops], [w for _, w in ops])[0]
            if op == self.op_burst:
                if bursts >= 2:
                    op = self.op_register
                else:
                    bursts += 1
            op()
            if op != self.op_burst:
                self.compare()
        self.step = "end"
        self.op = "audit"
        self.run.audit()


class AttendanceModelTest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer()
        self.redis.start()
        self.addCleanup(self.redis.cleanup)
        self.replicas = []
        for _ in range(2):
            p = ConveneProcess("convened/convened", self.redis.address)
            self.addCleanup(p.stop)
            self.replicas.append(p)
        self.channels = []
        for p in self.replicas:
            ch = grpc.insecure_channel(p.target)
            self.addCleanup(ch.close)
            self.channels.append(ch)

    def audit(self):
        # The audit is part of every sequence's check: a missing binary or
        # command fails it (they were skipped, with a message, while the
        # audit did not exist yet, which would now hide a broken audit).
        binary = os.path.join(BUILD_DIR, "services", "admin", "convene-admin")
        if not os.path.exists(binary):
            raise Mismatch([f"audit: {binary} does not exist"])
        for attempt in range(5):
            try:
                out = subprocess.run([binary, "audit", "--redis=" + self.redis.address],
                                     capture_output=True, text=True, timeout=120)
                break
            except OSError:  # the binary is being rewritten by a build right now
                if attempt == 4:
                    raise
                time.sleep(2)
        text = out.stdout + out.stderr
        self.stats["audits"] += 1
        # "drift <event> <counter> stored=... computed=..." per wrong counter.
        drift = [line for line in text.splitlines() if line.startswith("drift ")]
        if out.returncode != 0 or drift:
            raise Mismatch([f"convene-admin audit exited {out.returncode}"] +
                           (drift or text.strip().splitlines()[-20:]))

    def record(self, seq, lines, hard):
        """Counts a mismatch and prints it (in keep-going mode only the first
        report with a kind of line not seen before, to keep the log short)."""
        self.stats["mismatches"] += 1
        new_kinds = [line for line in lines if kind_of(line) not in self.kinds]
        for line in lines:
            self.kinds[kind_of(line)] += 1
        header = (f"MISMATCH seed={self.seed} sequence={seq.number} step={seq.step} "
                  f"(CONVENE_MODEL_SEED={self.seed} CONVENE_MODEL_SEQUENCE={seq.number})"
                  f"{'' if hard else ' [counts only]'}\n  op: {seq.op}")
        report = header + "".join(f"\n  {line}" for line in lines[:40]) + \
            (f"\n  ... {len(lines) - 40} more" if len(lines) > 40 else "")
        if new_kinds or not self.keep_going:
            print(report, flush=True)
        self.first_failure = self.first_failure or report

    def test_random_sequences_against_the_model(self):
        seed = int(os.environ.get("CONVENE_MODEL_SEED") or random.SystemRandom().randrange(2**32))
        seconds = float(os.environ.get("CONVENE_MODEL_SECONDS") or 100)
        only = os.environ.get("CONVENE_MODEL_SEQUENCE")
        self.keep_going = keep_going = os.environ.get("CONVENE_MODEL_KEEP_GOING") == "1"
        print(f"attendance model: seed {seed} (CONVENE_MODEL_SEED={seed} reproduces), "
              f"{seconds:g} s", flush=True)
        self.seed = seed
        self.stats = collections.Counter()
        self.coverage = collections.Counter()
        deadline = time.monotonic() + seconds
        self.kinds = kinds = collections.Counter()
        self.first_failure = None
        number = int(only) if only else 0
        while time.monotonic() < deadline:
            seq = Sequence(self, number, random.Random(f"{seed}/{number}"))
            try:
                seq.run_steps(deadline)
                self.stats["sequences"] += 1
            except Mismatch as e:
                self.stats["sequences"] += 1
                self.record(seq, e.lines, e.hard)
                if not keep_going:
                    break
            except Exception:  # a bug of the test, or an answer it cannot read
                self.stats["sequences"] += 1
                self.record(seq, ["exception in the test: " + line
                                  for line in traceback.format_exc().splitlines()], True)
                if not keep_going:
                    break
            finally:
                if hasattr(seq, "model"):
                    self.coverage.update(seq.model.coverage)
            if only:
                break
            number += 1
        first_failure = self.first_failure
        s = self.stats
        print(f"attendance model: seed {seed}: {s['sequences']} sequences, {s['operations']} operations, "
              f"{s['bursts']} bursts, {s['comparisons']} comparisons, {s['mismatches']} mismatches, "
              f"{s['audits']} audits", flush=True)
        if kinds:
            print("kinds of mismatch (line pattern: count):", flush=True)
            for k, n in kinds.most_common():
                print(f"  {n:5d}  {k}", flush=True)
        print("coverage: " + ", ".join(f"{k} {n}" for k, n in sorted(self.coverage.items())), flush=True)
        for p in self.replicas:
            self.assertIsNone(p.proc.poll(), "a convened replica exited")
        if first_failure:
            self.fail(first_failure)


def kind_of(line):
    """A mismatch line with its particulars (dates, ids, numbers, group keys,
    values) replaced, so that lines of the same kind count together."""
    m = re.match(r"(\w+): status expected (\[[^\]]*\]), got (\w+)", line)
    if m:
        return f"{m.group(1)}: status expected {m.group(2)}, got {m.group(3)}"
    line = re.sub(r"\d{4}-\d{2}-\d{2}", "<date>", line)
    line = re.sub(r"\[('[^']*'|\"[^\"]*\")\]", "[<key>]", line)
    line = re.sub(r"sessions\[[^\]]+\]", "sessions[<id>]", line)
    line = re.sub(r"registration [^ .:]+", "registration <pid>", line)
    line = re.sub(r"'[^']*'", "<text>", line)
    line = re.sub(r"\b(expected|got|came back as|follow|listed|status)\b.*$", r"\1 ...", line)
    line = re.sub(r"\d+", "N", line)
    return line[:160]


if __name__ == "__main__":
    unittest.main(verbosity=2)
