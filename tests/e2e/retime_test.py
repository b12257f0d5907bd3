"""End to end: a tz database change. convened runs with the system's rules and
stores a summer 2027 event in Brussels (09:00 CEST = 07:00Z) with a
registered participant and planned reminders. Then the rules change: tz
release "2027a" (compiled here with zic) keeps Belgium on CET all year from
2027. convened is restarted with CONVENE_TZDIR pointing at it and warns that
stored instants are stale; `convene-admin retime --dry_run` reports and
writes nothing; `convene-admin retime` moves the event to 08:00Z with its
local time unchanged, as an ordinary update with the reason in the change
feed, and the notification service re-plans its reminders one hour later.
A past event and an event in Athens do not move, and a second run moves
nothing. The Python calendar sync client, which keeps one export per event,
then writes a file whose VTIMEZONE follows the new rules for the events the
retime left alone too."""
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

from convene_e2e import BUILD_DIR, ConveneProcess, RedisServer, unary, wait_until
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2, notification_pb2

ZIC = "/usr/sbin/zic"
ADMIN = os.path.join(BUILD_DIR, "services", "admin", "convene-admin")
TZDIR_VARIABLE = "CONVENE_TZDIR"
PYTHON_PATH = os.path.join(BUILD_DIR, "python")

# Belgium stops changing clocks in 2027 and keeps CET (UTC+1) all year.
NEW_RULES = """# version 2027a
Rule EU 1981 max - Mar lastSun 1:00u 1:00 S
Rule EU 1996 max - Oct lastSun 1:00u 0 -
Zone Europe/Brussels 1:00 EU CE%sT 2027
                     1:00 - CET
"""


def load_sync_client():
    folder = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "..", "..", "clients", "python"))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import convene_calendar_sync
    return convene_calendar_sync


def unfolded_lines(text):
    out = []
    for line in text.split("\r\n"):
        if line[:1] == " " and out:
            out[-1] += line[1:]
        elif line:
            out.append(line)
    return out


def observances(text):
    """{TZID: sorted (kind, DTSTART, TZOFFSETFROM, TZOFFSETTO)} of every VTIMEZONE."""
    zones, tzid, current = {}, None, None
    for line in unfolded_lines(text):
        if line.startswith("TZID:"):
            tzid = line[5:]
            zones.setdefault(tzid, [])
        elif line in ("BEGIN:STANDARD", "BEGIN:DAYLIGHT"):
            current = {"kind": line[6:]}
        elif line in ("END:STANDARD", "END:DAYLIGHT"):
            zones[tzid].append((current["kind"], current["DTSTART"], current["TZOFFSETFROM"],
                                current["TZOFFSETTO"]))
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return {k: sorted(v) for k, v in zones.items()}


def read_as_rfc5545(text, name, local):
    """The instant a reader takes `name;TZID=Z:local` for, with the offsets
    of the file's only VTIMEZONE: the newest observance whose onset is at or
    before it (RFC 5545 section 3.6.5)."""
    wall = datetime.datetime.strptime(local, "%Y-%m-%dT%H:%M")
    (zone,) = observances(text).values()

    def offset(value):
        sign = -1 if value[0] == "-" else 1
        return sign * datetime.timedelta(hours=int(value[1:3]), minutes=int(value[3:5]))

    best = None
    for _, start, before, after in zone:
        onset = datetime.datetime.strptime(start, "%Y%m%dT%H%M%S") - offset(before)
        if onset <= wall - offset(after) and (best is None or onset > best[0]):
            best = (onset, offset(after))
    return (wall - best[1]).replace(tzinfo=datetime.timezone.utc)


def system_tzdata_version():
    with open("/usr/share/zoneinfo/tzdata.zi") as f:
        return f.readline().split()[-1]


def utc(ts):
    return ts.ToDatetime().replace(tzinfo=datetime.timezone.utc)


