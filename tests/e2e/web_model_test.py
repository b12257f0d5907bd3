"""Model-based test of convene-web's JSON: what the organisers' pages show
against an independent tally.

A private redis-server, convened with authentication on, and convene-web in
front of it, signed in over plain HTTP with an organiser's (admin) token.
Seeded random sequences, each on a fresh multi-day event (2-3 days, hybrid
mostly, in a zone drawn from several, small capacities so that waitlists
form, walk-ins on or off) whose second day is today on the venue's clock,
the day the desk works on. Steps: Register (all days or per day, cities
and organisations drawn from a pool), ChangeMode, CancelRegistration,
CheckIn and CheckOut through the gRPC API (any day, room and online, with
an occurred_time inside the day's window) and check-ins through the page's
own desk endpoint (POST /api/events/ID/checkin, today, room or online,
with a mode change or as a walk-in), the way staff at the door use it.

After every step the oracle of attendance_oracle.py (AttendanceModel for
what each call does, expected_counts for the tally) is compared with:
- GET /api/events/ID/counts (every day's registered / waitlisted / checked
  in per mode, unique headcount, per city and per organisation),
- the live page's stream (GET /api/events/ID/stream, one connection for the
  whole sequence): its latest counts must reach the tally within 3 s,
- GET /api/events/ID/people?q= (the desk search) for a query drawn from the
  names and ids: who it finds (registrations not cancelled, name or id
  containing the query, case and accents aside, in registration order) and
  each one's days, with no e-mail address.
The registrations are the model's own, never read back from the server.

Environment: CONVENE_WEB_MODEL_SEED=N reproduces a run (the seed is printed
first); CONVENE_WEB_MODEL_SECONDS=S bounds it (default 60).
"""
import collections
import datetime
import http.client
import http.cookiejar
import json
import os
import random
import re
import signal
import subprocess
import tempfile
import threading
import time
import unicodedata
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

import grpc
from google.protobuf import json_format, timestamp_pb2

from convene_e2e import BUILD_DIR, start_authenticating_convened, unary
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2

import attendance_oracle as O

A = attendance_pb2
K = calendar_pb2
WEB = os.path.join(BUILD_DIR, "clients", "web", "convene-web")

ZONES = ["Europe/Athens", "Europe/Rome", "Europe/Brussels", "Europe/Sofia", "America/New_York",
         "Pacific/Auckland", "Asia/Tokyo"]
CITIES = ["Thessaloniki", "Torino", "Gent", "Utrecht", "Θεσσαλονίκη", "София", ""]
ORGS = ["Municipality of Thessaloniki", "Città di Torino", "Stad Gent", "", "Gemeente Utrecht"]
NAMES = ["Giulia Rossi", "Daan de Vries", "Ελένη Παπαδοπούλου", "Иван Петров", "Amélie Dubois",
         "Jan Peeters", "Marco Bianchi", "Σοφία Νικολάου", "Мария Иванова", "Lotte Jansen",
         "Anna-Lena Müller", "Nikos Papadopoulos"]
MAX_SEARCH_RESULTS = 30


def fold(text):
    """The desk search's comparison, stated independently: lower case,
    accents dropped, Greek final sigma as sigma."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().replace("ς", "σ")


def ts(ms):
    return timestamp_pb2.Timestamp(seconds=ms // 1000, nanos=(ms % 1000) * 1_000_000)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Mismatch(AssertionError):
    pass


class LiveStream:
    """The live page's stream, read on a thread: the latest counts frame."""

    def __init__(self, port, cookie, event_id):
        # The previous sequence's stream keeps its place until convene-web
        # notices it closed (its next write, within 5 s).
        deadline = time.monotonic() + 15
        while True:
            self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            self.conn.request("GET", f"/api/events/{event_id}/stream", headers={"Cookie": cookie})
            self.reply = self.conn.getresponse()
            if self.reply.status != 503 or time.monotonic() > deadline:
                break
            self.reply.read()
            self.conn.close()
            time.sleep(0.5)
        if self.reply.status != 200:
            raise Mismatch(f"stream: HTTP {self.reply.status} {self.reply.read()[:200]!r}")
        self.lock = threading.Lock()
        self.latest = None
        self.ended = None
        self.frames = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        kind = None
        try:
            while True:
                line = self.reply.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    with self.lock:
                        if kind == "counts":
                            self.latest = line[6:]
                            self.frames += 1
                        else:
                            self.ended = (kind, line[6:])
                elif not line:
                    kind = None
        except Exception as e:  # closed under the reader by close()
            with self.lock:
                self.ended = self.ended or ("closed", repr(e))

    def snapshot(self):
        with self.lock:
            return self.latest, self.ended

    def close(self):
        try:
            self.conn.sock and self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()
        self.thread.join(5)


class WebModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = start_authenticating_convened(cls)
        log = tempfile.NamedTemporaryFile(prefix="convene-web-", suffix=".log", delete=False)
        cls.web = subprocess.Popen([WEB, "--listen=127.0.0.1:0", "--server=" + cls.server.target,
                                    "--log_requests=false"],
                                   stdout=subprocess.PIPE, stderr=log, text=True)
        cls.addClassCleanup(cls.stop_web, log)
        deadline = time.monotonic() + 20
        cls.port = None
        while time.monotonic() < deadline and cls.port is None:
            line = cls.web.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                cls.port = int(m.group(1))
        if cls.port is None:
            raise RuntimeError("convene-web did not report its port")
        cls.base = f"http://127.0.0.1:{cls.port}"
        cls.sign_in()

    @classmethod
    def stop_web(cls, log):
        if cls.web.poll() is None:
            cls.web.send_signal(signal.SIGTERM)
        try:
            cls.web.wait(15)
        except subprocess.TimeoutExpired:
            cls.web.kill()
            cls.web.wait(5)
        cls.web.stdout.close()
        log.close()

    @classmethod
    def http(cls, path, data=None, headers=None):
        request = urllib.request.Request(cls.base + path, data=data, headers=headers or {})
        try:
            with cls.opener.open(request, timeout=15) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    @classmethod
    def sign_in(cls):
        cls.jar = http.cookiejar.CookieJar()
        cls.opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(cls.jar))
        _, form = cls.http("/signin")
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', form).group(1)
        status, _ = cls.http("/signin", urllib.parse.urlencode({"token": cls.admin, "csrf": csrf}).encode())
        assert status == 303, status
        _, page = cls.http("/events")
        cls.csrf = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page).group(1)
        cls.cookie = "; ".join(f"{c.name}={c.value}" for c in cls.jar)

    def call(self, method, request, response_type, service="AttendanceService"):
        self.request_n = getattr(self, "request_n", 0) + 1
        if hasattr(request, "request_id") and not request.request_id:
            request.request_id = f"wm-{self.seed}-{self.request_n}"
        try:
            return "OK", unary(self.channel, service, method, request, response_type, timeout=15,
                               metadata=[("authorization", "Bearer " + self.admin)]), ""
        except grpc.RpcError as e:
            return e.code().name, None, e.details()

    # ---- one sequence ---------------------------------------------------------

    def create_event(self, n):
        rng = self.rng
        self.zone = rng.choice(ZONES)
        # The second day is today on the venue's clock: the desk's day.
        today = datetime.datetime.now(zoneinfo.ZoneInfo(self.zone)).date()
        n_days = rng.choice([2, 3])
        first = today - datetime.timedelta(days=1)
        last = first + datetime.timedelta(days=n_days - 1)
        self.today = today.isoformat()
        fmt = rng.choice(["hybrid", "hybrid", "hybrid", "in_person"])
        caps = [0, 1, 2, 2, 3, 4]
        event = K.Event(title=f"Web model {self.seed} {n}", community="CoP1",
                        city=rng.choice(CITIES[:4]), country_code="EL",
                        format=O.FORMAT_TO_PB[fmt], time_zone=self.zone,
                        start_local=f"{first.isoformat()}T00:00", end_local=f"{last.isoformat()}T23:30",
                        allow_walk_ins=rng.random() < 0.7)
        if O.offers(fmt, O.IN_PERSON):
            event.venue.CopyFrom(K.Venue(name="Sala", in_person_capacity=rng.choice(caps)))
        if O.offers(fmt, O.ONLINE):
            event.online.CopyFrom(K.OnlineAccess(platform="Jitsi", join_url="https://meet.example.org/w",
                                                 online_capacity=rng.choice(caps)))
        code, ev, details = self.call("CreateEvent", K.CreateEventRequest(
            request_id=f"wm-{self.seed}-{n}", event=event), K.Event, service="CalendarService")
        self.assertEqual(code, "OK", details)
        self.model = O.AttendanceModel(O.EventInfo(ev, None))
        self.pids = [f"p{n}-{i}" for i in range(rng.randint(6, 12))]
        self.names = {pid: NAMES[i % len(NAMES)] for i, pid in enumerate(self.pids)}
        self.walk_in_n = 0
        self.op = f"CreateEvent {first}..{last} {self.zone} {fmt} caps {ev.venue.in_person_capacity}/" \
                  f"{ev.online.online_capacity} walk-ins {ev.allow_walk_ins}"

    def offered(self):
        return [m for m in O.MODES if self.model.event.offers(m)]

    def person(self, pid):
        rng = self.rng
        return {"participant_id": pid, "display_name": self.names[pid],
                "email": pid + "@example.org", "city": rng.choice(CITIES),
                "organisation": rng.choice(ORGS)}

    def expect(self, outcome, code, details):
        self.coverage[" ".join(self.op.split(" ")[:2 if self.op.startswith(("desk", "CheckIn")) else 1] + [code])] += 1
        if code not in outcome.codes:
            raise Mismatch(f"{self.op}: status expected {sorted(outcome.codes)}, got {code} ({details})")

    def op_register(self):
        rng, m = self.rng, self.model
        free = [p for p in self.pids if p not in m.regs or m.regs[p].status() == O.CANCELLED]
        if not free:
            return self.op_cancel()
        pid = rng.choice(free)
        person = self.person(pid)
        mode = rng.choice(self.offered())
        days = []
        if rng.random() < 0.4:
            days = [(d, rng.choice(self.offered()))
                    for d in rng.sample(m.event.days, rng.randint(1, len(m.event.days)))]
        self.op = f"Register {pid} {mode} days={days or 'all'} city={person['city']!r}"
        req = A.RegisterRequest(event_id=m.event.id, mode=O.MODE_TO_PB[mode],
                                participant=common_pb2.Participant(**person),
                                days=[A.DayMode(date=d, mode=O.MODE_TO_PB[dm]) for d, dm in days])
        outcome = m.register(pid, person, mode, days)
        self.expect(outcome, *self.call("Register", req, A.Registration)[::2])

    def active(self):
        return [p for p, r in self.model.regs.items() if r.status() != O.CANCELLED]

    def op_change_mode(self):
        rng, m = self.rng, self.model
        active = self.active()
        if not active or len(self.offered()) < 2:
            return self.op_register()
        pid = rng.choice(active)
        mode = rng.choice(self.offered())
        live = [d for d, (_, s) in m.regs[pid].days.items() if s != O.CANCELLED]
        days = [(d, rng.choice(self.offered())) for d in rng.sample(live, rng.randint(1, len(live)))] \
            if rng.random() < 0.6 else []
        self.op = f"ChangeMode {pid} {mode} days={days or 'all'}"
        req = A.ChangeModeRequest(event_id=m.event.id, participant_id=pid, mode=O.MODE_TO_PB[mode],
                                  days=[A.DayMode(date=d, mode=O.MODE_TO_PB[dm]) for d, dm in days])
        outcome = m.change_mode(pid, mode, days)
        self.expect(outcome, *self.call("ChangeMode", req, A.Registration)[::2])

    def op_cancel(self):
        rng, m = self.rng, self.model
        active = self.active()
        if not active:
            return self.op_register()
        pid = rng.choice(active)
        dates = rng.sample(list(m.regs[pid].days), 1) if rng.random() < 0.5 else []
        self.op = f"CancelRegistration {pid} dates={dates or 'all'}"
        outcome = m.cancel(pid, dates)
        self.expect(outcome, *self.call("CancelRegistration", A.CancelRegistrationRequest(
            event_id=m.event.id, participant_id=pid, dates=dates, reason="web model"), A.Registration)[::2])

    def inside_window(self, date):
        lo, hi = self.model.event.day_span(date)
        return self.rng.randint(lo, hi - 1)

    def op_api_check_in(self):
        rng, m = self.rng, self.model
        confirmed = [(p, d, md) for p, r in m.regs.items() for d, (md, s) in r.days.items()
                     if s == O.CONFIRMED]
        if confirmed and rng.random() < 0.85:
            pid, day, mode = rng.choice(confirmed)
            if O.ONLINE in self.offered() and rng.random() < 0.25:
                mode = O.ONLINE  # online is open to anyone confirmed that day
        else:
            pid, day, mode = rng.choice(self.pids), rng.choice(m.event.days), rng.choice(self.offered())
        at = self.inside_window(day)
        self.op = f"CheckIn (API) {pid} {day} {mode} at {at}"
        source = A.CHECK_IN_SOURCE_DESK if mode == O.IN_PERSON else A.CHECK_IN_SOURCE_ONLINE_JOIN
        outcome = m.check_in(pid, day, "", mode, None, at)
        self.expect(outcome, *self.call("CheckIn", A.CheckInRequest(
            event_id=m.event.id, participant_id=pid, day=day, mode=O.MODE_TO_PB[mode], source=source,
            occurred_time=ts(at)), A.CheckInRecord)[::2])

    def op_check_out(self):
        rng, m = self.rng, self.model
        joined = [k for k in m.facts.checkins if k[1] == "day" and k[3] == O.ONLINE]
        if not joined:
            return self.op_api_check_in()
        pid, _, day, _ = rng.choice(joined)
        at = self.inside_window(day)
        self.op = f"CheckOut {pid} {day} at {at}"
        outcome = m.check_out(pid, day, "", at)
        self.expect(outcome, *self.call("CheckOut", A.CheckOutRequest(
            event_id=m.event.id, participant_id=pid, day=day, source=A.CHECK_IN_SOURCE_ONLINE_LEAVE,
            occurred_time=ts(at)), A.CheckInRecord)[::2])

    def desk_post(self, fields):
        status, body = self.http(f"/api/events/{self.model.event.id}/checkin",
                                 urllib.parse.urlencode(dict(fields, day=self.today)).encode(),
                                 {"X-CSRF-Token": self.csrf})
        try:
            return status, json.loads(body)
        except ValueError:
            raise Mismatch(f"{self.op}: HTTP {status}, not JSON: {body[:200]!r}")

    def op_desk_check_in(self):
        """Today, at the desk: the page's own endpoint, the server's clock."""
        rng, m = self.rng, self.model
        today = self.today
        # The server's clock, hours inside today's window (the event spans
        # whole days, with the 12 h margin): the fact's time is replaced by
        # the server's own, from its answer.
        now = int(time.time() * 1000)
        if m.event.walk_ins and rng.random() < 0.2:
            self.walk_in_n += 1
            person = {"display_name": rng.choice(NAMES) + f" {self.walk_in_n}",
                      "organisation": rng.choice(ORGS), "city": rng.choice(CITIES)}
            self.op = f"desk walk-in {person}"
            placeholder = f"walk-in-pending-{self.walk_in_n}"
            outcome = m.check_in(placeholder, today, "", O.IN_PERSON,
                                 dict(person, participant_id=placeholder), now, now)
            status, body = self.desk_post({"walk_in": "1", "mode": "in_person", "name": person["display_name"],
                                           "organisation": person["organisation"], "city": person["city"]})
            self.expect(outcome, "OK" if status == 200 else body.get("error", {}).get("code"), body)
            if status == 200:
                # The desk makes the id: the model's placeholder takes it.
                pid = body["participant_id"]
                reg = m.regs.pop(placeholder)
                reg.pid = pid
                m.regs[pid] = reg
                m.meta[pid] = m.meta.pop(placeholder)
                key = (placeholder, "day", today, O.IN_PERSON)
                m.facts.checkins[(pid, "day", today, O.IN_PERSON)] = m.facts.checkins.pop(key)
                self.record_time((pid, "day", today, O.IN_PERSON), body)
            return
        regs = [p for p, r in m.regs.items() if r.status() != O.CANCELLED]
        pid = rng.choice(regs) if regs and rng.random() < 0.9 else rng.choice(self.pids)
        mode = rng.choice(self.offered())
        held = m.regs[pid].days.get(today) if pid in m.regs else None
        change = bool(held and held[1] != O.CANCELLED and held[0] != mode and rng.random() < 0.5)
        self.op = f"desk check-in {pid} {today} {mode}{' changing the mode' if change else ''}"
        if change:
            outcome = m.change_mode(pid, mode, [(today, mode)])
            if not outcome.ok:
                raise Mismatch(f"{self.op}: the model refuses the mode change {outcome.codes}")
        outcome = m.check_in(pid, today, "", mode, None, now, now)
        fields = {"participant_id": pid, "mode": mode}
        if change:
            fields["change_mode"] = "1"
        status, body = self.desk_post(fields)
        self.expect(outcome, "OK" if status == 200 else body.get("error", {}).get("code"), body)
        if status == 200 and not body.get("duplicate"):
            self.record_time((pid, "day", today, mode), body)

    def record_time(self, key, record_json):
        """The desk sends no time: the fact takes the server's, from its answer."""
        record = json_format.ParseDict(record_json, A.CheckInRecord(), ignore_unknown_fields=True)
        self.model.facts.checkins[key]["time"] = O.ts_ms(record, "check_in_time")

    # ---- comparisons -----------------------------------------------------------

    def expected(self):
        m = self.model
        return O.expected_counts(m.event, m.views(), m.facts)

    def web_counts(self):
        status, body = self.http(f"/api/events/{self.model.event.id}/counts")
        if status != 200:
            raise Mismatch(f"after {self.op}: /counts HTTP {status} {body[:300]}")
        return O.counts_to_dict(json_format.Parse(body, A.AttendanceCounts()))

    def compare_counts(self):
        lines = O.diff_counts(self.expected(), self.web_counts())
        if lines:
            raise Mismatch(f"after {self.op}: /counts differs from the tally:\n  " + "\n  ".join(lines))

    def compare_stream(self):
        deadline = time.monotonic() + 3
        while True:
            latest, ended = self.stream.snapshot()
            lines = ["no counts yet"]
            if latest is not None:
                lines = O.diff_counts(self.expected(),
                                      O.counts_to_dict(json_format.Parse(latest, A.AttendanceCounts())))
            if not lines:
                return
            if ended or time.monotonic() > deadline:
                raise Mismatch(f"after {self.op}: the live stream {'ended ' + str(ended) if ended else ''}"
                               f" differs from the tally 3 s later:\n  " + "\n  ".join(lines))
            time.sleep(0.05)

    def compare_search(self):
        rng, m = self.rng, self.model
        pool = [""] + [pid for pid in m.regs] + [r.name for r in m.regs.values() if r.name]
        q = rng.choice(pool)
        if q and rng.random() < 0.7:
            start = rng.randrange(len(q))
            q = q[start:start + rng.randint(2, 6)]
            if rng.random() < 0.5:
                q = q.upper()
        q = q.strip()
        status, body = self.http(f"/api/events/{m.event.id}/people?q={urllib.parse.quote(q)}")
        if status != 200:
            raise Mismatch(f"after {self.op}: /people?q={q!r} HTTP {status} {body[:300]}")
        data = json.loads(body)
        flags = {k: data.pop(k) for k in ("searched_all", "searched", "more_matches")}
        found = json_format.ParseDict(data, A.ListRegistrationsResponse())
        views = m.views()
        want = [pid for pid in m.order() if views[pid]["status"] != O.CANCELLED and
                (not q or fold(q) in fold(views[pid]["name"]) or fold(q) in fold(pid))]
        got = [r.participant.participant_id for r in found.registrations]
        lines = []
        if got != want[:MAX_SEARCH_RESULTS]:
            lines.append(f"found {got}, expected {want[:MAX_SEARCH_RESULTS]}")
        if flags["more_matches"] != (len(want) > MAX_SEARCH_RESULTS) or not flags["searched_all"]:
            lines.append(f"flags {flags} for {len(want)} matches")
        for r in found.registrations:
            v = O.view_from_proto(r)
            e = views.get(v["pid"])
            if v["email"]:
                lines.append(f"{v['pid']}: e-mail address shown at the desk")
            if e is not None:
                for k in ("name", "city", "org", "status", "walk_in", "days"):
                    if e[k] != v[k]:
                        lines.append(f"{v['pid']}.{k}: expected {e[k]!r}, got {v[k]!r}")
        if lines:
            raise Mismatch(f"after {self.op}: desk search {q!r}:\n  " + "\n  ".join(lines))

    def compare(self):
        self.compare_counts()
        self.compare_stream()
        self.compare_search()

    # ---- the run -------------------------------------------------------------------

    def test_web_json_follows_the_tally(self):
        self.seed = int(os.environ.get("CONVENE_WEB_MODEL_SEED", random.randrange(1 << 30)))
        budget = float(os.environ.get("CONVENE_WEB_MODEL_SECONDS", "60"))
        print(f"web_model_test: seed {self.seed} (CONVENE_WEB_MODEL_SEED={self.seed} to repeat)", flush=True)
        self.rng = random.Random(self.seed)
        deadline = time.monotonic() + budget
        ops = [(self.op_register, 30), (self.op_change_mode, 10), (self.op_cancel, 10),
               (self.op_api_check_in, 20), (self.op_check_out, 6), (self.op_desk_check_in, 24)]
        sequences = steps = 0
        self.coverage = collections.Counter()
        for n in range(1, 41):
            if time.monotonic() > deadline:
                break
            self.create_event(n)
            self.stream = LiveStream(self.port, self.cookie, self.model.event.id)
            try:
                self.compare()
                for _ in range(self.rng.randint(20, 40)):
                    if time.monotonic() > deadline:
                        break
                    self.rng.choices([f for f, _ in ops], [w for _, w in ops])[0]()
                    steps += 1
                    self.compare()
            except Mismatch as e:
                raise Mismatch(f"seed {self.seed}, sequence {n} ({self.zone}, today {self.today}): {e}")
            finally:
                self.stream.close()
            sequences += 1
        print(f"web_model_test: {sequences} sequences, {steps} steps, all matched; calls: "
              + ", ".join(f"{k}: {v}" for k, v in sorted(self.coverage.items())), flush=True)
        self.assertGreater(steps, 20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
