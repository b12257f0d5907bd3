"""Model-based test of reminder delivery (issue 15): exactly once under
edits and dispatcher deaths, checked against an independent Python oracle
(reminder_oracle.py).

One private redis-server (unix socket), convene-calendar and
convene-attendance, and 2 or 3 convene-notification replicas with a short
dispatch lease (--dispatch_lease=3s), one or more of them holding every
claimed batch for 2 s before completing it (--dispatch_hold_for_testing=2s)
so that kills land mid-batch, and now and then one started with
--dispatch=false (it dispatches only when RunDueReminders is called); all on
loopback, without authentication. Meanwhile a chaos thread SIGKILLs a random
replica now and then (half the time while it holds claimed reminders) and
restarts it, a bounded number of times, and a cron thread calls
RunDueReminders (the cron-style path) at random and right at due instants.

Each sequence creates 2-3 hybrid events (no capacity limits, no sessions;
one or two days) starting a few minutes from now (the real clock: the
binaries have no fake one), sets a policy of before_event offsets so that
reminders fall due 6-50 s from now, registers participants (all days, or one
day of a two-day event), and then, at random instants and especially 1-3 s
after due instants (and right at them), edits the event (description, title,
a move by a few seconds while every due instant stays 20 s+ away, a late
move once every due instant passed that puts them 20 s+ ahead again, cancel),
changes modes, cancels registrations (whole or one day), registers more and
forgets participants (one event or all). A sink subscribed as "mailer" to
every event records and acknowledges each notification. After the last due
instant plus the lease it compares with the oracle: no duplicate (two
notification ids for one <event>/<participant>/<reminder>), nothing lost,
nothing unexpected, no notification left PENDING (ListNotifications) and no
reminder left past due (ListScheduledReminders).

To know when the planner has handled each change (planning is asynchronous,
from the change streams), a watcher polls the planner's saved stream
positions in Redis (cv:{ntf}:planner-positions) and the test notes each
change's stream entry; the oracle then knows, for every change, by when its
effect was in place. Only due instants inside that window are ambiguous.

ReminderPlanModelTest covers the planning rules the test above does not
generate (before_each_day offsets and their repeats of before_event ones,
sessions per mode, waiting lists and promotions, days taken back, moves to
other dates, days added or removed, clock changes, the reader's zone and
language): it compares ListScheduledReminders with reminder_oracle.plan_of()
for events far ahead, and checks one delivery minutes away.

Environment:
  CONVENE_REMINDER_SEED=N      reproduce a run (the seed is printed first)
  CONVENE_REMINDER_PLAN_SECONDS=S  ReminderPlanModelTest's bound (default 60)
  CONVENE_REMINDER_PLAN_RUN=N  ReminderPlanModelTest from its run N, without
      the delivery part (a failure names its seed and run)
  CONVENE_REMINDER_SECONDS=S   bound on the whole run (default 90); a soak:
      CONVENE_BUILD_DIR=build CONVENE_REMINDER_SECONDS=1800 \\
          /usr/bin/python3 -u tests/e2e/reminder_model_test.py
  CONVENE_REMINDER_VERBOSE=1   print every call and kill as it happens
"""
import collections
import datetime
import math
import os
import random
import signal
import socket
import threading
import time
import traceback
import unittest
import zoneinfo

import grpc
from google.protobuf import duration_pb2, field_mask_pb2

from convene_e2e import (CLUSTER_REMINDER_SHARDS, ConveneProcess, RedisCluster, RedisServer,
                         reminder_shard_key, reminder_shard_of, unary, wait_until)
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2, notification_pb2

import reminder_oracle as O

A, K, N = attendance_pb2, calendar_pb2, notification_pb2

ZONE = "Europe/Brussels"
TZ = zoneinfo.ZoneInfo(ZONE)
LEASE_S = 3
HOLD_S = 2
# What the sink leaves unacknowledged (its replica killed between sending
# and the ack) is handed out again after this (the shortest allowed).
ACK_TIMEOUT_S = 5
NOTIFICATION_BINARY = "notification/convene-notification"
PEOPLE_ZONES = [("Europe/Rome", "it"), ("Europe/Athens", "el"), ("Europe/Sofia", "bg"),
                ("Europe/Brussels", "fr"), ("Europe/Amsterdam", "nl"), ("Europe/Berlin", "de"),
                ("Europe/Lisbon", "en"), ("", "")]
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
             grpc.StatusCode.DEADLINE_EXCEEDED)
VERBOSE = os.environ.get("CONVENE_REMINDER_VERBOSE") == "1"


class HarnessError(Exception):
    """A call that should have worked did not (not a reminder mismatch)."""


# ---- a minimal Redis client (RESP2): the unix socket, or a cluster ---------

class RedisError(Exception):
    pass


class RedisConn:
    """Reaches `redis` (a SingleRedisServer on its socket, or a RedisCluster
    from its first node, following MOVED to the node owning a key)."""

    def __init__(self, redis):
        self.redis = redis
        if isinstance(redis, RedisCluster):
            self._connect(("127.0.0.1", redis.ports[0]))
        else:
            self._connect(redis.socket)

    def _connect(self, address):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(address)
        self.f = self.sock.makefile("rb")

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        for _ in range(3):
            self.sock.sendall(b"".join(out))
            try:
                return self._read()
            except RedisError as e:
                if not str(e).startswith("MOVED "):
                    raise
                host, _, port = str(e).split()[2].rpartition(":")
                self.close()
                self._connect((host, int(port)))
        raise RedisError("MOVED again and again")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise RedisError("connection closed")
        t, body = line[:1], line[1:-2]
        if t == b"+":
            return body.decode()
        if t == b"-":
            raise RedisError(body.decode())
        if t == b":":
            return int(body)
        if t == b"$":
            n = int(body)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data if getattr(self, "raw", False) else data.decode(errors="replace")
        if t == b"*":
            n = int(body)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RedisError(f"cannot read {line!r}")


def reminder_shards(redis):
    """How many reminder shards the notification replicas use (ConveneProcess
    gives them --reminder_shards on a cluster)."""
    return CLUSTER_REMINDER_SHARDS if isinstance(redis, RedisCluster) else 1


def stream_id(text):
    ms, _, seq = (text or "0-0").partition("-")
    return int(ms), int(seq or 0)


CALENDAR_STREAM = "cv:{cal}:changes"


def attendance_stream(event_id):
    return "cv:{ev:" + event_id + "}:changes"


# ---- the notification replicas --------------------------------------------------

class Replica:
    """mode: "plain"; "hold" (--dispatch_hold_for_testing: holds each claimed
    batch, so that kills land mid-batch); "cron" (--dispatch=false: plans,
    serves, and dispatches only when RunDueReminders is called)."""

    def __init__(self, slot, proc, mode):
        self.slot, self.proc, self.mode = slot, proc, mode
        self.channel = grpc.insecure_channel(proc.target)
        self.alive = True


class Replicas:
    """2-3 convene-notification processes; killed and restarted by the chaos
    thread, called by everyone else through call() (any live one)."""

    def __init__(self, test, redis, rng, count):
        self.test, self.redis, self.rng = test, redis, rng
        self.lock = threading.Lock()
        self.slots = [None] * count
        self.logs = []
        for slot in range(count):
            self.start(slot, self.some_mode(slot, first=True))

    def some_mode(self, slot, first=False):
        """Slot 0 starts holding; slots 0 and 1 always dispatch, so that
        something dispatches without RunDueReminders; slot 2 is now and then
        a cron-style replica."""
        if first and slot == 0:
            return "hold"
        if slot == 2 and self.rng.random() < 0.4:
            return "cron"
        return "hold" if self.rng.random() < 0.6 else "plain"

    def spawn(self, mode):
        # The oracle models reminders and cancellation notices; registration
        # notices have their own tests (notification_integration_test.cc
        # NoticeTest, mail_test.py).
        args = [f"--dispatch_lease={LEASE_S}s", "--notices=false"]
        if mode == "hold":
            args.append(f"--dispatch_hold_for_testing={HOLD_S}s")
        elif mode == "cron":
            args.append("--dispatch=false")
        deadline = time.monotonic() + 120
        while True:
            try:
                p = ConveneProcess(NOTIFICATION_BINARY, self.redis.address, args)
                break
            except (OSError, RuntimeError) as e:
                # The binary may be briefly missing while someone rebuilds it.
                if time.monotonic() > deadline:
                    raise
                print(f"reminder model: starting {NOTIFICATION_BINARY} failed ({e}); retrying",
                      flush=True)
                time.sleep(2)
        self.test.addCleanup(stop_process, p)
        self.logs.append(p.log_path)
        return p

    def start(self, slot, mode):
        p = self.spawn(mode)
        r = Replica(slot, p, mode)
        self.test.addCleanup(r.channel.close)
        with self.lock:
            self.slots[slot] = r
        return r

    def live(self):
        with self.lock:
            return [r for r in self.slots if r is not None and r.alive]

    def pick(self, exclude=()):
        live = [r for r in self.live() if r not in exclude]
        return self.rng.choice(live) if live else None

    def kill(self, r):
        with self.lock:
            r.alive = False
        r.proc.stop(signal.SIGKILL)
        r.channel.close()

    def call(self, method, request, response_type, timeout=20, attempts=8):
        """The call on live replicas in turn until one answers (those that
        do not, SIGKILLed meanwhile, are retried elsewhere)."""
        tried = []
        last = None
        for _ in range(attempts):
            r = self.pick(exclude=tried) or self.pick()
            if r is None:
                time.sleep(0.5)
                continue
            tried.append(r)
            try:
                return unary(r.channel, "NotificationService", method, request, response_type,
                             timeout=timeout)
            except grpc.RpcError as e:
                last = e
                if e.code() not in RETRYABLE and not (
                        e.code() == grpc.StatusCode.UNKNOWN and not r.alive):
                    raise
                time.sleep(0.2)
            except ValueError as e:  # a channel closed under us by a kill
                last = e
                time.sleep(0.2)
        raise HarnessError(f"{method}: no replica answered: {last}")


def stop_process(p):
    if p.proc.poll() is None:
        p.proc.send_signal(signal.SIGKILL)
    try:
        p.proc.wait(15)
    except Exception:  # noqa: BLE001 - cleanup goes on
        pass
    for f in (p.proc.stdout, p.log_file):
        try:
            f.close()
        except Exception:  # noqa: BLE001
            pass


# ---- background threads --------------------------------------------------------------

