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
