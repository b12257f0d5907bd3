"""An independent model of which reminders Convene must deliver, for
reminder_model_test.py. Pure Python: no gRPC, no Redis, nothing from the
code under test. It is given what the test did and when, and what the sink
received, and says which reminder keys had to arrive exactly once, which must
not arrive, and which may arrive or not (never twice).

The rules modelled (README "The notification service",
services/core/reminder_planner.h/.cc), for the scenarios the test builds:
before_event offsets only (no before_each_day), one- or two-day events with
no capacity limits (every registered day is CONFIRMED), no sessions.

  * A registration gets one reminder per before_event offset, keyed
    "<event>/<participant>/event-<ISO 8601 offset>", due at
    (start of the participant's FIRST CONFIRMED day) - offset. The first
    day's start is the event's start; a later day starts at the event's
    opening hour on that date (a day away, far outside any test window). So
    within the test's window only registrations whose first event day is
    confirmed get reminders; cancelling that day moves them a day away.
  * A reminder already due when it is first planned is not planned (it
    would be late). Planning is asynchronous: it happens when the reminder
    planner (one replica, under a lease) reads the change from the calendar
    or attendance stream. The test observes, for each change it made, the
    instant by which the planner had processed it (its saved stream
    positions), so "planned before due" and "planned after due" are facts,
    and only a due instant inside [call started, planner done] is open.
  * Edits that change no set of reminders (description, title, a change of
    mode) re-render the planned reminders; a reminder that is due but not
    yet sent must survive such a re-planning: exactly once.
  * A move (start shifted by seconds) moves every due instant; the test
    moves an event only while every due instant, old and new, is at least
    MOVE_MARGIN seconds away, far more than the planner can lag (its lease is
    10 s), so the reminder goes out once, at its new instant.
  * A late move comes after one of the event's due instants: that reminder
    went out (or is going out) at its old instant, and the move puts its
    instant back MOVE_MARGIN+ seconds in the future. It is not sent again:
    once, whatever the move. (A registration that did not have it planned,
    made after it fell due, gets it at the new instant: also once.) The
    event's other due instants, old and new, are MOVE_MARGIN+ seconds away,
    as for any move.
  * A reminder stops being planned when its registration is cancelled, its
    first day is cancelled, its participant is forgotten (the planner erases
    the reminders when it reads the participant_forgotten entry) or its
    event is cancelled.
    Done (planned) before the due instant: it must not be delivered. Started
    at or after the due instant (or planned only then): it may have been
    delivered already or not: 0 or 1, never 2 -- unless it started more than
    DISPATCH_BOUND after the due instant, by when the reminder must have
    been delivered: exactly once.
  * A cancelled event gets one cancellation notice per registration that
    still had a live (not cancelled) day and was not forgotten when the
    event was cancelled, keyed "<event>/<participant>/cancelled". If the
    registration is cancelled or forgotten after the event was cancelled the
    notice may or may not have gone out: 0 or 1 (exactly once if that came
    more than DISPATCH_BOUND after the cancellation was planned).

Delivery is counted per reminder key: the sink's distinct notification ids
(notification id = idempotency key "<key>/r<event revision>") for the key.
Two ids for one key is a duplicate: the reminder was sent twice (under two
revisions of the event). The same id received twice is a redelivery by the
subscription (at-least-once hand-over, which consumers dedupe on the
idempotency key); it is reported separately, and is a failure only if the
test had acknowledged the first copy.
"""
import collections
import math

ONE, ZERO, ZERO_OR_ONE = "exactly once", "never", "at most once"

# Slack for clock reading and millisecond rounding, seconds.
EPS = 0.05
# A move is made only while every due instant, old and new, is this far away.
MOVE_MARGIN = 20.0
# A due reminder reaches the sink within this, whatever the kills: the lease
# (3 s) and hold (2 s) of a killed claimer, a second such claimer, and a
# redelivery round of the subscription (5 s ack timeout) fit in it many
# times. A removal this long after the due instant comes too late to stop it.
DISPATCH_BOUND = 25.0