class PlannerWatcher(threading.Thread):
    """Polls the planner's saved stream positions; done_time(stream, id)
    says from when on the planner had processed that entry (an upper bound
    of when its effect was in place)."""

    def __init__(self, redis, stop):
        super().__init__(daemon=True, name="planner-watcher")
        self.redis, self.stop = redis, stop
        self.lock = threading.Lock()
        self.history = collections.defaultdict(list)  # stream -> [(t, (ms, seq))] as it moved
        self.error = None

    def run(self):
        conn = None
        last = None
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = RedisConn(self.redis)
                flat = conn.cmd("HGETALL", "cv:{ntf}:planner-positions") or []
                t = time.time()
                now = {flat[i]: stream_id(flat[i + 1]) for i in range(0, len(flat), 2)}
                if now != last:
                    with self.lock:
                        for stream, pos in now.items():
                            if (last or {}).get(stream) != pos:
                                self.history[stream].append((t, pos))
                    last = now
            except (OSError, RedisError) as e:
                self.error = repr(e)
                if conn:
                    conn.close()
                conn = None
            self.stop.wait(0.05)
        if conn:
            conn.close()

    def done_time(self, stream, entry):
        want = stream_id(entry)
        with self.lock:
            for t, pos in self.history.get(stream, ()):
                if pos >= want:
                    return t
        return None


class Sink(threading.Thread):
    """The mail gateway: SubscribeNotifications as "mailer" (every event) on
    a live replica, records every notification, acknowledges it (on any
    replica), and reconnects when its replica is killed."""

    def __init__(self, replicas, stop, run_seconds):
        super().__init__(daemon=True, name="sink")
        self.replicas, self.stop, self.run_seconds = replicas, stop, run_seconds
        self.lock = threading.Lock()
        self.receipts = []
        self.acked = set()
        self.stream = None
        self.reconnects = 0
        self.ack_failures = 0

    def run(self):
        while not self.stop.is_set():
            r = self.replicas.pick()
            if r is None:
                time.sleep(0.2)
                continue
            try:
                sub = r.channel.unary_stream(
                    "/convene.v1.NotificationService/SubscribeNotifications",
                    request_serializer=N.SubscribeNotificationsRequest.SerializeToString,
                    response_deserializer=N.Notification.FromString)
                self.stream = sub(N.SubscribeNotificationsRequest(
                    subscriber="mailer", ack_timeout=duration_pb2.Duration(seconds=ACK_TIMEOUT_S)),
                    timeout=self.run_seconds + 600)
                for n in self.stream:
                    self.record(n)
                    self.ack(n.notification_id, r)
                    if self.stop.is_set():
                        break
            except (grpc.RpcError, ValueError):
                pass
            finally:
                if self.stream is not None:
                    self.stream.cancel()
            if not self.stop.is_set():
                self.reconnects += 1
                time.sleep(0.2)

    def record(self, n):
        kind = ("cancellation" if n.kind == N.NOTIFICATION_KIND_CANCELLATION_NOTICE
                else "reminder" if n.kind == N.NOTIFICATION_KIND_REMINDER else str(n.kind))
        with self.lock:
            self.receipts.append(O.Receipt(
                time.time(), n.notification_id, n.idempotency_key, kind, n.event_id,
                n.participant_id, n.reminder_id, n.event_revision,
                acked_before=n.notification_id in self.acked))
        if VERBOSE:
            print(f"  sink: {n.notification_id}", flush=True)

    def ack(self, notification_id, first):
        request = N.AckNotificationRequest(subscriber="mailer", notification_id=notification_id)
        deadline = time.monotonic() + 30
        r = first
        while time.monotonic() < deadline and not self.stop.is_set():
            if r is not None:
                try:
                    unary(r.channel, "NotificationService", "AckNotification", request,
                          N.AckNotificationResponse, timeout=5)
                    with self.lock:
                        self.acked.add(notification_id)
                    return
                except grpc.RpcError as e:
                    if e.code() == grpc.StatusCode.NOT_FOUND:
                        return  # erased since (ForgetParticipant)
                except ValueError:
                    pass
            time.sleep(0.1)
            r = self.replicas.pick()
        self.ack_failures += 1

    def snapshot(self):
        with self.lock:
            return list(self.receipts)

    def close(self):
        s = self.stream
        if s is not None:
            s.cancel()


class Chaos(threading.Thread):
    """Kills a random notification replica now and then (half the time one
    that holds claimed reminders) and restarts it."""

    def __init__(self, run, rng, max_kills):
        super().__init__(daemon=True, name="chaos")
        self.run_, self.rng, self.max_kills = run, rng, max_kills
        self.stop = run.stop
        self.active = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.kills = 0
        self.mid_batch_kills = 0
        self.planner_kills = 0
        self.error = None
        self.lock = threading.Lock()
        self.dues = []  # due instants of the running sequence

    def add_dues(self, instants):
        with self.lock:
            self.dues = sorted(self.dues + list(instants))
        self.kill_log = []

    def sleep(self, seconds):
        return self.stop.wait(seconds)

    def run(self):
        try:
            self._run()
        except Exception:  # noqa: BLE001 - reported by the test
            self.error = traceback.format_exc()
        finally:
            self.idle.set()

    def _run(self):
        rng = self.rng
        conn = RedisConn(self.run_.redis)
        next_kill = time.monotonic() + rng.uniform(2, 6)
        while not self.stop.is_set():
            if not self.active.is_set():
                self.idle.set()
                self.active.wait(0.2)
                continue
            self.idle.clear()
            now = time.monotonic()
            if now >= next_kill and self.kills < self.max_kills and self.active.is_set():
                self.kill_one(conn)
                next_kill = time.monotonic() + rng.uniform(3, 10)
            self.sleep(0.1)
        conn.close()

    def kill_one(self, conn):
        reps = self.run_.replicas
        live = reps.live()
        if len(live) < 2:
            return
        victim, why = None, "at random"
        if self.rng.random() < 0.6:
            # Wait for the next due instant (if one is near), then up to 2 s
            # for a replica holding claimed reminders.
            with self.lock:
                now = time.time()
                self.dues = [d for d in self.dues if d > now]
                near = [d for d in self.dues if d < now + 12]
            if near:
                until = near[0] + self.rng.uniform(0, 0.3)
                while time.time() < until and self.active.is_set() and not self.stop.is_set():
                    time.sleep(0.02)
                if not self.active.is_set():
                    return
            deadline = time.monotonic() + 2
            while victim is None and time.monotonic() < deadline and not self.stop.is_set():
                owners = [o for k in range(reminder_shards(self.run_.redis))
                          for o in conn.cmd("HVALS", reminder_shard_key("lease-owners", k)) or []]
                holders = [r for r in reps.live() if any(f":{r.proc.proc.pid}:" in o for o in owners)]
                if holders:
                    victim, why = self.rng.choice(holders), "holding claimed reminders"
                else:
                    time.sleep(0.02)
        victim = victim or self.rng.choice(reps.live())
        planner = conn.cmd("GET", "cv:{ntf}:planner-lease") or ""
        leads = f":{victim.proc.proc.pid}:" in planner
        t = time.time()
        reps.kill(victim)
        self.kills += 1
        self.mid_batch_kills += why != "at random"
        self.planner_kills += leads
        self.kill_log.append((t, victim.slot, why, leads))
        print(f"reminder model: {time.strftime('%H:%M:%S')} SIGKILL notification replica "
              f"{victim.slot} ({victim.mode}, pid {victim.proc.proc.pid}, {why}"
              f"{', the planner' if leads else ''})", flush=True)
        self.sleep(self.rng.uniform(0.3, 3))
        r = reps.start(victim.slot, reps.some_mode(victim.slot))
        if VERBOSE:
            print(f"  restarted replica {victim.slot} pid {r.proc.proc.pid} {r.mode}", flush=True)

    def pause(self, timeout=30):
        self.active.clear()
        self.idle.wait(timeout)

    def resume(self):
        self.active.set()


class Cron(threading.Thread):
    """RunDueReminders over gRPC, the cron-style path: at random instants and
    right at due instants (racing the background dispatchers, which look
    every 100 ms), on a live replica (a --dispatch=false one when there is).
    Each call on a thread of its own: a holding replica takes 2 s."""

    def __init__(self, replicas, rng, stop):
        super().__init__(daemon=True, name="cron")
        self.replicas, self.rng, self.stop = replicas, rng, stop
        self.lock = threading.Lock()
        self.at = []
        self.calls = self.dispatched = self.failed_calls = 0
        self.errors = []
        self.in_flight = threading.Semaphore(4)

    def add(self, instants):
        with self.lock:
            self.at.extend(instants)
            self.at.sort()

    def run(self):
        next_random = time.time() + self.rng.uniform(1, 4)
        while not self.stop.is_set():
            now = time.time()
            fire = False
            with self.lock:
                while self.at and self.at[0] <= now:
                    self.at.pop(0)
                    fire = True
            if now >= next_random:
                fire = True
                next_random = now + self.rng.uniform(1.5, 6)
            if fire and self.in_flight.acquire(blocking=False):
                threading.Thread(target=self.call, daemon=True).start()
            self.stop.wait(0.01)

    def call(self):
        r = None
        try:
            live = self.replicas.live()
            cron = [r for r in live if r.mode == "cron"]
            if not live:
                return
            r = self.rng.choice(cron if cron and self.rng.random() < 0.7 else live)
            out = unary(r.channel, "NotificationService", "RunDueReminders",
                        N.RunDueRemindersRequest(), N.RunDueRemindersResponse, timeout=30)
            with self.lock:
                self.calls += 1
                self.dispatched += out.dispatched
        except (grpc.RpcError, ValueError) as e:
            with self.lock:
                self.failed_calls += 1
                # A replica is marked dead before it is killed: a call that
                # failed on one still alive failed by itself (every failure
                # was taken for a kill, and neither counted nor shown).
                if r is not None and r.alive:
                    self.errors.append(f"RunDueReminders on live replica {r.slot} ({r.mode}): "
                                       f"{e.code().name + ' ' + e.details() if isinstance(e, grpc.RpcError) else e}")
        finally:
            self.in_flight.release()


# ---- one sequence ------------------------------------------------------------------

def local_text(instant):
    return datetime.datetime.fromtimestamp(instant, TZ).strftime("%Y-%m-%dT%H:%M:%S")


def local_date(instant):
    return datetime.datetime.fromtimestamp(instant, TZ).date().isoformat()


def ts_seconds(ts):
    return ts.seconds + ts.nanos / 1e9


class EventState:
    def __init__(self, pb, two_day, may_cancel):
        self.pb = pb
        self.id = pb.id
        self.two_day = two_day
        self.may_cancel = may_cancel
        self.cancelled = False
        self.movable = False
        self.late_movable = False
        self.model = None  # O.EventModel
        self.regs = {}     # pid -> {"days": {date: mode-or-None(cancelled)}, "forgotten": bool}


