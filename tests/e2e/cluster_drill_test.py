"""Drills on a real Redis Cluster (three primaries with a replica each,
started by convene_e2e.RedisCluster), with convened on redis-cluster://:

* live resharding under load: the slot of a busy event's tag moves to
  another primary key by key (MIGRATING/IMPORTING + MIGRATE, then SETSLOT
  NODE) while four clients check people in; no call fails (RedisClient
  follows ASK and MOVED) and the counts stay exact;
* a primary SIGKILLed under check-in load (--redis_wait_replicas=1): its
  replica takes over; calls fail only with UNAVAILABLE or DEADLINE_EXCEEDED
  meanwhile and succeed again with no service restarted, once a spare node
  has joined as the new primary's replica; no acknowledged check-in is
  lost;
* reminders on three reminder shards (one hash tag each, spread over the
  primaries): the primary holding a shard whose reminders are claimed and
  being dispatched is SIGKILLed; once its replica has taken over, every
  reminder of every shard reaches the stream sink exactly once."""
import datetime
import os
import signal
import subprocess
import threading
import time
import unittest
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

import grpc
from google.protobuf import duration_pb2

from convene_e2e import (ConveneProcess, RedisCluster, during_day, reminder_shard_key,
                         reminder_shard_of, unary, wait_until)
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2, notification_pb2

DAY = "2022-03-15"