REMOVALS = ("cancel", "cancel_days", "forget")


def iso_duration(seconds):
    """services/core/iso_duration.cc FormatIsoDuration for whole seconds."""
    seconds = int(seconds)
    if seconds == 0:
        return "PT0S"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P"
    if days:
        text += f"{days}D"
    if hours or minutes or secs:
        text += "T"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if secs:
        text += f"{secs}S"
    return text


class Op:
    """One call the test made. t0/t1: wall-clock (epoch seconds) just before
    and just after it; done: by when its effect on the planned reminders was
    in place (planner position observed, or t1 for what the call does
    itself); None while unknown (never observed: treated as +inf)."""

    def __init__(self, kind, t0, t1, done=None, dates=(), note=""):
        self.kind, self.t0, self.t1, self.done = kind, t0, t1, done
        self.dates = tuple(dates)
        self.note = note

    def done_or_inf(self):
        return math.inf if self.done is None else self.done

    def __repr__(self):
        done = "never seen" if self.done is None else f"{self.done:.3f}"
        dates = f" {list(self.dates)}" if self.dates else ""
        return f"{self.kind}{dates} [{self.t0:.3f}..{self.t1:.3f}, planned by {done}]"


class EventModel:
    def __init__(self, event_id, start, dates, offsets):
        self.id = event_id
        self.starts = [start]        # every start instant it had, in order
        self.dates = list(dates)     # local dates of its days
        self.offsets = list(offsets)  # before_event offsets, whole seconds
        self.moves = []              # Op with .old/.new start
        self.cancel = None           # Op
        self.edits = []              # description/title Ops (no effect on sets)

    @property
    def start(self):
        return self.starts[-1]

    @property
    def first_date(self):
        return self.dates[0]

    def dues(self):
        return [self.start - o for o in self.offsets]


class RegistrationModel:
    def __init__(self, event, pid, dates, register_op):
        self.event, self.pid = event, pid
        self.dates = list(dates)     # days registered for
        self.register = register_op
        self.ops = []                # later Ops on it (mode, cancel, cancel_days, forget)


class Receipt:
    def __init__(self, t, notification_id, idempotency_key, kind, event_id, participant_id,
                 reminder_id, revision, acked_before=False):
        self.t = t
        self.notification_id = notification_id
        self.idempotency_key = idempotency_key
        self.kind = kind  # "reminder" or "cancellation"
        self.event_id, self.participant_id, self.reminder_id = event_id, participant_id, reminder_id
        self.revision = revision
        self.acked_before = acked_before  # the same id had been acknowledged before

    @property
    def key(self):
        return f"{self.event_id}/{self.participant_id}/{self.reminder_id}"


