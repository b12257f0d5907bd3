"""End to end: `convene`, the command-line client, run as a subprocess against
convened (all the services on one port) over a private redis-server. Each
group of subcommands (events, attendance, reminders) makes real calls whose
output is checked; bad input exits 1 with one line naming the field, usage
errors exit 2, and --help works at every level. `convene tokens` runs against
a second convened with authentication on, with a token from
`convene-admin bootstrap-token`."""
import csv
import datetime
import io
import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import zoneinfo

from convene_e2e import (BUILD_DIR, ConveneProcess, FreezableRelay, RedisServer,
                         SingleRedisServer, wait_until)

CLI = os.path.join(BUILD_DIR, "clients", "cli", "convene")
# The Thessaloniki workshop of SCENARIO.md; session hours are demo choices.
THESSALONIKI = [
    "--title=CoP1 3rd workshop", "--kind=workshop", "--community=CoP1", "--city=Thessaloniki",
    "--country=EL", "--format=hybrid", "--tz-of-venue=Europe/Athens",
    "--start=2022-03-15T09:00", "--end=2022-03-17T17:30",
    "--venue=Thessaloniki City Hall", "--capacity=2",
    "--platform=Zoom", "--join_url=https://meet.example.org/cop1-3", "--online_capacity=50",
    "--session=Municipality of Thessaloniki|2022-03-15T09:00|2022-03-15T13:00",
    "--session=Guided tour of reception facilities|2022-03-15T14:30|2022-03-15T17:30|in_person",
    "--session=Municipality of Delta|2022-03-16T09:00|2022-03-16T13:00",
]



def start_cli_watch(target, what, *args):
    """`convene <what> watch ARGS` against target: the process and queues
    of its stdout and stderr lines, filled as it prints."""
    watch = subprocess.Popen(
        [CLI, "--server=" + target, what, "watch", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"TZ": "UTC", "PATH": os.environ.get("PATH", "")})
    lines, errors = queue.Queue(), queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in watch.stdout], daemon=True).start()
    threading.Thread(target=lambda: [errors.put(l) for l in watch.stderr], daemon=True).start()
    return watch, lines, errors


def holds_connection(process, port):
    """Whether `process` holds an established TCP connection to `port`."""
    inodes = set()
    for fd in os.listdir(f"/proc/{process.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{process.pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):  # gRPC may use v4-mapped v6
        with open(table) as f:
            rows += [line.split() for line in f.readlines()[1:]]
    return any(r[9] in inodes and r[3] == "01" and int(r[2].rsplit(":", 1)[1], 16) == port
               for r in rows)


def drain(q):
    """What a queue holds now, emptied."""
    got = []
    while not q.empty():
        got.append(q.get_nowait())
    return got

class CliCalls:
    """Runs the CLI against `self.server` and checks what it printed."""

    def cli(self, *args, code=0, tz="UTC", env=None, timeout=30):
        """Runs convene against the server; checks the exit code."""
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        if tz is not None:
            environment["TZ"] = tz
        environment.update(env or {})
        done = subprocess.run([CLI, "--server=" + self.server.target, *args], capture_output=True,
                              text=True, timeout=timeout, env=environment)
        self.assertEqual(done.returncode, code,
                         f"convene {' '.join(args)}\nstdout: {done.stdout}\nstderr: {done.stderr}")
        return done

    def json(self, *args, **kwargs):
        return json.loads(self.cli("--output=json", *args, **kwargs).stdout)

    def assertOneErrorLine(self, done, code_name, *words):
        lines = done.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, done.stderr)
        self.assertTrue(lines[0].startswith(f"convene: {code_name}: "), lines[0])
        for word in words:
            self.assertIn(word, lines[0])
        self.assertNotIn("Traceback", done.stderr)

    def create_thessaloniki(self, request_id):
        return self.json("events", "create", "--request_id=" + request_id, *THESSALONIKI)["id"]