class Sequence:
    def __init__(self, run, number, rng, span):
        self.run, self.number, self.rng, self.span = run, number, rng, span
        self.oracle = O.Oracle()
        self.events = []
        self.request_n = 0
        self.pid_n = 0
        self.counts = collections.Counter()
        self.conn = RedisConn(run.redis)
        self.pending_done = []  # (op, stream, entry id)

    def close(self):
        self.conn.close()

    def rid(self, what):
        self.request_n += 1
        return f"{what}-{self.run.seed}-{self.number}-{self.request_n}"

    def log(self, text):
        if VERBOSE:
            print(f"  [{time.time():.3f}] {text}", flush=True)

    def cal(self, method, request, response_type):
        try:
            return unary(self.run.ch_cal, "CalendarService", method, request, response_type, timeout=20)
        except grpc.RpcError as e:
            raise HarnessError(f"CalendarService.{method}: {e.code().name} {e.details()}") from e

    def att(self, method, request, response_type):
        try:
            return unary(self.run.ch_att, "AttendanceService", method, request, response_type,
                         timeout=20)
        except grpc.RpcError as e:
            raise HarnessError(f"AttendanceService.{method}: {e.code().name} {e.details()}") from e

    def tip(self, stream):
        last = self.conn.cmd("XREVRANGE", stream, "+", "-", "COUNT", "1")
        return last[0][0] if last else "0-0"

    def planned_via(self, op, stream):
        """op's effect is in place once the planner has processed the
        stream's entries up to now."""
        self.pending_done.append((op, stream, self.tip(stream)))

    def resolve(self):
        for op, stream, entry in self.pending_done:
            op.done = self.run.watcher.done_time(stream, entry)

    # -- setup ---------------------------------------------------------------
    def create_event(self, i):
        rng = self.rng
        two_day = rng.random() < 0.3
        start = int(time.time()) + rng.randint(150, 300)
        start_dt = datetime.datetime.fromtimestamp(start, TZ)
        end_day = start_dt.date() + datetime.timedelta(days=1 if two_day else 0)
        end_dt = min(start_dt + datetime.timedelta(days=1 if two_day else 0, hours=2),
                     datetime.datetime.combine(end_day, datetime.time(23, 59, 59), TZ))
        event = K.Event(
            title=f"Reminder model {self.number}.{i}", description="first text",
            kind=K.EVENT_KIND_WEBINAR, format=common_pb2.EVENT_FORMAT_HYBRID, time_zone=ZONE,
            city="Brussels", start_local=start_dt.strftime("%Y-%m-%dT%H:%M:%S"),
            end_local=end_dt.strftime("%Y-%m-%dT%H:%M:%S"),
            venue=K.Venue(name="Maison de la ville", address="Rue Neuve 1, Bruxelles",
                          city="Brussels"),
            online=K.OnlineAccess(platform="Jitsi", join_url="https://meet.example.org/model"))
        pb = self.cal("CreateEvent", K.CreateEventRequest(request_id=self.rid("ev"), event=event),
                      K.Event)
        ev = EventState(pb, two_day, False)
        self.events.append(ev)
        return ev

    def setup(self):
        rng = self.rng
        for i in range(rng.randint(2, 3)):
            self.create_event(i)
        # At most one event of a sequence may be cancelled: the reminders of
        # a cancelled one are only 'at most once', the others' stay exact.
        if rng.random() < 0.8:
            rng.choice(self.events).may_cancel = True
        base = int(time.time())
        for ev in self.events:
            start = int(ts_seconds(ev.pb.start_time))
            # Some events keep every due instant 32 s+ away, so that they
            # can be moved first.
            ev.movable = self.span >= 38 and rng.random() < 0.5
            # Others have every due instant early, so that they can be
            # moved (late) 20 s+ ahead again once all went out.
            ev.late_movable = not ev.movable and rng.random() < 0.5
            if ev.late_movable:
                rels = sorted(rng.sample(range(6, 13), rng.randint(1, 3)))
            else:
                low = 32 if ev.movable else 6
                rels = sorted(rng.sample(range(low, int(self.span) + 1), rng.randint(2, 4)))
            offsets = [start - (base + r) for r in rels]
            policy = N.ReminderPolicy(event_id=ev.id, before_event=[
                duration_pb2.Duration(seconds=o) for o in offsets])
            got = self.run.replicas.call("SetReminderPolicy",
                                         N.SetReminderPolicyRequest(policy=policy), N.ReminderPolicy,
                                         timeout=30)
            if sorted(d.seconds for d in got.before_event) != sorted(offsets) or got.before_each_day:
                raise HarnessError(f"SetReminderPolicy answered {got}")
            dates = sorted({local_date(ts_seconds(ev.pb.start_time)),
                            local_date(ts_seconds(ev.pb.end_time) - 1)})
            ev.model = self.oracle.add_event(ev.id, ts_seconds(ev.pb.start_time), dates, offsets)
        for ev in self.events:
            for _ in range(rng.randint(4, 8)):
                self.register(ev)
        self.run.cron.add([d + rng.uniform(0, 0.08) for ev in self.events
                           for d in ev.model.dues() if rng.random() < 0.5])
        self.run.chaos.add_dues([d for ev in self.events for d in ev.model.dues()])

    # -- operations ------------------------------------------------------------
    def new_pid(self):
        self.pid_n += 1
        return f"p{self.run.seed % 100000}-{self.number}-{self.pid_n}"

    def register(self, ev, pid=None):
        rng = self.rng
        pid = pid or self.new_pid()
        zone, lang = rng.choice(PEOPLE_ZONES)
        mode = rng.choice([common_pb2.ATTENDANCE_MODE_ONLINE, common_pb2.ATTENDANCE_MODE_IN_PERSON])
        dates = list(ev.model.dates)
        req = A.RegisterRequest(
            event_id=ev.id, request_id=self.rid("reg"), mode=mode,
            participant=common_pb2.Participant(
                participant_id=pid, display_name=f"Partner {pid}", email=f"{pid}@example.org",
                time_zone=zone, language=lang))
        if len(dates) > 1 and rng.random() < 0.35:
            dates = [rng.choice(dates)]
            req.days.append(A.DayMode(date=dates[0], mode=mode))
        t0 = time.time()
        self.att("Register", req, A.Registration)
        op = O.Op("register", t0, time.time(), dates=dates)
        self.planned_via(op, attendance_stream(ev.id))
        self.oracle.add_registration(ev.id, pid, dates, op)
        ev.regs[pid] = {"days": {d: mode for d in dates}, "forgotten": False}
        self.counts["register"] += 1
        self.log(f"register {ev.id} {pid} {dates}")

    def live_regs(self, ev):
        return [pid for pid, r in ev.regs.items()
                if not r["forgotten"] and any(m is not None for m in r["days"].values())]

    def op_edit(self, ev, field):
        text = f"{field} {self.number}.{self.request_n} {self.rng.random():.6f}"
        event = K.Event(id=ev.id)
        setattr(event, field, text[:200])
        t0 = time.time()
        pb = self.update(event, [field], ev)
        op = O.Op(field, t0, time.time())
        self.planned_via(op, CALENDAR_STREAM)
        ev.model.edits.append(op)
        ev.pb = pb
        return op

    def update(self, event, paths, ev):
        req = K.UpdateEventRequest(event=event, update_mask=field_mask_pb2.FieldMask(paths=paths),
                                   expected_revision=ev.pb.revision)
        return self.cal("UpdateEvent", req, K.Event)

    def can_move(self, ev, delta):
        now = time.time()
        dues = ev.model.dues()
        return (min(dues) - now >= O.MOVE_MARGIN and min(dues) + delta - now >= O.MOVE_MARGIN)

    def late_move_delta(self, ev):
        """How far to move `ev` later so that the due instants already past
        (at least one) are MOVE_MARGIN+ ahead again, or None: another due
        instant is too near, or the run has no room left for the new ones."""
        now = time.time()
        dues = ev.model.dues()
        past = [d for d in dues if d < now - 1]
        if not past or any(now - 1 <= d < now + O.MOVE_MARGIN for d in dues):
            return None
        delta = math.ceil(now + O.MOVE_MARGIN + 2 - min(past)) + self.rng.randint(0, 4)
        left = self.run.started + self.run.seconds - time.monotonic()
        if max(dues) + delta - now + 15 > left:
            return None
        return delta

    def op_move(self, ev, late=False):
        if late:
            delta = self.late_move_delta(ev)
            if delta is None:
                return None
        else:
            delta = self.rng.choice([-1, 1]) * self.rng.randint(3, 10)
            if not self.can_move(ev, delta):
                return None
        start = ts_seconds(ev.pb.start_time) + delta
        end = ts_seconds(ev.pb.end_time) + delta
        if sorted({local_date(start), local_date(end - 1)}) != ev.model.dates:
            return None
        event = K.Event(id=ev.id, start_local=local_text(start), end_local=local_text(end))
        t0 = time.time()
        pb = self.update(event, ["start_local", "end_local"], ev)
        op = O.Op("move", t0, time.time(), note=f"{delta:+d} s{' (late)' if late else ''}")
        op.old, op.new = ev.model.start, ts_seconds(pb.start_time)
        if abs(op.new - op.old - delta) > 0.001:
            raise HarnessError(f"moved by {delta} s, start went {op.old} -> {op.new}")
        self.planned_via(op, CALENDAR_STREAM)
        ev.model.moves.append(op)
        ev.model.starts.append(op.new)
        ev.pb = pb
        # Cron calls and kills aimed at due instants follow them (those
        # aimed at the old ones stay: harmless).
        self.run.cron.add([d + self.rng.uniform(0, 0.08) for d in ev.model.dues()
                           if late or self.rng.random() < 0.5])
        self.run.chaos.add_dues(ev.model.dues())
        return op

    def op_cancel_event(self, ev):
        t0 = time.time()
        pb = self.cal("CancelEvent", K.CancelEventRequest(event_id=ev.id, reason="room flooded"),
                      K.Event)
        op = O.Op("cancel_event", t0, time.time())
        self.planned_via(op, CALENDAR_STREAM)
        ev.model.cancel = op
        ev.cancelled = True
        ev.pb = pb
        return op

    def op_mode(self, ev, pid):
        r = ev.regs[pid]
        days = []
        for d, m in r["days"].items():
            if m is None:
                continue
            new = (common_pb2.ATTENDANCE_MODE_IN_PERSON if m == common_pb2.ATTENDANCE_MODE_ONLINE
                   else common_pb2.ATTENDANCE_MODE_ONLINE)
            days.append(A.DayMode(date=d, mode=new))
        t0 = time.time()
        self.att("ChangeMode", A.ChangeModeRequest(event_id=ev.id, participant_id=pid, days=days,
                                                   request_id=self.rid("mode")), A.Registration)
        op = O.Op("mode", t0, time.time(), dates=[d.date for d in days])
        self.planned_via(op, attendance_stream(ev.id))
        self.oracle.regs[(ev.id, pid)].ops.append(op)
        for d in days:
            r["days"][d.date] = d.mode
        return op

    def op_cancel(self, ev, pid, one_day):
        r = ev.regs[pid]
        live = [d for d, m in r["days"].items() if m is not None]
        dates = [self.rng.choice(live)] if one_day else []
        t0 = time.time()
        self.att("CancelRegistration", A.CancelRegistrationRequest(
            event_id=ev.id, participant_id=pid, dates=dates, reason="model",
            request_id=self.rid("cancel")), A.Registration)
        op = O.Op("cancel_days" if dates else "cancel", t0, time.time(), dates=dates)
        self.planned_via(op, attendance_stream(ev.id))
        self.oracle.regs[(ev.id, pid)].ops.append(op)
        for d in (dates or list(r["days"])):
            r["days"][d] = None
        return op

    def op_forget(self, ev, pid, everywhere):
        t0 = time.time()
        self.att("ForgetParticipant", A.ForgetParticipantRequest(
            event_id="" if everywhere else ev.id, participant_id=pid,
            request_id=self.rid("forget"), reason="model erasure"), A.ForgetParticipantResponse)
        t1 = time.time()
        # Attendance erases its own data in the call and records
        # participant_forgotten in each event's stream; the planner erases
        # the reminders when it reads that entry: in place once it has.
        op = None
        for other in self.events:
            if (everywhere or other is ev) and pid in other.regs:
                op = O.Op("forget", t0, t1, note="every event" if everywhere else "")
                self.planned_via(op, attendance_stream(other.id))
                self.oracle.regs[(other.id, pid)].ops.append(op)
                other.regs[pid]["forgotten"] = True
        return op

    def do_op(self, ev, flavor):
        rng = self.rng
        if ev.cancelled:
            live = self.live_regs(ev)
            if not live or rng.random() < 0.5:
                return "nothing (event cancelled)"
            pid = rng.choice(live)
            if rng.random() < 0.6:
                self.op_forget(ev, pid, everywhere=rng.random() < 0.3)
                return f"forget {pid} (after the event was cancelled)"
            self.op_cancel(ev, pid, one_day=False)
            return f"cancel {pid} (after the event was cancelled)"
        if flavor == "cancel event":
            self.op_cancel_event(ev)
            self.counts["cancel_event"] += 1
            return "cancel event"
        if flavor in ("move", "late move"):
            op = self.op_move(ev, late=flavor == "late move")
            if op is not None:
                self.counts[flavor] += 1
                return f"move {op.note}"
            flavor = "random"
        near_due = flavor != "random"
        weights = {
            "description": 4 if near_due else 2, "title": 3 if near_due else 2,
            "mode": 4 if near_due else 2, "register": 1.5, "cancel": 1.2, "cancel_day": 0.8,
            "forget": 1.0, "move": 0 if near_due else 2.5,
            "cancel_event": (0.6 if near_due else 0.15) if ev.may_cancel else 0}
        kind = rng.choices(list(weights), list(weights.values()))[0]
        live = self.live_regs(ev)
        if kind in ("mode", "cancel", "cancel_day", "forget") and not live:
            kind = "register"
        if kind in ("description", "title"):
            self.op_edit(ev, kind)
            self.counts[kind] += 1
            return kind
        if kind == "move":
            op = self.op_move(ev)
            if op is None:
                self.op_edit(ev, "description")
                self.counts["description"] += 1
                return "description (no room to move)"
            self.counts["move"] += 1
            return f"move {op.note}"
        if kind == "cancel_event":
            self.op_cancel_event(ev)
            self.counts["cancel_event"] += 1
            return "cancel event"
        if kind == "register":
            # Now and then someone registered for another event of the sequence.
            others = [p for e in self.events if e is not ev for p in self.live_regs(e)
                      if p not in ev.regs]
            pid = rng.choice(others) if others and rng.random() < 0.3 else None
            self.register(ev, pid)
            return f"register {pid or 'new'}"
        pid = rng.choice(live)
        self.counts[kind] += 1
        if kind == "mode":
            self.op_mode(ev, pid)
        elif kind == "cancel":
            self.op_cancel(ev, pid, one_day=False)
        elif kind == "cancel_day":
            self.op_cancel(ev, pid, one_day=True)
        else:
            self.op_forget(ev, pid, everywhere=rng.random() < 0.3)
        return f"{kind} {pid}"

    def schedule(self):
        """[(when, ev, flavor)]: when() is the instant to act. Instants near
        a due instant follow that due instant as it is when the time comes:
        a move made first (they all come before the first due instant)
        shifts them with it. (Fixed instants computed before the moves put
        the edits 'after due' of every moved event seconds before or long
        after its due instants: none was counted in a run with moves.)"""
        rng = self.rng
        plan = []
        now = time.time()
        last = max(max(ev.model.dues()) for ev in self.events)

        def fixed(t):
            return lambda: t

        def due_plus(ev, k, delta):
            return lambda: ev.model.dues()[k] + delta

        def last_due_plus(ev, delta):
            return lambda: max(ev.model.dues()) + delta
        for ev in self.events:
            for k in range(len(ev.model.dues())):
                if rng.random() < 0.75:
                    plan.append((due_plus(ev, k, rng.uniform(1, 3)), ev, "after due"))
                if rng.random() < 0.3:
                    plan.append((due_plus(ev, k, rng.uniform(-0.3, 0.3)), ev, "at due"))
            if ev.may_cancel:
                # Cancelled around its first due instant, once: the later
                # reminders must then never go out, and only the first
                # ones are 'at most once'. (Left to the random picks alone,
                # runs of 90 s often cancelled no event: no cancellation
                # notice was checked.)
                dues = ev.model.dues()
                k = dues.index(min(dues))
                plan.append((due_plus(ev, k, rng.uniform(-0.5, 3)), ev, "cancel event"))
            if ev.late_movable:
                # A move once its reminders went out (or are going out).
                plan.append((last_due_plus(ev, rng.uniform(1.5, 3)), ev, "late move"))
            if ev.movable:
                # Moves while every due instant is still MOVE_MARGIN away.
                room = min(ev.model.dues()) - O.MOVE_MARGIN - 11 - now
                for _ in range(rng.randint(1, 2)):
                    plan.append((fixed(now + rng.uniform(0, max(0.0, room))), ev, "move"))
        for _ in range(rng.randint(4, 10)):
            plan.append((fixed(rng.uniform(now, last + 3)), rng.choice(self.events), "random"))
        return plan

    def run_ops(self):
        plan = self.schedule()
        while plan:
            # The next one by the instants as they are now (an op may move
            # an event, and with it the instants that follow its dues).
            i = min(range(len(plan)), key=lambda j: plan[j][0]())
            when, ev, flavor = plan.pop(i)
            wait = when() - time.time()
            if wait > 0:
                time.sleep(wait)
            before = time.time()
            what = self.do_op(ev, flavor)
            self.counts["operations"] += 1
            past = [d for d in ev.model.dues() if 0 < before - d <= 5]
            if past and what.split()[0] in ("description", "title", "mode"):
                self.counts["edits after due"] += 1
            self.log(f"{flavor:9s} {ev.id}: {what}")

    # -- checking ------------------------------------------------------------------
    def last_due(self):
        return max(max(ev.model.dues()) for ev in self.events)

    def settle(self, deadline):
        """Waits past the last due instant plus a lease and a hold, then
        until every reminder the oracle expects arrived (or a bound)."""
        run = self.run
        until = self.last_due() + LEASE_S + HOLD_S + 2
        for ev in self.events:
            if ev.model.cancel:
                until = max(until, ev.model.cancel.t1 + LEASE_S + HOLD_S + 2)
        time.sleep(max(0.0, until - time.time()))

        def all_arrived():
            self.resolve()
            expected = self.oracle.expectations()
            got = {r.key for r in run.sink.snapshot()}
            return all(k in got for k, (v, _, _) in expected.items() if v == O.ONE)
        # At least one redelivery round of the subscription (ack timeout and
        # its claim cadence), even when that overruns the run's bound a bit.
        wait_until(all_arrived, max(ACK_TIMEOUT_S + 7.0, min(40.0, deadline - time.monotonic() - 5)),
                   0.25)
        # Chaos off for the checks; a little quiet time for stragglers.
        run.chaos.pause()
        time.sleep(LEASE_S)

    def list_all(self, method, request_fn, response_type, field):
        out, token = [], ""
        for _ in range(200):
            page = self.run.replicas.call(method, request_fn(token), response_type)
            out.extend(getattr(page, field))
            token = page.next_page_token
            if not token:
                return out
        raise HarnessError(f"{method}: too many pages")

    def stuck(self):
        """Notifications still PENDING and reminders left past due."""
        lines = []
        now = time.time()
        for ev in self.events:
            notes = self.list_all("ListNotifications", lambda tok: N.ListNotificationsRequest(
                event_id=ev.id, page_size=1000, page_token=tok), N.ListNotificationsResponse,
                "notifications")
            for n in notes:
                if n.state != N.NOTIFICATION_STATE_SENT:
                    lines.append(f"STUCK {n.notification_id}: {N.NotificationState.Name(n.state)}"
                                 f" {n.failure_reason}")
            scheduled = self.list_all("ListScheduledReminders", lambda tok: N.ListScheduledRemindersRequest(
                event_id=ev.id, page_size=1000, page_token=tok), N.ListScheduledRemindersResponse,
                "reminders")
            for r in scheduled:
                due = ts_seconds(r.due_time)
                if due < now - 2 * (LEASE_S + HOLD_S):
                    lines.append(f"STUCK reminder {ev.id}/{r.participant_id}/{r.reminder_id}: due "
                                 f"{due:.3f}, {now - due:.1f} s ago, still scheduled")
        return lines

    def check(self):
        # Notifications the sink has not acknowledged yet are PENDING; give
        # it (and a redelivery) a moment before calling them stuck.
        stuck = [] if wait_until(lambda: not self.stuck(), 10, 0.5) else self.stuck()
        self.resolve()
        receipts = [r for r in self.run.sink.snapshot() if r.event_id in self.oracle.events]
        totals, lines = self.oracle.compare(receipts)
        lines.extend(stuck)
        totals["stuck"] += len(stuck)
        if VERBOSE:
            got = collections.Counter(r.key for r in receipts)
            for key, (verdict, due, reason) in sorted(self.oracle.expectations().items()):
                print(f"  {key}: {verdict}, received {got[key]}: {reason}", flush=True)
        return totals, lines