class Oracle:
    def __init__(self):
        self.events = {}
        self.regs = {}  # (event, pid) -> RegistrationModel

    # -- facts -------------------------------------------------------------
    def add_event(self, event_id, start, dates, offsets):
        self.events[event_id] = EventModel(event_id, start, dates, offsets)
        return self.events[event_id]

    def add_registration(self, event_id, pid, dates, op):
        r = RegistrationModel(event_id, pid, dates, op)
        self.regs[(event_id, pid)] = r
        return r

    # -- state as the test left it at an instant ----------------------------
    @staticmethod
    def live_dates_at(reg, t):
        """Days of `reg` not cancelled by calls finished before t; None when
        forgotten by then."""
        live = set(reg.dates)
        for op in reg.ops:
            if op.t1 >= t:
                continue
            if op.kind == "forget":
                return None
            if op.kind == "cancel":
                live.clear()
            elif op.kind == "cancel_days":
                live -= set(op.dates)
        return live

    @staticmethod
    def first_removal(ev, reg):
        """The first call that took the reminders of the event's first day
        away from `reg` (cancel, cancel of that day, forget, event cancel)."""
        candidates = []
        for op in reg.ops:
            if op.kind in ("cancel", "forget") or (
                    op.kind == "cancel_days" and ev.first_date in op.dates):
                candidates.append(op)
        if ev.cancel:
            candidates.append(ev.cancel)
        return min(candidates, key=lambda op: op.t0) if candidates else None

    # -- expectations --------------------------------------------------------
    def expectations(self):
        """{key: (verdict, due or None, reason)} for every key the test's
        registrations could have."""
        out = {}
        for (event_id, pid), reg in self.regs.items():
            ev = self.events[event_id]
            for o in ev.offsets:
                key = f"{event_id}/{pid}/event-{iso_duration(o)}"
                verdict, reason = self._reminder(ev, reg, o)
                out[key] = (verdict, self.due_of(ev, reg, o)[0], reason)
            if ev.cancel is not None:
                verdict, reason = self._notice(ev, reg)
                out[f"{event_id}/{pid}/cancelled"] = (verdict, None, reason)
        return out

    def move_anomalies(self):
        """Moves the planner handled only after a due instant they moved: the
        test's assumption (planner lag far below MOVE_MARGIN) broke. Due
        instants already past when a (late) move began are not moved by it."""
        out = []
        for ev in self.events.values():
            for m in ev.moves:
                dues = [s - o for s in (m.old, m.new) for o in ev.offsets if s - o > m.t0]
                if dues and m.done_or_inf() > min(dues) - EPS:
                    out.append(f"{ev.id}: move {m} was planned only after a due instant "
                               f"({min(dues):.3f}); the planner lagged more than the test's "
                               f"{MOVE_MARGIN:g} s margin")
        return out

    def edits_of_due_unsent(self, receipts):
        """How many times an edit that re-plans (description, title, mode)
        found a reminder due and not yet received by the sink: the case
        where a due, unsent reminder must survive re-planning."""
        first = {}
        for r in receipts:
            first[r.key] = min(first.get(r.key, r.t), r.t)
        n = 0
        for (event_id, pid), reg in self.regs.items():
            ev = self.events[event_id]
            edits = ev.edits + [op for op in reg.ops if op.kind == "mode"]
            for o in ev.offsets:
                key = f"{event_id}/{pid}/event-{iso_duration(o)}"
                due = self.due_of(ev, reg, o)[0]
                got = first.get(key)
                n += sum(1 for op in edits if due < op.t0 and got is not None and got > op.t1)
        return n

    @staticmethod
    def due_of(ev, reg, offset):
        """(due, sure_by): the instant the reminder of `reg` falls due, and by
        when it must have gone out if nothing removed it. A move before that
        instant moves it; a late move (after it) leaves it there when it was
        planned, and plans it at the new instant when it was not (the
        registration came after it fell due). A late move that finds it due
        but not sent yet moves it too: it goes out at one instant or the
        other, so sure_by reaches past the new one."""
        a = reg.register
        start = ev.starts[0]
        for m in ev.moves:
            if m.t1 <= a.t0:
                start = m.new
        due = start - offset
        planned = due > a.t0 - EPS
        sure_by = due + DISPATCH_BOUND
        for m in ev.moves:
            if m.t0 < a.t1:
                continue
            if planned and due < m.t0 - EPS:
                if m.t0 < sure_by:
                    sure_by = max(sure_by, m.new - offset + DISPATCH_BOUND)
                continue
            due = m.new - offset
            planned = True
            sure_by = due + DISPATCH_BOUND
        return due, sure_by

    def _reminder(self, ev, reg, offset):
        due, sure_by = self.due_of(ev, reg, offset)
        dues = [s - offset for s in ev.starts]
        a = reg.register
        if ev.first_date not in reg.dates:
            return ZERO, "registered without the event's first day (reminders a day later)"
        if due <= a.t0 - EPS:
            return ZERO, f"due {due:.3f} before the registration {a}"
        x = self.first_removal(ev, reg)
        if x is not None and x.done_or_inf() < due - EPS:
            return ZERO, f"removed before due {due:.3f}: {x}"
        if any(a.t0 - EPS <= d <= a.done_or_inf() + EPS for d in dues):
            return ZERO_OR_ONE, f"due {due:.3f} while the registration was being planned: {a}"
        if x is not None and x.t0 > sure_by:
            return ONE, f"due {due:.3f}, removed only {x.t0 - due:.0f} s later: {x}"
        if x is not None:
            return ZERO_OR_ONE, f"removal around or after due {due:.3f}: {x}"
        return ONE, f"due {due:.3f}, planned by {a.done_or_inf():.3f}"

    def _notice(self, ev, reg):
        c = ev.cancel
        if reg.register.t0 >= c.t0:
            return ZERO, "registered after the event was cancelled"
        live = self.live_dates_at(reg, c.t0)
        if not live:
            return ZERO, ("forgotten" if live is None else "every day cancelled") + \
                f" before the event was cancelled {c}"
        later = [op for op in reg.ops if op.kind in REMOVALS and op.t1 >= c.t0]
        if later and later[0].t0 > c.done_or_inf() + DISPATCH_BOUND:
            return ONE, f"live when the event was cancelled {c}; {later[0]} came much later"
        if later:
            return ZERO_OR_ONE, f"{later[0]} after the event was cancelled {c}"
        return ONE, f"live days {sorted(live)} when the event was cancelled {c}"

    # -- comparison ------------------------------------------------------------
    def compare(self, receipts):
        """Returns a collections.Counter of totals and a list of failure
        lines. receipts: every Receipt for this oracle's events."""
        expected = self.expectations()
        totals = collections.Counter()
        totals["edits of due, unsent reminders"] = self.edits_of_due_unsent(receipts)
        anomalies = self.move_anomalies()
        lines = [f"ANOMALY {a}" for a in anomalies]
        totals["anomalies"] = len(anomalies)
        by_key = collections.defaultdict(list)
        for r in receipts:
            if r.event_id in self.events:
                by_key[r.key].append(r)
        for key, rs in by_key.items():
            for r in rs:
                if r.notification_id != r.idempotency_key or \
                        r.idempotency_key != f"{key}/r{r.revision}":
                    lines.append(f"MALFORMED {key}: notification id {r.notification_id!r}, "
                                 f"idempotency key {r.idempotency_key!r}, revision {r.revision}")
                    totals["malformed"] += 1
                want = "cancellation" if key.endswith("/cancelled") else "reminder"
                if r.kind != want:
                    lines.append(f"MALFORMED {key}: kind {r.kind}, expected {want}")
                    totals["malformed"] += 1
        for key, (verdict, due, reason) in sorted(expected.items()):
            rs = by_key.get(key, [])
            ids = sorted({r.notification_id for r in rs})
            n = len(ids)
            notice = key.endswith("/cancelled")
            kind = "notices" if notice else "reminders"
            totals[f"{kind} {verdict}"] += 1
            if n:
                totals[f"{kind} delivered"] += 1
            redelivered = len(rs) - n
            if redelivered:
                totals["redelivered (same id)"] += redelivered
                after_ack = [r for r in rs if r.acked_before]
                if after_ack:
                    totals["redelivered after ack"] += len(after_ack)
                    lines.append(f"REDELIVERED AFTER ACK {key}: {[r.notification_id for r in after_ack]}")
            if due is not None and rs:
                late = min(r.t for r in rs) - due
                totals["max latency ms"] = max(totals["max latency ms"], int(late * 1000))
            if verdict == ZERO_OR_ONE:
                why = "planned around its due instant" if "being planned" in reason else \
                    "removed around or after its due instant"
                totals[f"{kind} at most once: {why}"] += 1
            if verdict == ZERO_OR_ONE and n:
                totals[f"{kind} at most once, delivered"] += 1
            if verdict == ONE and n:
                totals[f"{kind} {ONE}, delivered"] += 1
            if n > 1:
                totals["duplicated"] += 1
                lines.append(f"DUPLICATE {key} ({verdict}; {reason}): ids {ids} at "
                             f"{[round(r.t, 3) for r in rs]}")
            elif verdict == ONE and n == 0:
                totals["lost"] += 1
                lines.append(f"LOST {key} ({reason})")
            elif verdict == ZERO and n:
                totals["unexpected"] += 1
                lines.append(f"UNEXPECTED {key} ({reason}): {ids} at {[round(r.t, 3) for r in rs]}")
        for key in sorted(set(by_key) - set(expected)):
            totals["unexpected"] += 1
            rs = by_key[key]
            lines.append(f"UNEXPECTED {key} (no such reminder in the model): "
                         f"{sorted({r.notification_id for r in rs})}")
        return totals, lines