class CliE2ETest(CliCalls, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.redis.start()
        try:
            cls.server = ConveneProcess("convened/convened", cls.redis.address)
        except Exception:
            cls.redis.cleanup()  # tearDownClass does not run when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(signal.SIGKILL)
        cls.redis.cleanup()

    def test_events_create_agenda_list_update_watch_export(self):
        created = self.cli("events", "create", "--request_id=cli-ev", *THESSALONIKI,
                           "--tz=America/New_York").stdout
        event_id = created.split()[0]
        self.assertRegex(event_id, r"^ev_[0-9a-f]{16}$")
        self.assertIn("2022-03-15 03:00 America/New_York = 09:00 Europe/Athens", created)
        # A retry with the same request id returns the same event.
        self.assertEqual(self.create_thessaloniki("cli-ev"), event_id)

        # The agenda as a partner in New York sees it: 09:00 in Thessaloniki
        # is 03:00 there (EDT since 13 March, EET still).
        agenda = self.cli("events", "agenda", event_id, "--tz", "America/New_York").stdout
        self.assertIn("Times in America/New_York = at the venue, Europe/Athens", agenda)
        first = next(line for line in agenda.splitlines() if "Municipality of Thessaloniki" in line)
        self.assertRegex(first, r"^2022-03-15\s+03:00-07:00\s+= 09:00-13:00\s")
        tour = next(line for line in agenda.splitlines() if "Guided tour" in line)
        self.assertRegex(tour, r"08:30-11:30\s+= 14:30-17:30\s.*in person")
        # In Tokyo the afternoon tour ends after midnight.
        tokyo = self.cli("events", "agenda", event_id, "--tz=Asia/Tokyo").stdout
        self.assertRegex(tokyo, r"21:30-00:30 \(\+1d\)\s+= 14:30-17:30")
        # The viewer's zone defaults to $TZ.
        rome = self.cli("events", "agenda", event_id, tz="Europe/Rome").stdout
        self.assertRegex(rome, r"08:00-12:00\s+= 09:00-13:00")

        listed = self.cli("events", "list", "--from=2022-03-01", "--to=2022-04-01",
                          "--city=thessaloniki", "--tz=Europe/Brussels").stdout
        row = next(line for line in listed.splitlines() if line.startswith(event_id))
        self.assertRegex(row, r"2022-03-15 08:00\s+= 09:00 Europe/Athens\s+CoP1 3rd workshop")
        self.assertEqual(self.cli("events", "list", "--to=2022-01-01").stdout.count("ev_"), 0)
        page = self.json("events", "list", "--city=Thessaloniki", "--all")
        mine = [e for e in page["events"] if e["id"] == event_id]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["time_zone"], "Europe/Athens")

        before_update = self.json("events", "changes", "--all")["next_sync_token"]
        updated = self.cli("events", "update", event_id, "--title=CoP1 3rd workshop, Thessaloniki",
                           "--allow_walk_ins").stdout
        self.assertIn("revision 2", updated)
        self.assertIn("walk-ins   allowed", updated)
        shown = self.cli("events", "show", event_id, "--tz=Europe/Athens").stdout
        self.assertIn("CoP1 3rd workshop, Thessaloniki", shown)
        self.assertRegex(shown, r"s2\s+2022-03-15\s+14:30-17:30\s+Guided tour")
        changes = self.cli("events", "changes", "--sync_token=" + before_update).stdout
        self.assertRegex(changes, rf"updated\s+{event_id}\s+2\s+CoP1 3rd workshop, Thessaloniki")
        # The watch replays from the token and stops after --max_updates.
        watched = self.cli("events", "watch", "--sync_token=" + before_update, "--max_updates=1",
                           timeout=20).stdout
        self.assertRegex(watched.strip(), rf"updated\s+{event_id}\s+r2\s")
        # A stale revision changes nothing.
        stale = self.cli("events", "update", event_id, "--title=x", "--expected_revision=1", code=1)
        self.assertOneErrorLine(stale, "ABORTED")

        ics = self.cli("events", "export-ics", event_id).stdout
        self.assertTrue(ics.startswith("BEGIN:VCALENDAR"))
        self.assertEqual(ics.count("BEGIN:VEVENT"), 3)
        self.assertIn("TZID=Europe/Athens:20220315T090000", ics)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "cop1.ics")
            wrote = self.cli("events", "export-ics", event_id, "--out=" + path).stdout
            self.assertIn("wrote 3 VEVENTs to", wrote)
            with open(path) as f:
                self.assertIn("BEGIN:VTIMEZONE", f.read())

        slots = self.cli("events", "find-times", "--participant=Torino|Torino",
                         "--participant=Thessaloniki|Europe/Athens|08:00|16:00",
                         "--duration=1h", "--from_date=2022-03-21", "--to_date=2022-03-22",
                         "--max_results=2", "--tz=Europe/Brussels").stdout
        rows = [line for line in slots.splitlines() if re.match(r"^\d\s", line)]
        self.assertEqual(len(rows), 2, slots)
        # Each slot shows Thessaloniki one hour ahead of Torino.
        rank, start, score, torino, thessaloniki = re.split(r"\s{2,}", rows[0])
        self.assertEqual(start[11:], torino[:5])
        self.assertEqual(int(thessaloniki[:2]) - int(torino[:2]), 1)

    def test_events_from_json_cancel_and_bad_input(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"title": "Final project meeting", "kind": "EVENT_KIND_MEETING",
                       "city": "Utrecht", "format": "EVENT_FORMAT_IN_PERSON",
                       "time_zone": "Europe/Amsterdam", "start_local": "2022-11-15T09:30",
                       "end_local": "2022-11-15T17:30",
                       "venue": {"name": "Utrecht City Hall", "in_person_capacity": 60}}, f)
        self.addCleanup(os.unlink, f.name)
        # Flags override the file's fields.
        event = self.json("events", "create", "--from_json=" + f.name, "--community=CoP4")
        self.assertEqual((event["city"], event["community"]), ("Utrecht", "CoP4"))
        cancelled = self.cli("events", "cancel", event["id"], "--reason=Moved to the conference").stdout
        self.assertIn("cancelled, revision 2", cancelled)
        self.assertIn("Moved to the conference", cancelled)
        self.assertEqual(self.json("events", "show", event["id"])["status"], "EVENT_STATUS_CANCELLED")

        # Bad input: exit 1, one line naming the field.
        bad_zone = [a if not a.startswith("--tz-of-venue") else "--tz-of-venue=Europe/Thessaloniki"
                    for a in THESSALONIKI]
        done = self.cli("events", "create", *bad_zone, code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "time_zone", "Europe/Thessaloniki")
        done = self.cli("events", "show", "ev_0000000000000000", code=1)
        self.assertOneErrorLine(done, "NOT_FOUND", "ev_0000000000000000")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as g:
            g.write('{"titel": "typo"}')
        self.addCleanup(os.unlink, g.name)
        done = self.cli("events", "create", "--from_json=" + g.name, code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "titel")

    def test_attendance_per_day_modes_waitlist_checkins_counts_report(self):
        event_id = self.create_thessaloniki("cli-att")
        register = lambda pid, *args: self.cli("attendance", "register", event_id, pid, *args).stdout
        register("torino-1", "--name=Partner Torino", "--city=Torino", "--mode=in_person")
        # In the room on day 1, online on day 2, not on day 3.
        paris = register("paris-1", "--name=Partner Paris", "--city=Paris",
                         "--day=2022-03-15=in_person", "--day=2022-03-16=online")
        self.assertRegex(paris, r"2022-03-15\s+in person\s+confirmed")
        self.assertRegex(paris, r"2022-03-16\s+online\s+confirmed")
        self.assertNotIn("2022-03-17", paris)
        register("zagreb-1", "--name=Partner Zagreb", "--city=Zagreb", "--mode=online")
        # Two seats in the room: Asti waits on day 1 only.
        asti = register("asti-1", "--name=Comune di Asti", "--city=Asti",
                        "--organisation=ANCI Piemonte", "--mode=in_person")
        self.assertRegex(asti, r"2022-03-15\s+in person\s+waitlisted\s+1")
        self.assertRegex(asti, r"2022-03-16\s+in person\s+confirmed")

        shown = self.cli("attendance", "show", event_id, "paris-1").stdout
        self.assertRegex(shown, r"2022-03-16\s+online\s+confirmed")
        listed = self.cli("attendance", "list", event_id).stdout
        self.assertRegex(listed, r"asti-1\s+Comune di Asti\s+Asti\s+waitlisted\s+"
                                 r"in person, waitlist 1\s+in person\s+in person")
        self.assertRegex(listed, r"paris-1\s+Partner Paris\s+Paris\s+confirmed\s+in person\s+online\s+-")
        self.assertIn("4 registrations", listed)
        waiting = self.json("attendance", "list", event_id, "--status=waitlisted", "--day=2022-03-15")
        self.assertEqual([r["participant"]["participant_id"] for r in waiting["registrations"]],
                         ["asti-1"])

        # The workshop was in 2022: each check-in says when it happened
        # (--at), inside the day's check-in window; RFC 3339, or local in --tz.
        checkin = lambda pid, *args: self.cli("attendance", "checkin", event_id, pid, *args).stdout
        checkin("torino-1", "--day=2022-03-15", "--at=2022-03-15T08:51:00+02:00")
        self.assertIn("counted once", checkin("torino-1", "--day=2022-03-15",
                                              "--at=2022-03-15T08:53:00+02:00"))
        checkin("paris-1", "--day=2022-03-15", "--at=2022-03-15T08:55", "--tz=Europe/Athens")
        # Paris also follows online from the hotel: present both ways.
        online = checkin("paris-1", "--day=2022-03-15", "--mode=online",
                         "--at=2022-03-15T06:30:00Z")
        self.assertIn("online (online join)", online)
        checkin("zagreb-1", "--day=2022-03-15", "--mode=online", "--at=2022-03-15T09:02:00+02:00")
        self.assertIn("checked out paris-1",
                      self.cli("attendance", "checkout", event_id, "paris-1", "--day=2022-03-15",
                               "--at=2022-03-15T13:05:00+02:00").stdout)
        # Without --at the time is now, years after the day's window: refused,
        # one line naming occurred_time, and nothing counted (day 2 below).
        done = self.cli("attendance", "checkin", event_id, "torino-1", "--day=2022-03-16", code=1)
        self.assertOneErrorLine(done, "FAILED_PRECONDITION", "occurred_time",
                                "check-ins for 2022-03-16 are accepted from")

        counts = self.cli("attendance", "counts", event_id, "--tz=Europe/Athens").stdout
        day1 = counts.split("\n2022-03-16")[0]
        # Which event revision the counts follow (attendance takes calendar
        # changes from its stream); this event was never updated.
        self.assertRegex(counts, r"registrations \(version \d+, event revision 1,")
        # registered in person/online, waitlisted, checked in in person/online, total
        self.assertRegex(day1, r"whole day\s+2\s+1\s+1\s+0\s+2\s+2\s+4\n")
        self.assertRegex(day1, r"s1 Municipality of Thessaloniki \(hybrid\)\s+\d")
        self.assertRegex(day1, r"city Paris\s+1\s+0\s+0\s+0\s+1\s+1\s+2\n")
        # Unique headcount: Torino in the room only, Zagreb online only, Paris both.
        self.assertRegex(day1, r"PRESENT, EACH PERSON ONCE\s+IN PERSON ONLY\s+ONLINE ONLY\s+BOTH\s+HEADCOUNT")
        self.assertRegex(day1, r"whole day\s+1\s+1\s+1\s+3\s+0\n")
        as_json = self.json("attendance", "counts", event_id)
        unique = as_json["days"][0]["unique"]
        self.assertEqual((unique["in_person_only"], unique["online_only"], unique["both"],
                          unique["total"]), (1, 1, 1, 3))
        self.assertEqual(as_json["days"][0]["counts"]["waitlisted_in_person"], 1)
        day2 = as_json["days"][1]
        self.assertEqual(day2["date"], "2022-03-16")
        self.assertEqual(day2.get("counts", {}).get("checked_in_total", 0), 0)  # the refused one

        # Moving Asti online on day 1 takes it off the waitlist.
        moved = self.cli("attendance", "change-mode", event_id, "asti-1",
                         "--day=2022-03-15=online").stdout
        self.assertRegex(moved, r"2022-03-15\s+online\s+confirmed")
        cancelled = self.cli("attendance", "cancel", event_id, "zagreb-1", "--date=2022-03-17").stdout
        self.assertRegex(cancelled, r"2022-03-17\s+online\s+cancelled")

        report = self.cli("attendance", "report", event_id).stdout
        rows = list(csv.DictReader(io.StringIO(report)))
        self.assertEqual(len(rows), 4)
        torino = next(r for r in rows if r["participant_id"] == "torino-1")
        self.assertEqual(torino["2022-03-15 mode"], "in person")
        self.assertTrue(torino["2022-03-15 check-in"])
        paris_row = next(r for r in rows if r["participant_id"] == "paris-1")
        self.assertEqual(paris_row["2022-03-16 mode"], "online")

        forgot = self.cli("attendance", "forget", "asti-1", "--event=" + event_id,
                          "--reason=GDPR art. 17 request").stdout
        self.assertIn("registrations erased   1", forgot)

        # Bad input: exactly one of day and session.
        done = self.cli("attendance", "checkin", event_id, "torino-1", "--day=2022-03-15",
                        "--session=s1", code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "session_id")
        done = self.cli("attendance", "register", event_id, "utrecht-1", "--name=Utrecht",
                        "--day=2022-03-18=online", code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "2022-03-18")

    def test_attendance_watch_redraws_live_and_stops_on_ctrl_c(self):
        event_id = self.create_thessaloniki("cli-watch")
        self.cli("attendance", "register", event_id, "torino-1", "--name=Partner Torino",
                 "--mode=in_person")
        first = self.cli("attendance", "watch", event_id, "--max_updates=1", timeout=20).stdout
        self.assertIn("Attendance of " + event_id, first)
        self.assertNotIn("\x1b[", first)  # not a terminal: no screen clearing
        self.assertRegex(first, r"whole day\s+1\s+0\s+0\s+0\s+0\s+0\s+0\n")
        # Live: a check-in redraws the counts; Ctrl-C ends the watch.
        watch = subprocess.Popen([CLI, "--server=" + self.server.target, "attendance", "watch",
                                  event_id], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env={"TZ": "UTC", "PATH": os.environ.get("PATH", "")})
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in watch.stdout], daemon=True).start()
        try:
            self.assertIn("Attendance of", lines.get(timeout=10))  # the counts now
            self.cli("attendance", "checkin", event_id, "torino-1", "--day=2022-03-15",
                     "--at=2022-03-15T09:10:00+02:00")
            deadline = time.monotonic() + 10
            seen = ""
            while not re.search(r"whole day\s+1\s+0\s+0\s+0\s+1\s+0\s+1\n", seen):
                seen += lines.get(timeout=max(0.1, deadline - time.monotonic()))
            watch.send_signal(signal.SIGINT)
            self.assertEqual(watch.wait(timeout=10), 130)
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait(timeout=10)
            watch.stdout.close()
            watch.stderr.close()

    def test_attendance_watch_carries_on_across_a_redis_restart(self):
        # The service ends live counts streams when it loses its Redis
        # subscription (what is published meanwhile is lost); the watch, which
        # runs until Ctrl-C, says so on stderr and watches again.
        redis = SingleRedisServer(extra_args=["--appendonly", "yes", "--appendfsync", "always"],
                                  cluster=False)
        redis.start()
        server = None
        watch = None
        try:
            server = ConveneProcess("convened/convened", redis.address)
            self.server = server  # this test's own, shadowing the class's
            event_id = self.create_thessaloniki("cli-watch-restart")
            self.cli("attendance", "register", event_id, "torino-1", "--name=Partner Torino",
                     "--mode=in_person")
            watch = subprocess.Popen([CLI, "--server=" + server.target, "attendance", "watch",
                                      event_id], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env={"TZ": "UTC", "PATH": os.environ.get("PATH", "")})
            lines, errors = queue.Queue(), queue.Queue()
            threading.Thread(target=lambda: [lines.put(l) for l in watch.stdout], daemon=True).start()
            threading.Thread(target=lambda: [errors.put(l) for l in watch.stderr], daemon=True).start()
            self.assertIn("Attendance of", lines.get(timeout=10))
            redis.stop()
            redis.start()
            said = errors.get(timeout=20)
            self.assertIn("reconnecting", said)
            self.assertIsNone(watch.poll(), "the watch ended: " + said)
            # Once the service listens again, a check-in is redrawn.
            deadline = time.monotonic() + 30
            seen = ""
            while not re.search(r"whole day\s+1\s+0\s+0\s+0\s+1\s+0\s+1\n", seen):
                self.assertLess(time.monotonic(), deadline, "no redraw after the restart:\n" + seen)
                if watch.poll() is not None:
                    self.fail(f"the watch ended with {watch.returncode}: {said}")
                self.cli("attendance", "checkin", event_id, "torino-1", "--day=2022-03-15",
                         "--at=2022-03-15T09:10:00+02:00")
                try:
                    seen += lines.get(timeout=2)
                    while True:
                        seen += lines.get_nowait()
                except queue.Empty:
                    pass
            watch.send_signal(signal.SIGINT)
            self.assertEqual(watch.wait(timeout=10), 130)
        finally:
            self.__dict__.pop("server", None)
            if watch is not None:
                if watch.poll() is None:
                    watch.kill()
                    watch.wait(timeout=10)
                watch.stdout.close()
                watch.stderr.close()
            if server is not None:
                server.stop()
            redis.cleanup()

    def test_changes_watch_carries_on_across_restarts_printing_each_change_once(self):
        # An integration follows the feed with `convene changes watch` until
        # Ctrl-C. convened ends its streams with UNAVAILABLE when it stops,
        # and Redis may restart under it: the watch says so on stderr, watches
        # again after the last change it printed, and over both restarts
        # prints every later change exactly once, in the feed's order. A
        # quiet watch (its filter matched nothing yet) carries on too, from
        # its --position.
        redis = SingleRedisServer(extra_args=["--appendonly", "yes", "--appendfsync", "always"],
                                  cluster=False)
        redis.start()
        servers = []
        watches = []

        def start_watch(*args):
            watch, lines, errors = start_cli_watch(servers[0].target, "changes", *args)
            watches.append(watch)
            return watch, lines, errors

        def connected(watch, port):
            return holds_connection(watch, port)


        try:
            servers.append(ConveneProcess("convened/convened", redis.address))
            self.server = servers[-1]  # this test's own, shadowing the class's
            port = servers[-1].port
            event_id = self.create_thessaloniki("cli-feed-restart")
            first = wait_until(lambda: self.json("changes", "list", "--event=" + event_id,
                                                 "--all").get("changes"), 10)[0]["position"]
            watch, lines, errors = start_watch("--event=" + event_id, "--position=" + first)
            quiet, quiet_lines, quiet_errors = start_watch(
                "--event=" + event_id, "--kind=event_cancelled", "--position=" + first)
            printed = []

            def change_and_see(*args, expect):
                self.cli("events", *args)
                line = lines.get(timeout=20)
                printed.append(line)
                self.assertIn(expect, line)

            change_and_see("update", event_id, "--title=Workshop 1", expect="Workshop 1")
            # The quiet watch printed nothing: it is established once its
            # call reached convened (a watch that never did fails at once).
            self.assertTrue(wait_until(lambda: connected(quiet, port), 20))
            time.sleep(0.5)
            # convened stops (its streams end with UNAVAILABLE) and comes back
            # on the same port.
            servers[-1].stop()
            for w, q in ((watch, errors), (quiet, quiet_errors)):
                said = q.get(timeout=20)
                self.assertIn("reconnecting in", said)
                self.assertIsNone(w.poll(), "the watch ended: " + said)
            servers.append(ConveneProcess("convened/convened", redis.address,
                                          extra_args=[f"--listen=127.0.0.1:{port}"]))
            self.server = servers[-1]
            change_and_see("update", event_id, "--title=Workshop 2", expect="Workshop 2")
            # Redis restarts under the services.
            redis.stop()
            redis.start()
            wait_until(lambda: subprocess.run(
                [CLI, "--server=" + self.server.target, "events", "show", event_id],
                capture_output=True, timeout=30).returncode == 0, 20)
            change_and_see("update", event_id, "--title=Workshop 3", expect="Workshop 3")
            change_and_see("cancel", event_id, "--reason=moved online", expect="event cancelled")
            self.assertIn("event cancelled", quiet_lines.get(timeout=45))
            # Nothing printed twice, nothing skipped: each watch printed
            # exactly the feed's changes after `first` that it asked for.
            time.sleep(1)
            printed += drain(lines)
            self.assertEqual(drain(quiet_lines), [])
            feed = self.json("changes", "list", "--event=" + event_id, "--position=" + first,
                             "--all")["changes"]
            self.assertEqual([l.rsplit("@", 1)[1].strip() for l in printed],
                             [c["position"] for c in feed], "".join(printed))
            self.assertEqual(feed[-1]["kind"], "CHANGE_KIND_EVENT_CANCELLED")
            for w in (watch, quiet):
                self.assertIsNone(w.poll())
                w.send_signal(signal.SIGINT)
                self.assertEqual(w.wait(timeout=10), 130)
            # What retrying cannot fix still ends a watch at once, exit 1.
            self.assertOneErrorLine(self.cli("changes", "watch", "--event=ev_00000000000000ff",
                                             code=1, timeout=20), "NOT_FOUND", "event_id")
            self.assertOneErrorLine(self.cli("changes", "watch", "--position=soon", code=1,
                                             timeout=20), "INVALID_ARGUMENT", "position")
        finally:
            self.__dict__.pop("server", None)
            for w in watches:
                if w.poll() is None:
                    w.kill()
                    w.wait(timeout=10)
                w.stdout.close()
                w.stderr.close()
            for server in servers:
                if server.proc.poll() is None:
                    server.stop()
            redis.cleanup()

    def test_events_watch_carries_on_across_restarts_printing_each_change_once(self):
        # A calendar follows the events with `convene events watch` until
        # Ctrl-C. convened ends its streams with UNAVAILABLE when it stops,
        # and Redis may restart under it: the watch exited 1 then. It says
        # so on stderr, watches again after the sync token of the last
        # change it printed (or the one it started from), and over both
        # restarts prints every later change exactly once, in the feed's
        # order: one from --sync_token, and one from now on, quiet when
        # convened stops.
        redis = SingleRedisServer(extra_args=["--appendonly", "yes", "--appendfsync", "always"],
                                  cluster=False)
        redis.start()
        servers = []
        watches = []

        def start_watch(*args):
            watch, lines, errors = start_cli_watch(servers[0].target, "events", *args)
            watches.append(watch)
            return watch, lines, errors


        def connected(watch, port):
            return holds_connection(watch, port)

        def revisions(lines):
            # "<when>  event updated  ev_...  r3  <title>": the change's revision.
            return [int(re.search(r"  r(\d+)  ", l).group(1)) for l in lines]

        try:
            servers.append(ConveneProcess("convened/convened", redis.address))
            self.server = servers[-1]  # this test's own, shadowing the class's
            port = servers[-1].port
            event_id = self.create_thessaloniki("cli-events-restart")
            created = self.json("events", "changes", "--all")["next_sync_token"]
            replay, replay_lines, replay_errors = start_watch("--sync_token=" + created)
            live, live_lines, live_errors = start_watch()
            # Both watches are up (the live one starts from the feed's
            # position when it asked): convened stops before either printed.
            self.assertTrue(wait_until(lambda: connected(live, port), 20))
            time.sleep(1)
            servers[-1].stop()
            for w, q in ((replay, replay_errors), (live, live_errors)):
                said = q.get(timeout=20)
                self.assertIn("reconnecting in", said)
                self.assertIn("UNAVAILABLE", said)
                self.assertIsNone(w.poll(), "the watch ended: " + said)
            servers.append(ConveneProcess("convened/convened", redis.address,
                                          extra_args=[f"--listen=127.0.0.1:{port}"]))
            self.server = servers[-1]
            printed, printed_live = [], []

            def change_and_see(*args, expect):
                self.cli("events", *args)
                for q, out in ((replay_lines, printed), (live_lines, printed_live)):
                    line = q.get(timeout=45)
                    out.append(line)
                    self.assertIn(expect, line)

            change_and_see("update", event_id, "--title=Workshop 1", expect="Workshop 1")
            # convened stops again, now after each watch printed a change.
            servers[-1].stop()
            for w, q in ((replay, replay_errors), (live, live_errors)):
                said = q.get(timeout=20)
                self.assertIn("reconnecting in", said)
                self.assertIsNone(w.poll(), "the watch ended: " + said)
            servers.append(ConveneProcess("convened/convened", redis.address,
                                          extra_args=[f"--listen=127.0.0.1:{port}"]))
            self.server = servers[-1]
            change_and_see("update", event_id, "--title=Workshop 2", expect="Workshop 2")
            # Redis restarts under the services.
            redis.stop()
            redis.start()
            wait_until(lambda: subprocess.run(
                [CLI, "--server=" + self.server.target, "events", "show", event_id],
                capture_output=True, timeout=30).returncode == 0, 20)
            change_and_see("update", event_id, "--title=Workshop 3", expect="Workshop 3")
            change_and_see("cancel", event_id, "--reason=moved online", expect="cancelled")
            # Nothing printed twice, nothing skipped: each watch printed
            # exactly the feed's changes after where it began.
            time.sleep(1)
            printed += drain(replay_lines)
            printed_live += drain(live_lines)
            feed = self.json("events", "changes", "--sync_token=" + created, "--all")["changes"]
            self.assertEqual(revisions(printed), [int(c["revision"]) for c in feed],
                             "".join(printed))
            self.assertEqual(revisions(printed_live), [int(c["revision"]) for c in feed],
                             "".join(printed_live))
            self.assertEqual(feed[-1]["type"], "EVENT_CHANGE_TYPE_CANCELLED")
            for w in (replay, live):
                self.assertIsNone(w.poll())
                w.send_signal(signal.SIGINT)
                self.assertEqual(w.wait(timeout=10), 130)
            # What retrying cannot fix still ends a watch at once, exit 1.
            self.assertOneErrorLine(self.cli("events", "watch", "--sync_token=soon", code=1,
                                             timeout=20), "INVALID_ARGUMENT", "sync_token")
        finally:
            self.__dict__.pop("server", None)
            for w in watches:
                if w.poll() is None:
                    w.kill()
                    w.wait(timeout=10)
                w.stdout.close()
                w.stderr.close()
            for server in servers:
                if server.proc.poll() is None:
                    server.stop()
            redis.cleanup()

    def test_notices_show_set_and_refuse_an_unknown_kind(self):
        event_id = self.json("events", "create", "--request_id=cli-notices", "--title=CoP2 webinar",
                             "--format=online", "--time_zone=Europe/Brussels",
                             "--start=2031-06-10T10:00", "--end=2031-06-10T12:00",
                             "--platform=Zoom", "--join_url=https://meet.example.org/cop2")["id"]
        shown = self.cli("notices", "show", event_id).stdout
        self.assertIn("muted    none", shown)
        self.assertIn("sent     confirmed, waitlisted, promoted", shown)
        self.cli("reminders", "policy", "set", event_id, "--before_event=2d")
        shown = self.cli("notices", "set", event_id, "--mute=waitlisted,venue-changed").stdout
        self.assertIn("muted    waitlisted, venue-changed", shown)
        # The reminder offsets stay as they were, and the other way round.
        self.assertIn("before the event     2d", self.cli("reminders", "policy", "show", event_id).stdout)
        self.cli("reminders", "policy", "set", event_id, "--before_event=1d")
        self.assertIn("muted    waitlisted, venue-changed", self.cli("notices", "show", event_id).stdout)
        refused = self.cli("notices", "set", event_id, "--mute=reminder", code=2)
        self.assertIn("--mute: reminder is not a notice kind", refused.stderr)
        self.assertIn("muted    none", self.cli("notices", "set", event_id, "--mute=").stdout)

    def test_reminders_policy_list_dispatch_subscribe_webhooks(self):
        brussels = zoneinfo.ZoneInfo("Europe/Brussels")
        start = (datetime.datetime.now(brussels) + datetime.timedelta(days=3)).replace(
            hour=9, minute=0, second=0, microsecond=0)
        end = start + datetime.timedelta(hours=3)
        event_id = self.json("events", "create", "--request_id=cli-rem", "--title=CONNECTION webinar",
                             "--format=online", "--time_zone=Europe/Brussels",
                             "--start=" + start.strftime("%Y-%m-%dT%H:%M"),
                             "--end=" + end.strftime("%Y-%m-%dT%H:%M"),
                             "--platform=Zoom", "--join_url=https://meet.example.org/webinar")["id"]
        self.cli("attendance", "register", event_id, "torino-1", "--name=Partner Torino",
                 "--mode=online", "--participant_tz=Europe/Rome", "--language=it",
                 "--email=torino-1@example.org")
        policy = self.cli("reminders", "policy", "show", event_id).stdout
        self.assertIn("(the default)", policy)
        self.assertIn("before the event     7d, 1d, 1h", policy)
        policy = self.cli("reminders", "policy", "set", event_id, "--before_event=1d,PT1H",
                          "--before_each_day=30m").stdout
        self.assertIn("before the event     1d, 1h", policy)
        self.assertIn("before each day      30m", policy)

        def planned():
            out = self.cli("reminders", "list", event_id, "--tz=America/New_York").stdout
            return out if "3 planned" in out else None
        listed = wait_until(planned, 20, 0.3)
        self.assertTrue(listed, "the reminders were not planned")
        # Due 1 hour before 09:00 Brussels: 08:00 in Rome, 03:00 in New York
        # (times computed here from the tz database, not assumed).
        due = start - datetime.timedelta(hours=1)
        ny = due.astimezone(zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
        rome = due.astimezone(zoneinfo.ZoneInfo("Europe/Rome")).strftime("%Y-%m-%d %H:%M")
        self.assertRegex(listed, rf"{ny}\s+{rome} Europe/Rome\s+torino-1\s+before event\s+1h\s")
        self.assertRegex(listed, r"before day\s+30m\s")
        by_person = self.json("reminders", "list", "--participant=torino-1")
        self.assertEqual(len(by_person["reminders"]), 3)
        self.assertTrue(all(r["time_zone"] == "Europe/Rome" for r in by_person["reminders"]))

        # A reminder due a few seconds from now reaches a subscribed sender.
        soon = datetime.datetime.now(brussels).replace(second=0, microsecond=0) + \
            datetime.timedelta(minutes=3)
        soon_id = self.json("events", "create", "--request_id=cli-soon", "--title=Soon webinar",
                            "--format=online", "--time_zone=Europe/Brussels",
                            "--start=" + soon.strftime("%Y-%m-%dT%H:%M"),
                            "--end=" + (soon + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                            "--platform=Zoom", "--join_url=https://meet.example.org/soon")["id"]
        lead = int((soon - datetime.datetime.now(brussels)).total_seconds()) - 8
        self.cli("reminders", "policy", "set", soon_id, f"--before_event={lead}s", "--before_each_day=")
        self.cli("attendance", "register", soon_id, "zagreb-1", "--name=Partner Zagreb",
                 "--mode=online", "--participant_tz=Europe/Zagreb", "--email=zagreb-1@example.org")
        got = self.cli("reminders", "subscribe", "--subscriber=mailer", "--event=" + soon_id,
                       "--ack", "--max_updates=1", timeout=60).stdout
        self.assertIn("reminder to Partner Zagreb <zagreb-1@example.org>", got)
        self.assertIn("https://meet.example.org/soon", got)
        self.assertIn("(acknowledged)", got)
        sent = wait_until(lambda: "sent" in self.cli("reminders", "notifications", soon_id).stdout, 10)
        self.assertTrue(sent)
        notifications = self.json("reminders", "notifications", soon_id)["notifications"]
        self.assertEqual(notifications[0]["state"], "NOTIFICATION_STATE_SENT")
        self.assertRegex(self.cli("reminders", "run-once").stdout,
                         r"^dispatched \d+, failed \d+, still due \d+$")

        hook = self.json("reminders", "webhooks", "create", "--url=https://hooks.example.org/hook",
                         env={"CONVENE_WEBHOOK_SECRET": "s3cret-s3cret-s3cret"})
        self.assertNotIn("secret", hook)
        self.assertIn(hook["id"], self.cli("reminders", "webhooks", "list").stdout)
        self.assertIn("deleted " + hook["id"],
                      self.cli("reminders", "webhooks", "delete", hook["id"]).stdout)
        self.assertNotIn(hook["id"], self.cli("reminders", "webhooks", "list").stdout)

        # Bad input: exit 1, one line naming the field.
        done = self.cli("reminders", "policy", "set", event_id, "--before_event=-1h", code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "policy.before_event[0]", "more than 0")
        done = self.cli("reminders", "webhooks", "create", "--url=ftp://example.org/x",
                        "--secret=s3cret-s3cret-s3cret", code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "webhook.url")
        done = self.cli("reminders", "ack", "nope", "--subscriber=mailer", code=1)
        self.assertOneErrorLine(done, "NOT_FOUND", "notification_id")

    def test_usage_errors_exit_2(self):
        cases = [
            ([], "name a command"),
            (["bogus"], 'unknown command "bogus"'),
            (["events", "bogus"], 'unknown command "bogus"'),
            (["events", "list", "--bogus"], "unknown option --bogus"),
            (["events", "show"], "missing EVENT_ID"),
            (["events", "show", "ev_1", "ev_2"], 'unexpected argument "ev_2"'),
            (["events", "create", "--format=sideways"], "--format: expected one of in_person|online|hybrid"),
            (["attendance", "register", "ev_1", "p", "--capacity=3"], "unknown option --capacity"),
            (["attendance", "register", "ev_1", "p", "--day=2022-03-15=sofa"], "--day: expected one of"),
            (["attendance", "counts"], "missing EVENT_ID"),
            # Only what is missing: the event id was given.
            (["attendance", "register", "ev_1"], "convene attendance register: missing PARTICIPANT_ID\n"),
            (["changes", "watch", "--kind=teleported"], "--kind: expected one of"),
            (["reminders", "policy"], "name a subcommand"),
            (["reminders", "policy", "set", "ev_1"], "name --before_event"),
            (["reminders", "policy", "set", "ev_1", "--before_event=soon"], "--before_event: invalid duration"),
            (["reminders", "webhooks", "purge"], 'unknown command "purge"'),
            (["--output=yaml", "events", "list"], "--output: expected table or json"),
            (["--tz=Mars/Olympus", "events", "list"], "--tz: unknown time zone"),
            (["--timeout=soon", "events", "list"], "--timeout"),
            (["events", "watch", "--max_updates=many"], "--max_updates: expected a whole number"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                done = self.cli(*args, code=2)
                self.assertIn(message, done.stderr)
                self.assertIn("--help", done.stderr)
                self.assertEqual(done.stdout, "")

    def test_updating_the_programme_keeps_the_sessions_it_names_again(self):
        # An organiser moves the tour and drops Delta from the CLI: the tour
        # is the same session (same id, so calendars update its entry), not
        # a new one beside a cancelled copy.
        event_id = self.create_thessaloniki("cli-programme")
        before = {s["title"]: s["id"] for s in self.json("events", "show", event_id)["sessions"]}
        self.cli("events", "update", event_id,
                 "--session=Municipality of Thessaloniki|2022-03-15T09:00|2022-03-15T13:00",
                 "--session=Guided tour of reception facilities|2022-03-16T14:30|2022-03-16T17:30|in_person",
                 "--session=Closing round|2022-03-17T09:00|2022-03-17T12:00")
        after = self.json("events", "show", event_id)
        now = {s["title"]: s for s in after["sessions"]}
        self.assertEqual(now["Municipality of Thessaloniki"]["id"], before["Municipality of Thessaloniki"])
        tour = now["Guided tour of reception facilities"]
        self.assertEqual(tour["id"], before["Guided tour of reception facilities"])
        self.assertEqual(tour["start_local"], "2022-03-16T14:30")
        self.assertNotIn(now["Closing round"]["id"], before.values())
        self.assertEqual([s["id"] for s in after.get("removed_sessions", [])],
                         [before["Municipality of Delta"]])

    def test_unreachable_server_is_one_line_and_exit_1(self):
        done = subprocess.run([CLI, "--server=127.0.0.1:1", "--timeout=1s", "events", "show", "ev_x"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 1)
        self.assertOneErrorLine(done, "UNAVAILABLE")
        self.assertIn("could not reach 127.0.0.1:1 within the 1s deadline", done.stderr)

    def test_unreachable_server_names_it_when_the_retries_run_out_first(self):
        # With the default 10 s deadline the five attempts end first: the
        # message still says which address could not be reached.
        done = subprocess.run([CLI, "--server=127.0.0.1:1", "events", "show", "ev_x"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 1)
        self.assertOneErrorLine(done, "UNAVAILABLE")
        self.assertIn("could not reach 127.0.0.1:1", done.stderr)

    def test_a_watch_over_a_network_that_vanished_reports_it(self):
        """A watch has no deadline and an idle one reads nothing: when the
        network between it and the server went silent without a FIN (a NAT
        entry dropped, a server host gone), a watch waited for ever. It
        pings a quiet connection (--keepalive) and, when the pings go
        unanswered, a stream ends with UNAVAILABLE: `convene changes watch`
        and `convene events watch` (which exited 1 then) say so on stderr,
        reconnect, and once the network is back print the later changes,
        none twice: events watch also from "now on", quiet until then."""
        server = ConveneProcess("convened/convened", self.redis.address,
                                extra_args=["--keepalive_time=1s", "--keepalive_timeout=1s"])
        self.addCleanup(server.stop)
        relay = FreezableRelay(server.target)
        self.addCleanup(relay.close)
        event_id = self.create_thessaloniki("cli-keepalive")
        first = wait_until(lambda: self.json("changes", "list", "--event=" + event_id,
                                             "--all").get("changes"), 10)[0]["position"]
        self.cli("events", "update", event_id, "--title=CoP1 3rd workshop (hybrid)")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": "UTC"}
        watch = subprocess.Popen(
            [CLI, "--server=" + relay.target, "--keepalive=1s", "changes", "watch",
             "--event=" + event_id, "--position=" + first],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(self.end_process, watch)
        events = subprocess.Popen(
            [CLI, "--server=" + relay.target, "--keepalive=1s", "events", "watch"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(self.end_process, events)
        errors, event_errors = queue.Queue(), queue.Queue()
        threading.Thread(target=lambda: [errors.put(l) for l in watch.stderr], daemon=True).start()
        threading.Thread(target=lambda: [event_errors.put(l) for l in events.stderr],
                         daemon=True).start()
        # The replay's line: the stream is up, then stays quiet.
        self.assertIn("event updated", watch.stdout.readline())
        time.sleep(3)
        self.assertIsNone(watch.poll(), "a quiet watch over a live network goes on")
        self.assertIsNone(events.poll(), "a quiet watch over a live network goes on")
        relay.freeze()
        for name, w, q in (("changes", watch, errors), ("events", events, event_errors)):
            try:
                said = q.get(timeout=15)
            except queue.Empty:
                self.fail(f"{name} watch said nothing 15 s after its network went silent")
            self.assertIn("UNAVAILABLE", said)
            self.assertIn("reconnecting in", said)
            self.assertIsNone(w.poll(), f"{name} watch ended: " + said)
        relay.thaw()
        self.cli("events", "update", event_id, "--title=CoP1 3rd workshop (online)")
        lines, event_lines = queue.Queue(), queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in watch.stdout], daemon=True).start()
        threading.Thread(target=lambda: [event_lines.put(l) for l in events.stdout],
                         daemon=True).start()
        for name, q in (("changes", lines), ("events", event_lines)):
            try:
                line = q.get(timeout=45)
            except queue.Empty:
                self.fail(f"{name} watch printed nothing 45 s after the network came back")
            self.assertIn("CoP1 3rd workshop (online)", line)
        time.sleep(1)
        for name, w, q in (("changes", watch, lines), ("events", events, event_lines)):
            again = []
            while not q.empty():
                again.append(q.get_nowait())
            self.assertEqual(again, [], name)
            self.assertIsNone(w.poll(), name)

    @staticmethod
    def end_process(process):
        if process.poll() is None:
            process.kill()
        process.wait(10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()

    def test_changes_list_filters_resumes_and_watches(self):
        event_id = self.create_thessaloniki("cli-feed")
        self.cli("attendance", "register", event_id, "thess-1", "--name=Partner Thessaloniki",
                 "--day=2022-03-15=in_person", "--day=2022-03-16=online")
        self.cli("attendance", "checkin", event_id, "thess-1", "--day=2022-03-15",
                 "--mode=in_person", "--at=2022-03-15T08:45", "--tz=Europe/Athens")
        # The relay runs beside the services: wait (bounded) for the check-in.
        listed = wait_until(lambda: (lambda out: "checked in" in out and out)(
            self.cli("changes", "list", "--event=" + event_id, "--all").stdout), 10)
        self.assertTrue(listed)
        self.assertRegex(listed, r"event created\s+" + event_id + r"\s+CoP1 3rd workshop")
        self.assertRegex(listed, r"registration created\s+" + event_id +
                         r"\s+thess-1\s+2022-03-15 in person confirmed, 2022-03-16 on")
        self.assertRegex(listed, r"checked in\s+" + event_id + r"\s+thess-1\s+2022-03-15 in person")
        self.assertNotIn("Partner Thessaloniki", listed)  # ids only, for everyone
        feed = self.json("changes", "list", "--event=" + event_id, "--kind=checked_in", "--all")
        self.assertEqual([c["kind"] for c in feed["changes"]], ["CHANGE_KIND_CHECKED_IN"])
        # From the check-in's position on, only what came after it.
        after = self.json("changes", "list", "--event=" + event_id,
                          "--position=" + feed["changes"][0]["position"], "--all")
        self.assertEqual(after.get("changes", []), [])
        # watch replays after a position, then stops after --max_updates.
        everything = self.json("changes", "list", "--event=" + event_id, "--all")["changes"]
        watched = self.cli("changes", "watch", "--event=" + event_id,
                           "--position=" + everything[0]["position"], "--max_updates=2").stdout
        self.assertEqual(len(watched.strip().splitlines()), 2, watched)
        self.assertIn("registration created", watched.splitlines()[0])
        self.assertIn("@" + everything[1]["position"], watched.splitlines()[0])
        # Bad input: one line naming the field, exit 1; usage errors exit 2.
        self.assertOneErrorLine(self.cli("changes", "list", "--position=soon", code=1),
                                "INVALID_ARGUMENT", "position")
        usage = self.cli("changes", "list", "--kind=teleported", code=2).stderr
        self.assertIn("--kind: expected one of event_created|event_updated", usage)
        self.assertIn("--kind=KIND", self.cli("changes", "list", "--help").stdout)

    def test_help_at_every_level(self):
        top = self.cli("--help").stdout
        for word in ("events", "attendance", "reminders", "changes", "Exit codes", "--tz", "--server",
                     "--output", "--token", "--timeout", "--calendar_server"):
            self.assertIn(word, top)
        self.assertIn("create|list|show|agenda|export-ics|cancel|changes|watch|find-times|update", top)
        events = self.cli("events", "--help").stdout
        self.assertIn("Usage: convene events <command>", events)
        self.assertIn("find-times", events)
        create = self.cli("events", "create", "--help").stdout
        self.assertIn("Usage: convene events create [options]", create)
        for flag in ("--session=SPEC", "--from_json=FILE", "--time_zone=ZONE", "--tz-of-venue",
                     "--online_capacity=N", "--join_url=URL"):
            self.assertIn(flag, create)
        self.assertIn("--day=DATE[=MODE]", self.cli("attendance", "register", "--help").stdout)
        self.assertIn("--max_updates=N", self.cli("attendance", "watch", "-h").stdout)
        self.assertIn("show|set", self.cli("reminders", "--help").stdout)
        self.assertIn("--before_each_day=LIST", self.cli("reminders", "policy", "set", "--help").stdout)
        self.assertIn("create|list|delete", self.cli("reminders", "help").stdout)
        self.assertIn("Usage: convene reminders webhooks create",
                      self.cli("reminders", "webhooks", "create", "--help").stdout)
        self.assertIn("create|list|revoke", top)
        self.assertIn("--admin_server", top)
        self.assertIn("convene-admin bootstrap-token", self.cli("tokens", "--help").stdout)
        create = self.cli("tokens", "create", "--help").stdout
        for flag in ("--name=NAME", "--role=ROLE", "admin|organizer|checkin|integration|reminder-job",
                     "--event=EVENT_ID", "(repeatable)", "--ttl=DURATION", "shown"):
            self.assertIn(flag, create)
        self.assertIn("Usage: convene tokens list", self.cli("tokens", "list", "--help").stdout)
        self.assertIn("Usage: convene tokens revoke TOKEN_ID",
                      self.cli("tokens", "revoke", "-h").stdout)

    def test_tokens_need_a_server_that_authenticates(self):
        # An --insecure convened has no AdminService: one line that says why.
        done = self.cli("tokens", "list", code=1)
        self.assertOneErrorLine(done, "UNIMPLEMENTED", "--insecure")
        done = self.cli("tokens", "revoke", code=2)
        self.assertIn("missing TOKEN_ID", done.stderr)

    def test_changes_watch_without_a_position_misses_nothing_relayed_while_it_was_away(self):
        """A watch started without --position that had printed nothing yet
        watched again "from now" after convened restarted: a change relayed
        while it was away (made through another convened on the same Redis)
        was never shown. WatchChanges names the position it starts after
        (the x-convene-position header) and the watch resumes after it, so
        the change is printed, once, and nothing from before it started."""
        redis = RedisServer()
        redis.start()
        self.addCleanup(redis.cleanup)
        first = ConveneProcess("convened/convened", redis.address)
        self.addCleanup(first.stop)
        self.server = first  # this test's own, shadowing the class's
        self.addCleanup(self.__dict__.pop, "server", None)
        port = first.port
        earlier = self.create_thessaloniki("cli-from-now-earlier")
        self.cli("events", "cancel", earlier, "--reason=before the watch")
        self.assertTrue(wait_until(lambda: self.json("changes", "list", "--kind=event_cancelled",
                                                     "--all").get("changes"), 10))
        later = self.create_thessaloniki("cli-from-now-later")
        watch, lines, errors = start_cli_watch(first.target, "changes", "--kind=event_cancelled")
        self.addCleanup(self.end_process, watch)
        self.assertTrue(wait_until(lambda: holds_connection(watch, port), 20))
        time.sleep(1)  # the stream's start (its header) has come back by now
        first.stop()
        said = errors.get(timeout=20)
        self.assertIn("reconnecting in", said)
        self.assertIsNone(watch.poll(), "the watch ended: " + said)
        # While the watch is away, another convened on the same Redis
        # cancels the event, and the change is relayed into the feed.
        other = ConveneProcess("convened/convened", redis.address)
        self.addCleanup(other.stop)
        self.server = other
        self.cli("events", "cancel", later, "--reason=moved online")
        cancelled = wait_until(lambda: [c for c in self.json(
            "changes", "list", "--kind=event_cancelled", "--all").get("changes", [])
            if c["event_id"] == later], 10)
        self.assertTrue(cancelled)
        other.stop()
        back = ConveneProcess("convened/convened", redis.address,
                              extra_args=[f"--listen=127.0.0.1:{port}"])
        self.addCleanup(back.stop)
        self.server = back
        try:
            line = lines.get(timeout=45)
        except queue.Empty:
            self.fail("the cancellation relayed while the watch was away was never printed")
        self.assertIn("event cancelled", line)
        self.assertIn(later, line)
        self.assertEqual(line.rsplit("@", 1)[1].strip(), cancelled[0]["position"])
        time.sleep(1)
        again = []
        while not lines.empty():
            again.append(lines.get_nowait())
        self.assertEqual(again, [], "printed twice, or from before the watch began")
        self.assertIsNone(watch.poll())


class CliTokensE2ETest(CliCalls, unittest.TestCase):
    """`convene tokens` and the CLI as callers with tokens see it, against a
    convened with authentication on."""

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.redis.start()
        try:
            cls.server = ConveneProcess("convened/convened", cls.redis.address, secure=True)
        except Exception:
            cls.redis.cleanup()  # tearDownClass does not run when setUpClass fails
            raise
        try:
            out = subprocess.run([os.path.join(BUILD_DIR, "services", "admin", "convene-admin"),
                                  "bootstrap-token", "--redis=" + cls.redis.address],
                                 capture_output=True, text=True, timeout=30, check=True)
        except Exception:
            cls.tearDownClass()
            raise
        cls.admin = out.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(signal.SIGKILL)
        cls.redis.cleanup()

    def cli(self, *args, token="admin", env=None, **kwargs):
        """As CliCalls.cli, with CONVENE_TOKEN set: the admin token unless
        `token` names another secret; None: no token at all."""
        environment = dict(env or {})
        if token is not None:
            environment["CONVENE_TOKEN"] = self.admin if token == "admin" else token
        return super().cli(*args, env=environment, **kwargs)

    def create_event(self, request_id):
        return self.json("events", "create", "--request_id=" + request_id, *THESSALONIKI)["id"]

    def test_checkin_token_scoped_to_an_event_then_revoked(self):
        event_id = self.create_event("cli-tok")
        created = self.cli("tokens", "create", "--name=check-in desk Thessaloniki",
                           "--role=checkin", "--event=" + event_id, "--ttl=24h",
                           "--tz=Europe/Athens").stdout
        lines = created.splitlines()
        token_id, name = re.split(r"\s{2,}", lines[0])
        self.assertRegex(token_id, r"^tok_[0-9a-f]{12}$")
        self.assertEqual(name, "check-in desk Thessaloniki")
        self.assertRegex(created, r"\n  role\s+checkin\n")
        self.assertRegex(created, rf"\n  scope\s+{event_id}\n")
        # 24 hours after the server made it, in the viewer's zone (computed
        # here, a moment later: the minute may have turned since).
        expiry = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Athens")) + \
            datetime.timedelta(hours=24)
        self.assertRegex(created, r"\n  expires\s+(%s|%s) Europe/Athens \(in 1d\)\n" % (
            expiry.strftime("%Y-%m-%d %H:%M"),
            (expiry - datetime.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")))
        self.assertIn("shown this once", lines[-2])
        # The secret on a line of its own, the last one.
        secret = lines[-1]
        self.assertRegex(secret, r"^cvt_[0-9a-f]{64}$")

        # JSON: the whole response, secret included. (Inside the bootstrap
        # admin's own 30 days: a token never outlives the one that made it.)
        feed = self.json("tokens", "create", "--name=calendar feed", "--role=integration",
                         "--ttl=P7D")
        self.assertEqual(feed["token"]["role"], "integration")
        self.assertNotIn("event_ids", feed["token"])
        self.assertRegex(feed["secret"], r"^cvt_[0-9a-f]{64}$")

        # The list shows the tokens, never a secret.
        listed = self.cli("tokens", "list", "--tz=Europe/Athens").stdout
        self.assertRegex(listed.splitlines()[0],
                         r"^ID\s+NAME\s+ROLE\s+SCOPE\s+EXPIRES Europe/Athens$")
        self.assertRegex(listed, rf"{token_id}\s+check-in desk Thessaloniki\s+checkin\s+"
                                 rf"{event_id}\s+\d{{4}}-\d\d-\d\d \d\d:\d\d\n")
        self.assertRegex(listed, rf"{feed['token']['id']}\s+calendar feed\s+integration\s+"
                                 r"all events\s")
        self.assertRegex(listed, r"tok_[0-9a-f]{12}\s+bootstrap admin\s+admin\s+all events\s")
        as_json = self.cli("--output=json", "tokens", "list").stdout
        for text in (listed, as_json):
            self.assertNotIn("cvt_", text)
            self.assertNotIn(secret, text)
            self.assertNotIn(self.admin, text)
        self.assertIn(token_id, [t["id"] for t in json.loads(as_json)["tokens"]])

        # The check-in desk reads its event's counts, and nothing more.
        counts = self.cli("attendance", "counts", event_id, token=secret).stdout
        self.assertIn("Attendance of " + event_id, counts)
        done = self.cli("attendance", "register", event_id, "torino-1", "--name=Partner Torino",
                        "--mode=in_person", token=secret, code=1)
        self.assertOneErrorLine(done, "PERMISSION_DENIED", "checkin", "Register")
        done = self.cli("events", "list", token=secret, code=1)
        self.assertOneErrorLine(done, "PERMISSION_DENIED", token_id)
        done = self.cli("tokens", "list", token=secret, code=1)
        self.assertOneErrorLine(done, "PERMISSION_DENIED", "ListTokens")

        # Revoked: refused at once.
        self.assertEqual(self.cli("tokens", "revoke", token_id).stdout, f"revoked {token_id}\n")
        done = self.cli("attendance", "counts", event_id, token=secret, code=1)
        self.assertOneErrorLine(done, "UNAUTHENTICATED")
        self.assertNotIn(token_id, self.cli("tokens", "list").stdout)
        done = self.cli("tokens", "revoke", token_id, code=1)
        self.assertOneErrorLine(done, "NOT_FOUND", token_id)
        self.assertEqual(self.cli("--output=json", "tokens", "revoke", feed["token"]["id"]).stdout,
                         "{}\n")

    def test_no_token_or_an_unknown_one_is_unauthenticated(self):
        for args in (["events", "list"], ["tokens", "list"],
                     ["attendance", "counts", "ev_0000000000000000"]):
            with self.subTest(args=args):
                done = self.cli(*args, token=None, code=1)
                self.assertOneErrorLine(done, "UNAUTHENTICATED", "authorization")
                self.assertEqual(done.stdout, "")
        done = self.cli("events", "list", token="cvt_" + "0" * 64, code=1)
        self.assertOneErrorLine(done, "UNAUTHENTICATED")
        # --token wins over $CONVENE_TOKEN.
        done = self.cli("--token=cvt_nope", "tokens", "list", code=1)
        self.assertOneErrorLine(done, "UNAUTHENTICATED")

    def test_bad_token_requests(self):
        # The server checks role and ttl: exit 1, one line naming the field.
        done = self.cli("tokens", "create", "--name=x", "--role=root", code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "token.role", "root")
        done = self.cli("tokens", "create", "--name=x", "--role=checkin", "--ttl=10s", code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "ttl")
        done = self.cli("tokens", "create", "--role=checkin", code=1)
        self.assertOneErrorLine(done, "INVALID_ARGUMENT", "token.name")
        # "reminder_job" is read as the role reminder-job.
        job = self.json("tokens", "create", "--name=reminder job", "--role=reminder_job")
        self.assertEqual(job["token"]["role"], "reminder-job")
        self.cli("tokens", "revoke", job["token"]["id"])
        # What the CLI reads itself: usage errors, exit 2.
        for args, message in [(["tokens", "create", "--name=x", "--role=admin", "--ttl=soon"],
                               "--ttl: invalid duration"),
                              (["tokens", "create", "--name=x", "--role=admin", "--ttl=-1h"],
                               "--ttl: expected a positive duration"),
                              (["tokens", "create", "--name=x", "--scope=ev_1"],
                               "unknown option --scope"),
                              (["tokens", "revoke"], "missing TOKEN_ID"),
                              (["tokens", "rotate"], 'unknown command "rotate"')]:
            with self.subTest(args=args):
                done = self.cli(*args, code=2)
                self.assertIn(message, done.stderr)
                self.assertIn("--help", done.stderr)
                self.assertEqual(done.stdout, "")


class FlakyCalendar:
    """A stand-in server that answers UNAVAILABLE `failures` times, then OK,
    counting the attempts that reach it: what the client's retry policy does
    is seen from the server's side."""

    def __init__(self, failures):
        import grpc
        from concurrent import futures
        from convene.v1 import calendar_pb2, notification_pb2
        self.attempts = {"GetEvent": 0, "CreateWebhook": 0}
        self.failures = failures

        def answer(name, response):
            def handler(request, context):
                self.attempts[name] += 1
                if self.attempts[name] <= self.failures:
                    context.abort(grpc.StatusCode.UNAVAILABLE, "redis is away")
                return response
            return handler

        event = calendar_pb2.Event(id="ev_0123456789abcdef", title="CoP1 3rd workshop",
                                   time_zone="Europe/Athens")
        handlers = [
            grpc.method_handlers_generic_handler("convene.v1.CalendarService", {
                "GetEvent": grpc.unary_unary_rpc_method_handler(
                    answer("GetEvent", event),
                    request_deserializer=calendar_pb2.GetEventRequest.FromString,
                    response_serializer=calendar_pb2.Event.SerializeToString)}),
            grpc.method_handlers_generic_handler("convene.v1.NotificationService", {
                "CreateWebhook": grpc.unary_unary_rpc_method_handler(
                    answer("CreateWebhook", notification_pb2.Webhook(id="wh_1")),
                    request_deserializer=notification_pb2.CreateWebhookRequest.FromString,
                    response_serializer=notification_pb2.Webhook.SerializeToString)}),
        ]
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=handlers)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{self.port}"
        self.server.start()

    def stop(self):
        self.server.stop(0)


class CliRetryTest(CliCalls, unittest.TestCase):
    """The client library retries UNAVAILABLE through gRPC's retry policy
    (the channel's service config), within the call's deadline, and never
    retries a write without a request id."""

    def test_unavailable_is_retried_until_the_server_answers(self):
        self.server = FlakyCalendar(failures=2)
        self.addCleanup(self.server.stop)
        done = self.cli("events", "show", "ev_0123456789abcdef", tz=None)
        self.assertIn("CoP1 3rd workshop", done.stdout)
        self.assertEqual(self.server.attempts["GetEvent"], 3)

    def test_retries_end_at_five_attempts_with_the_last_answer(self):
        self.server = FlakyCalendar(failures=100)
        self.addCleanup(self.server.stop)
        done = self.cli("--timeout=20s", "events", "show", "ev_0123456789abcdef", code=1, tz=None)
        self.assertOneErrorLine(done, "UNAVAILABLE")
        self.assertIn("redis is away", done.stderr)
        self.assertEqual(self.server.attempts["GetEvent"], 5)

    def test_a_write_without_a_request_id_is_not_retried(self):
        # CreateWebhook has no idempotency key: a retry after a lost answer
        # could register the receiver twice.
        self.server = FlakyCalendar(failures=1)
        self.addCleanup(self.server.stop)
        done = self.cli("reminders", "webhooks", "create", "--url=https://hooks.example.org/hook",
                        code=1, tz=None)
        self.assertOneErrorLine(done, "UNAVAILABLE")
        self.assertEqual(self.server.attempts["CreateWebhook"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
