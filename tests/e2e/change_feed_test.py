"""End to end: the change feed across services (CalendarService.ListChanges
and WatchChanges) on convened with authentication on, over a private
redis-server. Schedule and attendance changes come out of one feed, in
order, resumable from any position, filtered by event and kind; an
integration token gets ids only; after an erasure no key in Redis holds the
person's name or e-mail."""
import queue
import subprocess
import threading
import time
import unittest

import grpc

from convene_e2e import (BUILD_DIR, EACH_KEY_LUA, ConveneProcess, FreezableRelay, RedisServer,
                         eval_on_every_node, local_timestamp, stream_id_key, unary, wait_until)
from convene.v1 import admin_pb2, attendance_pb2, calendar_pb2, common_pb2
from google.protobuf import field_mask_pb2

IN_PERSON = common_pb2.ATTENDANCE_MODE_IN_PERSON
ONLINE = common_pb2.ATTENDANCE_MODE_ONLINE
K = calendar_pb2

# Everything in Redis under cv:, values included, in one script call.
DUMP_KEYSPACE = EACH_KEY_LUA + """
local out = {}
each_key(function(k, values)
  out[#out + 1] = k
  for _, v in ipairs(values or {}) do out[#out + 1] = v end
end)
return out
"""


class ChangeFeedE2ETest(unittest.TestCase):
    def setUp(self):
        # Cleanups, not tearDown: they also run when setUp fails half-way.
        self.redis = RedisServer()
        self.redis.start()
        self.addCleanup(self.redis.cleanup)
        self.server = ConveneProcess("convened/convened", self.redis.address, secure=True,
                                     extra_args=["--rate_limit=0"])
        self.addCleanup(self.server.stop)
        self.channel = grpc.insecure_channel(self.server.target)
        self.addCleanup(self.channel.close)
        self.admin = subprocess.run(
            [f"{BUILD_DIR}/services/admin/convene-admin", "bootstrap-token",
             "--redis=" + self.redis.address],
            capture_output=True, text=True, timeout=30, check=True).stdout.strip()
        self.organizer = self.token("organizer", "programme office")
        self.integration = self.token("integration", "outlook sync")

    def token(self, role, name, event_ids=()):
        return unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name=name, role=role, event_ids=list(event_ids))),
            admin_pb2.CreateTokenResponse,
            metadata=[("authorization", "Bearer " + self.admin)]).secret

    def call(self, service, method, request, response_type, token=None):
        return unary(self.channel, service, method, request, response_type,
                     metadata=[("authorization", "Bearer " + (token or self.organizer))])

    def list_changes(self, token=None, **kw):
        return self.call("CalendarService", "ListChanges", K.ListChangesRequest(**kw),
                         K.ListChangesResponse, token)

    def all_changes(self, token=None, page_size=0, **kw):
        """Every change after kw's position, page by page (bounded)."""
        changes, position = [], kw.pop("position", "")
        for _ in range(1000):
            page = self.list_changes(token, position=position, page_size=page_size, **kw)
            changes.extend(page.changes)
            position = page.next_position
            if not page.has_more:
                break
        return changes

    def watch(self, token=None, stamped=False, **kw):
        """A WatchChanges stream read on a thread into a queue (of (arrival
        time, change) pairs when `stamped`)."""
        call = self.channel.unary_stream(
            "/convene.v1.CalendarService/WatchChanges",
            request_serializer=K.WatchChangesRequest.SerializeToString,
            response_deserializer=K.Change.FromString)
        stream = call(K.WatchChangesRequest(**kw), timeout=60,
                      metadata=[("authorization", "Bearer " + (token or self.organizer))])
        received = queue.Queue()

        def consume():
            try:
                for change in stream:
                    received.put((time.monotonic(), change) if stamped else change)
            except grpc.RpcError as e:
                received.put(e)
        threading.Thread(target=consume, daemon=True).start()
        return stream, received

    def create_event(self, request_id, title, zone, start, end, seats):
        event = K.Event(title=title, format=common_pb2.EVENT_FORMAT_HYBRID, time_zone=zone,
                        start_local=start, end_local=end,
                        venue=K.Venue(name=title + " venue", in_person_capacity=seats),
                        online=K.OnlineAccess(platform="Zoom",
                                              join_url="https://meet.example.org/cv"))
        return self.call("CalendarService", "CreateEvent",
                         K.CreateEventRequest(request_id=request_id, event=event), K.Event)

    def register(self, event_id, pid, name, email):
        return self.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event_id, request_id="reg-" + pid, mode=IN_PERSON,
            participant=common_pb2.Participant(participant_id=pid, display_name=name,
                                               email=email, city="Torino")),
            attendance_pb2.Registration)

    def keyspace(self):
        # Every node that holds keys (one, or each primary of a cluster).
        out = b"".join(eval_on_every_node(self.redis, DUMP_KEYSPACE))
        self.assertIn(b"cv:{feed}:changes", out)
        return out

    def test_one_feed_for_schedule_and_attendance(self):
        att = "AttendanceService"
        # A live watcher of the workshop, from now on.
        _, live = self.watch(event_id="")  # all events; filtered below
        time.sleep(0.3)  # the stream is open before the first change

        ev = self.create_event("cf-1", "CoP1 3rd workshop", "Europe/Athens",
                               "2027-03-15T09:00", "2027-03-17T17:30", seats=1)
        other = self.create_event("cf-2", "Brussels study visit", "Europe/Brussels",
                                  "2027-04-05T09:00", "2027-04-05T17:00", seats=10)
        self.register(ev.id, "torino-1", "Giulia Rossi", "giulia.rossi@comune.torino.example")
        self.register(ev.id, "utrecht-1", "Daan de Vries", "daan@utrecht.example")  # waitlisted
        self.register(other.id, "brussels-1", "Amélie Dubois", "amelie@bruxelles.example")
        # Day 2 online for torino-1 (flight home): frees day 2's seat, which
        # promotes utrecht-1 for that day.
        self.call(att, "ChangeMode", attendance_pb2.ChangeModeRequest(
            event_id=ev.id, participant_id="torino-1", request_id="mode-1",
            days=[attendance_pb2.DayMode(date="2027-03-16", mode=ONLINE)]),
            attendance_pb2.Registration)
        # Times at the venue (Thessaloniki): the event is in 2027, far from
        # the server's clock, and a check-in must fall in its day's window.
        self.call(att, "CheckIn", attendance_pb2.CheckInRequest(
            event_id=ev.id, participant_id="torino-1", day="2027-03-15", mode=IN_PERSON,
            source=attendance_pb2.CHECK_IN_SOURCE_BADGE, request_id="in-1",
            occurred_time=local_timestamp("Europe/Athens", "2027-03-15T08:52")),
            attendance_pb2.CheckInRecord)
        self.call(att, "CheckIn", attendance_pb2.CheckInRequest(
            event_id=ev.id, participant_id="torino-1", day="2027-03-16", mode=ONLINE,
            source=attendance_pb2.CHECK_IN_SOURCE_ONLINE_JOIN, request_id="in-2",
            occurred_time=local_timestamp("Europe/Athens", "2027-03-16T09:01")),
            attendance_pb2.CheckInRecord)
        self.call(att, "CheckOut", attendance_pb2.CheckOutRequest(
            event_id=ev.id, participant_id="torino-1", day="2027-03-16",
            source=attendance_pb2.CHECK_IN_SOURCE_ONLINE_LEAVE, request_id="out-1",
            occurred_time=local_timestamp("Europe/Athens", "2027-03-16T12:30")),
            attendance_pb2.CheckInRecord)
        self.call(att, "CancelRegistration", attendance_pb2.CancelRegistrationRequest(
            event_id=ev.id, participant_id="utrecht-1", request_id="cancel-1"),
            attendance_pb2.Registration)
        # The schedule and the attendance are two streams whose entries are
        # ordered by Redis's millisecond clock: within one millisecond they
        # have no order (README, "Order"), so the update comes later.
        time.sleep(0.002)
        self.call("CalendarService", "UpdateEvent", K.UpdateEventRequest(
            event=K.Event(id=ev.id, title="CoP1 3rd workshop (final programme)"),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
            expected_revision=ev.revision), K.Event)
        self.call(att, "ForgetParticipant", attendance_pb2.ForgetParticipantRequest(
            event_id=ev.id, participant_id="torino-1", request_id="forget-1",
            reason="erasure request"), attendance_pb2.ForgetParticipantResponse)

        expected = [K.CHANGE_KIND_EVENT_CREATED, K.CHANGE_KIND_REGISTRATION_CREATED,
                    K.CHANGE_KIND_REGISTRATION_CREATED, K.CHANGE_KIND_REGISTRATION_MODE_CHANGED,
                    K.CHANGE_KIND_REGISTRATION_PROMOTED, K.CHANGE_KIND_CHECKED_IN,
                    K.CHANGE_KIND_CHECKED_IN, K.CHANGE_KIND_CHECKED_OUT,
                    K.CHANGE_KIND_REGISTRATION_CANCELLED, K.CHANGE_KIND_EVENT_UPDATED,
                    K.CHANGE_KIND_PARTICIPANT_FORGOTTEN]
        # The relay runs beside the services: wait (bounded) until it caught up.
        self.assertTrue(wait_until(
            lambda: len(self.all_changes(event_id=ev.id)) >= len(expected), 10))
        mine = self.all_changes(event_id=ev.id)
        self.assertEqual([c.kind for c in mine], expected)
        self.assertEqual(mine[4].participant_id, "utrecht-1")
        self.assertEqual([(d.date, d.status) for d in mine[4].registration.days],
                         [("2027-03-16", attendance_pb2.REGISTRATION_STATUS_CONFIRMED)])
        self.assertEqual([(d.date, d.mode) for d in mine[3].registration.days],
                         [("2027-03-15", IN_PERSON), ("2027-03-16", ONLINE),
                          ("2027-03-17", IN_PERSON)])
        self.assertEqual(mine[5].check_in.day, "2027-03-15")
        self.assertEqual(mine[5].check_in.source, attendance_pb2.CHECK_IN_SOURCE_BADGE)
        self.assertEqual(mine[0].event.title, "CoP1 3rd workshop")
        self.assertEqual(mine[9].event.title, "CoP1 3rd workshop (final programme)")
        self.assertGreater(mine[9].event_revision, mine[0].event_revision)
        self.assertEqual(mine[10].reason, "erasure request")
        for c in mine:
            self.assertEqual(c.event_id, ev.id)
            self.assertGreater(c.change_time.seconds, 0)

        # Both events in one feed, positions increasing; paging and resuming
        # give the same changes.
        everything = self.all_changes()
        self.assertEqual(len(everything), len(expected) + 2)
        positions = [c.position for c in everything]
        self.assertEqual(len(set(positions)), len(positions))
        self.assertEqual(positions,
                         sorted(positions, key=stream_id_key))
        self.assertEqual([c.position for c in self.all_changes(page_size=3)], positions)
        self.assertEqual([c.position for c in self.all_changes(position=positions[4])],
                         positions[5:])
        presence = self.all_changes(kinds=[K.CHANGE_KIND_CHECKED_IN, K.CHANGE_KIND_CHECKED_OUT])
        self.assertEqual([c.kind for c in presence], expected[5:8])

        # The live watcher saw every change, once, in the same order.
        seen = []
        while len(seen) < len(everything):
            item = live.get(timeout=10)
            self.assertNotIsInstance(item, grpc.RpcError, item)
            seen.append(item.position)
        self.assertEqual(seen, positions)

        # An integration token reads the same feed with ids only, and no
        # answer of the feed holds a name or e-mail, for anyone.
        as_integration = self.all_changes(token=self.integration)
        self.assertEqual([c.position for c in as_integration], positions)
        for changes in (as_integration, everything):
            text = b"".join(c.SerializeToString() for c in changes)
            for secret in (b"Giulia Rossi", b"giulia.rossi@", b"Daan de Vries",
                           "Amélie".encode(), b"daan@utrecht"):
                self.assertNotIn(secret, text)
        # After the erasure, no key in Redis holds torino-1's name or e-mail
        # (the others' are still there: the scan does see personal data).
        # Attendance erases at once; the notification service drops its
        # copies and plans when its follower reads the erasure, a moment
        # later (a slow CI machine once scanned before it had): wait for
        # that, bounded.
        def erased():
            scan = self.keyspace()
            gone = b"Giulia Rossi" not in scan and b"giulia.rossi@comune" not in scan
            return scan if gone else None
        keys = wait_until(erased, timeout=20, interval=0.2) or self.keyspace()
        self.assertNotIn(b"Giulia Rossi", keys)
        self.assertNotIn(b"giulia.rossi@comune.torino.example", keys)
        self.assertIn(b"daan@utrecht.example", keys)

        # A watcher that resumes from a position replays what came after it,
        # then goes on live, without duplicates.
        _, resumed = self.watch(position=positions[-3], event_id=ev.id)
        first = resumed.get(timeout=10)
        self.assertEqual(first.position, positions[-2])
        self.register(ev.id, "turin-2", "Marco Bianchi", "marco@torino.example")
        got = [first]
        while got[-1].kind != K.CHANGE_KIND_REGISTRATION_CREATED:
            item = resumed.get(timeout=10)
            self.assertNotIsInstance(item, grpc.RpcError, item)
            got.append(item)
        self.assertEqual(got[-1].participant_id, "turin-2")
        self.assertEqual(len({c.position for c in got}), len(got))

    def test_prints_how_long_a_change_takes_to_reach_a_watcher(self):
        """A figure, not a timed assertion: from a Register call returning to
        the registration arriving on a live WatchChanges stream (through the
        relay), for 200 registrations made one after another."""
        ev = self.create_event("cf-lag", "Turin lab", "Europe/Rome",
                               "2027-06-01T09:00", "2027-06-01T17:00", seats=500)
        _, live = self.watch(event_id=ev.id, kinds=[K.CHANGE_KIND_REGISTRATION_CREATED],
                             stamped=True)
        time.sleep(0.3)
        acked = {}
        for i in range(200):
            pid = f"lag-{i}"
            self.register(ev.id, pid, "Partner " + pid, pid + "@example.org")
            acked[pid] = time.monotonic()
        lags = []
        while len(lags) < len(acked):
            item = live.get(timeout=10)
            self.assertNotIsInstance(item, grpc.RpcError, item)
            arrived, change = item
            lags.append(arrived - acked[change.participant_id])
        lags.sort()
        ms = lambda q: 1000 * lags[min(len(lags) - 1, int(q * len(lags)))]
        print(f"\nchange feed lag, Register acknowledged -> WatchChanges received, "
              f"{len(lags)} changes: p50 {ms(0.5):.1f} ms, p99 {ms(0.99):.1f} ms, "
              f"max {1000 * lags[-1]:.1f} ms")

    def test_bad_requests_and_scopes_are_refused(self):
        ev = self.create_event("cf-3", "Utrecht webinar", "Europe/Amsterdam",
                               "2027-05-10T14:00", "2027-05-10T15:30", seats=0)
        cases = [
            ({"position": "tuesday"}, grpc.StatusCode.INVALID_ARGUMENT, "position"),
            ({"page_size": 5000}, grpc.StatusCode.INVALID_ARGUMENT, "page_size"),
            ({"kinds": [99]}, grpc.StatusCode.INVALID_ARGUMENT, "kinds"),
            ({"event_id": "x" * 200}, grpc.StatusCode.INVALID_ARGUMENT, "event_id"),
        ]
        for kw, code, field in cases:
            with self.subTest(kw=kw):
                with self.assertRaises(grpc.RpcError) as e:
                    self.list_changes(**kw)
                self.assertEqual(e.exception.code(), code)
                self.assertIn(field, e.exception.details())
        scoped = self.token("organizer", "Utrecht desk", [ev.id])
        # In scope: the event's own feed (once the relay has it).
        created = wait_until(lambda: self.list_changes(token=scoped, event_id=ev.id).changes, 10)
        self.assertEqual([c.kind for c in created], [K.CHANGE_KIND_EVENT_CREATED])
        for kw in ({}, {"event_id": "ev_someone_else"}):
            with self.subTest(scoped=kw):
                with self.assertRaises(grpc.RpcError) as e:
                    self.list_changes(token=scoped, **kw)
                self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        checkin = self.token("checkin", "door")
        with self.assertRaises(grpc.RpcError) as e:
            self.list_changes(token=checkin)
        self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        # A bad watch is refused before it streams anything.
        _, refused = self.watch(position="tuesday")
        item = refused.get(timeout=10)
        self.assertIsInstance(item, grpc.RpcError)
        self.assertEqual(item.code(), grpc.StatusCode.INVALID_ARGUMENT)


    def test_an_unknown_event_id_is_not_found_and_a_cancelled_one_is_listed(self):
        """ListChanges filtered by a mistyped event id answered an empty
        page, and WatchChanges an idle stream, for ever: a consumer could
        not tell "no change yet" from "no such event". NOT_FOUND, as
        GetEvent answers; a cancelled event is still an event; a scoped
        token asking for an id outside its scope is refused the same way
        whether or not the event exists."""
        ev = self.create_event("cf-4", "Turin partners' meeting", "Europe/Rome",
                               "2027-06-07T09:00", "2027-06-07T17:00", seats=10)
        cancelled = self.call("CalendarService", "CancelEvent", K.CancelEventRequest(
            event_id=ev.id, reason="venue unavailable"), K.Event)
        self.assertEqual(cancelled.status, K.EVENT_STATUS_CANCELLED)
        kinds = wait_until(lambda: [c.kind for c in self.all_changes(event_id=ev.id)]
                           if len(self.all_changes(event_id=ev.id)) == 2 else None, 10)
        self.assertEqual(kinds, [K.CHANGE_KIND_EVENT_CREATED, K.CHANGE_KIND_EVENT_CANCELLED])
        typo = ev.id[:-1] + ("0" if ev.id[-1] != "0" else "1")
        head = self.list_changes(page_size=1000)
        for token in (self.organizer, self.integration, self.admin):
            for kw in ({}, {"position": head.next_position}, {"kinds": [K.CHANGE_KIND_CHECKED_IN]}):
                with self.subTest(kw=kw):
                    with self.assertRaises(grpc.RpcError) as e:
                        self.list_changes(token=token, event_id=typo, **kw)
                    self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
                    self.assertIn("event_id", e.exception.details())
                    self.assertIn(typo, e.exception.details())
        # The cancelled event's feed from its newest change on: empty, not NOT_FOUND.
        self.assertEqual(list(self.list_changes(event_id=ev.id, position=head.next_position).changes), [])
        # A scoped token learns nothing of events outside its scope.
        scoped = self.token("organizer", "Turin desk", [ev.id])
        other = self.create_event("cf-5", "Athens webinar", "Europe/Athens",
                                  "2027-06-08T10:00", "2027-06-08T11:00", seats=0)
        for outside in (other.id, typo):
            with self.subTest(outside=outside):
                with self.assertRaises(grpc.RpcError) as e:
                    self.list_changes(token=scoped, event_id=outside)
                self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        # A watch of an unknown event ends at once, from now or from a position.
        for kw in ({}, {"position": head.next_position}):
            with self.subTest(watch=kw):
                _, refused = self.watch(event_id=typo, **kw)
                item = refused.get(timeout=10)
                self.assertIsInstance(item, grpc.RpcError)
                self.assertEqual(item.code(), grpc.StatusCode.NOT_FOUND)
                self.assertIn(typo, item.details())
        # ... and a watch of the cancelled one replays its changes.
        created = self.all_changes(event_id=ev.id)[0]
        stream, received = self.watch(event_id=ev.id, position=created.position)
        item = received.get(timeout=10)
        stream.cancel()
        self.assertIsInstance(item, K.Change, item)
        self.assertEqual(item.kind, K.CHANGE_KIND_EVENT_CANCELLED)
        self.assertEqual(item.event_id, ev.id)

    def test_streams_of_a_client_that_vanished_are_ended_by_keepalive(self):
        """A watcher whose network went away without a FIN or RST (a laptop
        closed, a NAT entry dropped) kept its stream open on the server for
        ever: with no change to send, nothing ever wrote to the connection.
        Each one holds one of the token's 16 stream places, so an
        integration that reconnected after such drops was locked out with
        RESOURCE_EXHAUSTED until the server restarted. The server pings
        idle connections (--keepalive_time) and drops those that do not
        answer (--keepalive_timeout), ending their streams."""
        server = ConveneProcess("convened/convened", self.redis.address, secure=True,
                                extra_args=["--rate_limit=0", "--keepalive_time=1s",
                                            "--keepalive_timeout=1s"])
        self.addCleanup(server.stop)
        direct = grpc.insecure_channel(server.target)
        self.addCleanup(direct.close)
        for n in (1, 2):
            self.create_event(f"cf-ka-{n}", f"Keepalive meeting {n}", "Europe/Rome",
                              "2027-06-07T09:00", "2027-06-07T17:00", seats=10)
        first = wait_until(lambda: self.all_changes(page_size=1000)[:1] or None, 10)[0].position

        relay = FreezableRelay(server.target)
        self.addCleanup(relay.close)
        relayed = grpc.insecure_channel(relay.target)
        self.addCleanup(relayed.close)

        def open_watch(channel):
            call = channel.unary_stream(
                "/convene.v1.CalendarService/WatchChanges",
                request_serializer=K.WatchChangesRequest.SerializeToString,
                response_deserializer=K.Change.FromString)
            stream = call(K.WatchChangesRequest(position=first), timeout=60,
                          metadata=[("authorization", "Bearer " + self.integration)])
            self.addCleanup(stream.cancel)
            return next(stream)  # the replay's change, or the refusal

        for _ in range(16):
            open_watch(relayed)
        with self.assertRaises(grpc.RpcError) as e:
            open_watch(direct)
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)

        relay.freeze()  # the relayed client is gone, without a word

        def admitted():
            try:
                return open_watch(direct).kind == K.CHANGE_KIND_EVENT_CREATED
            except grpc.RpcError as refused:
                self.assertEqual(refused.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
                return False
        self.assertTrue(wait_until(admitted, 20, interval=0.5),
                        "the vanished client's streams still hold the token's places")

    def test_a_watch_from_now_names_the_position_it_starts_after(self):
        """A watch without a position starts "from now", but sent nothing
        that said where now was until its first change: a filtered watch
        quiet for hours that was interrupted could only start from now
        again, missing what was relayed meanwhile. The stream's initial
        metadata names it (x-convene-position), before any change: the
        position of the newest change when the watch started, which
        ListChanges and WatchChanges resume after."""
        def header(stream):
            metadata = queue.Queue()
            threading.Thread(target=lambda: metadata.put(stream.initial_metadata()),
                             daemon=True).start()
            try:
                return dict(metadata.get(timeout=10)).get("x-convene-position")
            except queue.Empty:
                self.fail("no initial metadata 10 s after a quiet watch from now started")

        # The feed has no change yet: the header names its start, which
        # still fits once the first change gives the feed its epoch.
        early, _ = self.watch(kinds=[K.CHANGE_KIND_EVENT_CANCELLED])
        self.addCleanup(early.cancel)
        empty = header(early)
        self.assertTrue(empty)
        self.assertEqual(list(self.list_changes(position=empty).changes), [])
        events = [self.create_event(f"cf-now-{n}", f"From now meeting {n}", "Europe/Rome",
                                    "2027-06-07T09:00", "2027-06-07T17:00", seats=10)
                  for n in (1, 2)]
        newest = wait_until(lambda: (lambda c: len(c) == 2 and c)(self.all_changes()), 10)
        self.assertTrue(newest)
        stream, received = self.watch(token=self.integration,
                                      kinds=[K.CHANGE_KIND_EVENT_CANCELLED])
        self.addCleanup(stream.cancel)
        start = header(stream)
        self.assertEqual(start, newest[-1].position)
        self.assertEqual([c.position for c in self.all_changes(position=empty)],
                         [c.position for c in newest])
        self.assertEqual(list(self.list_changes(position=start).changes), [])
        self.call("CalendarService", "CancelEvent",
                  K.CancelEventRequest(event_id=events[1].id, reason="moved online"),
                  K.Event)
        change = received.get(timeout=10)
        self.assertNotIsInstance(change, grpc.RpcError)
        self.assertEqual((change.kind, change.event_id),
                         (K.CHANGE_KIND_EVENT_CANCELLED, events[1].id))
        # Resuming after the header gives exactly what the stream sent.
        self.assertEqual([c.position for c in self.all_changes(
            position=start, kinds=[K.CHANGE_KIND_EVENT_CANCELLED])], [change.position])

if __name__ == "__main__":
    unittest.main()