class ClusterDrillTest(unittest.TestCase):
    def start(self, extra_args=()):
        self.cluster = RedisCluster(primaries=3, replicas=1)
        self.addCleanup(self.cluster.cleanup)
        self.cluster.start()
        self.server = ConveneProcess("convened/convened", self.cluster.address,
                                     extra_args=list(extra_args))
        self.addCleanup(lambda: self.server.stop(signal.SIGKILL))
        self.channel = grpc.insecure_channel(self.server.target)
        self.addCleanup(self.channel.close)

    def create_event(self, name):
        event = calendar_pb2.Event(
            title="Drill " + name, format=common_pb2.EVENT_FORMAT_HYBRID,
            time_zone="Europe/Athens", start_local=f"{DAY}T09:00", end_local=f"{DAY}T17:30",
            venue=calendar_pb2.Venue(name="Thessaloniki City Hall", in_person_capacity=5000),
            online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/x"))
        return unary(self.channel, "CalendarService", "CreateEvent",
                     calendar_pb2.CreateEventRequest(request_id="drill-" + name, event=event),
                     calendar_pb2.Event, timeout=15)

    def register(self, event, n):
        for i in range(n):
            unary(self.channel, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=event.id, request_id=f"reg-{event.id}-{i}",
                mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                participant=common_pb2.Participant(participant_id=f"p{i}",
                                                   display_name=f"Partner {i}", city="Torino")),
                attendance_pb2.Registration, timeout=15)

    def check_in(self, event, i, timeout=5.0):
        return unary(self.channel, "AttendanceService", "CheckIn", attendance_pb2.CheckInRequest(
            event_id=event.id, participant_id=f"p{i}", day=DAY,
            mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
            source=attendance_pb2.CHECK_IN_SOURCE_DESK, request_id=f"ci-{event.id}-{i}",
            occurred_time=during_day(event, DAY)), attendance_pb2.CheckInRecord, timeout=timeout)

    def checked_in(self, event):
        counts = unary(self.channel, "AttendanceService", "GetAttendanceCounts",
                       attendance_pb2.GetAttendanceCountsRequest(event_id=event.id),
                       attendance_pb2.AttendanceCounts, timeout=15)
        return counts.days[0].counts.checked_in_in_person

    def node(self, port, *args):
        return subprocess.run(["redis-cli", "-p", str(port), *args],
                              capture_output=True, text=True, timeout=10).stdout

    def slot_of(self, event):
        return int(self.node(self.cluster.ports[0], "CLUSTER", "KEYSLOT", f"{{ev:{event.id}}}"))

    def primaries(self):
        """{port: (node id, [(first slot, last slot), ...])} of the primaries now."""
        out = {}
        for line in self.node(self.cluster.ports[0], "CLUSTER", "NODES").splitlines():
            f = line.split()
            if len(f) < 8 or "master" not in f[2] or "fail" in f[2]:
                continue
            port = int(f[1].split("@")[0].rsplit(":", 1)[1])
            ranges = []
            for r in f[8:]:
                if r.startswith("["):
                    continue
                a, _, b = r.partition("-")
                ranges.append((int(a), int(b or a)))
            out[port] = (f[0], ranges)
        return out

    def owner_port(self, slot):
        for port, (_, ranges) in self.primaries().items():
            if any(a <= slot <= b for a, b in ranges):
                return port
        return None

    def attach_spare_replica(self, primary_port):
        """The new primary has no replica, so WAIT 1 refuses writes there:
        attach a spare node as its replica (what an operator does)."""
        primary_id = self.primaries()[primary_port][0]
        spare_port = self.cluster.add_spare_node()
        added = subprocess.run(
            ["redis-cli", "--cluster", "add-node", f"127.0.0.1:{spare_port}",
             f"127.0.0.1:{primary_port}", "--cluster-slave", "--cluster-master-id", primary_id],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(added.returncode, 0, added.stdout + added.stderr)
        self.assertTrue(wait_until(lambda: "master_link_status:up" in self.node(
            spare_port, "INFO", "replication"), 30, 0.2), "the spare replica did not sync")

    def kill_primary(self, port):
        index = self.cluster.ports.index(port)
        self.cluster.procs[index].send_signal(signal.SIGKILL)
        self.cluster.procs[index].wait(10)

    def load(self, event, indices, results, until=None):
        """Checks in `indices` from four threads; `results` gets (i, code).
        With `until` (a threading.Event), each thread goes round its part
        again (repeats, which still write) until it is set, for at most 90 s."""
        lock = threading.Lock()

        def worker(part):
            deadline = time.monotonic() + 90
            while True:
                for i in part:
                    try:
                        self.check_in(event, i)
                        code = grpc.StatusCode.OK
                    except grpc.RpcError as e:
                        code = e.code()
                    with lock:
                        results.append((i, code))
                if until is None or until.is_set() or time.monotonic() > deadline:
                    return
        threads = [threading.Thread(target=worker, args=(indices[k::4],)) for k in range(4)]
        for t in threads:
            t.start()
        return threads

    def test_live_resharding_under_check_in_load_fails_no_call(self):
        self.start()
        event = self.create_event("reshard")
        self.register(event, 400)
        slot = self.slot_of(event)
        source = self.owner_port(slot)
        target = next(p for p in self.primaries() if p != source)
        source_id, target_id = self.primaries()[source][0], self.primaries()[target][0]
        results = []
        threads = self.load(event, list(range(400)), results)
        time.sleep(0.2)
        self.assertIn("OK", self.node(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", source_id))
        self.assertIn("OK", self.node(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", target_id))
        moved = 0
        while True:
            # Twenty keys a step: check-ins still meet a half-moved slot
            # (ASK, TRYAGAIN) at every step, and the move stays well inside
            # the services' 2 s Redis deadline even on a slow shared
            # machine (five a step took long enough there that a check-in
            # retrying TRYAGAIN ran out of it).
            keys = self.node(source, "CLUSTER", "GETKEYSINSLOT", str(slot), "20").split()
            if not keys:
                break
            out = self.node(source, "MIGRATE", "127.0.0.1", str(target), "", "0", "5000",
                            "KEYS", *keys)
            self.assertIn("OK", out)
            moved += len(keys)
            time.sleep(0.01)  # check-ins meet a half-moved slot (ASK)
        for port in self.primaries():
            self.assertIn("OK", self.node(port, "CLUSTER", "SETSLOT", str(slot), "NODE", target_id))
        for t in threads:
            t.join(120)
        failed = [(i, c) for i, c in results if c != grpc.StatusCode.OK]
        print(f"resharding drill: {moved} keys of slot {slot} moved from :{source} to :{target} "
              f"under {len(results)} check-ins, {len(failed)} failed", flush=True)
        self.assertEqual(failed, [], "calls failed while the slot moved")
        self.assertGreater(moved, 0)
        self.assertEqual(self.owner_port(slot), target)
        self.assertEqual(self.checked_in(event), 400)
        # And after the move (MOVED for a client with the old map): repeats
        # are still answered as repeats.
        self.assertTrue(self.check_in(event, 7).duplicate)

    def test_a_killed_primary_fails_over_and_no_acknowledged_write_is_lost(self):
        self.start(["--redis_wait_replicas=1"])
        event = self.create_event("failover")
        self.register(event, 300)
        slot = self.slot_of(event)
        victim = self.owner_port(slot)
        results = []
        done = threading.Event()
        threads = self.load(event, list(range(300)), results, until=done)
        time.sleep(0.5)
        self.kill_primary(victim)
        killed_at = time.monotonic()
        # The replica is promoted (cluster-node-timeout 2 s).
        self.assertTrue(wait_until(lambda: self.owner_port(slot) not in (None, victim), 30, 0.2),
                        "no replica took over the slot")
        promoted_after = time.monotonic() - killed_at
        self.attach_spare_replica(self.owner_port(slot))
        time.sleep(1)  # load on the healed shard
        done.set()
        for t in threads:
            t.join(180)
        allowed = {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE,
                   grpc.StatusCode.DEADLINE_EXCEEDED}
        self.assertEqual([(i, c) for i, c in results if c not in allowed], [])
        acked = {i for i, c in results if c == grpc.StatusCode.OK}
        self.assertGreater(len(acked), 0)
        print(f"failover drill: replica promoted {promoted_after:.1f} s after the SIGKILL; "
              f"under load {len(results)} calls, {len(acked)} of 300 check-ins acknowledged, "
              f"{sum(c == grpc.StatusCode.UNAVAILABLE for _, c in results)} UNAVAILABLE, "
              f"{sum(c == grpc.StatusCode.DEADLINE_EXCEEDED for _, c in results)} DEADLINE_EXCEEDED",
              flush=True)
        # Calls succeed again, with no service restarted: retry the failed ones.
        def retried():
            for i in range(300):
                if i not in acked:
                    try:
                        self.check_in(event, i, timeout=10)
                        acked.add(i)
                    except grpc.RpcError:
                        return False
            return True
        self.assertTrue(wait_until(retried, 60, 0.5), "check-ins did not resume")
        # Every acknowledged check-in is there, each counted once.
        self.assertEqual(self.checked_in(event), 300)

    def test_a_primary_killed_during_reminder_dispatch_loses_and_doubles_none(self):
        shards = 3
        # Each shard's dispatcher holds what it claims for 2 s before
        # completing it, so a batch is certain to be in flight at the kill;
        # a lease lost with the node is taken again after 4 s.
        self.cluster = RedisCluster(primaries=3, replicas=1)
        self.addCleanup(self.cluster.cleanup)
        self.cluster.start()
        common = ["--redis_wait_replicas=1", "--log_rpcs=false"]
        channels = {}
        for name, binary, extra in [
                ("calendar", "calendar/convene-calendar", []),
                ("attendance", "attendance/convene-attendance", []),
                # Each shard's dispatcher holds what it claims for 2 s before
                # completing it, so a batch is certain to be in flight at the
                # kill; a lease lost with the node is taken again after 4 s.
                ("notification", "notification/convene-notification",
                 [f"--reminder_shards={shards}", "--dispatch_hold_for_testing=2s",
                  "--dispatch_lease=4s", "--notices=false"])]:
            proc = ConveneProcess(binary, self.cluster.address, extra_args=common + extra)
            self.addCleanup(lambda p=proc: p.stop(signal.SIGKILL))
            channels[name] = grpc.insecure_channel(proc.target)
            self.addCleanup(channels[name].close)
        zone = zoneinfo.ZoneInfo("Europe/Brussels")
        start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
                 ).replace(second=0, microsecond=0)
        local = lambda dt: dt.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        # Webinars until every shard holds at least one (event ids are the
        # server's; reminder_shard_of is the test's own copy of the rule).
        events = []
        for n in range(30):
            made = unary(channels["calendar"], "CalendarService", "CreateEvent",
                         calendar_pb2.CreateEventRequest(request_id=f"webinar-{n}", event=calendar_pb2.Event(
                             title=f"CONNECTION webinar {n}", format=common_pb2.EVENT_FORMAT_ONLINE,
                             time_zone="Europe/Brussels", city="Brussels", start_local=local(start),
                             end_local=local(start + datetime.timedelta(hours=1)),
                             online=calendar_pb2.OnlineAccess(
                                 platform="Zoom", join_url="https://meet.example.org/webinar"))),
                         calendar_pb2.Event, timeout=15)
            events.append(made)
            covered = {reminder_shard_of(e.id, shards) for e in events}
            if len(events) >= 6 and len(covered) == shards:
                break
        self.assertEqual(len({reminder_shard_of(e.id, shards) for e in events}), shards)
        # Three reminders per registration, 1 s apart, the first about 35 s
        # from now.
        due = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=35)
        lead = (start - due).total_seconds()
        for e in events:
            unary(channels["notification"], "NotificationService", "SetReminderPolicy",
                  notification_pb2.SetReminderPolicyRequest(policy=notification_pb2.ReminderPolicy(
                      event_id=e.id, before_event=[duration_pb2.Duration(seconds=int(s))
                                                   for s in (lead, lead + 1, lead + 2)])),
                  notification_pb2.ReminderPolicy, timeout=30)
        people = 100

        def register(args):
            e, i = args
            unary(channels["attendance"], "AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=e.id, request_id=f"reg-{e.id}-{i}", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
                participant=common_pb2.Participant(
                    participant_id=f"p{i}", display_name=f"Partner {i}",
                    email=f"p{i}@example.org", time_zone="Europe/Rome", language="it")),
                attendance_pb2.Registration, timeout=30)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(register, [(e, i) for e in events for i in range(people)]))
        expected = len(events) * people * 3

        def scheduled(e):
            page = unary(channels["notification"], "NotificationService", "ListScheduledReminders",
                         notification_pb2.ListScheduledRemindersRequest(event_id=e.id, page_size=1000),
                         notification_pb2.ListScheduledRemindersResponse, timeout=30)
            return len(page.reminders)
        self.assertTrue(wait_until(lambda: sum(scheduled(e) for e in events) == expected, 25, 0.5),
                        "not every registration was planned before the reminders were due")
        # Each event's reminders wait in its shard's due set, on the primary
        # owning that shard's tag.
        cli = self.cluster.cli
        for k in range(shards):
            want = sum(people * 3 for e in events if reminder_shard_of(e.id, shards) == k)
            self.assertEqual(cli("ZCARD", reminder_shard_key("due", k)).strip(), str(want),
                             f"shard {k}")
        shard_ports = {k: self.owner_port(int(cli("CLUSTER", "KEYSLOT",
                                                  reminder_shard_key("due", k)).strip()))
                       for k in range(shards)}
        # The victim: a shard not on shard 0's node if there is one, so the
        # kill takes some shards and leaves others.
        victim_shard = next((k for k in range(1, shards) if shard_ports[k] != shard_ports[0]), 0)
        victim = shard_ports[victim_shard]
        on_victim = sorted(k for k in range(shards) if shard_ports[k] == victim)

        received, lock, all_in = [], threading.Lock(), threading.Event()

        def sink():
            subscribe = channels["notification"].unary_stream(
                "/convene.v1.NotificationService/SubscribeNotifications",
                request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
                response_deserializer=notification_pb2.Notification.FromString)
            ack = channels["notification"].unary_unary(
                "/convene.v1.NotificationService/AckNotification",
                request_serializer=notification_pb2.AckNotificationRequest.SerializeToString,
                response_deserializer=notification_pb2.AckNotificationResponse.FromString)
            deadline = time.monotonic() + 150
            while not all_in.is_set() and time.monotonic() < deadline:
                stream = subscribe(notification_pb2.SubscribeNotificationsRequest(
                    subscriber="mailer", ack_timeout=duration_pb2.Duration(seconds=5)), timeout=150)
                try:
                    for n in stream:
                        # Counted once acknowledged: one whose ack failed
                        # (its shard failing over) is handed out again, as
                        # the stream sink promises, and counted then.
                        try:
                            ack(notification_pb2.AckNotificationRequest(
                                subscriber="mailer", notification_id=n.notification_id), timeout=10)
                        except grpc.RpcError:
                            continue
                        with lock:
                            received.append(n.notification_id)
                            if len(received) >= expected:
                                all_in.set()
                        if all_in.is_set():
                            break
                except grpc.RpcError:
                    time.sleep(0.5)  # resubscribe, as a mail gateway would
                finally:
                    stream.cancel()
        consumer = threading.Thread(target=sink, daemon=True)
        consumer.start()
        time.sleep(max(0.0, (due - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))
        holds = lambda: cli("HLEN", reminder_shard_key("lease-owners", victim_shard)).strip() not in ("", "0")
        self.assertTrue(wait_until(holds, 20, 0.02), "the victim shard never had a batch in flight")
        self.kill_primary(victim)
        killed_at = time.monotonic()
        self.assertTrue(wait_until(lambda: self.owner_port(int(cli(
            "CLUSTER", "KEYSLOT", reminder_shard_key("due", victim_shard)).strip())) not in (None, victim),
            30, 0.2), "no replica took over the victim shard")
        promoted_after = time.monotonic() - killed_at
        self.attach_spare_replica(self.owner_port(int(cli(
            "CLUSTER", "KEYSLOT", reminder_shard_key("due", victim_shard)).strip())))
        self.assertTrue(all_in.wait(120), f"only {len(received)} of {expected} reminders arrived")
        delivered_after = time.monotonic() - killed_at
        consumer.join(15)
        self.assertEqual(len(received), expected, "a reminder arrived twice or not at all")
        self.assertEqual(len(set(received)), expected, "a reminder arrived twice")
        # One notification per reminder in the outboxes, nothing left due or leased.
        self.assertEqual(sum(int(cli("XLEN", reminder_shard_key("outbox", k)).strip() or 0)
                             for k in range(shards)), expected)
        for k in range(shards):
            self.assertEqual(cli("ZCARD", reminder_shard_key("due", k)).strip(), "0", f"shard {k}")
            self.assertEqual(cli("ZCARD", reminder_shard_key("leases", k)).strip(), "0", f"shard {k}")
        print(f"reminder drill: {expected} reminders of {len(events)} webinars on {shards} shards; "
              f"the primary of shard(s) {on_victim} SIGKILLed with a batch in flight; replica "
              f"promoted {promoted_after:.1f} s after; all {expected} delivered exactly once, the "
              f"last {delivered_after:.1f} s after the kill", flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
