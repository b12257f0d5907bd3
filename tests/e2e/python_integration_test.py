"""End to end: the Python calendar integration (clients/python/
convene_calendar_sync.py) run as a program against the real convened over a
private redis-server, with authentication on as in the README's run command:
the program sends an integration token (--auth_token_file, or
$CONVENE_TOKEN), the test's own calls an admin token. It syncs CONNECTION
events into an .ics file in full once, then incrementally from its saved
sync token; the file is parsed with Debian's python3-icalendar (a parser
nobody here wrote) and compared with the server's own full export. Expired
sync tokens, and those of another deployment or of a wiped Redis, resync in
full; strings that are no sync token are a clear error, UNAVAILABLE is retried, --watch follows changes; random edits synced
incrementally, across a restart of convened, give what a full export and a
fresh full sync give (CONVENE_SYNC_SEED picks the seed); a missing, unknown
or underprivileged bearer token is one clear line naming --auth_token_file
and CONVENE_TOKEN, and no bearer token ever shows in the program's output.
Every wait is bounded."""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
import icalendar  # Debian's python3-icalendar

from convene_e2e import BUILD_DIR, RedisCluster, RedisServer, position_token, unary, wait_until
from convene.v1 import calendar_pb2, common_pb2
from google.protobuf import field_mask_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
SYNC = os.path.normpath(os.path.join(HERE, "..", "..", "clients", "python", "convene_calendar_sync.py"))
PYTHON_PATH = os.path.join(BUILD_DIR, "python")
UTC = datetime.timezone.utc
CHANGES_STREAM = "cv:{cal}:changes"  # services/storage/keys.h


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------ events
# CONNECTION meetings; dates from the project's calendar, hours and venues
# illustrative.

def brussels_interim_meeting():
    return calendar_pb2.Event(
        title="CONNECTION interim meeting", kind=calendar_pb2.EVENT_KIND_MEETING,
        community="CONNECTION", organisers=["Eurocities"], city="Brussels", country_code="BE",
        format=common_pb2.EVENT_FORMAT_HYBRID, time_zone="Europe/Brussels",
        start_local="2021-09-13T09:00", end_local="2021-09-14T17:30",
        description="Partners' progress; Zeitplan, \\ étapes; Ελληνικά / български",
        venue=calendar_pb2.Venue(name="Eurocities", address="Square de Meeûs 1", city="Brussels",
                                 in_person_capacity=40),
        online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/connection-interim",
                                         online_capacity=100))


def turin_workshop():
    return calendar_pb2.Event(
        title="CONNECTION workshop in Turin", kind=calendar_pb2.EVENT_KIND_WORKSHOP,
        community="CoP2", city="Torino", country_code="IT", format=common_pb2.EVENT_FORMAT_HYBRID,
        time_zone="Europe/Rome", start_local="2021-10-11T09:30", end_local="2021-10-11T17:00",
        venue=calendar_pb2.Venue(name="Palazzo Civico", address="Piazza Palazzo di Città 1",
                                 city="Torino", in_person_capacity=30),
        online=calendar_pb2.OnlineAccess(platform="Jitsi", join_url="https://meet.example.org/cop2-turin"),
        sessions=[calendar_pb2.Session(title="Welcome by the City of Turin",
                                       start_local="2021-10-11T09:30", end_local="2021-10-11T13:00"),
                  calendar_pb2.Session(title="Visit to a reception centre",
                                       start_local="2021-10-11T14:30", end_local="2021-10-11T17:00",
                                       format=common_pb2.EVENT_FORMAT_IN_PERSON)])