# ---- planned reminders: every rule, for events far ahead ---------------------
#
# ReminderPlanModelTest (reminder_model_test.py) reads the plan through
# ListScheduledReminders instead of waiting days for delivery, and compares it
# with plan_of() below: the README's rules ("The notification service",
# Planning and Texts; "The attendance service" for days, waitlists and moves)
# written again in Python, with zoneinfo for the instants.
#
#   * Only CONFIRMED days are reminded of: a waitlisted day gets nothing
#     until promoted; a promotion (a seat freed, a capacity raised) plans it.
#   * before_event offsets: "<offset> before the event", about the
#     participant's first confirmed day: the event's start when that is the
#     opening day, else that day's start for their mode (below). Id
#     "event-<ISO 8601 offset>".
#   * before_each_day offsets: before each confirmed day's first session the
#     participant's mode that day can attend (a HYBRID or unspecified session
#     is open to both modes; of all the day's sessions when none is open to
#     the mode); a day without sessions starts at the event's start on the
#     opening day and at the event's opening hour on the others. Id
#     "day-<YYYY-MM-DD>-<ISO 8601 offset>". The first day's reminder due at
#     the same instant as a before_event one repeats it and is left out (the
#     default policy's "1 hour before the event" and "1 hour before each
#     day" send one reminder on day 1).
#   * Due instant = that start - offset, the start taken from local time plus
#     zone: across a clock change, "1 day before" is 24 real hours, not the
#     same wall-clock time the day before.
#   * A reminder already due when planned is not planned.
#   * Rendered in the participant's language when it is one of en, it, el,
#     bg, fr, de, nl (its primary tag), else English; in their zone, the
#     venue's when they gave none.
#   * A cancelled event has no reminders.

