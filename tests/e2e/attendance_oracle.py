"""An independent oracle for Convene's attendance rules, for the e2e tests.

Nothing here reads the service's code or Redis layout: it is a plain Python
statement of the rules the service is meant to follow (see
attendance_model_test.py for the list), in three parts:

- AttendanceModel predicts, for calls made one at a time, the status code of
  each call and the state of every registration afterwards (per-day mode,
  status and waitlist position), including promotions from FIFO waitlists.
- expected_counts() computes every field of GetAttendanceCounts from a set of
  registrations (the model's, or the server's own ListRegistrations) and the
  check-ins the test saw accepted (CheckIn answers with duplicate=false).
- check_invariants() checks what must hold whatever the order of concurrent
  calls: waitlist positions 1..n, no free seat while someone waits, confirmed
  seats within capacity (unless it was lowered afterwards).

Registrations are compared as "views": plain dicts built either from the
model or from convene.v1.Registration messages (view_from_proto).

THE RULES (the service's intended semantics, as this oracle reads them):
- Register: the listed days (or every event day in `mode` when days is
  empty, which makes the registration "all days" with that default mode).
  Each (date, mode) is CONFIRMED if the mode's capacity is 0 (unlimited) or
  confirmed(date, mode) < capacity, else WAITLISTED at the end of the FIFO
  (date, mode) waitlist. Overall: CANCELLED if every day is, WAITLISTED if
  any day is, else CONFIRMED. ALREADY_EXISTS while the participant has a
  registration that is not cancelled; after a full cancellation registering
  again is allowed and its details (city, organisation, ...) replace the
  old ones. A mode the event does not offer: FAILED_PRECONDITION. Names,
  organisations and cities are stored without spaces at either end and
  with each run of spaces inside as one space (no-break and the other
  Unicode space characters count as spaces); the e-mail loses only its
  outer spaces. So "Gent " is the group "Gent". Register and walk-ins alike.
- ChangeMode: each named day (or every non-cancelled day) whose mode
  differs frees its seat (or leaves its waitlist) and takes a seat in the
  new mode if there is room, else the end of that waitlist; then each freed
  (date, old mode) promotes waitlist heads FIFO while there is room.
- CancelRegistration (some dates or all): each day becomes CANCELLED; freed
  seats promote waitlist heads FIFO at once.
- UpdateEvent: a raised capacity (or 0 = unlimited) promotes waitlist heads
  FIFO while there is room; a lowered one takes no seat away. Dates moved
  keeping the number of days: day i -> day i (seats and places kept).
  Another number of days: matched by date; days on dates the event no
  longer has become CANCELLED (a registration left with no active day is
  CANCELLED); new dates go to the "all days" registrations that are not
  cancelled, in their default mode, seat or waitlist in registration order.
- CheckIn: counted once per (participant, day or session, mode); a repeat
  answers duplicate=true and counts nothing. IN_PERSON needs a confirmed
  in-person seat that day; ONLINE anyone confirmed that day in either mode.
  Walk-in: no registration at all, IN_PERSON, the event allows walk-ins, a
  free seat that day, walk_in details given -> a one-day in-person CONFIRMED
  registration with walk_in=true, counted like any other. Registered but
  with no confirmed day on that date (other days only, a place in line, a
  cancelled day): the same walk-in, without details, adds an in-person
  CONFIRMED day to that registration (a place in line that day is left).
  A session check-in
  needs a session that exists (not removed) and offers the mode.
- Check-in times: CheckIn and CheckOut are judged by their time (the
  occurred_time sent, or the server's clock when it is unset) against the
  check-in window of the day they are for (a session's: the session's
  day). Day D of the event runs from the later of the event's start and
  D's local 00:00 to the earlier of the event's end and the next local
  00:00, in the event's time_zone; the window is that span widened by
  Event.check_in_margin on both sides, bounds included (unset: 12 h).
  Outside it: FAILED_PRECONDITION, message "occurred_time: check-ins for D
  are accepted from <local from> to <local until> ... is before/after
  that", and nothing changes (no count, no join, no leave). The window is
  judged after an unknown or removed session and, for CheckOut, after "no
  online join recorded"; before a repeat (a repeat outside it is refused).
- Check-ins are facts: cancelling or erasing later leaves them counted.
- Counts of day D: registered_X / waitlisted_X = days (D, X) CONFIRMED /
  WAITLISTED; checked_in_X = people with a day check-in (D, X); unique: in
  the room = anyone with an in-person check-in on D (the day or a session of
  D), online likewise, both / only / total from those sets, walk_ins =
  walk-in check-ins on D. Sessions: the day's registered/waitlisted, zero
  for a mode the session does not offer; checked_in and unique from the
  session's own check-ins. by_city / by_organisation: the same restricted to
  people whose current registration has that city / organisation (check-ins
  too); all-zero groups are left out; a forgotten person's organisation
  and city groups are "(erased)" with erased=true.
  registrations = registrations not CANCELLED.
Where the rules are silent the oracle says so next to the code
(DAY_TIMES_INCLUDE_SESSIONS, removed sessions)."""
import collections
import re
import datetime
import zoneinfo

from convene.v1 import attendance_pb2, common_pb2

IN_PERSON, ONLINE = "in_person", "online"
MODES = (IN_PERSON, ONLINE)
CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
# The organisation group a forgotten participant's contribution is shown under.
ERASED_KEY = "(erased)"

MODE_TO_PB = {IN_PERSON: common_pb2.ATTENDANCE_MODE_IN_PERSON,
              ONLINE: common_pb2.ATTENDANCE_MODE_ONLINE}