# ---- the test --------------------------------------------------------------------

class ReminderModelTest(unittest.TestCase):
    def setUp(self):
        self.seed = int(os.environ.get("CONVENE_REMINDER_SEED")
                        or random.SystemRandom().randrange(2**32))
        self.seconds = float(os.environ.get("CONVENE_REMINDER_SECONDS") or 90)
        print(f"reminder model: seed {self.seed} (CONVENE_REMINDER_SEED={self.seed} reproduces), "
              f"{self.seconds:g} s", flush=True)
        self.started = time.monotonic()
        self.rng = random.Random(self.seed)
        self.passed = False
        self.redis = RedisServer()
        self.addCleanup(self.redis.cleanup)
        self.redis.start()
        self.stop = threading.Event()
        self.logs = []
        self.addCleanup(self.remove_logs)
        self.calendar = self.spawn("calendar/convene-calendar")
        self.attendance = self.spawn("attendance/convene-attendance")
        self.ch_cal = grpc.insecure_channel(self.calendar.target)
        self.addCleanup(self.ch_cal.close)
        self.ch_att = grpc.insecure_channel(self.attendance.target)
        self.addCleanup(self.ch_att.close)
        self.replicas = Replicas(self, self.redis, random.Random(f"{self.seed}/replicas"),
                                 self.rng.choice([2, 3, 3]))
        print("reminder model: notification replicas: " + ", ".join(
            f"{r.slot} {r.mode}" for r in self.replicas.live()), flush=True)
        # Threads: stopped first (cleanups run last-in first-out).
        self.watcher = PlannerWatcher(self.redis, self.stop)
        self.sink = Sink(self.replicas, self.stop, self.seconds)
        self.chaos = Chaos(self, random.Random(f"{self.seed}/chaos"),
                           max_kills=max(2, int(self.seconds / 8)))
        self.cron = Cron(self.replicas, random.Random(f"{self.seed}/cron"), self.stop)
        self.addCleanup(self.stop_threads)
        for t in (self.watcher, self.sink, self.chaos, self.cron):
            t.start()

    def spawn(self, binary):
        deadline = time.monotonic() + 120
        while True:
            try:
                p = ConveneProcess(binary, self.redis.address)
                break
            except (OSError, RuntimeError) as e:
                if time.monotonic() > deadline:
                    raise
                print(f"reminder model: starting {binary} failed ({e}); retrying", flush=True)
                time.sleep(2)
        self.addCleanup(stop_process, p)
        self.logs.append(p.log_path)
        return p

    def planner_alive(self):
        conn = RedisConn(self.redis)
        try:
            lease = conn.cmd("GET", "cv:{ntf}:planner-lease") or ""
        finally:
            conn.close()
        return any(f":{r.proc.proc.pid}:" in lease for r in self.replicas.live())

    def stop_threads(self):
        self.stop.set()
        self.chaos.active.set()
        self.sink.close()
        for t in (self.chaos, self.cron, self.sink, self.watcher):
            t.join(30)

    def remove_logs(self):
        logs = self.logs + self.replicas.logs if hasattr(self, "replicas") else self.logs
        if self.passed:
            for path in logs:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        else:
            print("reminder model: process logs kept: " + " ".join(logs), flush=True)

    def test_reminders_are_delivered_exactly_once_under_edits_and_kills(self):
        deadline = self.started + self.seconds
        totals = collections.Counter()
        failures = []
        number = 0
        while True:
            # A planner killed just before would leave the sequence's
            # registrations planned only once its lease (10 s) ran out, and
            # their first due instants open: start with one at work.
            wait_until(self.planner_alive, 20, 0.1)
            # A sequence needs its span, ~10 s to settle and ~5 s to check.
            room = deadline - time.monotonic() - 20
            if room < 10:
                break
            span = min(self.rng.choice([self.rng.uniform(15, 45), self.rng.uniform(38, 50)]), room)
            seq = Sequence(self, number, random.Random(f"{self.seed}/{number}"), span)
            print(f"reminder model: sequence {number}: reminders due within {span:.0f} s", flush=True)
            try:
                seq.setup()
                self.chaos.resume()
                seq.run_ops()
                seq.settle(deadline)
                seq_totals, lines = seq.check()
            except HarnessError as e:
                self.chaos.pause()
                seq_totals, lines = collections.Counter(harness_errors=1), [f"HARNESS {e}"]
            except Exception:  # a bug of the test itself
                self.chaos.pause()
                seq_totals = collections.Counter(harness_errors=1)
                lines = ["HARNESS " + line for line in traceback.format_exc().splitlines()]
            finally:
                seq.close()
            seq_totals.update({k: v for k, v in seq.counts.items()})
            totals.update({k: v for k, v in seq_totals.items() if k != "max latency ms"})
            totals["max latency ms"] = max(totals["max latency ms"], seq_totals["max latency ms"])
            totals["sequences"] += 1
            print(f"reminder model: sequence {number} ({time.monotonic() - self.started:.0f} s "
                  f"into the run): {len(seq.events)} events, {len(seq.oracle.regs)} registrations, "
                  f"{seq.counts['operations']} operations ({seq.counts['edits after due']} edits "
                  f"after due); reminders expected {seq_totals[f'reminders {O.ONE}']}, "
                  f"delivered {seq_totals[f'reminders {O.ONE}, delivered']}, at most once "
                  f"{seq_totals[f'reminders {O.ZERO_OR_ONE}']} "
                  f"({seq_totals['reminders at most once, delivered']} delivered), never "
                  f"{seq_totals[f'reminders {O.ZERO}']}; notices expected "
                  f"{seq_totals[f'notices {O.ONE}']} (+{seq_totals[f'notices {O.ZERO_OR_ONE}']} at most "
                  f"once), delivered {seq_totals['notices delivered']}; "
                  f"{seq_totals['edits of due, unsent reminders']} edits of due, unsent reminders; "
                  f"lost {seq_totals['lost']}, duplicated {seq_totals['duplicated']}, "
                  f"unexpected {seq_totals['unexpected']}, stuck {seq_totals['stuck']}", flush=True)
            if lines:
                header = (f"reminder model: FAILURE seed={self.seed} sequence={number} "
                          f"(CONVENE_REMINDER_SEED={self.seed})")
                print(header + "".join(f"\n  {line}" for line in lines[:60]), flush=True)
                failures.append(header + "".join(f"\n  {line}" for line in lines[:60]))
            number += 1
        self.chaos.pause()
        # A last look over the whole run: a late second copy of a reminder of
        # an earlier sequence shows here.
        time.sleep(1)
        receipts = self.sink.snapshot()
        per_key = collections.defaultdict(set)
        for r in receipts:
            per_key[r.key].add(r.notification_id)
        late_dups = [f"DUPLICATE {k}: {sorted(ids)}" for k, ids in per_key.items() if len(ids) > 1]
        if late_dups and not totals["duplicated"]:
            failures.append("reminder model: duplicates over the whole run:\n  " +
                            "\n  ".join(late_dups[:40]))
        totals["duplicated (whole run)"] = len(late_dups)
        c = self.chaos
        print(f"reminder model: seed {self.seed}: {totals['sequences']} sequences, "
              f"{totals[f'reminders {O.ONE}']} reminders expected, "
              f"{totals[f'reminders {O.ONE}, delivered']} delivered, "
              f"{totals[f'reminders {O.ZERO_OR_ONE}']} at most once "
              f"({totals['reminders at most once, delivered']} delivered), "
              f"{totals[f'reminders {O.ZERO}']} that must not be sent; "
              f"{totals[f'notices {O.ONE}']} cancellation notices expected "
              f"(+{totals[f'notices {O.ZERO_OR_ONE}']} at most once), "
              f"{totals['notices delivered']} delivered; "
              f"{c.kills} kills ({c.mid_batch_kills} holding claimed reminders, {c.planner_kills} "
              f"of the planner), {self.cron.calls} RunDueReminders calls "
              f"({self.cron.dispatched} dispatched, {self.cron.failed_calls} failed), {totals['edits after due']} edits 0-5 s after "
              f"a due instant ({totals['edits of due, unsent reminders']} times a due reminder "
              f"was still unsent), "
              f"{totals['operations']} operations; lost {totals['lost']}, duplicated "
              f"{totals['duplicated (whole run)']}, unexpected {totals['unexpected']}, stuck "
              f"{totals['stuck']}, redelivered same id {totals['redelivered (same id)']}, "
              f"test assumptions broken {totals['anomalies']}, harness errors "
              f"{totals['harness_errors']}; max latency after due {totals['max latency ms']} ms; "
              f"sink reconnects {self.sink.reconnects}, acks given up {self.sink.ack_failures}, "
              f"{len(receipts)} notifications received", flush=True)
        print("reminder model: at most once because " + ", ".join(
            f"{k.split(': ', 1)[1]}: {n}" for k, n in sorted(totals.items())
            if k.startswith("reminders at most once: ")), flush=True)
        print("reminder model: calls made: " + ", ".join(
            f"{k} {totals[k]}" for k in ("register", "description", "title", "move", "late move",
                                         "mode", "cancel", "cancel_day", "forget",
                                         "cancel_event")),
              flush=True)
        if c.error:
            failures.append("chaos thread failed:\n" + c.error)
        if self.cron.errors:
            failures.append("RunDueReminders failed:\n  " + "\n  ".join(self.cron.errors[:20]))
        if self.watcher.error:
            print(f"reminder model: planner watcher had an error: {self.watcher.error}", flush=True)
        for p in (self.calendar, self.attendance):
            if p.proc.poll() is not None:
                failures.append(f"{p.proc.args[0]} exited with {p.proc.returncode}")
        self.assertGreater(totals["sequences"], 0, "no time for a single sequence")
        if failures:
            self.fail("\n".join(failures))
        self.passed = True