def thessaloniki_workshop():
    return calendar_pb2.Event(
        title="CoP1 3rd workshop", kind=calendar_pb2.EVENT_KIND_WORKSHOP, community="CoP1",
        city="Thessaloniki", country_code="EL", format=common_pb2.EVENT_FORMAT_HYBRID,
        time_zone="Europe/Athens", start_local="2022-03-15T09:00", end_local="2022-03-17T17:30",
        venue=calendar_pb2.Venue(name="Thessaloniki City Hall", in_person_capacity=25),
        online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/cop1-3"))


# ------------------------------------------------------------------ processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Convened:
    """services/convened/convened with authentication on (its default, as in
    the README's run command) and its log (one line per RPC, on stderr) kept
    in a file, so a test can see which RPCs a client made."""

    def __init__(self, redis_address, log_path, port=0):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD_DIR, "services", "convened", "convened"),
             f"--listen=127.0.0.1:{port}", "--redis=" + redis_address],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.stop()
            raise RuntimeError("convened did not report its port")
        self.target = f"127.0.0.1:{self.port}"

    def log_size(self):
        return os.path.getsize(self.log_path)

    def rpcs_since(self, offset):
        """CalendarService methods named in the log after byte offset."""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        return re.findall(r"convene\.v1\.CalendarService/(\w+)", text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(15)
        self.proc.stdout.close()
        self.log.close()


def bootstrap_token(redis_address, role):
    """A new token of `role` for every event, made as an operator makes the
    first one (convene-admin prints the secret alone on stdout)."""
    done = subprocess.run([os.path.join(BUILD_DIR, "services", "admin", "convene-admin"),
                           "bootstrap-token", "--redis=" + redis_address, "--role=" + role,
                           "--name=python_integration_test " + role, "--ttl=1h"],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"convene-admin bootstrap-token --role={role}: {done.stderr.strip()}")
    token = done.stdout.strip()
    if not token.startswith("cvt_"):
        raise RuntimeError(f"convene-admin bootstrap-token --role={role} printed no token")
    return token


def redis_command(redis, *args):
    """One command through redis-cli (following MOVED on a cluster); its
    reply as text."""
    return subprocess.run(["redis-cli", *redis.cli_target(), *map(str, args)],
                          capture_output=True, text=True, timeout=10).stdout.strip()


# ------------------------------------------------------------------ iCalendar

def read_calendar(path):
    with open(path, "rb") as f:
        data = f.read()
    return data, icalendar.Calendar.from_ical(data)


def vevents_by_uid(cal):
    return {str(c["UID"]): c for c in cal.walk("VEVENT")}


def comparable(cal):
    """What must agree between two exports of the same events: every VEVENT
    property but DTSTAMP (the export instant), and every zone's observances."""
    events = {}
    for c in cal.walk("VEVENT"):
        events[str(c["UID"])] = sorted((k, c[k].to_ical() if hasattr(c[k], "to_ical") else str(c[k]))
                                       for k in c if k != "DTSTAMP")
    zones = {}
    for tz in cal.walk("VTIMEZONE"):
        zones[str(tz["TZID"])] = sorted(
            (sub.name, sub["DTSTART"].to_ical(), sub["TZOFFSETFROM"].to_ical(), sub["TZOFFSETTO"].to_ical())
            for sub in tz.subcomponents)
    return events, zones


def instant(vevent, name="DTSTART"):
    return vevent.decoded(name).astimezone(UTC)


# ------------------------------------------------------------------ the test

class PythonIntegrationTest(unittest.TestCase):
    def setUp(self):
        # Cleanups, not tearDown: they also run when setUp fails half-way
        # (no orphaned convened or redis-server). They run last-in first-out.
        self.dir = tempfile.mkdtemp(prefix="convene-e2e-pysync-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.redis = RedisServer()
        self.addCleanup(self.redis.cleanup)
        self.redis.start()
        self.server = Convened(self.redis.address, os.path.join(self.dir, "convened.log"))
        self.addCleanup(self.server.stop)
        self.extra = []
        self.addCleanup(lambda: [p.stop() for p in self.extra])
        self.channel = grpc.insecure_channel(self.server.target)
        self.addCleanup(self.channel.close)
        self.ics = os.path.join(self.dir, "connection.ics")
        self.state = os.path.join(self.dir, "connection.state.json")
        # The test's own calls create, move and cancel events: admin. The
        # program under test reads: an integration token, as a deployment
        # would give it, in a file only its owner can read.
        self.admin_token = bootstrap_token(self.redis.address, "admin")
        self.token = bootstrap_token(self.redis.address, "integration")
        self.token_file = os.path.join(self.dir, "integration-token")
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.token + "\n")
        # Every bearer token made; none may ever show in the program's output.
        self.secrets = [self.admin_token, self.token]

    # -- calls made by the test itself, with the shared generic helper
    def call(self, method, request, response_type):
        return unary(self.channel, "CalendarService", method, request, response_type,
                     metadata=[("authorization", "Bearer " + self.admin_token)])

    def create(self, request_id, event):
        return self.call("CreateEvent", calendar_pb2.CreateEventRequest(request_id=request_id, event=event),
                         calendar_pb2.Event)

    def server_export(self):
        reply = self.call("ExportICalendar", calendar_pb2.ExportICalendarRequest(include_cancelled=True),
                          calendar_pb2.ExportICalendarResponse)
        return icalendar.Calendar.from_ical(reply.calendar)

    def feed_head(self):
        """The newest change's token (ListEvents reads it with its page)."""
        return self.call("ListEvents", calendar_pb2.ListEventsRequest(page_size=1),
                         calendar_pb2.ListEventsResponse).sync_token

    def ics_bytes(self):
        try:
            with open(self.ics, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def saved_token(self):
        with open(self.state, encoding="utf-8") as f:
            return json.load(f)["sync_token"]

    # -- the program under test
    def sync_command(self, *args, server=None, auth="file"):
        """auth: "file" passes --auth_token_file; "env" and None pass none
        (see sync_env)."""
        token_args = ["--auth_token_file", self.token_file] if auth == "file" else []
        return [sys.executable, "-u", SYNC, "--server", server or self.server.target,
                "--ics", self.ics, "--state", self.state, "--python_path", PYTHON_PATH,
                *token_args, *args]

    def sync_env(self, auth="file", env_token=None):
        """The program's environment: never the caller's $CONVENE_TOKEN; the
        integration token in it with auth="env" (or env_token)."""
        env = {k: v for k, v in os.environ.items() if k != "CONVENE_TOKEN"}
        if auth == "env":
            env["CONVENE_TOKEN"] = self.token if env_token is None else env_token
        return env

    def assert_no_secret(self, *outputs):
        for text in outputs:
            for secret in self.secrets:
                self.assertNotIn(secret, text or "", "a bearer token in the program's output")
                # Not even its random part (the server logs token ids, not secrets).
                self.assertNotIn(secret[4:20], text or "", "part of a bearer token in the output")

    def run_sync(self, *args, expect=0, server=None, timeout=60, auth="file", env_token=None):
        done = subprocess.run(self.sync_command(*args, server=server, auth=auth), capture_output=True,
                              text=True, timeout=timeout, env=self.sync_env(auth, env_token))
        self.assertEqual(done.returncode, expect,
                         f"exit code; stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
        if expect == 0:
            self.assertEqual(done.stderr, "", "nothing on stderr on success")
        self.assert_no_secret(done.stdout, done.stderr)
        return done

    def assert_one_error_line(self, done, pattern):
        lines = done.stderr.splitlines()
        self.assertEqual(len(lines), 1, done.stderr)
        self.assertRegex(lines[0], r"^convene_calendar_sync: error: " + pattern)
        return lines[0]

    def assert_file_matches_server_export(self):
        """The incrementally kept file says what a full export says now."""
        _, cal = read_calendar(self.ics)
        self.assertEqual(comparable(cal), comparable(self.server_export()))

    def first_sync(self):
        brussels = self.create("connection-interim-brussels-2021", brussels_interim_meeting())
        turin = self.create("connection-cop2-turin-2021", turin_workshop())
        done = self.run_sync("--once")
        self.assertIn("full sync (no saved state): 2 events (3 VEVENTs)", done.stdout)
        return brussels, turin

    # ---------------------------------------------------------------- cases

    def test_full_then_incremental_sync_keeps_the_ics_current(self):
        offset = self.server.log_size()
        brussels, turin = self.first_sync()
        self.assertIn("ListEvents", self.server.rpcs_since(offset))

        data, cal = read_calendar(self.ics)
        self.assertTrue(data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n"))
        self.assertEqual(len(list(cal.walk("VCALENDAR"))), 1)
        self.assertEqual({str(z["TZID"]) for z in cal.walk("VTIMEZONE")}, {"Europe/Brussels", "Europe/Rome"})
        vevents = vevents_by_uid(cal)
        b_uid, t1_uid, t2_uid = (f"{brussels.id}@convene", f"s1.{turin.id}@convene",
                                 f"s2.{turin.id}@convene")
        self.assertEqual(set(vevents), {b_uid, t1_uid, t2_uid})
        # 09:00 in Brussels and 09:30 in Turin, summer time (UTC+2).
        self.assertEqual(instant(vevents[b_uid]), utc(2021, 9, 13, 7, 0))
        self.assertEqual(instant(vevents[b_uid], "DTEND"), utc(2021, 9, 14, 15, 30))
        self.assertEqual(str(vevents[b_uid]["DTSTART"].params["TZID"]), "Europe/Brussels")
        self.assertEqual(instant(vevents[t1_uid]), utc(2021, 10, 11, 7, 30))
        self.assertEqual(instant(vevents[t2_uid]), utc(2021, 10, 11, 12, 30))
        self.assertEqual(int(instant(vevents[b_uid]).timestamp()), brussels.start_time.seconds)
        self.assertEqual(int(instant(vevents[t2_uid]).timestamp()), turin.sessions[1].start_time.seconds)
        self.assertIn("Ελληνικά / български", str(vevents[b_uid]["DESCRIPTION"]))
        for v in vevents.values():
            self.assertEqual(str(v["STATUS"]), "CONFIRMED")
        self.assert_file_matches_server_export()
        first_token = self.saved_token()
        self.assertEqual(first_token, self.feed_head())

        # Move the Brussels meeting an hour later, cancel Turin, add Thessaloniki.
        moved = calendar_pb2.Event(id=brussels.id, start_local="2021-09-13T10:00")
        self.call("UpdateEvent", calendar_pb2.UpdateEventRequest(
            event=moved, update_mask=field_mask_pb2.FieldMask(paths=["start_local"]),
            expected_revision=brussels.revision), calendar_pb2.Event)
        self.call("CancelEvent", calendar_pb2.CancelEventRequest(event_id=turin.id, reason="held online instead"),
                  calendar_pb2.Event)
        thessaloniki = self.create("cop1-3-thessaloniki", thessaloniki_workshop())

        offset = self.server.log_size()
        done = self.run_sync("--once")
        self.assertIn("incremental sync: applied 3 changes (1 cancelled, 1 created, 1 updated)", done.stdout)
        self.assertIn(f"sync token {first_token} -> ", done.stdout)
        self.assertNotIn("full sync", done.stdout)
        # The server logs an RPC as it completes: give the last line a moment.
        wait_until(lambda: self.server.rpcs_since(offset).count("ExportICalendar") >= 3, 5)
        rpcs = self.server.rpcs_since(offset)
        self.assertIn("ListEventChanges", rpcs)
        self.assertNotIn("ListEvents", rpcs, "an incremental run lists no events")
        # One export per changed event, none for the others.
        self.assertEqual(rpcs.count("ExportICalendar"), 3)
        second_token = self.saved_token()
        self.assertNotEqual(second_token, first_token)
        self.assertEqual(second_token, self.feed_head())

        _, cal = read_calendar(self.ics)
        vevents = vevents_by_uid(cal)
        th_uid = f"{thessaloniki.id}@convene"
        self.assertEqual(set(vevents), {b_uid, t1_uid, t2_uid, th_uid})
        self.assertEqual(instant(vevents[b_uid]), utc(2021, 9, 13, 8, 0))
        self.assertEqual(int(vevents[b_uid]["SEQUENCE"]), 1)
        for uid in (t1_uid, t2_uid):  # cancelled, still there, still at its time
            self.assertEqual(str(vevents[uid]["STATUS"]), "CANCELLED")
            self.assertIn("held online instead", str(vevents[uid]["DESCRIPTION"]))
        self.assertEqual(instant(vevents[t1_uid]), utc(2021, 10, 11, 7, 30))
        self.assertEqual(instant(vevents[th_uid]), utc(2022, 3, 15, 7, 0))  # EET, UTC+2
        self.assertEqual({str(z["TZID"]) for z in cal.walk("VTIMEZONE")},
                         {"Europe/Athens", "Europe/Brussels", "Europe/Rome"})
        self.assert_file_matches_server_export()

        # Nothing changed: nothing rewritten, same token.
        before = os.stat(self.ics).st_mtime_ns
        done = self.run_sync("--once")
        self.assertIn("applied 0 changes", done.stdout)
        self.assertEqual(self.saved_token(), second_token)
        self.assertEqual(os.stat(self.ics).st_mtime_ns, before)

        # Following the feed from its beginning again (the token a client
        # holds that listed the calendar before its first change): every
        # change is one the state already holds (revisions tell).
        done = self.run_sync("--once", "--sync_token", position_token("", "0-0"))
        self.assertIn("applied 0 changes, skipped 5 already applied", done.stdout)
        self.assert_file_matches_server_export()

    def test_an_event_whose_export_fails_does_not_stop_the_others(self):
        """One event whose export is refused (OUT_OF_RANGE: 200 sessions each
        repeating a 5,000-character description in 4-byte characters pass
        the 3 MiB answer bound) stopped the whole round: no other event
        synced, and the sync token never moved, round after round. The rest
        sync; the event is named on stderr with the server's reason, keeps
        its previous version in the file, is exported again next round
        though the feed has nothing new for it, and syncs once it is fixed."""
        brussels, turin = self.first_sync()
        day = "2021-10-11"
        big = calendar_pb2.Event(
            id=turin.id, description="\U0001F5D3" * 5000,
            sessions=[calendar_pb2.Session(title=f"Table {i}",
                                           start_local=f"{day}T{10 + i * 2 // 60:02d}:{i * 2 % 60:02d}",
                                           end_local=f"{day}T{10 + i * 2 // 60:02d}:{i * 2 % 60 + 1:02d}")
                      for i in range(200)])
        grown = self.call("UpdateEvent", calendar_pb2.UpdateEventRequest(
            event=big, update_mask=field_mask_pb2.FieldMask(paths=["description", "sessions"]),
            expected_revision=turin.revision), calendar_pb2.Event)
        with self.assertRaises(grpc.RpcError) as refused:
            self.call("ExportICalendar", calendar_pb2.ExportICalendarRequest(event_id=turin.id),
                      calendar_pb2.ExportICalendarResponse)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.OUT_OF_RANGE)
        renamed = self.call("UpdateEvent", calendar_pb2.UpdateEventRequest(
            event=calendar_pb2.Event(id=brussels.id, title="CONNECTION interim meeting (hybrid)"),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
            expected_revision=brussels.revision), calendar_pb2.Event)

        def vevents():
            return vevents_by_uid(read_calendar(self.ics)[1])

        for round_ in range(2):
            offset = self.server.log_size()
            done = self.run_sync("--once", expect=3)
            self.assertIn("incremental sync", done.stdout)
            self.assertIn(f"1 event not synced ({turin.id})", done.stdout)
            lines = done.stderr.splitlines()
            self.assertEqual(len(lines), 1, done.stderr)
            self.assertRegex(lines[0], rf"^convene_calendar_sync: warning: event {turin.id} .*"
                             rf"revision {grown.revision}\) not synced: ExportICalendar failed with "
                             r"OUT_OF_RANGE: .*; .* keeps its revision 1; retried next round$")
            self.assertEqual(self.saved_token(), self.feed_head())
            now = vevents()
            self.assertEqual(str(now[f"{brussels.id}@convene"]["SUMMARY"]),
                             "CONNECTION interim meeting (hybrid)", f"round {round_}")
            # Turin as it was last synced: its two sessions, revision 1.
            self.assertEqual({u for u in now if turin.id in u},
                             {f"s1.{turin.id}@convene", f"s2.{turin.id}@convene"})
            self.assertEqual(int(now[f"s1.{turin.id}@convene"]["SEQUENCE"]), 0)
            # Exported again in the second round, with nothing new in the feed.
            wait_until(lambda: "ExportICalendar" in self.server.rpcs_since(offset), 5)
            self.assertIn("ExportICalendar", self.server.rpcs_since(offset))
        # A full resync meanwhile syncs the rest too, and keeps Turin as it was.
        done = self.run_sync("--once", "--full", expect=3)
        self.assertIn("full sync (requested): 2 events", done.stdout)
        self.assertIn(turin.id, done.stderr)
        self.assertEqual(int(vevents()[f"s1.{turin.id}@convene"]["SEQUENCE"]), 0)

        fixed = self.call("UpdateEvent", calendar_pb2.UpdateEventRequest(
            event=calendar_pb2.Event(id=turin.id, description="Tables with the city's partners"),
            update_mask=field_mask_pb2.FieldMask(paths=["description"]),
            expected_revision=grown.revision), calendar_pb2.Event)
        done = self.run_sync("--once")
        self.assertNotIn("not synced", done.stdout)
        now = vevents()
        self.assertEqual(len([u for u in now if turin.id in u and str(now[u]["STATUS"]) != "CANCELLED"]), 200)
        self.assertEqual(int(now[f"s1.{turin.id}@convene"]["SEQUENCE"]), fixed.revision - 1)
        self.assert_file_matches_server_export()
        with open(self.state, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["pending"], {})

    def test_an_expired_token_resyncs_in_full(self):
        brussels, _ = self.first_sync()
        old_token = self.saved_token()
        self.call("CancelEvent", calendar_pb2.CancelEventRequest(event_id=brussels.id, reason="postponed"),
                  calendar_pb2.Event)
        self.create("cop1-3-thessaloniki", thessaloniki_workshop())
        # The feed keeps about 100,000 changes; drop all but the newest, so
        # the saved token lies before the kept history.
        self.assertEqual(redis_command(self.redis, "XTRIM", CHANGES_STREAM, "MAXLEN", "1"), "3")
        with self.assertRaises(grpc.RpcError) as e:
            self.call("ListEventChanges", calendar_pb2.ListEventChangesRequest(sync_token=old_token),
                      calendar_pb2.ListEventChangesResponse)
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

        # This test's runs take the bearer token from $CONVENE_TOKEN.
        offset = self.server.log_size()
        done = self.run_sync("--once", auth="env")
        self.assertRegex(done.stdout, rf"sync token {re.escape(old_token)} expired \(sync_token expired.*\); "
                                      "resyncing in full")
        self.assertIn("full sync (token expired): 3 events (4 VEVENTs)", done.stdout)
        self.assertIn("ListEvents", self.server.rpcs_since(offset))
        self.assertEqual(self.saved_token(), self.feed_head())
        _, cal = read_calendar(self.ics)
        self.assertEqual(str(vevents_by_uid(cal)[f"{brussels.id}@convene"]["STATUS"]), "CANCELLED")
        self.assert_file_matches_server_export()
        # And the new sync token works incrementally.
        done = self.run_sync("--once", auth="env")
        self.assertIn("incremental sync: applied 0 changes", done.stdout)

    def test_a_token_the_server_never_issued_is_a_clear_error(self):
        self.first_sync()
        with open(self.state, encoding="utf-8") as f:
            state = json.load(f)
        state["sync_token"] = "not-a-token"
        with open(self.state, "w", encoding="utf-8") as f:
            json.dump(state, f)
        with open(self.ics, "rb") as f:
            ics_before = f.read()
        with open(self.state, "rb") as f:
            state_before = f.read()

        # The server answers INVALID_ARGUMENT, not FAILED_PRECONDITION: the
        # state is not this calendar's, so the program does not overwrite the
        # file on its own.
        with self.assertRaises(grpc.RpcError) as e:
            self.call("ListEventChanges", calendar_pb2.ListEventChangesRequest(sync_token="not-a-token"),
                      calendar_pb2.ListEventChangesResponse)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        done = self.run_sync("--once", expect=1)
        lines = done.stderr.splitlines()
        self.assertEqual(len(lines), 1, done.stderr)
        self.assertRegex(lines[0], r"^convene_calendar_sync: error: the server rejects sync token "
                                   r"'not-a-token' .*INVALID_ARGUMENT.*--full")
        for path, before in ((self.ics, ics_before), (self.state, state_before)):
            with open(path, "rb") as f:
                self.assertEqual(f.read(), before, f"{path} untouched")

        done = self.run_sync("--once", "--full")
        self.assertIn("full sync (requested): 2 events", done.stdout)
        self.assertEqual(self.saved_token(), self.feed_head())

        # A bare stream id on the command line (the client README once
        # offered "0-0" for the whole feed) is the caller's mistake, not the
        # state file's; "" is the whole feed.
        with open(self.ics, "rb") as f:
            ics_before = f.read()
        with open(self.state, "rb") as f:
            state_before = f.read()
        done = self.run_sync("--once", "--sync_token", "0-0", expect=1)
        self.assert_one_error_line(done, r"the server rejects --sync_token '0-0' \(INVALID_ARGUMENT: .*\): "
                                         r"pass a sync token .* or '' for the whole feed$")
        self.assertNotIn("state", done.stderr)
        for path, before in ((self.ics, ics_before), (self.state, state_before)):
            with open(path, "rb") as f:
                self.assertEqual(f.read(), before, f"{path} untouched")
        done = self.run_sync("--once", "--sync_token", "")
        self.assertIn("applied 0 changes, skipped 2 already applied", done.stdout)

        # A state file that is not JSON: one line too.
        with open(self.state, "w") as f:
            f.write("{")
        done = self.run_sync("--once", expect=1)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn("cannot read state file", done.stderr)

    def test_a_state_from_another_deployment_or_a_wiped_redis_resyncs_in_full(self):
        """A sync token carries its feed's epoch, so a server whose Redis is
        another one (another deployment, or this one wiped) refuses it with
        FAILED_PRECONDITION and the program resyncs in full: the file then
        lists that server's events and none of the old ones."""
        if isinstance(self.redis, RedisCluster):
            self.skipTest("wipes or restores one Redis's data; the standalone run covers it")
        brussels, turin = self.first_sync()
        other_redis = RedisServer()
        self.addCleanup(other_redis.cleanup)
        other_redis.start()
        other = Convened(other_redis.address, os.path.join(self.dir, "other.log"))
        self.extra.append(other)
        other_token = bootstrap_token(other_redis.address, "admin")
        self.secrets.append(other_token)
        other_channel = grpc.insecure_channel(other.target)
        self.addCleanup(other_channel.close)
        athens = unary(other_channel, "CalendarService", "CreateEvent",
                       calendar_pb2.CreateEventRequest(request_id="cop1-3-thessaloniki",
                                                       event=thessaloniki_workshop()),
                       calendar_pb2.Event, metadata=[("authorization", "Bearer " + other_token)])
        with self.assertRaises(grpc.RpcError) as e:
            unary(other_channel, "CalendarService", "ListEventChanges",
                  calendar_pb2.ListEventChangesRequest(sync_token=self.saved_token()),
                  calendar_pb2.ListEventChangesResponse,
                  metadata=[("authorization", "Bearer " + other_token)])
        self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("issued by another Redis", e.exception.details())

        self.token = bootstrap_token(other_redis.address, "integration")
        self.secrets.append(self.token)
        done = self.run_sync("--once", server=other.target, auth="env")
        self.assertIn("issued by another Redis", done.stdout)
        self.assertIn("full sync (token expired): 1 events (1 VEVENTs)", done.stdout)
        _, cal = read_calendar(self.ics)
        self.assertEqual(set(vevents_by_uid(cal)), {f"{athens.id}@convene"})

        # The first deployment's Redis wiped: the same, from the server the
        # file was made from.
        self.token = bootstrap_token(self.redis.address, "integration")
        self.secrets.append(self.token)
        self.run_sync("--once", auth="env")
        _, cal = read_calendar(self.ics)
        self.assertEqual(set(vevents_by_uid(cal)), {f"{brussels.id}@convene", f"s1.{turin.id}@convene",
                                                    f"s2.{turin.id}@convene"})
        redis_command(self.redis, "FLUSHALL")
        self.admin_token = bootstrap_token(self.redis.address, "admin")
        self.token = bootstrap_token(self.redis.address, "integration")
        self.secrets += [self.admin_token, self.token]
        # A round before anything is written again: the calendar is empty,
        # and so is the file; then it follows the new calendar's feed.
        done = self.run_sync("--once", auth="env")
        self.assertIn("issued by another Redis", done.stdout)
        self.assertIn("full sync (token expired): 0 events (0 VEVENTs)", done.stdout)
        _, cal = read_calendar(self.ics)
        self.assertEqual(set(vevents_by_uid(cal)), set(), "events of the wiped calendar in the file")
        again = self.create("cop1-3-thessaloniki", thessaloniki_workshop())
        done = self.run_sync("--once", auth="env")
        self.assertIn("incremental sync: applied 1 changes (1 created)", done.stdout)
        _, cal = read_calendar(self.ics)
        self.assertEqual(set(vevents_by_uid(cal)), {f"{again.id}@convene"})

    def test_a_redis_back_from_an_older_copy_resyncs_in_full(self):
        """Redis comes back from a snapshot older than the client's sync token
        (a restart without the newest writes, or a failover to a replica that
        lagged) and is written to again: the token names a change the feed
        no longer has, so the server refuses it and the program resyncs,
        rather than keep for ever an event the server lost."""
        if isinstance(self.redis, RedisCluster):
            self.skipTest("wipes or restores one Redis's data; the standalone run covers it")
        self.first_sync()
        self.assertEqual(redis_command(self.redis, "SAVE"), "OK")
        lost = self.create("cop1-3-thessaloniki", thessaloniki_workshop())
        self.run_sync("--once")
        self.assertIn(f"{lost.id}@convene", set(vevents_by_uid(read_calendar(self.ics)[1])))
        lost_position = self.saved_token()
        feed_position = self.call("ListChanges", calendar_pb2.ListChangesRequest(page_size=1000),
                                  calendar_pb2.ListChangesResponse).next_position

        self.redis.kill()
        self.redis.start()  # from the snapshot taken before the Thessaloniki workshop

        def serving_again():
            try:
                return self.feed_head() != lost_position
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
                return False
        self.assertTrue(wait_until(serving_again, 20, 0.2))
        with self.assertRaises(grpc.RpcError) as e:
            self.call("GetEvent", calendar_pb2.GetEventRequest(event_id=lost.id), calendar_pb2.Event)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        later = brussels_interim_meeting()
        later.title = "CONNECTION interim meeting (second)"
        later = self.create("connection-interim-brussels-2021-second", later)
        # The feed across services has it too once its relay ran.
        self.assertTrue(wait_until(lambda: self.call(
            "ListChanges", calendar_pb2.ListChangesRequest(event_id=later.id),
            calendar_pb2.ListChangesResponse).changes, 20, 0.1))

        for method, request, response in (
                ("ListEventChanges", calendar_pb2.ListEventChangesRequest(sync_token=lost_position),
                 calendar_pb2.ListEventChangesResponse),
                ("ListChanges", calendar_pb2.ListChangesRequest(position=feed_position),
                 calendar_pb2.ListChangesResponse)):
            with self.assertRaises(grpc.RpcError) as e:
                self.call(method, request, response)
            self.assertEqual(e.exception.code(), grpc.StatusCode.FAILED_PRECONDITION, method)
            self.assertIn("is no longer in this feed", e.exception.details())

        done = self.run_sync("--once")
        self.assertIn("is no longer in this feed", done.stdout)
        self.assertIn("full sync (token expired): 3 events", done.stdout)
        uids = set(vevents_by_uid(read_calendar(self.ics)[1]))
        self.assertNotIn(f"{lost.id}@convene", uids)
        self.assertIn(f"{later.id}@convene", uids)
        self.assert_file_matches_server_export()

    def test_unavailable_is_retried_then_reported_in_one_line(self):
        self.create("connection-interim-brussels-2021", brussels_interim_meeting())
        # Nothing listens on the port yet: the program retries with backoff
        # and succeeds once a server is there.
        port = free_port()
        sync = subprocess.Popen(
            self.sync_command("--once", "--retries", "8", "--backoff", "0.25", server=f"127.0.0.1:{port}"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.sync_env())
        try:
            time.sleep(1.0)
            late = Convened(self.redis.address, os.path.join(self.dir, "late.log"), port=port)
            self.extra.append(late)
            out, err = sync.communicate(timeout=60)
        finally:
            if sync.poll() is None:
                sync.kill()
                sync.wait(10)
        self.assertEqual(sync.returncode, 0, f"stdout:\n{out}\nstderr:\n{err}")
        self.assert_no_secret(out, err)
        self.assertRegex(out, r"ListEvents: UNAVAILABLE \(.*\); retry 1/8 in 0\.25 s")
        self.assertIn("full sync (no saved state): 1 events", out)

        # Nothing ever listens: a few retries, then one line and exit code 1.
        started = time.monotonic()
        done = self.run_sync("--once", "--retries", "2", "--backoff", "0.1",
                             server=f"127.0.0.1:{free_port()}", expect=1, timeout=30)
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual(done.stdout.count("UNAVAILABLE"), 2, done.stdout)
        lines = done.stderr.splitlines()
        self.assertEqual(len(lines), 1, done.stderr)
        self.assertRegex(lines[0], r"^convene_calendar_sync: error: UNAVAILABLE from 127\.0\.0\.1:\d+: ")

    def test_watch_follows_changes_until_stopped(self):
        brussels, turin = self.first_sync()
        # Bounded by --max_rounds.
        done = self.run_sync("--watch", "--interval", "0.1", "--max_rounds", "3")
        self.assertEqual(done.stdout.count("incremental sync: applied 0 changes"), 3, done.stdout)

        watch = subprocess.Popen(self.sync_command("--watch", "--interval", "0.2", "--max_rounds", "300"),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=self.sync_env())
        try:
            token = self.saved_token()
            thessaloniki = self.create("cop1-3-thessaloniki", thessaloniki_workshop())
            uid = f"{thessaloniki.id}@convene".encode()
            self.assertTrue(wait_until(lambda: uid in self.ics_bytes(), 20, interval=0.1),
                            "the watcher wrote the new event")
            # The sync writes the calendar first and its token after it (a
            # crash in between only repeats changes), so the token may lag.
            self.assertTrue(wait_until(lambda: self.saved_token() != token, 20, interval=0.1),
                            "the watcher saved its new position")
            watch.send_signal(signal.SIGTERM)
            out, err = watch.communicate(timeout=20)
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait(10)
        self.assertEqual(watch.returncode, 0, f"stdout:\n{out}\nstderr:\n{err}")
        self.assert_no_secret(out, err)
        self.assertIn("applied 1 changes (1 created)", out)
        self.assertTrue(out.rstrip().endswith("convene_calendar_sync: stopped"), out)
        self.assert_file_matches_server_export()
        leftovers = [n for n in os.listdir(self.dir) if n.endswith(".tmp")]
        self.assertEqual(leftovers, [], "no temporary files left behind")

    def test_watch_outlives_a_server_away_for_longer_than_the_retries(self):
        """Under --watch, a server away for longer than the call retries
        (a restart, a Redis failover) ended the program with exit code 1:
        the integration stopped syncing until someone restarted it. The
        round is reported and the next one runs; the files are untouched
        meanwhile."""
        self.create("connection-interim-brussels-2021", brussels_interim_meeting())
        port = free_port()
        watch = subprocess.Popen(
            self.sync_command("--watch", "--interval", "0.2", "--max_rounds", "300",
                              "--retries", "0", "--timeout", "2", server=f"127.0.0.1:{port}"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.sync_env())
        try:
            time.sleep(1.5)
            self.assertIsNone(watch.poll(), "the watcher is still there")
            self.assertFalse(os.path.exists(self.ics))
            late = Convened(self.redis.address, os.path.join(self.dir, "late.log"), port=port)
            self.extra.append(late)
            self.assertTrue(wait_until(lambda: b"BEGIN:VEVENT" in self.ics_bytes(), 30, interval=0.1),
                            "the watcher synced once the server was there")
            watch.send_signal(signal.SIGTERM)
            out, err = watch.communicate(timeout=20)
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait(10)
        self.assertEqual(watch.returncode, 0, f"stdout:\n{out}\nstderr:\n{err}")
        self.assert_no_secret(out, err)
        self.assertIn("full sync (no saved state): 1 events", out)
        failed = err.splitlines()
        self.assertGreaterEqual(len(failed), 2, err)
        for line in failed:
            self.assertRegex(line, r"^convene_calendar_sync: warning: round \d+ failed: UNAVAILABLE from "
                             r"127\.0\.0\.1:\d+: .*; the files are as they were; next round in 0\.2 s$")
        # A watch whose last round failed says so in its exit code.
        done = self.run_sync("--watch", "--interval", "0.1", "--max_rounds", "2", "--retries", "0",
                             server=f"127.0.0.1:{free_port()}", expect=1)
        self.assertRegex(done.stderr.splitlines()[-1], r"^convene_calendar_sync: error: UNAVAILABLE from ")

    def test_bearer_token_problems_are_one_clear_line(self):
        self.create("connection-interim-brussels-2021", brussels_interim_meeting())

        def wrote_nothing():
            self.assertFalse(os.path.exists(self.ics) or os.path.exists(self.state), "no file written")

        # No token at all (the server runs with authentication on).
        done = self.run_sync("--once", auth=None, expect=1)
        line = self.assert_one_error_line(done, r"UNAUTHENTICATED from 127\.0\.0\.1:\d+ on ListEvents ")
        self.assertIn("the server requires a bearer token", line)
        self.assertIn("--auth_token_file FILE", line)
        self.assertIn("CONVENE_TOKEN", line)
        wrote_nothing()

        # A token the server never issued, from the environment.
        unknown = "cvt_" + "5e" * 32
        self.secrets.append(unknown)
        done = self.run_sync("--once", auth="env", env_token=unknown, expect=1)
        line = self.assert_one_error_line(
            done, r"UNAUTHENTICATED .*the server does not accept the bearer token from \$CONVENE_TOKEN "
                  r"\(unknown, revoked or expired\)")
        self.assertIn("--auth_token_file FILE", line)
        wrote_nothing()

        # A token whose role may list events but not export them.
        checkin = bootstrap_token(self.redis.address, "checkin")
        self.secrets.append(checkin)
        checkin_file = os.path.join(self.dir, "checkin-token")
        with open(checkin_file, "w") as f:
            f.write(checkin + "\n")
        done = self.run_sync("--once", "--auth_token_file", checkin_file, auth=None, expect=1)
        line = self.assert_one_error_line(
            done, rf"PERMISSION_DENIED .* on ExportICalendar \(.*\): the bearer token from "
                  rf"--auth_token_file {re.escape(checkin_file)} may not call ExportICalendar")
        self.assertIn("integration, organizer or admin", line)
        self.assertIn("CONVENE_TOKEN", line)
        wrote_nothing()

        # The file wins over $CONVENE_TOKEN.
        done = self.run_sync("--once", "--auth_token_file", checkin_file, auth="env", expect=1)
        self.assertIn("PERMISSION_DENIED", done.stderr)

        # A missing, an empty and a malformed token file: one line each.
        missing = os.path.join(self.dir, "no-such-token")
        done = self.run_sync("--once", "--auth_token_file", missing, auth=None, expect=1)
        self.assert_one_error_line(done, rf"cannot read --auth_token_file {re.escape(missing)}: "
                                         r"No such file or directory$")
        empty = os.path.join(self.dir, "empty-token")
        open(empty, "w").close()
        done = self.run_sync("--once", "--auth_token_file", empty, auth=None, expect=1)
        self.assert_one_error_line(done, rf"--auth_token_file {re.escape(empty)} is empty")
        bearer = os.path.join(self.dir, "bearer-token")
        with open(bearer, "w") as f:
            f.write("Bearer " + self.token + "\n")
        done = self.run_sync("--once", "--auth_token_file", bearer, auth=None, expect=1)
        self.assert_one_error_line(done, rf"the first line of --auth_token_file {re.escape(bearer)} "
                                         r"is not a bearer token")
        wrote_nothing()

        # A token file with more lines: the first one counts.
        with open(self.token_file, "a") as f:
            f.write("second line, ignored\n")
        done = self.run_sync("--once")
        self.assertIn("full sync (no saved state): 1 events", done.stdout)

    def test_the_sync_token_flag_is_not_the_bearer_token(self):
        # --token was the sync token's flag; everywhere else in Convene it is
        # the bearer token. It is refused (usage error), and its value is
        # not repeated.
        done = self.run_sync("--once", "--token", self.token, expect=2)
        self.assertEqual(done.stderr.splitlines()[-1],
                         "convene_calendar_sync: error: --token was renamed --sync_token (a change-feed "
                         "position); the bearer token goes in --auth_token_file FILE or $CONVENE_TOKEN")
        # A bearer token given as the sync token is refused as well.
        done = self.run_sync("--once", "--sync_token", self.token, expect=2)
        self.assertIn("looks like a bearer token", done.stderr)
        self.assertFalse(os.path.exists(self.ics))

    def test_zones_without_clock_changes_merge_as_one_export_gives_them(self):
        # Istanbul has kept +03 since 2016 and Tokyo JST since 1951: each
        # event's export starts the zone with the offset in force, and the
        # merged file must not stack one such observance per event.
        for n, (zone, day) in enumerate([("Europe/Istanbul", "2021-06-10"), ("Europe/Istanbul", "2022-06-10"),
                                         ("Europe/Istanbul", "2027-06-10"), ("Asia/Tokyo", "2023-03-01"),
                                         ("Asia/Tokyo", "2024-03-01")]):
            self.create(f"no-dst-{n}", calendar_pb2.Event(
                title=f"Partner call {n}", format=common_pb2.EVENT_FORMAT_ONLINE, time_zone=zone,
                start_local=day + "T09:00", end_local=day + "T11:00",
                online=calendar_pb2.OnlineAccess(platform="Zoom", join_url=f"https://meet.example.org/p{n}")))
        self.run_sync("--once")
        _, cal = read_calendar(self.ics)
        self.assertEqual({str(z["TZID"]): len(z.subcomponents) for z in cal.walk("VTIMEZONE")},
                         {"Europe/Istanbul": 1, "Asia/Tokyo": 1})
        self.assert_file_matches_server_export()

    def test_random_edits_synced_incrementally_match_a_full_export(self):
        """Bounded random edits through the API (titles with characters
        iCalendar escapes, sessions added, removed and moved, events moved
        in time and to another zone, whole-event listings, cancellations),
        the client syncing incrementally every few edits and once across a
        server restart: the file always says what a full export says, and
        what a fresh full sync writes."""
        import random
        sys.path.insert(0, os.path.dirname(SYNC))
        import convene_calendar_sync as sync
        seed = int(os.environ.get("CONVENE_SYNC_SEED", "20261207"))
        rng = random.Random(seed)
        # grpcio shares connections between channels to one target, and one
        # the restart broke can keep a new channel waiting for its backoff.
        own_subchannels = [("grpc.use_local_subchannel_pool", 1)]
        modules = sync.load_modules(PYTHON_PATH)
        zones = ["Europe/Brussels", "Europe/Athens", "Europe/Rome", "Europe/Sofia", "Europe/Lisbon",
                 "Europe/Istanbul"]
        texts = ["CoP2 visit, Torino; day 1", "Réunion \\ étape", "Θεσσαλονίκη: εργαστήριο",
                 "Среща, София", "Plenary\nwith a line break", "x" * 70 + "é" * 20]

        def syncer(ics):
            channel = grpc.insecure_channel(self.server.target, options=own_subchannels)
            self.addCleanup(channel.close)
            client = sync.CalendarClient(channel, modules, token=self.admin_token, retries=8,
                                         backoff=0.2)
            return sync.Synchronizer(client, ics, ics + ".state.json", log=lambda m: None)

        def window(day):
            start = datetime.date(2027, 3, 20) + datetime.timedelta(days=day)
            end = start + datetime.timedelta(days=2)
            return start.isoformat() + "T08:00", end.isoformat() + "T18:00"

        def random_sessions(start_local, keep):
            day0 = datetime.date.fromisoformat(start_local[:10])
            sessions = [calendar_pb2.Session(id=s.id, title=s.title, start_local=s.start_local,
                                             end_local=s.end_local)
                        for s in keep if rng.random() < 0.7]
            taken = {s.start_local for s in sessions}
            for _ in range(rng.randrange(0, 3)):
                d = (day0 + datetime.timedelta(days=rng.randrange(3))).isoformat()
                hour = rng.choice([9, 11, 14, 16])
                if f"{d}T{hour:02d}:00" in taken:
                    continue
                taken.add(f"{d}T{hour:02d}:00")
                sessions.append(calendar_pb2.Session(
                    title=rng.choice(texts), start_local=f"{d}T{hour:02d}:00",
                    end_local=f"{d}T{hour + 1:02d}:30"))
            return sessions

        def new_event(n):
            start, end = window(rng.randrange(0, 400))
            event = calendar_pb2.Event(
                title=rng.choice(texts), description=rng.choice(texts),
                format=common_pb2.EVENT_FORMAT_ONLINE, time_zone=rng.choice(zones),
                start_local=start, end_local=end,
                online=calendar_pb2.OnlineAccess(platform="Zoom",
                                                 join_url=f"https://meet.example.org/r{n}"))
            event.sessions.extend(random_sessions(start, []))
            return self.create(f"random-{seed}-{n}", event)

        def edit(event):
            op = rng.choice(["title", "sessions", "sessions", "move", "zone", "unlist", "cancel"])
            update = calendar_pb2.Event(id=event.id)
            if op == "cancel":
                self.call("CancelEvent", calendar_pb2.CancelEventRequest(
                    event_id=event.id, reason=rng.choice(texts)), calendar_pb2.Event)
                return
            if op == "title":
                update.title, update.description = rng.choice(texts), rng.choice(texts)
                paths = ["title", "description"]
            elif op == "zone":
                update.time_zone = rng.choice(zones)
                paths = ["time_zone"]
            elif op == "unlist":
                paths = ["sessions"]
            elif op == "move":
                update.start_local, update.end_local = window(rng.randrange(0, 400))
                shift = (datetime.date.fromisoformat(update.start_local[:10])
                         - datetime.date.fromisoformat(event.start_local[:10]))
                for s in event.sessions:
                    moved = lambda t: (datetime.datetime.fromisoformat(t) + shift).isoformat()[:16]
                    update.sessions.add(id=s.id, title=s.title, start_local=moved(s.start_local),
                                        end_local=moved(s.end_local))
                paths = ["start_local", "end_local", "sessions"]
            else:
                update.sessions.extend(random_sessions(event.start_local, event.sessions))
                paths = ["sessions"]
            self.call("UpdateEvent", calendar_pb2.UpdateEventRequest(
                event=update, update_mask=field_mask_pb2.FieldMask(paths=paths),
                expected_revision=event.revision), calendar_pb2.Event)

        live = syncer(self.ics)
        live.sync()
        ids, created = [], 0
        for step in range(60):
            if not ids or rng.random() < 0.2:
                ids.append(new_event(created).id)
                created += 1
            else:
                event = self.call("GetEvent", calendar_pb2.GetEventRequest(event_id=rng.choice(ids)),
                                  calendar_pb2.Event)
                if event.status != calendar_pb2.EVENT_STATUS_CANCELLED:
                    edit(event)
            if step == 30:
                # A restart of convened between two rounds, same port.
                port = self.server.port
                self.server.stop()
                self.server = Convened(self.redis.address, os.path.join(self.dir, "again.log"),
                                       port=port)
                self.addCleanup(self.server.stop)
                self.channel.close()
                self.channel = grpc.insecure_channel(self.server.target, options=own_subchannels)
                grpc.channel_ready_future(self.channel).result(timeout=20)
            if rng.random() < 0.3:
                live.sync()
                self.assertEqual(comparable(read_calendar(self.ics)[1]),
                                 comparable(self.server_export()), f"seed {seed}, step {step}")
        live.sync()
        fresh = os.path.join(self.dir, "fresh.ics")
        syncer(fresh).sync()
        kept, full = read_calendar(self.ics)[1], read_calendar(fresh)[1]
        self.assertEqual(comparable(kept), comparable(self.server_export()), f"seed {seed}")
        self.assertEqual(comparable(kept), comparable(full), f"seed {seed}")

    def test_generated_stubs_when_the_plugin_is_there(self):
        plugin = shutil.which("grpc_python_plugin")
        protoc = shutil.which("protoc")
        if not plugin or not protoc:
            self.skipTest("no protoc/grpc_python_plugin (protobuf-compiler-grpc)")
        # What clients/python/CMakeLists.txt generates, here into a folder of
        # its own next to the build's message modules (convene.v1 is a
        # namespace package, so the two folders make one package).
        stubs = os.path.join(self.dir, "stubs")
        os.makedirs(stubs)
        proto_dir = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
        subprocess.run([protoc, f"--proto_path={proto_dir}", f"--plugin=protoc-gen-grpc_python={plugin}",
                        f"--grpc_python_out={stubs}", os.path.join(proto_dir, "convene/v1/calendar.proto")],
                       check=True, timeout=60)
        code = ("import os, sys, convene_calendar_sync as s, grpc\n"
                f"m = s.load_modules({stubs + os.pathsep + PYTHON_PATH!r})\n"
                "assert m.calendar_pb2_grpc is not None\n"
                f"c = s.CalendarClient(grpc.insecure_channel({self.server.target!r}), m,\n"
                "                      token=os.environ['CONVENE_TOKEN'])\n"
                "print(c.transport, len(c.list_events().events))\n")
        self.create("connection-cop2-turin-2021", turin_workshop())
        done = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(SYNC),
                              env=dict(self.sync_env("env"), PYTHONDONTWRITEBYTECODE="1"),
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), "generated stubs 1")
        done = self.run_sync("--once", "--python_path", stubs + os.pathsep + PYTHON_PATH)
        self.assertIn("full sync (no saved state): 1 events (2 VEVENTs)", done.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