import datetime as _dt
import zoneinfo as _zi

LANGUAGES = ("en", "it", "el", "bg", "fr", "de", "nl")


def language_of(tag):
    primary = (tag or "").split("-")[0].split("_")[0].lower()
    return primary if primary in LANGUAGES else "en"


def instant(zone, local):
    """Epoch seconds of naive local datetime `local` in `zone` (the test
    keeps event hours away from the clock changes' gaps and overlaps)."""
    return local.replace(tzinfo=_zi.ZoneInfo(zone)).timestamp()


def opens_to(session_format, mode):
    """Whether a session of `session_format` ("hybrid", "in_person",
    "online"; "" is the event's, hybrid) is open to `mode`."""
    return session_format in ("", "hybrid") or session_format == mode


class PlanEvent:
    """What the test told the calendar: zone, local start and end (naive
    datetimes), sessions [(start, end, format)], and the policy."""

    def __init__(self, event_id, zone, start, end, sessions, before_event, before_each_day):
        self.id, self.zone, self.start, self.end = event_id, zone, start, end
        self.sessions = list(sessions)
        self.before_event = list(before_event)
        self.before_each_day = list(before_each_day)
        self.cancelled = False

    def dates(self):
        out, d = [], self.start.date()
        last = (self.end - _dt.timedelta(seconds=1)).date()
        while d <= last:
            out.append(d.isoformat())
            d += _dt.timedelta(days=1)
        return out

    def day_start(self, date, mode):
        """(instant, why) a day begins for someone attending it in `mode`."""
        on_day = [s for s in self.sessions if s[0].date().isoformat() == date]
        open_ = [s for s in on_day if opens_to(s[2], mode)]
        if open_:
            first = min(s[0] for s in open_)
            why = "session" if first == min(s[0] for s in on_day) else "session of their mode, later"
            return instant(self.zone, first), why
        if on_day:
            return instant(self.zone, min(s[0] for s in on_day)), "session of another mode"
        if date == self.start.date().isoformat():
            return instant(self.zone, self.start), "opening"
        d = _dt.date.fromisoformat(date)
        return instant(self.zone, _dt.datetime.combine(d, self.start.time())), "opening-hour"