PB_TO_MODE = {v: k for k, v in MODE_TO_PB.items()}
STATUS_TO_PB = {CONFIRMED: attendance_pb2.REGISTRATION_STATUS_CONFIRMED,
                WAITLISTED: attendance_pb2.REGISTRATION_STATUS_WAITLISTED,
                CANCELLED: attendance_pb2.REGISTRATION_STATUS_CANCELLED}
PB_TO_STATUS = {v: k for k, v in STATUS_TO_PB.items()}
FORMAT_TO_PB = {IN_PERSON: common_pb2.EVENT_FORMAT_IN_PERSON,
                ONLINE: common_pb2.EVENT_FORMAT_ONLINE,
                "hybrid": common_pb2.EVENT_FORMAT_HYBRID}
PB_TO_FORMAT = {v: k for k, v in FORMAT_TO_PB.items()}

MODE_FIELDS = ("registered_in_person", "registered_online", "waitlisted_in_person",
               "waitlisted_online", "checked_in_in_person", "checked_in_online",
               "registered_total", "checked_in_total")
UNIQUE_FIELDS = ("in_person_only", "online_only", "both", "total", "walk_ins",
                 "first_online_join", "last_online_leave")


# Event.check_in_margin when unset.
DEFAULT_CHECK_IN_MARGIN_MS = 12 * 3600 * 1000
# How far the server's clock may be from the test's when a check-in is sent
# without occurred_time (the test sends none when the window is nearer).
NOW_SLACK_MS = 60_000


def check_in_margin_ms(seconds_nanos):
    """The margin in ms of a check_in_margin as sent: (seconds, nanos), or
    None for unset (12 h)."""
    if seconds_nanos is None:
        return DEFAULT_CHECK_IN_MARGIN_MS
    seconds, nanos = seconds_nanos
    return seconds * 1000 + nanos // 1_000_000


def local_ms(zone, local):
    """The instant (ms since the epoch) of a wall-clock time "YYYY-MM-DDTHH:MM[:SS]"
    in an IANA zone; in a repeated hour, the earlier (the model uses none)."""
    dt = datetime.datetime.fromisoformat(local).replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return int(dt.timestamp()) * 1000 + dt.microsecond // 1000


def midnight_ms(zone, date):
    return local_ms(zone, f"{date}T00:00")