# ---- the plan: every rule, far ahead, then a delivery minutes away ---------

PLAN_ZONES = ["Europe/Brussels", "Europe/Athens", "America/New_York", "Australia/Sydney",
              "Europe/Lisbon", "Asia/Tokyo"]
PLAN_PEOPLE = PEOPLE_ZONES + [("America/New_York", "en"), ("Australia/Sydney", "pt"),
                              ("Asia/Tokyo", "ja"), ("Europe/Athens", "el"), ("Europe/Brussels", "en"),
                              ("Europe/Berlin", "")]
PLAN_OFFSETS = [1800, 3600, 3 * 3600, 86400, 25 * 3600, 2 * 86400, 7 * 86400]
MODES = {common_pb2.ATTENDANCE_MODE_IN_PERSON: "in_person",
         common_pb2.ATTENDANCE_MODE_ONLINE: "online"}
MODE_PB = {v: k for k, v in MODES.items()}
STATUSES = {A.REGISTRATION_STATUS_CONFIRMED: "confirmed",
            A.REGISTRATION_STATUS_WAITLISTED: "waitlisted",
            A.REGISTRATION_STATUS_CANCELLED: "cancelled"}
FORMATS = {"": common_pb2.EVENT_FORMAT_UNSPECIFIED, "hybrid": common_pb2.EVENT_FORMAT_HYBRID,
           "in_person": common_pb2.EVENT_FORMAT_IN_PERSON,
           "online": common_pb2.EVENT_FORMAT_ONLINE}
KINDS = {N.REMINDER_KIND_BEFORE_EVENT: "event", N.REMINDER_KIND_BEFORE_DAY: "day"}


def clock_changes(zone, year):
    """The local dates in `year` after which `zone`'s UTC offset differs."""
    tz = zoneinfo.ZoneInfo(zone)
    out = []
    d = datetime.date(year, 1, 1)
    while d.year == year:
        a = datetime.datetime.combine(d, datetime.time(12), tz).utcoffset()
        b = datetime.datetime.combine(d + datetime.timedelta(days=1), datetime.time(12), tz).utcoffset()
        if a != b:
            out.append(d + datetime.timedelta(days=1))
        d += datetime.timedelta(days=1)
    return out