class PlannedKey:
    __slots__ = ("reminder_id", "kind", "day", "mode", "due", "time_zone", "language", "why")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    def fields(self):
        return (self.kind, self.day, self.mode, round(self.due), self.time_zone, self.language)


def plan_of(ev, participant_zone, language, days, now):
    """({reminder_id: PlannedKey}, [day reminder ids left out as repeats])
    for one registration. days: [(date, mode, status)] with mode
    "in_person"/"online", status "confirmed", "waitlisted" or "cancelled"."""
    out, repeats = {}, []
    if ev.cancelled:
        return out, repeats
    confirmed = sorted((d, m) for d, m, s in days if s == "confirmed" and d in ev.dates())
    if not confirmed:
        return out, repeats
    zone = participant_zone or ev.zone
    lang = language_of(language)
    first, first_mode = confirmed[0]
    if first == ev.start.date().isoformat():
        opening, why = instant(ev.zone, ev.start), "opening"
    else:
        opening, why = ev.day_start(first, first_mode)
    event_dues = set()
    for o in ev.before_event:
        due = opening - o
        if due <= now:
            continue
        event_dues.add(round(due))
        rid = f"event-{iso_duration(o)}"
        out[rid] = PlannedKey(reminder_id=rid, kind="event", day=first, mode=first_mode, due=due,
                              time_zone=zone, language=lang, why=why)
    for d, m in confirmed:
        starts, why = ev.day_start(d, m)
        for o in ev.before_each_day:
            due = starts - o
            if due <= now:
                continue
            if d == first and round(due) in event_dues:
                repeats.append(f"day-{d}-{iso_duration(o)}")
                continue
            rid = f"day-{d}-{iso_duration(o)}"
            out[rid] = PlannedKey(reminder_id=rid, kind="day", day=d, mode=m, due=due,
                                  time_zone=zone, language=lang, why=why)
    return out, repeats


def crosses_clock_change(zone, due, starts):
    """Whether the zone's UTC offset differs between the due instant and
    the start: a reminder whose lead in wall-clock time is not its offset."""
    tz = _zi.ZoneInfo(zone)
    return (_dt.datetime.fromtimestamp(due, tz).utcoffset() !=
            _dt.datetime.fromtimestamp(starts, tz).utcoffset())


def english_lead(offset, starts, reader_zone):
    """How an English reminder says `offset` before `starts` to someone on
    `reader_zone`'s clock (README, Texts): whole days counted on their own
    dates ("tomorrow", "in 2 days"), in hours when a clock change makes those
    days span another number of dates, else hours or minutes."""
    tz = _zi.ZoneInfo(reader_zone)
    days = (_dt.datetime.fromtimestamp(starts, tz).date() -
            _dt.datetime.fromtimestamp(starts - offset, tz).date()).days
    if offset % 86400 == 0 and days == offset // 86400:
        return "tomorrow" if days == 1 else f"in {days} days"
    if offset % 3600 == 0:
        n = offset // 3600
        return f"in {n} hour" + ("" if n == 1 else "s")
    n = offset // 60
    return f"in {n} minute" + ("" if n == 1 else "s")


def english_clock(starts, venue_zone, reader_zone):
    """What an English reminder must show of the start: the venue's HH:MM,
    and the reader's with their zone in parentheses when it is another one."""
    venue = _dt.datetime.fromtimestamp(starts, _zi.ZoneInfo(venue_zone)).strftime("%H:%M")
    parts = [venue]
    if reader_zone != venue_zone:
        theirs = _dt.datetime.fromtimestamp(starts, _zi.ZoneInfo(reader_zone)).strftime("%H:%M")
        parts += [f"({theirs} ", f"your time, {reader_zone})"]
    return parts