@unittest.skipUnless(os.access(ZIC, os.X_OK), "zic is not installed (Debian: libc-bin)")
class RetimeE2ETest(unittest.TestCase):
    def setUp(self):
        os.environ.pop(TZDIR_VARIABLE, None)
        self.redis = RedisServer()
        self.redis.start()
        self.tzdir = tempfile.mkdtemp(prefix="convene-e2e-tz-")
        with open(os.path.join(self.tzdir, "tzdata.zi"), "w") as f:
            f.write(NEW_RULES)
        subprocess.run([ZIC, "-d", self.tzdir, os.path.join(self.tzdir, "tzdata.zi")],
                       check=True, timeout=30)
        self.server = None
        self.channel = None

    def tearDown(self):
        self.stop_server()
        os.environ.pop(TZDIR_VARIABLE, None)
        self.redis.cleanup()
        shutil.rmtree(self.tzdir, ignore_errors=True)

    def start_server(self, tzdir=None):
        # The variable is read by the child at start-up, so set it around
        # the spawn only.
        if tzdir:
            os.environ[TZDIR_VARIABLE] = tzdir
        try:
            self.server = ConveneProcess("convened/convened", self.redis.address)
        finally:
            os.environ.pop(TZDIR_VARIABLE, None)
        self.channel = grpc.insecure_channel(self.server.target)

    def stop_server(self):
        if self.channel:
            self.channel.close()
            self.channel = None
        if self.server:
            self.server.stop()
            self.server = None

    def redis_cli(self, *args):
        out = subprocess.run(["redis-cli", *self.redis.cli_target(), *args],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    def admin_retime(self, *args):
        env = dict(os.environ, **{TZDIR_VARIABLE: self.tzdir})
        return subprocess.run([ADMIN, "retime", "--redis=" + self.redis.address, *args],
                              capture_output=True, text=True, timeout=120, env=env)

    def call(self, service, method, request, response_type):
        return unary(self.channel, service, method, request, response_type, timeout=30)

    def create(self, request_id, title, zone, start, end):
        event = calendar_pb2.Event(
            title=title, format=common_pb2.EVENT_FORMAT_ONLINE, time_zone=zone,
            start_local=start, end_local=end,
            online=calendar_pb2.OnlineAccess(platform="Zoom",
                                              join_url="https://meet.example.org/" + request_id))
        return self.call("CalendarService", "CreateEvent",
                         calendar_pb2.CreateEventRequest(request_id=request_id, event=event),
                         calendar_pb2.Event)

    def get(self, event_id):
        return self.call("CalendarService", "GetEvent",
                         calendar_pb2.GetEventRequest(event_id=event_id), calendar_pb2.Event)

    def changes(self):
        out, token = [], ""
        while True:
            page = self.call("CalendarService", "ListEventChanges",
                             calendar_pb2.ListEventChangesRequest(sync_token=token, page_size=1000),
                             calendar_pb2.ListEventChangesResponse)
            out.extend(page.changes)
            token = page.next_sync_token
            if not page.has_more:
                return out

    def register(self, event_id, pid):
        return self.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event_id, request_id="reg-" + event_id + pid,
            mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(
                participant_id=pid, display_name="Partner " + pid, email=pid + "@example.org",
                time_zone="Europe/Rome", language="en")), attendance_pb2.Registration)

    def due_times(self, event_id):
        page = self.call("NotificationService", "ListScheduledReminders",
                         notification_pb2.ListScheduledRemindersRequest(event_id=event_id,
                                                                        page_size=1000),
                         notification_pb2.ListScheduledRemindersResponse)
        return sorted((r.reminder_id, utc(r.due_time)) for r in page.reminders)

    def test_a_tz_rule_change_moves_future_events_and_their_reminders(self):
        old_version = system_tzdata_version()
        # 1. The system's rules: 09:00 CEST is 07:00Z.
        self.start_server()
        self.assertEqual(self.redis_cli("GET", "cv:{sys}:tzdata-version"), old_version,
                         "the first start records the version it derives with")
        summer = self.create("summer-2027", "CoP2 webinar", "Europe/Brussels",
                             "2027-07-05T09:00", "2027-07-05T17:00")
        self.assertEqual(utc(summer.start_time),
                         datetime.datetime(2027, 7, 5, 7, 0, tzinfo=datetime.timezone.utc))
        athens = self.create("athens-2027", "Athens webinar", "Europe/Athens",
                             "2027-07-05T09:00", "2027-07-05T17:00")
        past = self.create("past-2022", "Past webinar", "Europe/Brussels",
                           "2022-07-05T09:00", "2022-07-05T17:00")
        self.register(summer.id, "p1")
        self.register(athens.id, "p1")
        planned = wait_until(lambda: self.due_times(summer.id) and self.due_times(athens.id), 30, 0.2)
        self.assertTrue(planned, "reminders were not planned")
        summer_due, athens_due = self.due_times(summer.id), self.due_times(athens.id)
        changes_before = len(self.changes())

        # 2. The tzdata upgrade: restarted with the new rules, the service
        # warns that the stored instants follow the old ones.
        self.stop_server()
        self.start_server(self.tzdir)
        self.assertTrue(wait_until(lambda: "convene-admin retime" in self.server.log(), 10),
                        self.server.log())
        self.assertIn(f"zone rules are tzdata 2027a but stored event instants were derived "
                      f"with tzdata {old_version}", self.server.log())

        # 3. A dry run reports and writes nothing.
        dry = self.admin_retime("--dry_run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn(f"would move {summer.id} Europe/Brussels 2027-07-05T09:00: "
                      "2027-07-05T07:00Z -> 2027-07-05T08:00Z", dry.stdout)
        self.assertIn("(dry run)", dry.stdout)
        self.assertEqual(self.get(summer.id).revision, 1)
        self.assertEqual(len(self.changes()), changes_before)
        self.assertEqual(self.redis_cli("GET", "cv:{sys}:tzdata-version"), old_version)

        # 4. The retime.
        run = self.admin_retime()
        self.assertEqual(run.returncode, 0, run.stderr)
        moved_lines = [l for l in run.stdout.splitlines() if l.startswith("moved ")]
        self.assertEqual(moved_lines, [
            f"moved {summer.id} Europe/Brussels 2027-07-05T09:00: "
            "2027-07-05T07:00Z -> 2027-07-05T08:00Z (\"CoP2 webinar\")"], run.stdout)
        self.assertIn(f"tzdata {old_version} -> 2027a: 2 future events examined, 1 moved, "
                      "0 need attention; version recorded", run.stdout)
        self.assertEqual(self.redis_cli("GET", "cv:{sys}:tzdata-version"), "2027a")

        after = self.get(summer.id)
        self.assertEqual(after.start_local, "2027-07-05T09:00")
        self.assertEqual(after.end_local, "2027-07-05T17:00")
        self.assertEqual(utc(after.start_time),
                         datetime.datetime(2027, 7, 5, 8, 0, tzinfo=datetime.timezone.utc))
        self.assertEqual(utc(after.end_time),
                         datetime.datetime(2027, 7, 5, 16, 0, tzinfo=datetime.timezone.utc))
        self.assertEqual(after.revision, 2)
        self.assertEqual(after.tzdata_version, "2027a")

        changes = self.changes()
        self.assertEqual(len(changes), changes_before + 1)
        last = changes[-1]
        self.assertEqual(last.type, calendar_pb2.EVENT_CHANGE_TYPE_UPDATED)
        self.assertEqual(last.event_id, summer.id)
        self.assertEqual(last.revision, 2)
        self.assertEqual(last.reason, f"tz rules changed: tzdata {old_version} -> 2027a")
        # The change feed across services carries it too (through its relay).
        feed = wait_until(lambda: self.call(
            "CalendarService", "ListChanges",
            calendar_pb2.ListChangesRequest(event_id=summer.id,
                                            kinds=[calendar_pb2.CHANGE_KIND_EVENT_UPDATED]),
            calendar_pb2.ListChangesResponse).changes, 10, 0.1)
        self.assertEqual([(c.event_revision, c.reason) for c in feed],
                         [(2, f"tz rules changed: tzdata {old_version} -> 2027a")])
        self.assertEqual(utc(feed[0].event.start_time),
                         datetime.datetime(2027, 7, 5, 8, 0, tzinfo=datetime.timezone.utc))

        # The notification service follows the change and re-plans: every
        # reminder one hour later.
        expected = [(rid, due + datetime.timedelta(hours=1)) for rid, due in summer_due]
        replanned = wait_until(lambda: self.due_times(summer.id) == expected, 30, 0.2)
        self.assertTrue(replanned, (self.due_times(summer.id), expected))

        # The Athens event and the past one did not move.
        for event in (athens, past):
            now = self.get(event.id)
            self.assertEqual(now.revision, 1, event.title)
            self.assertEqual(now.start_time, event.start_time, event.title)
        self.assertEqual(self.due_times(athens.id), athens_due)

        # 5. A second run moves nothing and writes nothing.
        again = self.admin_retime()
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertNotIn("moved ev_", again.stdout)
        self.assertIn("tzdata 2027a -> 2027a: 2 future events examined, 0 moved", again.stdout)
        self.assertEqual(len(self.changes()), changes_before + 1)
        self.assertEqual(self.get(summer.id).revision, 2)

        # 6. A restart with the same rules no longer warns.
        self.stop_server()
        self.start_server(self.tzdir)
        time.sleep(0.5)
        self.assertNotIn("convene-admin retime", self.server.log())

    def test_a_calendar_sync_follows_the_new_rules_in_every_vtimezone(self):
        # An Outlook-style reader takes a TZID's offsets from the file's own
        # VTIMEZONE. The sync client keeps each event's export and merges
        # their VTIMEZONEs; an event the retime did not move is not exported
        # again, so its observances under the old rules (summer time in July
        # 2027) must not stay in the file beside the moved event's.
        sync = load_sync_client()
        self.start_server()
        summer = self.create("summer-2027", "CoP2 webinar", "Europe/Brussels",
                             "2027-07-05T09:00", "2027-07-05T17:00")
        # January: CET under both rules, so the retime leaves it alone.
        winter = self.create("winter-2027", "CoP2 kick-off", "Europe/Brussels",
                             "2027-01-20T09:00", "2027-01-20T12:00")
        folder = tempfile.mkdtemp(prefix="convene-e2e-tzsync-")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        ics = os.path.join(folder, "cop2.ics")

        def run_sync():
            channel = grpc.insecure_channel(self.server.target)
            try:
                client = sync.CalendarClient(channel, sync.load_modules(PYTHON_PATH))
                return sync.Synchronizer(client, ics, ics + ".state.json", log=lambda m: None).sync()
            finally:
                channel.close()

        self.assertEqual(run_sync()["mode"], "full")
        self.stop_server()
        self.start_server(self.tzdir)
        run = self.admin_retime()
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(self.get(winter.id).revision, 1, run.stdout)
        self.assertEqual(self.get(summer.id).revision, 2, run.stdout)
        run_sync()

        with open(ics, "rb") as f:
            text = f.read().decode("utf-8")
        for event in (self.get(summer.id), winter):
            for name, local, instant in (("DTSTART", event.start_local, event.start_time),
                                         ("DTEND", event.end_local, event.end_time)):
                self.assertEqual(read_as_rfc5545(text, name, local), utc(instant),
                                 f"{event.title} {name} {local} as the file's VTIMEZONE says")
        export = self.call("CalendarService", "ExportICalendar",
                           calendar_pb2.ExportICalendarRequest(include_cancelled=True),
                           calendar_pb2.ExportICalendarResponse).calendar
        self.assertEqual(observances(text), observances(export),
                         "the file's VTIMEZONE is not the server's own")

    def test_a_misconfigured_tzdir_stops_the_command_and_the_services(self):
        env = dict(os.environ, **{TZDIR_VARIABLE: os.path.join(self.tzdir, "missing")})
        out = subprocess.run([ADMIN, "retime", "--redis=" + self.redis.address],
                             capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(out.returncode, 1)
        self.assertIn("CONVENE_TZDIR", out.stderr)
        # Rather than serve with rules nobody chose.
        server = subprocess.run(
            [os.path.join(BUILD_DIR, "services", "convened", "convened"),
             "--listen=127.0.0.1:0", "--redis=" + self.redis.address, "--insecure"],
            capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(server.returncode, 1, server.stderr)
        self.assertIn("CONVENE_TZDIR", server.stderr)


if __name__ == "__main__":
    unittest.main()