def fmt_local(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


class PlanRun:
    """One event far ahead (weeks to a year, often days around a clock
    change) with sessions of every format, capacities that make waitlists,
    a policy with before_event and before_each_day offsets (often the same
    one in both), registrations for all days or chosen days with a mode per
    day, then random calls: mode changes and days taken back (ChangeMode),
    day and whole cancellations (promotions), capacity raises (promotions),
    moves to other dates (day i stays day i), days added or removed, policy
    changes, now and then the event's cancellation. After each burst the
    plan (ListScheduledReminders) must equal reminder_oracle.plan_of() of
    every registration as attendance shows it."""

    def __init__(self, test, number, rng):
        self.t, self.number, self.rng = test, number, rng
        self.counts = collections.Counter()
        self.failures = []
        self.n = 0
        self.pids = []
        self.people = {}  # pid -> (zone, language)

    def rid(self, what):
        self.n += 1
        return f"plan-{what}-{self.t.seed}-{self.number}-{self.n}"

    def cal(self, method, request, response_type):
        try:
            return unary(self.t.ch_cal, "CalendarService", method, request, response_type, timeout=20)
        except grpc.RpcError as e:
            raise HarnessError(f"CalendarService.{method}: {e.code().name} {e.details()}") from e

    def att(self, method, request, response_type, refused_ok=False):
        try:
            return unary(self.t.ch_att, "AttendanceService", method, request, response_type,
                         timeout=20)
        except grpc.RpcError as e:
            if refused_ok and e.code() in (grpc.StatusCode.FAILED_PRECONDITION,
                                           grpc.StatusCode.INVALID_ARGUMENT,
                                           grpc.StatusCode.ALREADY_EXISTS):
                return None
            raise HarnessError(f"AttendanceService.{method}: {e.code().name} {e.details()}") from e

    def ntf(self, method, request, response_type):
        try:
            return unary(self.t.ch_ntf, "NotificationService", method, request, response_type,
                         timeout=20)
        except grpc.RpcError as e:
            raise HarnessError(f"NotificationService.{method}: {e.code().name} {e.details()}") from e

    # -- the event ---------------------------------------------------------------
    def pick_start(self):
        """(zone, first date, opening hour)."""
        rng = self.rng
        if rng.random() < 0.15:
            # Opening in Tokyo at 07:30 the day after a European clock
            # change: 00:30 or 23:30 for readers in Europe, so "1 day
            # before" spans two of their dates, or none ("in 24 hours").
            changes = clock_changes("Europe/Brussels", datetime.date.today().year + 1)
            day = rng.choice(changes) + datetime.timedelta(days=rng.choice([0, 1]))
            return "Asia/Tokyo", day, datetime.time(7, 30)
        opening = datetime.time(9, rng.choice([0, 30]))
        zone = rng.choice(PLAN_ZONES)
        today = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()
        changes = [d for y in (today.year + 1, today.year + 2) for d in clock_changes(zone, y)]
        if changes and rng.random() < 0.75:
            day = rng.choice(changes) + datetime.timedelta(days=rng.randint(-2, 2))
        else:
            day = today + datetime.timedelta(days=rng.randint(12, 300))
        return zone, day, opening

    def sessions_for(self, dates, start):
        """[(start, end, format)] naive local, inside each day's hours."""
        rng = self.rng
        out = []
        for i, d in enumerate(dates):
            if rng.random() < 0.4:
                continue
            for _ in range(rng.randint(1, 3)):
                if i == 0 and rng.random() < 0.4:
                    s = start  # the first session opens the event: reminders can repeat
                else:
                    s = datetime.datetime.combine(d, datetime.time(rng.randint(10, 15),
                                                                   rng.choice([0, 30])))
                out.append((s, s + datetime.timedelta(minutes=rng.choice([45, 60, 90])),
                            rng.choice(["", "hybrid", "in_person", "online", "in_person", "online"])))
        return out

    def event_pb(self, with_id=False):
        m = self.model
        e = K.Event(
            title=f"Plan model {self.number}", kind=K.EVENT_KIND_WORKSHOP,
            format=common_pb2.EVENT_FORMAT_HYBRID, time_zone=m.zone, city="Somewhere",
            start_local=fmt_local(m.start), end_local=fmt_local(m.end),
            venue=K.Venue(name="Hall", address="Main Street 1", city="Somewhere",
                          in_person_capacity=self.capacity[0]),
            online=K.OnlineAccess(platform="Jitsi", join_url="https://meet.example.org/plan",
                                  online_capacity=self.capacity[1]))
        for i, (s, e_, f) in enumerate(m.sessions):
            sid = self.session_ids[i] if with_id else f"s{self.number}x{i}"
            e.sessions.append(K.Session(id=sid, title=f"Session {i}", start_local=fmt_local(s),
                                        end_local=fmt_local(e_), format=FORMATS[f]))
        return e

    def create(self):
        rng = self.rng
        zone, day, opening = self.pick_start()
        ndays = rng.randint(1, 3)
        start = datetime.datetime.combine(day, opening)
        end = datetime.datetime.combine(day + datetime.timedelta(days=ndays - 1), datetime.time(17, 30))
        dates = [day + datetime.timedelta(days=i) for i in range(ndays)]
        sessions = self.sessions_for(dates, start)
        be = sorted(rng.sample(PLAN_OFFSETS, rng.randint(1, 3)))
        bd = sorted(rng.sample(PLAN_OFFSETS, rng.randint(1, 2)))
        if rng.random() < 0.5 and not set(be) & set(bd):
            bd = sorted(set(bd[:1]) | {rng.choice(be)})
        self.model = O.PlanEvent("", zone, start, end, sessions, be, bd)
        self.session_ids = [f"s{self.number}x{i}" for i in range(len(sessions))]
        self.next_session = len(sessions)
        self.capacity = [rng.choice([0, 1, 2, 3]), rng.choice([0, 1, 2, 3])]
        pb = self.cal("CreateEvent", K.CreateEventRequest(request_id=self.rid("ev"),
                                                          event=self.event_pb(with_id=True)), K.Event)
        self.pb = pb
        self.model.id = pb.id
        self.set_policy(be, bd)
        self.counts["events"] += 1
        self.counts[f"events in {zone}"] += 1
        opens = O.instant(zone, start)
        if O.crosses_clock_change(zone, opens - 7 * 86400, opens):
            self.counts["events within 7 days after a clock change"] += 1

    def set_policy(self, be, bd):
        got = self.ntf("SetReminderPolicy", N.SetReminderPolicyRequest(policy=N.ReminderPolicy(
            event_id=self.model.id, before_event=[duration_pb2.Duration(seconds=o) for o in be],
            before_each_day=[duration_pb2.Duration(seconds=o) for o in bd])), N.ReminderPolicy)
        if sorted(d.seconds for d in got.before_event) != sorted(be) or \
                sorted(d.seconds for d in got.before_each_day) != sorted(bd):
            raise HarnessError(f"SetReminderPolicy answered {got}")
        self.model.before_event, self.model.before_each_day = list(be), list(bd)

    def update(self, paths):
        req = K.UpdateEventRequest(event=self.event_pb(with_id=True),
                                   update_mask=field_mask_pb2.FieldMask(paths=paths),
                                   expected_revision=self.pb.revision)
        req.event.id = self.pb.id
        self.pb = self.cal("UpdateEvent", req, K.Event)

    # -- registrations -------------------------------------------------------------
    def register(self):
        rng = self.rng
        pid = f"q{self.t.seed % 100000}-{self.number}-{len(self.pids) + 1}"
        zone, lang = rng.choice(PLAN_PEOPLE)
        mode = rng.choice(list(MODES))
        req = A.RegisterRequest(
            event_id=self.model.id, request_id=self.rid("reg"), mode=mode,
            participant=common_pb2.Participant(participant_id=pid, display_name=f"P {pid}",
                                               email=f"{pid}@example.org", time_zone=zone,
                                               language=lang))
        dates = self.model.dates()
        if len(dates) > 1 and rng.random() < 0.5:
            for d in sorted(rng.sample(dates, rng.randint(1, len(dates) - 1))):
                req.days.append(A.DayMode(date=d, mode=rng.choice(list(MODES))))
            self.counts["registered for chosen days"] += 1
        elif len(dates) > 1 and rng.random() < 0.5:
            for d in dates:
                req.days.append(A.DayMode(date=d, mode=rng.choice(list(MODES))))
            self.counts["registered for every day, named"] += 1
        else:
            self.counts["registered for all days"] += 1
        self.att("Register", req, A.Registration)
        self.pids.append(pid)
        self.people[pid] = (zone, lang)

    def registration(self, pid):
        r = self.att("GetRegistration", A.GetRegistrationRequest(event_id=self.model.id,
                                                                 participant_id=pid),
                     A.Registration)
        return [(d.date, MODES.get(d.mode, str(d.mode)), STATUSES.get(d.status, str(d.status)))
                for d in r.days]

    def registrations(self):
        return {pid: self.registration(pid) for pid in self.pids}

    # -- calls ---------------------------------------------------------------------
    def op(self):
        rng = self.rng
        m = self.model
        weights = {"mode": 3, "take back": 2, "cancel_day": 2, "cancel": 1, "register": 1.5,
                   "capacity": 1, "move": 1.5, "add day": 1, "remove day": 1, "policy": 1,
                   "cancel_event": 0.15}
        kind = rng.choices(list(weights), list(weights.values()))[0]
        regs = self.registrations()
        live = [p for p, days in regs.items() if any(s != "cancelled" for _, _, s in days)]
        if kind in ("mode", "cancel_day", "cancel", "take back") and not live:
            kind = "register"
        if kind == "mode":
            pid = rng.choice(live)
            d, mode, _ = rng.choice([x for x in regs[pid] if x[2] != "cancelled"])
            new = "online" if mode == "in_person" else "in_person"
            self.att("ChangeMode", A.ChangeModeRequest(
                event_id=m.id, participant_id=pid, request_id=self.rid("mode"),
                days=[A.DayMode(date=d, mode=MODE_PB[new])]), A.Registration)
        elif kind == "take back":
            pid = rng.choice(live)
            # Someone who can take a day back (or add one), when there is.
            can = [p for p in live if {d for d, _, s in regs[p] if s != "cancelled"} < set(m.dates())]
            pid = rng.choice(can) if can else pid
            held = {d for d, _, s in regs[pid] if s != "cancelled"}
            free = [d for d in m.dates() if d not in held]
            given_up = [d for d in free if d in {x[0] for x in regs[pid]}]
            if given_up and rng.random() < 0.7:
                free = given_up
            if not free:
                kind = "mode (none to take back)"
                d = rng.choice(sorted(held))
            else:
                d = rng.choice(free)
                self.counts["days taken back" if d in {x[0] for x in regs[pid]} else
                            "days added that were never asked for"] += 1
                if held and d < min(held):
                    self.counts["days added before the first day held"] += 1
            self.att("ChangeMode", A.ChangeModeRequest(
                event_id=m.id, participant_id=pid, request_id=self.rid("mode"),
                days=[A.DayMode(date=d, mode=rng.choice(list(MODES)))]), A.Registration)
        elif kind in ("cancel_day", "cancel"):
            pid = rng.choice(live)
            held = [d for d, _, s in regs[pid] if s != "cancelled"]
            dates = [rng.choice(held)] if kind == "cancel_day" else []
            self.att("CancelRegistration", A.CancelRegistrationRequest(
                event_id=m.id, participant_id=pid, dates=dates, reason="plan model",
                request_id=self.rid("cancel")), A.Registration)
        elif kind == "register":
            self.register()
        elif kind == "capacity":
            i = rng.randint(0, 1)
            self.capacity[i] = 0 if rng.random() < 0.3 else self.capacity[i] + rng.randint(1, 2)
            self.update(["venue.in_person_capacity", "online.online_capacity"])
        elif kind == "move":
            return self.move(regs)
        elif kind in ("add day", "remove day"):
            ndays = len(m.dates())
            if kind == "remove day" and ndays == 1 or kind == "add day" and ndays >= 4:
                kind = "policy"
            else:
                # At the end or, now and then, at the front (the opening day
                # changes: before_event reminders follow it).
                front = rng.random() < 0.35
                if front:
                    m.start -= datetime.timedelta(days=1 if kind == "add day" else -1)
                else:
                    m.end += datetime.timedelta(days=1 if kind == "add day" else -1)
                kept = [(s, i) for s, i in zip(m.sessions, self.session_ids)
                        if s[0].date().isoformat() in m.dates()]
                m.sessions = [s for s, _ in kept]
                self.session_ids = [i for _, i in kept]
                if kind == "add day" and rng.random() < 0.5:
                    new_day = (m.start if front else m.end).date()
                    extra = self.sessions_for([new_day], m.start)
                    m.sessions += extra
                    for _ in extra:
                        self.session_ids.append(f"s{self.number}x{self.next_session}")
                        self.next_session += 1
                self.update(["start_local", "end_local", "sessions"])
                kind += " at the front" if front else " at the end"
        if kind == "policy":
            be = sorted(rng.sample(PLAN_OFFSETS, rng.randint(1, 3)))
            bd = sorted(set(rng.sample(PLAN_OFFSETS, rng.randint(0, 2))) |
                        ({rng.choice(be)} if rng.random() < 0.5 else set()))
            self.set_policy(be, bd)
        elif kind == "cancel_event":
            self.cal("CancelEvent", K.CancelEventRequest(event_id=m.id, reason="plan model"),
                     K.Event)
            m.cancelled = True
        self.counts[f"call {kind}"] += 1
        return kind

    def move(self, regs):
        """Moves the event (sessions along) by whole days; every
        registration's day i must then be the event's day i, in the same mode
        and status (README, attendance: moved, same number of days)."""
        rng = self.rng
        m = self.model
        today = datetime.datetime.now(zoneinfo.ZoneInfo(m.zone)).date()
        for _ in range(10):
            k = rng.choice([1, 2, 3, 7, 20, 40, -1, -2, -7, -20])
            if m.start.date() + datetime.timedelta(days=k) >= today + datetime.timedelta(days=12):
                break
        else:
            k = 30
        old_dates = m.dates()
        delta = datetime.timedelta(days=k)
        m.start += delta
        m.end += delta
        m.sessions = [(s + delta, e + delta, f) for s, e, f in m.sessions]
        self.update(["start_local", "end_local", "sessions"])
        new_dates = m.dates()
        index = {d: new_dates[i] for i, d in enumerate(old_dates)}
        # A day on a date the event no longer had (a day removed: kept,
        # cancelled) stays, unless a moved day lands on its date.
        want = {}
        for pid, days in regs.items():
            moved = [(index[d], mode, st) for d, mode, st in days if d in index]
            landed = {d for d, _, _ in moved}
            want[pid] = sorted(moved + [x for x in days if x[0] not in index and
                                        not (x[0] in landed and x[2] == "cancelled")])
        got = {}

        def moved():
            got.update(self.registrations())
            return got == want
        if not wait_until(moved, 15, 0.2):
            for pid in sorted(want):
                if got.get(pid) != want[pid]:
                    self.failures.append(f"MOVE {m.id} by {k} days: {pid} had {regs[pid]}, "
                                         f"expected {want[pid]}, attendance shows {got.get(pid)}")
        self.counts["call move"] += 1
        self.counts["moves across a clock change"] += O.crosses_clock_change(
            m.zone, O.instant(m.zone, m.start - delta), O.instant(m.zone, m.start))
        return "move"

    # -- checking ------------------------------------------------------------------
    def planned(self):
        out, token = {}, ""
        for _ in range(50):
            page = self.ntf("ListScheduledReminders", N.ListScheduledRemindersRequest(
                event_id=self.model.id, page_size=1000, page_token=token),
                N.ListScheduledRemindersResponse)
            for r in page.reminders:
                # A cancelled event's notice is listed beside the reminders
                # while it waits; the reminders are what is checked here.
                if r.reminder_id != "cancelled":
                    out.setdefault(r.participant_id, {})[r.reminder_id] = r
            token = page.next_page_token
            if not token:
                return out
        raise HarnessError("ListScheduledReminders: too many pages")

    def expected(self, regs):
        now = time.time()
        out, repeats = {}, {}
        for pid, days in regs.items():
            zone, lang = self.people[pid]
            out[pid], repeats[pid] = O.plan_of(self.model, zone, lang, days, now)
        return out, repeats

    def diff(self, regs, planned):
        want, _ = self.expected(regs)
        lines = []
        for pid in sorted(set(want) | set(planned)):
            w, g = want.get(pid, {}), planned.get(pid, {})
            for rid in sorted(set(w) | set(g)):
                if rid not in g:
                    x = w[rid]
                    lines.append(f"MISSING {self.model.id}/{pid}/{rid}: due {x.due:.0f} "
                                 f"({x.why}, {x.mode}); days {regs[pid]}")
                elif rid not in w:
                    lines.append(f"UNEXPECTED {self.model.id}/{pid}/{rid}: due "
                                 f"{ts_seconds(g[rid].due_time):.0f}; days {regs.get(pid)}")
                else:
                    x, r = w[rid], g[rid]
                    got = (KINDS.get(r.kind, str(r.kind)), r.day, MODES.get(r.mode, str(r.mode)),
                           round(ts_seconds(r.due_time)), r.time_zone, r.language)
                    if got != x.fields():
                        lines.append(f"WRONG {self.model.id}/{pid}/{rid} ({x.why}): planned {got}, "
                                     f"expected {x.fields()}; days {regs[pid]}")
                        continue
                    local = datetime.datetime.fromtimestamp(round(x.due), zoneinfo.ZoneInfo(x.time_zone))
                    if not r.due_local.startswith(local.strftime("%Y-%m-%dT%H:%M")):
                        lines.append(f"WRONG due_local {self.model.id}/{pid}/{rid}: "
                                     f"{r.due_local!r}, expected {fmt_local(local)} in {x.time_zone}")
        return lines

    def check(self, label):
        """Until the plan matches (planning follows the streams: a moment),
        at most 15 s; then counts what was checked."""
        state = {}

        def matches():
            state["regs"] = self.registrations()
            state["planned"] = self.planned()
            state["lines"] = self.diff(state["regs"], state["planned"])
            return not state["lines"]
        if not wait_until(matches, 15, 0.25):
            self.failures.extend(f"{label}: {line}" for line in state["lines"][:30])
            self.counts["plan mismatches"] += len(state["lines"])
            return
        want, repeats = self.expected(state["regs"])
        m = self.model
        # The same reminders listed by participant (every event of theirs).
        pid = self.rng.choice(self.pids)
        by_pid = {r.reminder_id for r in self.ntf("ListScheduledReminders",
                                                  N.ListScheduledRemindersRequest(
                                                      participant_id=pid, page_size=1000),
                                                  N.ListScheduledRemindersResponse).reminders
                  if r.event_id == m.id and r.reminder_id != "cancelled"}
        if by_pid != set(want[pid]):
            self.failures.append(f"{label}: BY PARTICIPANT {m.id}/{pid}: listed {sorted(by_pid)}, "
                                 f"expected {sorted(want[pid])}")
        self.counts["plans compared by participant"] += 1
        for pid, plan in want.items():
            zone, _ = self.people[pid]
            self.counts["repeats of a before_event reminder left out"] += len(repeats[pid])
            self.counts["waitlisted days (no reminder)"] += sum(
                1 for _, _, s in state["regs"][pid] if s == "waitlisted")
            for x in plan.values():
                self.counts[f"planned {x.kind} reminders checked"] += 1
                self.counts[f"planned, start from: {x.why}"] += 1
                if O.crosses_clock_change(m.zone, x.due, self.start_of(x)):
                    self.counts["planned across a clock change"] += 1
                if not zone:
                    self.counts["planned in the venue's zone (none given)"] += 1
                elif zone != m.zone:
                    self.counts["planned in another zone than the venue's"] += 1
                if x.language == "en" and O.language_of(self.people[pid][1]) == "en" and \
                        not self.people[pid][1].startswith("en"):
                    self.counts["planned in English for an unsupported language"] += 1
        self.counts["plans compared"] += 1
        self.check_texts(want)

    def check_texts(self, want):
        """The English texts of the planned reminders: the lead counted on
        the reader's dates, the venue's clock and theirs. Texts are rendered
        when planned, but no call shows them before they are sent (weeks
        ahead here), so they are read from the reminder records in Redis
        (README, Storage: the reminder records of the event's shard)."""
        m = self.model
        conn = RedisConn(self.t.redis)
        conn.raw = True
        try:
            for pid, plan in want.items():
                for x in plan.values():
                    if x.language != "en":
                        continue
                    shard = reminder_shard_of(m.id, reminder_shards(self.t.redis))
                    record = conn.cmd("HGET", reminder_shard_key("reminders", shard),
                                      f"{m.id}/{pid}/{x.reminder_id}")
                    n = N.Notification.FromString(record) if record else None
                    self.check_text(pid, x, n)
        finally:
            conn.close()

    def check_text(self, pid, x, n):
        m = self.model
        if n is None:
            self.failures.append(f"TEXT {m.id}/{pid}/{x.reminder_id}: planned, but no "
                                 f"record")
            return
        starts = self.start_of(x)
        lead = O.english_lead(round(starts - x.due), starts, x.time_zone)
        parts = [lead] + O.english_clock(starts, m.zone, x.time_zone)
        missing = [p for p in parts if p not in n.body]
        if missing:
            self.failures.append(f"TEXT {m.id}/{pid}/{x.reminder_id} (due {x.due:.0f}, "
                                 f"starts {starts:.0f}, reader {x.time_zone}): lacks "
                                 f"{missing}: {n.body!r}")
            return
        self.counts["English texts checked"] += 1
        if lead.endswith("hours") and round(starts - x.due) % 86400 == 0:
            self.counts["English texts: whole days given in hours (clock change)"] += 1

    def start_of(self, x):
        for o in self.model.before_event + self.model.before_each_day:
            if x.reminder_id.rsplit("-", 1)[-1] == O.iso_duration(o) and x.reminder_id.startswith(
                    "event-" if x.kind == "event" else "day-"):
                return x.due + o
        return x.due

    def run(self, deadline):
        self.create()
        for _ in range(self.rng.randint(4, 7)):
            self.register()
        self.check("after registering")
        # Waitlisted days before the calls: promotions come from them.
        before = {p: {d for d, _, s in days if s == "waitlisted"}
                  for p, days in self.registrations().items()}
        for i in range(self.rng.randint(4, 9)):
            if time.monotonic() > deadline or self.model.cancelled:
                break
            what = self.op()
            if self.rng.random() < 0.5 or what in ("move", "cancel_event"):
                self.check(f"after call {i} ({what})")
            after = self.registrations()
            for p, days in after.items():
                promoted = {d for d, _, s in days if s == "confirmed"} & before.get(p, set())
                self.counts["days promoted from the waiting list"] += len(promoted)
            before = {p: {d for d, _, s in days if s == "waitlisted"} for p, days in after.items()}
        self.check("at the end")


class ReminderPlanModelTest(unittest.TestCase):
    """Planned reminders against reminder_oracle.plan_of() (PlanRun), for
    random events far ahead; then one delivery minutes away in the
    participant's zone and language, with a promotion after a due instant.
    Its own budget: CONVENE_REMINDER_PLAN_SECONDS (default 60)."""

    def setUp(self):
        self.seed = int(os.environ.get("CONVENE_REMINDER_SEED")
                        or random.SystemRandom().randrange(2**32))
        self.seconds = float(os.environ.get("CONVENE_REMINDER_PLAN_SECONDS") or 60)
        print(f"reminder plan model: seed {self.seed} (CONVENE_REMINDER_SEED={self.seed} "
              f"reproduces), {self.seconds:g} s", flush=True)
        self.started = time.monotonic()
        self.rng = random.Random(self.seed)
        self.redis = RedisServer()
        self.addCleanup(self.redis.cleanup)
        self.redis.start()
        self.procs = []
        for binary, args in (("calendar/convene-calendar", []),
                             ("attendance/convene-attendance", []),
                             (NOTIFICATION_BINARY, ["--notices=false"])):
            p = ConveneProcess(binary, self.redis.address, args)
            self.addCleanup(stop_process, p)
            self.procs.append(p)
        self.ch_cal = grpc.insecure_channel(self.procs[0].target)
        self.ch_att = grpc.insecure_channel(self.procs[1].target)
        self.ch_ntf = grpc.insecure_channel(self.procs[2].target)
        for ch in (self.ch_cal, self.ch_att, self.ch_ntf):
            self.addCleanup(ch.close)

    def test_planned_reminders_follow_every_rule(self):
        deadline = self.started + self.seconds
        totals = collections.Counter()
        failures = []
        # Delivery first: it has to wait for its due instants in real time.
        if os.environ.get("CONVENE_REMINDER_PLAN_RUN") is None:
            d_totals, d_lines = DeliveryRun(self, random.Random(f"{self.seed}/delivery")).run()
            totals.update(d_totals)
            failures.extend(d_lines)
        # CONVENE_REMINDER_PLAN_RUN=N: start at run N (a failure names its run).
        number = int(os.environ.get("CONVENE_REMINDER_PLAN_RUN") or 0)
        first = number
        while time.monotonic() < deadline - 8:
            run = PlanRun(self, number, random.Random(f"{self.seed}/plan/{number}"))
            try:
                run.run(deadline)
            except HarnessError as e:
                run.failures.append(f"HARNESS {e}")
            totals.update(run.counts)
            if run.failures:
                failures.append(f"reminder plan model: FAILURE seed={self.seed} run={number} "
                                f"({run.model.zone} {run.model.start}..{run.model.end}, policy "
                                f"{run.model.before_event}/{run.model.before_each_day}):\n  " +
                                "\n  ".join(run.failures[:40]))
                print(failures[-1], flush=True)
            number += 1
        totals["plan runs"] = number - first
        print(f"reminder plan model: seed {self.seed}: " + ", ".join(
            f"{k} {v}" for k, v in sorted(totals.items())), flush=True)
        self.assertGreater(totals["plans compared"], 0)
        if failures:
            self.fail("\n".join(failures))


class DeliveryRun:
    """A hybrid event in Europe/Athens starting a few minutes ahead, with an
    in-person-only session first and an online one later the same day; a
    before_each_day policy whose reminders fall due 8-12 s and 24-28 s from
    now; the room holds one: the second in-person registration waits. Each
    delivered reminder must carry the participant's zone and language, the
    day and mode, and name the start of their mode's first session in the
    venue's local time (and theirs when their zone differs). The waitlisted
    person is promoted after the first due instant: only the second
    reminder is theirs (a reminder already due when it is planned is not
    sent)."""

    def __init__(self, test, rng):
        self.t, self.rng = test, rng
        self.zone = "Europe/Athens"
        self.plan = PlanRun(test, 9999, rng)

    def run(self):
        t, p = self.t, self.plan
        tz = zoneinfo.ZoneInfo(self.zone)
        now = time.time()
        base = datetime.datetime.fromtimestamp(int(now) + 240, tz).replace(tzinfo=None)
        if base.date() != (base + datetime.timedelta(minutes=30)).date():
            return collections.Counter(delivery_skipped_near_midnight=1), []
        in_person = base + datetime.timedelta(minutes=2)
        online = base + datetime.timedelta(minutes=5)
        p.model = O.PlanEvent("", self.zone, base, base + datetime.timedelta(minutes=20),
                              [(in_person, in_person + datetime.timedelta(minutes=2), "in_person"),
                               (online, online + datetime.timedelta(minutes=2), "online")], [], [])
        p.session_ids = ["tour", "talk"]
        p.capacity = [1, 0]
        pb = p.cal("CreateEvent", K.CreateEventRequest(request_id=p.rid("ev"),
                                                       event=p.event_pb(with_id=True)), K.Event)
        p.pb, p.model.id = pb, pb.id
        ip_start = O.instant(self.zone, in_person)
        # Offsets so that the in-person reminders fall due 10 s and 26 s from
        # now; the online ones 3 minutes later (never in this run's window:
        # nobody online is checked by delivery, only by the plan).
        o1, o2 = int(ip_start - (now + 10)), int(ip_start - (now + 26))
        p.set_policy([], sorted([o1, o2]))
        people = [("ath-a", "Europe/Rome", "it", "in_person"),
                  ("ath-b", "America/New_York", "de", "in_person"),
                  ("ath-c", "", "xx", "online")]
        received = []

        def sink():
            ch = t.ch_ntf
            sub = ch.unary_stream("/convene.v1.NotificationService/SubscribeNotifications",
                                  request_serializer=N.SubscribeNotificationsRequest.SerializeToString,
                                  response_deserializer=N.Notification.FromString)
            stream = sub(N.SubscribeNotificationsRequest(subscriber="plan-mailer", event_ids=[pb.id],
                                                         ack_timeout=duration_pb2.Duration(seconds=60)),
                         timeout=120)
            stop_stream.append(stream)
            try:
                for n in stream:
                    received.append((time.time(), n))
                    unary(ch, "NotificationService", "AckNotification", N.AckNotificationRequest(
                        subscriber="plan-mailer", notification_id=n.notification_id),
                        N.AckNotificationResponse)
            except grpc.RpcError:
                pass
        stop_stream = []
        th = threading.Thread(target=sink, daemon=True)
        th.start()
        for pid, zone, lang, mode in people:
            p.att("Register", A.RegisterRequest(
                event_id=pb.id, request_id=p.rid("reg"), mode=MODE_PB[mode],
                participant=common_pb2.Participant(participant_id=pid, display_name=pid,
                                                   email=f"{pid}@example.org", time_zone=zone,
                                                   language=lang)), A.Registration)
            p.pids.append(pid)
            p.people[pid] = (zone, lang)
        p.check("delivery: planned")
        # Promote ath-b after the first due instant: cancel ath-a's day.
        time.sleep(max(0.0, now + 14 - time.time()))
        p.att("CancelRegistration", A.CancelRegistrationRequest(
            event_id=pb.id, participant_id="ath-a", reason="plan model", request_id=p.rid("cancel")),
            A.Registration)
        if p.registration("ath-b")[0][2] != "confirmed":
            p.failures.append(f"ath-b not promoted: {p.registration('ath-b')}")
        p.check("delivery: after the promotion")
        want = {("ath-a", f"day-{in_person.date()}-{O.iso_duration(o1)}"),
                ("ath-b", f"day-{in_person.date()}-{O.iso_duration(o2)}")}
        wait_until(lambda: len(received) >= 2 and time.time() > now + 30, 25, 0.2)
        time.sleep(1)
        for s in stop_stream:
            s.cancel()
        th.join(10)
        got = {(n.participant_id, n.reminder_id) for _, n in received}
        for key in sorted(want - got):
            p.failures.append(f"DELIVERY LOST {pb.id}/{key[0]}/{key[1]}")
        for key in sorted(got - want):
            p.failures.append(f"DELIVERY UNEXPECTED {pb.id}/{key[0]}/{key[1]} (ath-b was "
                              f"waitlisted when its first reminder fell due)")
        for _, n in received:
            pid = n.participant_id
            zone, lang = p.people[pid]
            want_zone = zone or self.zone
            local_venue = in_person.strftime("%H:%M")
            local_theirs = datetime.datetime.fromtimestamp(
                ip_start, zoneinfo.ZoneInfo(want_zone)).strftime("%H:%M")
            problems = []
            if n.language != O.language_of(lang):
                problems.append(f"language {n.language!r}, expected {O.language_of(lang)!r}")
            if n.time_zone != want_zone:
                problems.append(f"time_zone {n.time_zone!r}, expected {want_zone!r}")
            if n.day != in_person.date().isoformat() or MODES.get(n.mode) != "in_person":
                problems.append(f"day {n.day} mode {n.mode}, expected {in_person.date()} in person")
            if abs(ts_seconds(n.due_time) - (ip_start - (o1 if pid == "ath-a" else o2))) > 1:
                problems.append(f"due {ts_seconds(n.due_time)}")
            if local_venue not in n.body or local_theirs not in n.body or want_zone not in n.body:
                problems.append(f"body does not give {local_venue} at the venue and "
                                f"{local_theirs} in {want_zone}: {n.body!r}")
            if problems:
                p.failures.append(f"DELIVERED {n.notification_id}: " + "; ".join(problems))
            else:
                p.counts["delivered in the participant's zone and language"] += 1
        p.counts["delivery reminders received"] += len(received)
        return p.counts, p.failures


if __name__ == "__main__":
    unittest.main(verbosity=2)