def wall_clock_text(zone, ms):
    """A window bound as messages write it: "2031-06-10T08:00 CEST (+02:00)",
    seconds only when not zero, milliseconds dropped, a numeric zone
    abbreviation ("+03") left out."""
    dt = datetime.datetime.fromtimestamp(ms // 1000, zoneinfo.ZoneInfo(zone))
    text = dt.strftime("%Y-%m-%dT%H:%M") + (dt.strftime(":%S") if dt.second else "")
    abbreviation = dt.tzname() or ""
    offset = dt.strftime("%z")
    offset = offset[:3] + ":" + offset[3:5]
    if not abbreviation or abbreviation[0] in "+-":
        return f"{text} ({offset})"
    return f"{text} {abbreviation} ({offset})"


def next_date(date):
    return (datetime.date.fromisoformat(date) + datetime.timedelta(days=1)).isoformat()


def offers(fmt, mode):
    return fmt == "hybrid" or fmt == mode


def has_field(message_class, name):
    """Whether the generated message class has the field (new fields may not
    exist in an older build's protos)."""
    return name in message_class.DESCRIPTOR.fields_by_name


def ts_ms(message, field):
    """A Timestamp field in milliseconds, or None when unset."""
    if not message.HasField(field):
        return None
    t = getattr(message, field)
    if t.seconds == 0 and t.nanos == 0:
        return None
    return t.seconds * 1000 + t.nanos // 1_000_000


# ---------------------------------------------------------------------------
# The event as the attendance rules see it.

class SessionInfo:
    def __init__(self, sid, title, date, fmt, removed=False):
        self.id, self.title, self.date, self.format, self.removed = sid, title, date, fmt, removed

    def __repr__(self):
        return f"Session({self.id},{self.title!r},{self.date},{self.format}{',removed' if self.removed else ''})"


class EventInfo:
    """Days, format, capacities, walk-ins and sessions (active and removed) of
    one event, kept in step with the Event messages the calendar returns."""

    def __init__(self, event, margin=None):
        """margin: check_in_margin as the test sent it, (seconds, nanos) or
        None for unset."""
        self.id = event.id
        self.format = PB_TO_FORMAT[event.format]
        self.sessions = {}
        self.used_session_ids = set()
        self.set_margin(margin)
        self.apply(event)

    def set_margin(self, margin):
        """check_in_margin as sent in CreateEvent or UpdateEvent (unset: 12 h)."""
        self.margin_ms = check_in_margin_ms(margin)

    def apply(self, event):
        """Takes days, capacities and sessions from an Event message. Sessions
        no longer listed become removed (they keep their date and format)."""
        self.revision = event.revision
        self.format = PB_TO_FORMAT[event.format]
        self.days = days_between(event.start_local[:10], event.end_local[:10])
        self.time_zone = event.time_zone
        self.start_local, self.end_local = event.start_local, event.end_local
        self.capacity = {IN_PERSON: event.venue.in_person_capacity,
                         ONLINE: event.online.online_capacity}
        self.walk_ins = event.allow_walk_ins
        listed = set()
        for s in event.sessions:
            fmt = PB_TO_FORMAT.get(s.format, self.format)
            self.sessions[s.id] = SessionInfo(s.id, s.title, s.start_local[:10], fmt)
            # A session of no format of its own has the event's, now and
            # after it is removed.
            self.sessions[s.id].follows_event = s.format not in PB_TO_FORMAT
            self.used_session_ids.add(s.id)
            listed.add(s.id)
        for sid, s in self.sessions.items():
            if sid not in listed:
                s.removed = True
                if getattr(s, "follows_event", False):
                    s.format = self.format

    def offers(self, mode):
        return offers(self.format, mode)

    def active_sessions(self):
        return [s for s in self.sessions.values() if not s.removed]

    def day_span(self, date):
        """(start ms, end ms) of a day of the event in its zone: the later of
        the event's start and the day's 00:00, the earlier of the event's end
        and the next 00:00."""
        zone = self.time_zone
        return (max(local_ms(zone, self.start_local), midnight_ms(zone, date)),
                min(local_ms(zone, self.end_local), midnight_ms(zone, next_date(date))))

    def check_in_window(self, date):
        """(from ms, until ms), both accepted, of the day's check-in window;
        None for a date that is not a day of the event."""
        if date not in self.days:
            return None
        start, end = self.day_span(date)
        return start - self.margin_ms, end + self.margin_ms

    def window_refusal(self, date, at_ms):
        """A check of the FAILED_PRECONDITION message for a time outside the
        day's window: details -> what is wrong with them, or None."""
        lo, hi = self.check_in_window(date)
        prefix = (f"occurred_time: check-ins for {date} are accepted from "
                  f"{wall_clock_text(self.time_zone, lo)} to {wall_clock_text(self.time_zone, hi)}")
        side = "is before that" if at_ms < lo else "is after that"

        def check(details):
            if not details.startswith(prefix) or side not in details:
                return f"expected a message starting {prefix!r} and saying {side!r}"
            return None
        return check


def days_between(first, last):
    import datetime
    d0 = datetime.date.fromisoformat(first)
    d1 = datetime.date.fromisoformat(last)
    return [(d0 + datetime.timedelta(days=i)).isoformat() for i in range((d1 - d0).days + 1)]


# ---------------------------------------------------------------------------
# Check-ins the test saw accepted.

class Facts:
    """Accepted check-ins: key (pid, "day"|"session", date or session id,
    mode) -> {"date", "time" (ms of the first), "joins", "walk_in",
    "leave" (ms of the latest leave or None)}; walk-ins per date."""

    def __init__(self):
        self.checkins = {}
        self.walkins = collections.Counter()

    def add(self, pid, kind, scope_id, mode, date, time_ms, walk_in):
        self.checkins[(pid, kind, scope_id, mode)] = {
            "date": date, "time": time_ms, "joins": 1, "walk_in": walk_in, "leave": None}
        if walk_in:
            self.walkins[date] += 1

    def on_dates(self, dates):
        dates = set(dates)
        return any(f["date"] in dates for f in self.checkins.values())

    def __len__(self):
        return len(self.checkins)


# ---------------------------------------------------------------------------
# Registration views.

def view_from_proto(r):
    p = r.participant
    return {
        "pid": p.participant_id, "name": p.display_name, "email": p.email,
        "org": p.organisation, "city": p.city,
        "days": sorted((d.date, PB_TO_MODE.get(d.mode, str(d.mode)),
                        PB_TO_STATUS.get(d.status, str(d.status)), d.waitlist_position)
                       for d in r.days),
        "status": PB_TO_STATUS.get(r.status, str(r.status)),
        "walk_in": r.walk_in, "forgotten": r.forgotten,
    }


def overall(day_statuses):
    statuses = list(day_statuses)
    if all(s == CANCELLED for s in statuses):
        return CANCELLED
    if any(s == WAITLISTED for s in statuses):
        return WAITLISTED
    return CONFIRMED


class Reg:
    def __init__(self, pid, order):
        self.pid, self.order = pid, order
        self.name = self.email = self.org = self.city = ""
        self.days = {}  # date -> [mode, status]
        self.all_days, self.default_mode = False, IN_PERSON
        self.walk_in = self.forgotten = False

    def status(self):
        return overall(s for _, s in self.days.values())

    def set_person(self, participant):
        self.name = _tidy(participant.get("display_name", ""))
        self.email = _OUTER_SPACES.sub("", participant.get("email", ""))
        self.org = _tidy(participant.get("organisation", ""))
        self.city = _tidy(participant.get("city", ""))


# The spaces a form or a pasted document leaves in a text. Written from the
# rule, not from the service's list of bytes.
_SPACE = "[ \u00a0\u2000-\u200a\u202f\u205f\u3000\ufeff]"
_SPACES = re.compile(_SPACE + "+")
_OUTER_SPACES = re.compile(f"^{_SPACE}+|{_SPACE}+$")


def _tidy(text):
    return _SPACES.sub(" ", text).strip(" ")


# ---------------------------------------------------------------------------
# The predictive model.

class Outcome:
    """Expected result of one call: the acceptable status code names (more than
    one where the rules do not say which error comes first) and, for OK, what
    the call returns."""

    def __init__(self, codes, value=None, refusal=None, note=None):
        self.codes = set([codes] if isinstance(codes, str) else codes)
        self.value = value
        # For a refusal whose message the rules fix: details -> what is wrong
        # with them, or None.
        self.refusal = refusal
        # A label for the coverage counts ("outside the window").
        self.note = note

    @property
    def ok(self):
        return self.codes == {"OK"}


def saying(*words):
    """A refusal check: the message must contain each of `words` (which
    name the reason, so that a refusal for another reason is a mismatch)."""
    def check(details):
        missing = [w for w in words if w not in details]
        return f"expected a message saying {missing}" if missing else None
    return check


def refuse(codes, note, *words):
    """A refusal for a reason the rules fix: the status, a coverage label,
    and what its message must say."""
    return Outcome(codes, refusal=saying(*words), note=note)


class AttendanceModel:
    def __init__(self, event):
        self.event = event
        self.regs = {}
        self.waitlists = collections.defaultdict(list)  # (date, mode) -> [pid]
        self.next_order = 0
        self.facts = Facts()
        # Confirmed seats per mode when the capacity was last lowered: seats
        # are never taken away, so up to this many may stay above capacity.
        self.allowance = {IN_PERSON: 0, ONLINE: 0}
        # What the test asked for in Register (all days? default mode), which
        # the server's registrations do not show: kept across resyncs.
        self.meta = {}
        # What the predictions exercised (printed at the end of a run).
        self.coverage = collections.Counter()

    # -- seats ------------------------------------------------------------
    def confirmed(self, date, mode):
        return sum(1 for r in self.regs.values() if r.days.get(date) == [mode, CONFIRMED])

    def has_room(self, date, mode):
        cap = self.event.capacity[mode]
        return cap == 0 or self.confirmed(date, mode) < cap

    def seat_or_wait(self, reg, date, mode):
        if self.has_room(date, mode):
            reg.days[date] = [mode, CONFIRMED]
        else:
            reg.days[date] = [mode, WAITLISTED]
            self.waitlists[(date, mode)].append(reg.pid)

    def release(self, reg, date):
        """Frees the seat (or waitlist place) of one day; returns the freed
        (date, mode) when it was a seat."""
        mode, status = reg.days[date]
        if status == CONFIRMED:
            return (date, mode)
        if status == WAITLISTED:
            self.waitlists[(date, mode)].remove(reg.pid)
        return None

    def promote(self, date, mode):
        line = self.waitlists[(date, mode)]
        while line and self.has_room(date, mode):
            head = self.regs[line.pop(0)]
            head.days[date] = [mode, CONFIRMED]
            self.coverage["promotion"] += 1

    def position(self, pid, date, mode):
        line = self.waitlists.get((date, mode), [])
        return line.index(pid) + 1 if pid in line else 0

    # -- views ------------------------------------------------------------
    def view(self, pid):
        r = self.regs[pid]
        days = []
        for date, (mode, status) in sorted(r.days.items()):
            days.append((date, mode, status,
                         self.position(pid, date, mode) if status == WAITLISTED else 0))
        return {"pid": pid, "name": "" if r.forgotten else r.name,
                "email": "" if r.forgotten else r.email,
                "org": "" if r.forgotten else r.org, "city": r.city,
                "days": days, "status": r.status(), "walk_in": r.walk_in,
                "forgotten": r.forgotten}

    def views(self):
        return {pid: self.view(pid) for pid in self.regs}

    def order(self):
        return [r.pid for r in sorted(self.regs.values(), key=lambda r: r.order)]

    # -- calls ------------------------------------------------------------
    def register(self, pid, participant, mode, days):
        """days: [] for every day in `mode` (an "all days" registration), or
        [(date, mode)]."""
        errors = set()
        old = self.regs.get(pid)
        if old is not None and old.status() != CANCELLED:
            errors.add("ALREADY_EXISTS")
        wanted = [(d, mode) for d in self.event.days] if not days else list(days)
        unoffered = [m for _, m in wanted if not self.event.offers(m)]
        if unoffered and not errors:
            return refuse("FAILED_PRECONDITION", "mode not offered",
                           "the event does not offer " + unoffered[0])
        if unoffered:
            errors.add("FAILED_PRECONDITION")
        if errors:
            return Outcome(errors)
        if old is not None:
            reg = old  # every day cancelled: nothing to free; keeps its place in the order
        else:
            reg = Reg(pid, self.next_order)
            self.next_order += 1
            self.regs[pid] = reg
        reg.days = {}
        reg.set_person(participant)
        reg.all_days, reg.default_mode = not days, mode
        reg.walk_in = reg.forgotten = False
        self.meta[pid] = (reg.all_days, reg.default_mode)
        for d, m in sorted(wanted):
            self.seat_or_wait(reg, d, m)
        return Outcome("OK", self.view(pid))

    def change_mode(self, pid, mode, days):
        """days: [] for every non-cancelled day in `mode`, or [(date, mode)]."""
        reg = self.regs.get(pid)
        if reg is None:
            return Outcome("NOT_FOUND")
        if not days:
            targets = [(d, mode) for d, (_, s) in reg.days.items() if s != CANCELLED]
        else:
            targets = list(days)
            # Any day of the event as it stands may be named; one the person
            # does not hold (never asked for, or cancelled) is added.
            strange = [d for d, _ in days if d not in self.event.days]
            if strange:
                return refuse("INVALID_ARGUMENT", "day not of the event",
                               f"{strange[0]} is not a day of the event")
        unoffered = [m for _, m in targets if not self.event.offers(m)]
        if unoffered:
            return refuse("FAILED_PRECONDITION", "mode not offered",
                           "the event does not offer " + unoffered[0])
        if days and reg.status() == CANCELLED:
            return refuse("FAILED_PRECONDITION", "registration cancelled",
                           "has cancelled every day; register again")
        freed = []
        for d, m in sorted(targets):
            if d not in reg.days or reg.days[d][1] == CANCELLED:
                self.coverage["day added by ChangeMode" if d not in reg.days
                              else "cancelled day restored by ChangeMode"] += 1
                self.seat_or_wait(reg, d, m)
                continue
            if reg.days[d][0] == m:
                continue
            f = self.release(reg, d)
            if f:
                freed.append(f)
            reg.days[d] = [m, None]
            self.seat_or_wait(reg, d, m)
        for d, m in freed:
            self.promote(d, m)
        return Outcome("OK", self.view(pid))

    def cancel(self, pid, dates):
        reg = self.regs.get(pid)
        if reg is None:
            return Outcome("NOT_FOUND")
        targets = list(reg.days) if not dates else list(dates)
        freed = []
        for d in sorted(targets):
            if reg.days[d][1] == CANCELLED:
                continue
            f = self.release(reg, d)
            if f:
                freed.append(f)
            reg.days[d][1] = CANCELLED
        for d, m in freed:
            self.promote(d, m)
        return Outcome("OK", self.view(pid))

    def forget(self, pid):
        reg = self.regs.get(pid)
        if reg is None:
            return Outcome("NOT_FOUND")
        erased_now = not reg.forgotten
        reg.forgotten = True
        reg.name = reg.email = reg.org = reg.city = ""
        return Outcome("OK", 1 if erased_now else 0)

    def outside_window(self, date, time_ms, now_ms):
        """None when the time is in the day's check-in window, else the
        refusal. time_ms: the occurred_time sent, or None (unset: the
        server's clock, taken as now_ms, the test's clock at the call, which
        must be far enough from the window's bounds to say)."""
        window = self.event.check_in_window(date)
        if window is None:
            return None
        lo, hi = window
        at = time_ms
        if at is None:
            if not (now_ms + NOW_SLACK_MS < lo or now_ms - NOW_SLACK_MS > hi):
                raise ValueError(f"the server's clock ({now_ms}) may fall either side of the "
                                 f"window {window} of {date}: send an occurred_time")
            at = now_ms
        if lo <= at <= hi:
            return None
        self.coverage["check-in time refused (%s)" % ("unset" if time_ms is None else
                                                      "before" if at < lo else "after")] += 1
        return Outcome("FAILED_PRECONDITION", refusal=self.event.window_refusal(date, at),
                       note="outside the window")

    def check_in(self, pid, day, session_id, mode, walk_in, time_ms, now_ms=None):
        """Returns Outcome with value {"duplicate", "walk_in", "day", "time",
        "joins"}; records the fact when accepted. time_ms None: sent without
        occurred_time at now_ms (outside_window)."""
        ev = self.event
        if session_id:
            s = ev.sessions.get(session_id)
            if s is None:
                return Outcome("NOT_FOUND")
            if s.removed:
                return refuse("FAILED_PRECONDITION", "removed session", "was removed from the event")
            kind, scope_id, date, fmt = "session", session_id, s.date, s.format
        else:
            kind, scope_id, date, fmt = "day", day, day, ev.format
        refused = self.outside_window(date, time_ms, now_ms)
        if refused:
            return refused
        # A mode not offered (any more: the format may have changed since a
        # first check-in) is refused before a repeat is recognised.
        if not offers(fmt, mode):
            return refuse("FAILED_PRECONDITION", "mode not offered", "only; no " + mode + " check-in")
        key = (pid, kind, scope_id, mode)
        fact = self.facts.checkins.get(key)
        if fact is not None:
            fact["joins"] += 1
            return Outcome("OK", {"duplicate": True, "walk_in": fact["walk_in"], "day": fact["date"],
                                  "time": fact["time"], "joins": fact["joins"]})
        reg = self.regs.get(pid)
        became_walk_in = False
        if reg is not None:
            held = reg.days.get(date)
            confirmed_here = held is not None and held[1] == CONFIRMED
            allowed = confirmed_here and (mode == ONLINE or held[0] == IN_PERSON)
            if not allowed:
                # Registered, but not for this day: a walk-in like anyone
                # else (no details needed), the seat added to the registration.
                if confirmed_here:
                    return refuse("FAILED_PRECONDITION", "an online place, in the room",
                                   f"holds an online place on {date}")
                why = self.no_walk_in(date, mode, details=True)
                if why:
                    return why
                if held is not None and held[1] == WAITLISTED:
                    self.release(reg, date)
                reg.days[date] = [IN_PERSON, CONFIRMED]
                became_walk_in = True
                self.coverage["walk-in of a registration"] += 1
        else:
            why = self.no_walk_in(date, mode, details=walk_in is not None)
            if why:
                return why
            reg = Reg(pid, self.next_order)
            self.next_order += 1
            reg.set_person(walk_in)
            reg.walk_in = True
            reg.days[date] = [IN_PERSON, CONFIRMED]
            self.regs[pid] = reg
            self.meta[pid] = (False, IN_PERSON)
            became_walk_in = True
        self.facts.add(pid, kind, scope_id, mode, date, time_ms, became_walk_in)
        return Outcome("OK", {"duplicate": False, "walk_in": became_walk_in, "day": date,
                              "time": time_ms, "joins": 1})

    def no_walk_in(self, date, mode, details):
        """Why someone with no confirmed day on `date` may not walk in (the
        first reason of the rules' order), or None."""
        prefix = f"is not registered (confirmed) for {date}"
        if not self.event.walk_ins:
            return refuse("FAILED_PRECONDITION", "no walk-ins", prefix, "takes no walk-ins")
        if mode != IN_PERSON:
            return refuse("FAILED_PRECONDITION", "walk-in online", prefix, "in the room only")
        if not self.has_room(date, IN_PERSON):
            return refuse("FAILED_PRECONDITION", "walk-in, room full", prefix, "the room is full")
        if not details:
            return refuse("FAILED_PRECONDITION", "walk-in without details", prefix,
                           "no walk-in details")
        return None

    def check_out(self, pid, day, session_id, time_ms, now_ms=None):
        ev = self.event
        if session_id:
            s = ev.sessions.get(session_id)
            if s is None:
                return Outcome("NOT_FOUND")
            if s.removed:
                return refuse("FAILED_PRECONDITION", "removed session", "was removed from the event")
            key, date = (pid, "session", session_id, ONLINE), s.date
        else:
            key, date = (pid, "day", day, ONLINE), day
        fact = self.facts.checkins.get(key)
        if fact is None:
            # Refused for the missing join before the time is looked at.
            return refuse("FAILED_PRECONDITION", "no online join", "no online join of")
        refused = self.outside_window(date, time_ms, now_ms)
        if refused:
            return refused
        fact["leave"] = time_ms if fact["leave"] is None else max(fact["leave"], time_ms)
        return Outcome("OK", {"leave": fact["leave"], "time": fact["time"]})

    # -- event changes ----------------------------------------------------
    def capacity_changed(self, mode, old, new):
        if new == 0 or (old != 0 and new > old):
            for d in self.event.days:
                self.promote(d, mode)
        elif old == 0 or new < old:
            self.allowance[mode] = max(
                [self.allowance[mode]] + [self.confirmed(d, mode) for d in self.event.days])

    def days_changed(self, old_days, new_days):
        """The event now has new_days (the capacity and format are unchanged).
        Same number of days: day i -> day i. Otherwise matched by date; a
        date that comes back to an "all days" registration that still has a
        cancelled day on it stays cancelled: the person was told it was, and
        takes it back with ChangeMode."""
        if len(old_days) == len(new_days):
            moved = dict(zip(old_days, new_days))
            for r in self.regs.values():
                # A day on a date the event lost earlier (cancelled) stays,
                # unless a moved day lands on its date: one entry per date.
                days = {moved[d]: v for d, v in r.days.items() if d in moved}
                for d, v in r.days.items():
                    if d not in moved and not (d in days and v[1] == CANCELLED):
                        days[d] = v
                r.days = days
            self.waitlists = collections.defaultdict(
                list, {(moved.get(d, d), m): line for (d, m), line in self.waitlists.items()})
            return
        dropped = [d for d in old_days if d not in new_days]
        added = [d for d in new_days if d not in old_days]
        for r in self.regs.values():
            for d in dropped:
                if d in r.days and r.days[d][1] != CANCELLED:
                    self.release(r, d)
                    r.days[d][1] = CANCELLED
        for d in dropped:
            for m in MODES:
                self.waitlists.pop((d, m), None)
        for r in sorted(self.regs.values(), key=lambda r: r.order):
            if not r.all_days or r.status() == CANCELLED or not self.event.offers(r.default_mode):
                continue
            for d in added:
                if d in r.days:
                    self.coverage["re-added date stays cancelled"] += 1
                    continue
                self.seat_or_wait(r, d, r.default_mode)

    def modes_dropped(self):
        """The event (already applied) no longer offers some mode: every day
        held in it is cancelled, seats and places in line alike, and nobody
        is promoted into it."""
        for r in self.regs.values():
            for date, v in r.days.items():
                if v[1] != CANCELLED and not self.event.offers(v[0]):
                    self.release(r, date)
                    v[1] = CANCELLED
        for key in [k for k in self.waitlists if not self.event.offers(k[1])]:
            self.waitlists.pop(key)

    # -- resync -----------------------------------------------------------
    def resync(self, views, order):
        """Takes every registration from the server (after concurrent calls
        the order of arrivals is the server's to choose)."""
        self.regs = {}
        self.waitlists = collections.defaultdict(list)
        waiting = collections.defaultdict(list)
        for i, pid in enumerate(order):
            v = views[pid]
            r = Reg(pid, i)
            r.name, r.email, r.org, r.city = v["name"], v["email"], v["org"], v["city"]
            r.walk_in, r.forgotten = v["walk_in"], v["forgotten"]
            r.all_days, r.default_mode = self.meta.get(pid, (False, IN_PERSON))
            for date, mode, status, pos in v["days"]:
                r.days[date] = [mode, status]
                if status == WAITLISTED:
                    waiting[(date, mode)].append((pos, pid))
            self.regs[pid] = r
        for key, line in waiting.items():
            self.waitlists[key] = [pid for _, pid in sorted(line)]
        self.next_order = len(order)


# ---------------------------------------------------------------------------
# Counts.

def _zero_modes():
    return {f: 0 for f in MODE_FIELDS}


def _totals(m):
    m["registered_total"] = m["registered_in_person"] + m["registered_online"]
    m["checked_in_total"] = m["checked_in_in_person"] + m["checked_in_online"]
    return m


# Whether a day's first_online_join / last_online_leave cover the online
# joins and leaves of that day's sessions too (like the day's headcount,
# which counts people present at a session as present that day), or only
# day-scope joins. The rules do not say; this oracle reads them as covering
# the whole day.
DAY_TIMES_INCLUDE_SESSIONS = True


def _unique(facts_list, walk_ins):
    room = {pid for (pid, mode), _ in facts_list if mode == IN_PERSON}
    online = {pid for (pid, mode), _ in facts_list if mode == ONLINE}
    timed = [f for (_, mode), f in facts_list if mode == ONLINE and f.get("timed", True)]
    joins = [f["time"] for f in timed]
    leaves = [f["leave"] for f in timed if f["leave"] is not None]
    both = len(room & online)
    return {"in_person_only": len(room) - both, "online_only": len(online) - both,
            "both": both, "total": len(room | online), "walk_ins": walk_ins,
            "first_online_join": min(joins) if joins else None,
            "last_online_leave": max(leaves) if leaves else None}


def expected_counts(event, views, facts):
    """Every field of GetAttendanceCounts from registration views (pid ->
    view) and accepted check-ins. Removed sessions: registered/waitlisted are
    not predicted (None), and one without check-ins may be left out
    ("optional")."""
    out = {"event_id": event.id, "day_order": list(event.days),
           "registrations": sum(1 for v in views.values() if v["status"] != CANCELLED),
           "days": {}}

    def group_keys(pid):
        v = views.get(pid)
        if v is None:
            return None, None, False
        if v["forgotten"]:
            return ERASED_KEY, ERASED_KEY, True
        return v["city"], v["org"], False

    for date in event.days:
        counts = _zero_modes()
        by_city = collections.defaultdict(_zero_modes)
        by_org = collections.defaultdict(_zero_modes)
        erased_org = {}
        for pid, v in views.items():
            city, org, erased = group_keys(pid)
            for d, mode, status, _ in v["days"]:
                if d != date or status == CANCELLED:
                    continue
                field = ("registered_" if status == CONFIRMED else "waitlisted_") + mode
                counts[field] += 1
                by_city[city][field] += 1
                by_org[org][field] += 1
                erased_org[org] = erased
        day_facts = []
        for (pid, kind, scope_id, mode), f in facts.checkins.items():
            if f["date"] != date:
                continue
            day_facts.append(((pid, mode), dict(f, timed=DAY_TIMES_INCLUDE_SESSIONS or kind == "day")))
            if kind == "day":
                counts["checked_in_" + mode] += 1
                city, org, erased = group_keys(pid)
                if city is None:
                    city, org = "<no registration for %s>" % pid, "<no registration for %s>" % pid
                by_city[city]["checked_in_" + mode] += 1
                by_org[org]["checked_in_" + mode] += 1
                erased_org[org] = erased
        day = {"counts": _totals(counts),
               "unique": _unique(day_facts, facts.walkins.get(date, 0)),
               "in_person_capacity": event.capacity[IN_PERSON],
               "online_capacity": event.capacity[ONLINE],
               "by_city": {}, "by_organisation": {}, "sessions": {}}
        for key, m in by_city.items():
            if any(m.values()):
                day["by_city"][key] = {"counts": _totals(m), "erased": key == ERASED_KEY}
        for key, m in by_org.items():
            if any(m.values()):
                day["by_organisation"][key] = {"counts": _totals(m), "erased": erased_org.get(key, False)}
        for s in event.sessions.values():
            if s.date != date:
                continue
            sfacts = [((pid, mode), f) for (pid, kind, scope_id, mode), f in facts.checkins.items()
                      if kind == "session" and scope_id == s.id]
            m = _zero_modes()
            for mode in MODES:
                if offers(s.format, mode):
                    m["registered_" + mode] = counts["registered_" + mode]
                    m["waitlisted_" + mode] = counts["waitlisted_" + mode]
            for (pid, mode), _ in sfacts:
                m["checked_in_" + mode] += 1
            _totals(m)
            if s.removed:
                for f in ("registered_in_person", "registered_online", "waitlisted_in_person",
                          "waitlisted_online", "registered_total"):
                    m[f] = None
            day["sessions"][s.id] = {
                "title": s.title, "format": s.format, "removed": s.removed,
                "counts": m, "unique": _unique(sfacts, 0),
                "optional": s.removed and not sfacts}
        out["days"][date] = day
    return out


def counts_to_dict(c):
    """The same shape as expected_counts() from an AttendanceCounts message.
    Duplicate group or session keys are kept as "<key> #2"."""
    group_has_erased = has_field(attendance_pb2.GroupCounts, "erased")
    session_has_removed = has_field(attendance_pb2.SessionCounts, "removed")

    def modes(m):
        return {f: getattr(m, f) for f in MODE_FIELDS}

    def unique(u):
        d = {f: getattr(u, f) for f in UNIQUE_FIELDS[:5]}
        d["first_online_join"] = ts_ms(u, "first_online_join")
        d["last_online_leave"] = ts_ms(u, "last_online_leave")
        return d

    def put(target, key, value):
        k, n = key, 1
        while k in target:
            n += 1
            k = f"{key} #{n}"
        target[k] = value

    out = {"event_id": c.event_id, "day_order": [d.date for d in c.days],
           "registrations": c.registrations, "days": {}}
    for d in c.days:
        day = {"counts": modes(d.counts), "unique": unique(d.unique),
               "in_person_capacity": d.in_person_capacity, "online_capacity": d.online_capacity,
               "by_city": {}, "by_organisation": {}, "sessions": {}}
        for g in d.by_city:
            put(day["by_city"], g.key, {"counts": modes(g.counts),
                                        "erased": g.erased if group_has_erased else "<no field>"})
        for g in d.by_organisation:
            put(day["by_organisation"], g.key, {"counts": modes(g.counts),
                                                "erased": g.erased if group_has_erased else "<no field>"})
        for s in d.sessions:
            put(day["sessions"], s.session_id, {
                "title": s.title, "format": PB_TO_FORMAT.get(s.format, "unspecified(%d)" % s.format),
                "removed": s.removed if session_has_removed else "<no field>",
                "counts": modes(s.counts), "unique": unique(s.unique)})
        put(out["days"], d.date, day)
    return out


def _fmt(v):
    return repr(v)


def diff_counts(expected, actual):
    """Lines "path: expected X, got Y" for every difference."""
    lines = []

    def cmp(path, e, a):
        if e is None and path.endswith(("first_online_join", "last_online_leave")):
            if a is not None:
                lines.append(f"{path}: expected unset, got {a}")
            return
        if e is None:
            return  # not predicted
        if isinstance(e, dict):
            if not isinstance(a, dict):
                lines.append(f"{path}: expected {_fmt(e)}, got {_fmt(a)}")
                return
            for k in e:
                if k == "optional":
                    continue
                cmp(f"{path}.{k}", e[k], a.get(k, "<missing>"))
            return
        if e != a:
            lines.append(f"{path}: expected {_fmt(e)}, got {_fmt(a)}")

    if expected["event_id"] != actual["event_id"]:
        lines.append(f"event_id: expected {expected['event_id']}, got {actual['event_id']}")
    if expected["registrations"] != actual["registrations"]:
        lines.append(f"registrations: expected {expected['registrations']}, got {actual['registrations']}")
    if expected["day_order"] != actual["day_order"]:
        lines.append(f"days: expected dates {expected['day_order']}, got {actual['day_order']}")
    for date, ed in expected["days"].items():
        ad = actual["days"].get(date)
        if ad is None:
            continue
        p = f"days[{date}]"
        for f in ("counts", "unique", "in_person_capacity", "online_capacity"):
            cmp(f"{p}.{f}", ed[f], ad[f])
        for groups in ("by_city", "by_organisation"):
            ek, ak = set(ed[groups]), set(ad[groups])
            for k in sorted(ek - ak):
                lines.append(f"{p}.{groups}[{k!r}]: missing (expected {_brief(ed[groups][k])})")
            for k in sorted(ak - ek):
                lines.append(f"{p}.{groups}[{k!r}]: unexpected group {_brief(ad[groups][k])}")
            for k in sorted(ek & ak):
                cmp(f"{p}.{groups}[{k!r}]", ed[groups][k], ad[groups][k])
        es, as_ = ed["sessions"], ad["sessions"]
        for sid in sorted(set(es) - set(as_)):
            if not es[sid]["optional"]:
                lines.append(f"{p}.sessions[{sid}]: missing (expected {_brief(es[sid])})")
        for sid in sorted(set(as_) - set(es)):
            lines.append(f"{p}.sessions[{sid}]: unexpected session {_brief(as_[sid])}")
        for sid in sorted(set(es) & set(as_)):
            cmp(f"{p}.sessions[{sid}]", es[sid], as_[sid])
    return lines


def _brief(g):
    if "counts" in g:
        nz = {k: v for k, v in g["counts"].items() if v}
        rest = {k: v for k, v in g.items() if k not in ("counts", "unique", "optional")}
        return f"{nz} {rest}"
    return str(g)


def diff_views(expected, actual, expected_order=None, actual_order=None):
    """Registration views of the model against the server's."""
    lines = []
    for pid in sorted(set(expected) - set(actual)):
        lines.append(f"registration {pid}: missing on the server (expected {expected[pid]})")
    for pid in sorted(set(actual) - set(expected)):
        lines.append(f"registration {pid}: unexpected on the server: {actual[pid]}")
    for pid in sorted(set(expected) & set(actual)):
        e, a = expected[pid], actual[pid]
        for k in ("name", "email", "org", "city", "status", "walk_in", "forgotten", "days"):
            if e[k] != a[k]:
                lines.append(f"registration {pid}.{k}: expected {e[k]!r}, got {a[k]!r}")
    if expected_order is not None and actual_order is not None and not lines \
            and expected_order != actual_order:
        lines.append(f"registration order: expected {expected_order}, got {actual_order}")
    return lines


def check_invariants(event, views, allowance):
    """What must hold after any interleaving of calls."""
    lines = []
    confirmed = collections.Counter()
    waiting = collections.defaultdict(list)
    for pid, v in views.items():
        if v["status"] != overall(s for _, _, s, _ in v["days"]):
            lines.append(f"registration {pid}: status {v['status']} does not follow from its days {v['days']}")
        for date, mode, status, pos in v["days"]:
            if status == CANCELLED:
                if pos:
                    lines.append(f"registration {pid}: cancelled day {date} has waitlist position {pos}")
                continue
            if date not in event.days:
                lines.append(f"registration {pid}: {status} on {date}, not a day of the event {event.days}")
            if not event.offers(mode):
                lines.append(f"registration {pid}: {status} {mode} on {date}; the event is {event.format}")
            if status == CONFIRMED:
                confirmed[(date, mode)] += 1
                if pos:
                    lines.append(f"registration {pid}: confirmed day {date} has waitlist position {pos}")
            elif status == WAITLISTED:
                waiting[(date, mode)].append((pos, pid))
    for date in event.days:
        for mode in MODES:
            cap = event.capacity[mode]
            n_conf = confirmed[(date, mode)]
            line = sorted(waiting.get((date, mode), []))
            positions = [p for p, _ in line]
            if positions != list(range(1, len(line) + 1)):
                lines.append(f"waitlist ({date}, {mode}): positions {positions}, not 1..{len(line)} "
                             f"({[pid for _, pid in line]})")
            if line and (cap == 0 or n_conf < cap):
                lines.append(f"waitlist ({date}, {mode}): {len(line)} waiting while "
                             f"{n_conf} of {cap or 'unlimited'} seats are taken")
            if cap and n_conf > max(cap, allowance.get(mode, 0)):
                lines.append(f"({date}, {mode}): {n_conf} confirmed, capacity {cap}")
    return lines
