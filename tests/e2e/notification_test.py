"""End to end: the reminder job as real processes. Two convene-notification
replicas plan from the calendar's and attendance's streams and dispatch over
one private redis-server; one is killed with SIGKILL while it holds a claimed
batch, and every reminder still reaches the stream sink exactly once. Also:
webhooks (signed, retried, failed with a reason), --once, and bad input."""
import datetime
import hashlib
import hmac
import http.server
import json
import signal
import subprocess
import threading
import time
import unittest
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

import grpc
from google.protobuf import duration_pb2

from convene_e2e import BUILD_DIR, ProcessesTestCase, unary, wait_until
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2, notification_pb2

ZONE = "Europe/Brussels"


def local(dt):
    return dt.astimezone(zoneinfo.ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


class NotificationE2ETest(ProcessesTestCase):
    def setUp(self):
        super().setUp()
        self.calendar = self.spawn("calendar/convene-calendar")
        self.attendance = self.spawn("attendance/convene-attendance")
        self.ch_cal = self.channel(self.calendar)
        self.ch_att = self.channel(self.attendance)

    def create_event(self, request_id, starts_in):
        """An online event starting `starts_in` from now, two hours long."""
        start = datetime.datetime.now(datetime.timezone.utc) + starts_in
        start = start.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
        event = calendar_pb2.Event(
            title="CONNECTION webinar", format=common_pb2.EVENT_FORMAT_ONLINE, time_zone=ZONE,
            city="Brussels", start_local=local(start),
            end_local=local(start + datetime.timedelta(hours=2)),
            online=calendar_pb2.OnlineAccess(platform="Zoom",
                                              join_url="https://meet.example.org/webinar"))
        made = unary(self.ch_cal, "CalendarService", "CreateEvent",
                     calendar_pb2.CreateEventRequest(request_id=request_id, event=event),
                     calendar_pb2.Event)
        return made, start

    def set_policy(self, channel, event_id, offsets):
        policy = notification_pb2.ReminderPolicy(
            event_id=event_id,
            before_event=[duration_pb2.Duration(seconds=int(s)) for s in offsets])
        return unary(channel, "NotificationService", "SetReminderPolicy",
                     notification_pb2.SetReminderPolicyRequest(policy=policy),
                     notification_pb2.ReminderPolicy, timeout=30)

    def register(self, event_id, pid):
        return unary(self.ch_att, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event_id, request_id="reg-" + pid, mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(
                participant_id=pid, display_name="Partner " + pid, email=pid + "@example.org",
                time_zone="Europe/Rome", language="it")), attendance_pb2.Registration, timeout=30)

    def scheduled(self, channel, event_id):
        out, token = [], ""
        for _ in range(100):
            page = unary(channel, "NotificationService", "ListScheduledReminders",
                         notification_pb2.ListScheduledRemindersRequest(
                             event_id=event_id, page_size=1000, page_token=token),
                         notification_pb2.ListScheduledRemindersResponse, timeout=30)
            out.extend(page.reminders)
            token = page.next_page_token
            if not token:
                break
        return out

    def test_a_killed_dispatcher_loses_nothing_and_nothing_is_sent_twice(self):
        # A holds each claimed batch for 3 s before completing it, so killing
        # it mid-batch is certain; B takes A's reminders once the 3 s lease
        # has run out.
        a = self.spawn("notification/convene-notification", "--notices=false", "--dispatch_lease=3s",
                       "--dispatch_hold_for_testing=3s")
        b = self.spawn("notification/convene-notification", "--notices=false", "--dispatch_lease=3s")
        ch_a, ch_b = self.channel(a), self.channel(b)
        event, start = self.create_event("e2e-drill", datetime.timedelta(minutes=10))
        # Three reminders per registration, all due at one instant about 60 s
        # from now (3 s apart), so 3,334 registrations make 10,002 reminders.
        due = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60)
        lead = (start - due).total_seconds()
        self.set_policy(ch_a, event.id, [lead, lead + 1, lead + 2])
        people = [f"p{i:05d}" for i in range(3334)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda pid: self.register(event.id, pid), people))
        planned = wait_until(lambda: len(self.scheduled(ch_b, event.id)) == 10002, 40, 0.5)
        self.assertTrue(planned, "not every registration was planned from the stream")
        self.assertLess(datetime.datetime.now(datetime.timezone.utc), due,
                        "planning took so long the reminders were due already")

        received, lock = [], threading.Lock()
        stop = threading.Event()

        def sink():
            # The mail gateway: reads the stream sink and acknowledges.
            sub = ch_b.unary_stream(
                "/convene.v1.NotificationService/SubscribeNotifications",
                request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
                response_deserializer=notification_pb2.Notification.FromString)
            ack = ch_b.unary_unary(
                "/convene.v1.NotificationService/AckNotification",
                request_serializer=notification_pb2.AckNotificationRequest.SerializeToString,
                response_deserializer=notification_pb2.AckNotificationResponse.FromString)
            stream = sub(notification_pb2.SubscribeNotificationsRequest(
                subscriber="mailer", ack_timeout=duration_pb2.Duration(seconds=60)), timeout=150)
            try:
                for n in stream:
                    with lock:
                        received.append(n.notification_id)
                        if len(received) >= 10002:
                            stop.set()
                    ack(notification_pb2.AckNotificationRequest(
                        subscriber="mailer", notification_id=n.notification_id), timeout=10)
                    if stop.is_set():
                        break
            except grpc.RpcError:
                pass
            finally:
                stream.cancel()

        consumer = threading.Thread(target=sink, daemon=True)
        consumer.start()
        # Once due, kill A while it holds a claimed batch.
        time.sleep(max(0.0, (due - datetime.datetime.now(datetime.timezone.utc)).total_seconds()))
        # Lease owners are "host:pid:random".
        a_holds = lambda: f":{a.proc.pid}:" in self.redis_cli(
            "HVALS", self.reminder_key("lease-owners", event.id))
        self.assertTrue(wait_until(a_holds, 10, 0.02), "A never held a claimed batch")
        a.stop(signal.SIGKILL)
        self.assertTrue(stop.wait(90), f"only {len(received)} of 10002 arrived")
        consumer.join(15)
        self.assertEqual(len(received), 10002)
        self.assertEqual(len(set(received)), 10002, "a notification arrived twice")
        self.assertEqual(self.redis_cli("XLEN", self.reminder_key("outbox", event.id)), "10002")
        self.assertEqual(self.redis_cli("ZCARD", self.reminder_key("due", event.id)), "0")
        self.assertEqual(self.redis_cli("ZCARD", self.reminder_key("leases", event.id)), "0")
        # The texts are rendered in each participant's language and zone.
        one = unary(ch_b, "NotificationService", "ListNotifications",
                    notification_pb2.ListNotificationsRequest(event_id=event.id, page_size=1),
                    notification_pb2.ListNotificationsResponse).notifications[0]
        self.assertEqual(one.language, "it")
        self.assertEqual(one.state, notification_pb2.NOTIFICATION_STATE_SENT)
        self.assertIn("https://meet.example.org/webinar", one.body)

    def test_webhooks_to_metadata_loopback_and_private_addresses_are_refused(self):
        """Issue 15 finding 6: server-side request forgery through webhooks."""
        n = self.spawn("notification/convene-notification", "--notices=false")
        ch = self.channel(n)
        for url in ("http://169.254.169.254/latest/meta-data/iam", "http://127.0.0.1:6379/",
                    "http://localhost:8080/hook", "http://[::1]/hook", "https://10.0.0.7/hook",
                    "http://192.168.1.1/admin", "http://0x7f000001/x"):
            with self.subTest(url=url):
                with self.assertRaises(grpc.RpcError) as refused:
                    unary(ch, "NotificationService", "CreateWebhook",
                          notification_pb2.CreateWebhookRequest(webhook=notification_pb2.Webhook(
                              url=url, secret="s3cret-s3cret-s3cret")), notification_pb2.Webhook)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn("webhook.url", refused.exception.details())
                self.assertIn("not a public address", refused.exception.details())
        listed = unary(ch, "NotificationService", "ListWebhooks", notification_pb2.ListWebhooksRequest(),
                       notification_pb2.ListWebhooksResponse)
        self.assertEqual(list(listed.webhooks), [])

    def test_webhooks_are_signed_retried_and_failed_with_a_reason(self):
        hits = []

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hits.append((self.headers["X-Convene-Signature"], body,
                             self.headers["X-Convene-Idempotency-Key"],
                             self.headers.get("X-Convene-Webhook-Signature", ""), time.time()))
                self.send_response(503 if len(hits) == 1 else 200)  # one retry
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        # The receivers here are on loopback, which production refuses.
        n = self.spawn("notification/convene-notification", "--notices=false", "--webhook_allow_private_targets")
        ch = self.channel(n)
        secret = "s3cret-s3cret-s3cret"
        hook = unary(ch, "NotificationService", "CreateWebhook", notification_pb2.CreateWebhookRequest(
            webhook=notification_pb2.Webhook(url=f"http://127.0.0.1:{server.server_port}/hook",
                                             secret=secret)), notification_pb2.Webhook)
        self.assertEqual(hook.secret, "")  # never returned
        with self.assertRaises(grpc.RpcError) as bad:
            unary(ch, "NotificationService", "CreateWebhook", notification_pb2.CreateWebhookRequest(
                webhook=notification_pb2.Webhook(url="ftp://example.org/x", secret=secret)),
                notification_pb2.Webhook)
        self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("webhook.url", bad.exception.details())
        # A refused port: the notification fails with the reason after the
        # last try.
        refused = unary(ch, "NotificationService", "CreateWebhook", notification_pb2.CreateWebhookRequest(
            webhook=notification_pb2.Webhook(url="http://127.0.0.1:1/hook", secret=secret)),
            notification_pb2.Webhook)
        event, start = self.create_event("e2e-hook", datetime.timedelta(minutes=10))
        lead = (start - datetime.datetime.now(datetime.timezone.utc)).total_seconds() - 3
        self.set_policy(ch, event.id, [lead])
        self.register(event.id, "torino-1")
        self.assertTrue(wait_until(lambda: len(hits) >= 2, 40, 0.2), "the webhook was not called twice")
        signature, body, key, stamped, received = hits[1]
        self.assertEqual(signature, hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())
        # What the README tells a receiver to check: the timestamp is recent
        # and signed together with the body, so an old request replayed fails.
        fields = dict(part.split("=", 1) for part in stamped.split(","))
        self.assertLessEqual(abs(received - int(fields["t"])), 300, stamped)
        self.assertTrue(hmac.compare_digest(
            fields["v1"], hmac.new(secret.encode(), fields["t"].encode() + b"." + body,
                                   hashlib.sha256).hexdigest()), stamped)
        self.assertNotEqual(hits[0][3], "")
        self.assertEqual(hits[0][2], key)  # the retry carries the same key
        self.assertIn(b"torino-1@example.org", body)

        def failed():
            page = unary(ch, "NotificationService", "ListNotifications",
                         notification_pb2.ListNotificationsRequest(
                             event_id=event.id, state=notification_pb2.NOTIFICATION_STATE_FAILED),
                         notification_pb2.ListNotificationsResponse)
            return page.notifications
        got = wait_until(failed, 40, 0.5)
        self.assertTrue(got, "the refused webhook's failure was not recorded")
        self.assertIn(refused.id, got[0].failure_reason)
        self.assertIn("127.0.0.1:1", got[0].failure_reason)
        self.assertNotIn(secret, got[0].failure_reason)

    def test_a_dead_webhook_receiver_delays_only_its_own_deliveries(self):
        """Webhooks were delivered one at a time, each with all its retries
        (5 tries of up to 5 s): ten notifications for a receiver that never
        answers held up every other webhook for minutes. And an admin could
        make any number of webhooks to such a receiver."""
        slow_hits, fast_hits = [], []

        class Slow(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                slow_hits.append(time.time())
                time.sleep(6)  # past the 5 s each request is given

            def log_message(self, *args):
                pass

        class Fast(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fast_hits.append((time.time(), self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass
        servers = []
        for handler in (Slow, Fast):
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.addCleanup(server.server_close)
            self.addCleanup(server.shutdown)
            servers.append(server)
        n = self.spawn("notification/convene-notification", "--notice_delay=1s",
                       "--webhook_allow_private_targets")
        ch = self.channel(n)
        secret = "s3cret-s3cret-s3cret"

        def create(url, events):
            return unary(ch, "NotificationService", "CreateWebhook", notification_pb2.CreateWebhookRequest(
                webhook=notification_pb2.Webhook(url=url, secret=secret, event_ids=events)),
                notification_pb2.Webhook)
        a, _ = self.create_event("e2e-slow-a", datetime.timedelta(days=2))
        b, _ = self.create_event("e2e-slow-b", datetime.timedelta(days=2))
        slow_url = f"http://127.0.0.1:{servers[0].server_port}/hook"
        for _ in range(9):
            create(slow_url, [a.id])
        # A's notifications also go to a healthy receiver, which must take
        # each once however often the slow ones are retried.
        fast_url = f"http://127.0.0.1:{servers[1].server_port}"
        create(fast_url + "/a", [a.id])
        # Each event has room for 10 webhooks; the whole service for 100.
        with self.assertRaises(grpc.RpcError) as full:
            create(slow_url, [a.id])
        self.assertEqual(full.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("webhook.event_ids", full.exception.details())
        create(fast_url + "/b", [b.id])
        for i in range(10):
            self.register(a.id, f"slow-{i}")
        time.sleep(3)  # A's confirmations are in the outbox, ahead of B's
        self.assertTrue(wait_until(lambda: slow_hits, 10, 0.1), "the slow receiver was never called")
        registered = time.time()
        self.register(b.id, "fast-1")
        # Within the notice delay and a few seconds, not after A's retries.
        to_b = lambda: [h for h in fast_hits if h[1] == "/b"]  # noqa: E731
        self.assertTrue(wait_until(to_b, 12, 0.1),
                        f"the healthy receiver waited behind the slow one ({len(slow_hits)} slow calls)")
        self.assertLess(to_b()[0][0] - registered, 12)
        self.assertEqual(to_b()[0][2]["participant_id"], "fast-1")
        # The slow receivers are tried again (parked in between) ...
        self.assertTrue(wait_until(lambda: len(slow_hits) >= 2 * 9, 30, 0.2), len(slow_hits))
        # ... and the healthy one had each of A's notifications once.
        keys = [h[2]["idempotency_key"] for h in fast_hits if h[1] == "/a"]
        self.assertEqual(len(set(keys)), 10, keys)
        self.assertEqual(len(keys), 10, keys)

    def test_webhooks_are_bounded_in_all_and_a_deleted_one_frees_its_place(self):
        n = self.spawn("notification/convene-notification", "--webhooks=false",
                       "--webhook_allow_private_targets")
        ch = self.channel(n)

        def create(events=()):
            return unary(ch, "NotificationService", "CreateWebhook", notification_pb2.CreateWebhookRequest(
                webhook=notification_pb2.Webhook(url="http://127.0.0.1:9/hook", secret="s3cret-s3cret-s3cret",
                                                 event_ids=list(events))), notification_pb2.Webhook)
        event, _ = self.create_event("e2e-hook-bound", datetime.timedelta(days=2))
        made = [create([event.id]) for _ in range(10)] + [create() for _ in range(90)]
        for events in ([], [event.id]):
            with self.assertRaises(grpc.RpcError) as full:
                create(events)
            self.assertEqual(full.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertIn("webhook", full.exception.details())
        unary(ch, "NotificationService", "DeleteWebhook",
              notification_pb2.DeleteWebhookRequest(webhook_id=made[0].id),
              notification_pb2.DeleteWebhookResponse)
        create([event.id])  # the event's place and the overall one are free again
        listed = unary(ch, "NotificationService", "ListWebhooks", notification_pb2.ListWebhooksRequest(),
                       notification_pb2.ListWebhooksResponse)
        self.assertEqual(len(listed.webhooks), 100)

    def test_a_filtered_subscriber_never_takes_other_events_notifications(self):
        """Issue 15 finding 3: "mailer" filtered to event A acknowledged C's
        entries in the shared group, so the every-event "mailer" got nothing
        and C's notifications stayed PENDING."""
        n = self.spawn("notification/convene-notification", "--notices=false")
        ch = self.channel(n)
        a, start_a = self.create_event("e2e-filter-a", datetime.timedelta(minutes=10))
        c, start_c = self.create_event("e2e-filter-c", datetime.timedelta(minutes=10))
        listed = lambda event: unary(  # noqa: E731
            ch, "NotificationService", "ListNotifications",
            notification_pb2.ListNotificationsRequest(event_id=event.id, page_size=10),
            notification_pb2.ListNotificationsResponse).notifications
        # C's notification first in the outbox, then A's: the filtered
        # subscriber meets C's before the one it wants.
        for event, start, pid in ((c, start_c, "turin-1"), (a, start_a, "brussels-1")):
            lead = (start - datetime.datetime.now(datetime.timezone.utc)).total_seconds() - 2
            self.set_policy(ch, event.id, [lead])
            self.register(event.id, pid)
            self.assertTrue(wait_until(lambda: listed(event), 40, 0.2),
                            "the reminder was not dispatched")
        sub = ch.unary_stream(
            "/convene.v1.NotificationService/SubscribeNotifications",
            request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
            response_deserializer=notification_pb2.Notification.FromString)
        ack = ch.unary_unary(
            "/convene.v1.NotificationService/AckNotification",
            request_serializer=notification_pb2.AckNotificationRequest.SerializeToString,
            response_deserializer=notification_pb2.AckNotificationResponse.FromString)

        def first(request, seconds):
            stream = sub(request, timeout=seconds)
            try:
                return next(stream)
            except grpc.RpcError:
                return None
            finally:
                stream.cancel()
        # The filtered one reads (and skips C's entry) first...
        only_a = first(notification_pb2.SubscribeNotificationsRequest(
            subscriber="mailer", event_ids=[a.id]), 10)
        self.assertIsNotNone(only_a)
        self.assertEqual(only_a.event_id, a.id)
        ack(notification_pb2.AckNotificationRequest(subscriber="mailer",
                                                    notification_id=only_a.notification_id),
            timeout=10)
        time.sleep(1)  # let it read on past C's entry
        # ...and the every-event "mailer" still gets C's.
        seen = []
        stream = sub(notification_pb2.SubscribeNotificationsRequest(subscriber="mailer"), timeout=10)
        try:
            for note in stream:
                seen.append(note.event_id)
                ack(notification_pb2.AckNotificationRequest(
                    subscriber="mailer", notification_id=note.notification_id), timeout=10)
                if c.id in seen:
                    break
        except grpc.RpcError:
            pass
        finally:
            stream.cancel()
        self.assertIn(c.id, seen)
        self.assertEqual(listed(c)[0].state, notification_pb2.NOTIFICATION_STATE_SENT)

    def test_subscriptions_that_end_leave_no_consumers_behind(self):
        """Each SubscribeNotifications stream reads as a consumer of its own
        name in the subscriber's group; a gateway that reconnects (or a
        token opening and closing streams in a loop) left one consumer per
        stream in Redis for ever. A consumer still holding an unacknowledged
        notification must stay until another stream takes it over."""
        n = self.spawn("notification/convene-notification", "--notice_delay=1s")
        ch = self.channel(n)
        event, _ = self.create_event("e2e-consumers", datetime.timedelta(days=2))
        sub = ch.unary_stream(
            "/convene.v1.NotificationService/SubscribeNotifications",
            request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
            response_deserializer=notification_pb2.Notification.FromString)
        ack = ch.unary_unary(
            "/convene.v1.NotificationService/AckNotification",
            request_serializer=notification_pb2.AckNotificationRequest.SerializeToString,
            response_deserializer=notification_pb2.AckNotificationResponse.FromString)

        def take(subscriber, until=None, **filters):
            """Reads until `until`'s confirmation, acknowledging each; without
            `until`, returns the first one unacknowledged."""
            stream = sub(notification_pb2.SubscribeNotificationsRequest(
                subscriber=subscriber, ack_timeout=duration_pb2.Duration(
                    seconds=5 if until is None else 3600), **filters), timeout=20)
            try:
                for note in stream:
                    if until is None:
                        return note
                    ack(notification_pb2.AckNotificationRequest(
                        subscriber=subscriber, notification_id=note.notification_id), timeout=10)
                    if note.participant_id == until:
                        return note
            finally:
                stream.cancel()
        # A stream takes a confirmation and ends without acknowledging it.
        self.register(event.id, "lyon-0")
        held = take("gw")
        # Then streams come and go, each taking the next confirmation.
        for i in range(1, 9):
            self.register(event.id, f"lyon-{i}")
            take("gw", until=f"lyon-{i}")
            take("gw-filtered", until=f"lyon-{i}", event_ids=[event.id])
        outbox = self.reminder_key("outbox", event.id)

        def consumers():
            def xinfo(*args):
                out = subprocess.run(["redis-cli", *self.redis.cli_target(), "--json", "XINFO", *args],
                                     capture_output=True, text=True, timeout=10).stdout
                return [x if isinstance(x, dict) else dict(zip(x[::2], x[1::2]))
                        for x in json.loads(out)]
            return {g["name"]: [(c["name"], c["pending"])
                                for c in xinfo("CONSUMERS", outbox, g["name"])]
                    for g in xinfo("GROUPS", outbox) if g["name"].startswith("gw")}
        # Only consumers holding something are left (the streams end
        # within one blocking read, 0.5 s).
        settled = lambda: all(  # noqa: E731
            pending > 0 for cs in consumers().values() for _, pending in cs)
        self.assertTrue(wait_until(settled, 10, 0.2), consumers())
        # What the first stream held still comes again, to a new stream.
        again = take("gw")
        self.assertEqual(again.notification_id, held.notification_id)

    def test_subscriber_groups_are_bounded_and_idle_ones_expire(self):
        """Each subscriber name (and each filter) is a consumer group on
        every outbox; a token opening streams under new names made one
        permanent group per name, each starting from the oldest kept
        notification, and AckNotification walks them all. Past the limit a
        new one is refused; one no stream has used for the idle time goes;
        an open stream's group never does."""
        n = self.spawn("notification/convene-notification", "--max_subscriber_groups=5",
                       "--subscriber_group_idle=6s")
        ch = self.channel(n)
        sub = ch.unary_stream(
            "/convene.v1.NotificationService/SubscribeNotifications",
            request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
            response_deserializer=notification_pb2.Notification.FromString)
        outboxes = self.reminder_keys("outbox")

        def open_briefly(subscriber, seconds=0.8):
            """The stream's end: DEADLINE_EXCEEDED when it was served."""
            try:
                for _ in sub(notification_pb2.SubscribeNotificationsRequest(subscriber=subscriber),
                             timeout=seconds):
                    pass
            except grpc.RpcError as e:
                return e
            self.fail("the stream ended without an error")

        def groups():
            names = set()
            for outbox in outboxes:
                out = subprocess.run(["redis-cli", *self.redis.cli_target(), "--json", "XINFO",
                                      "GROUPS", outbox], capture_output=True, text=True, timeout=10).stdout
                for g in json.loads(out or "[]"):
                    g = g if isinstance(g, dict) else dict(zip(g[::2], g[1::2]))
                    names.add(g["name"])
            return {g for g in names if g.startswith("gw-")}

        # A stream held open all along: its group must outlive the idle time.
        live_done = threading.Event()

        def live():
            open_briefly("gw-live", seconds=16)
            live_done.set()
        threading.Thread(target=live, daemon=True).start()
        for i in range(1, 5):
            self.assertEqual(open_briefly(f"gw-{i}").code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        refused = open_briefly("gw-5")
        self.assertEqual(refused.code(), grpc.StatusCode.RESOURCE_EXHAUSTED, refused.details())
        self.assertIn("subscriber", refused.details())
        self.assertEqual(groups(), {"gw-live", "gw-1", "gw-2", "gw-3", "gw-4"})
        # A name already in use is no new group.
        self.assertEqual(open_briefly("gw-1").code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        time.sleep(7)  # longer than --subscriber_group_idle since gw-1..4 were last used
        self.assertEqual(open_briefly("gw-5").code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(groups(), {"gw-live", "gw-5"})
        self.assertTrue(live_done.wait(20))

    def test_once_dispatches_what_is_due_and_exits(self):
        # A replica that plans but does not dispatch; cron runs --once.
        planner = self.spawn("notification/convene-notification", "--notices=false", "--dispatch=false",
                             "--webhooks=false")
        ch = self.channel(planner)
        event, start = self.create_event("e2e-once", datetime.timedelta(minutes=10))
        lead = (start - datetime.datetime.now(datetime.timezone.utc)).total_seconds() - 2
        self.set_policy(ch, event.id, [lead])
        self.register(event.id, "zagreb-1")
        self.assertTrue(wait_until(lambda: len(self.scheduled(ch, event.id)) == 1, 20, 0.2))
        time.sleep(3)
        once = subprocess.run(
            [f"{BUILD_DIR}/services/notification/convene-notification", "--once",
             "--redis=" + self.redis.address, f"--reminder_shards={self.reminder_shards}",
             "--notices=false"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(once.returncode, 0, once.stderr)
        self.assertIn("dispatched: 1,", once.stdout)
        self.assertEqual(self.scheduled(ch, event.id), [])
        # RunDueReminders over gRPC finds nothing left.
        run = unary(ch, "NotificationService", "RunDueReminders",
                    notification_pb2.RunDueRemindersRequest(),
                    notification_pb2.RunDueRemindersResponse)
        self.assertEqual((run.dispatched, run.remaining_due), (0, 0))

    def test_bad_input_is_refused_naming_the_field(self):
        n = self.spawn("notification/convene-notification", "--notices=false")
        ch = self.channel(n)
        event, _ = self.create_event("e2e-bad", datetime.timedelta(days=3))
        cases = [
            ("SetReminderPolicy", notification_pb2.SetReminderPolicyRequest(
                policy=notification_pb2.ReminderPolicy(
                    event_id=event.id, before_event=[duration_pb2.Duration(seconds=-60)])),
             notification_pb2.ReminderPolicy, grpc.StatusCode.INVALID_ARGUMENT, "before_event[0]"),
            ("SetReminderPolicy", notification_pb2.SetReminderPolicyRequest(
                policy=notification_pb2.ReminderPolicy(
                    event_id=event.id, before_event=[duration_pb2.Duration(seconds=91 * 86400)])),
             notification_pb2.ReminderPolicy, grpc.StatusCode.INVALID_ARGUMENT, "90 days"),
            ("SetReminderPolicy", notification_pb2.SetReminderPolicyRequest(
                policy=notification_pb2.ReminderPolicy(event_id="ev_unknown")),
             notification_pb2.ReminderPolicy, grpc.StatusCode.NOT_FOUND, "ev_unknown"),
            ("GetReminderPolicy", notification_pb2.GetReminderPolicyRequest(event_id="ev_unknown"),
             notification_pb2.ReminderPolicy, grpc.StatusCode.NOT_FOUND, "ev_unknown"),
            ("RunDueReminders", notification_pb2.RunDueRemindersRequest(max_reminders=-1),
             notification_pb2.RunDueRemindersResponse, grpc.StatusCode.INVALID_ARGUMENT,
             "max_reminders"),
            ("ListScheduledReminders", notification_pb2.ListScheduledRemindersRequest(),
             notification_pb2.ListScheduledRemindersResponse, grpc.StatusCode.INVALID_ARGUMENT,
             "event_id"),
            ("AckNotification", notification_pb2.AckNotificationRequest(
                subscriber="mailer", notification_id="nope"),
             notification_pb2.AckNotificationResponse, grpc.StatusCode.NOT_FOUND, "notification_id"),
            ("DeleteWebhook", notification_pb2.DeleteWebhookRequest(webhook_id="wh_nope"),
             notification_pb2.DeleteWebhookResponse, grpc.StatusCode.NOT_FOUND, "webhook_id"),
        ]
        for method, request, response, code, field in cases:
            with self.subTest(method=method, field=field):
                with self.assertRaises(grpc.RpcError) as e:
                    unary(ch, "NotificationService", method, request, response)
                self.assertEqual(e.exception.code(), code)
                self.assertIn(field, e.exception.details())
        # Nothing was planned or stored by the refused calls.
        policy = unary(ch, "NotificationService", "GetReminderPolicy",
                       notification_pb2.GetReminderPolicyRequest(event_id=event.id),
                       notification_pb2.ReminderPolicy)
        self.assertTrue(policy.is_default)
        self.assertEqual([d.seconds for d in policy.before_event], [7 * 86400, 86400, 3600])

    def test_page_tokens_are_ones_this_service_issued(self):
        """Audit finding 8: the two lists took bare offsets ("5", "+3", " 4",
        INT64_MAX, which overflowed offset + count) as page tokens, bound to
        no event or filter."""
        n = self.spawn("notification/convene-notification", "--notices=false", "--dispatch=false",
                       "--webhooks=false")
        ch = self.channel(n)
        event, _ = self.create_event("e2e-pages", datetime.timedelta(days=10))
        other, _ = self.create_event("e2e-pages-other", datetime.timedelta(days=3))
        for pid in ("gent-1", "gent-2", "gent-3"):
            self.register(event.id, pid)
        # The default policy: three before the event each (and one before
        # its second day when, run between 22:00 and 24:00 in Brussels, the
        # two-hour event runs past midnight).
        self.assertTrue(wait_until(lambda: len([
            r for r in self.scheduled(ch, event.id) if r.reminder_id.startswith("event-")]) == 9,
            20, 0.2))

        def scheduled_page(token, event_id=event.id, participant_id=""):
            return unary(ch, "NotificationService", "ListScheduledReminders",
                         notification_pb2.ListScheduledRemindersRequest(
                             event_id=event_id, participant_id=participant_id, page_size=2,
                             page_token=token),
                         notification_pb2.ListScheduledRemindersResponse)
        seen, token = [], ""
        while True:
            page = scheduled_page(token)
            seen.extend(page.reminders)
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(seen, self.scheduled(ch, event.id))
        token = scheduled_page("").next_page_token
        self.assertTrue(token)

        def refused(method, request, response):
            with self.assertRaises(grpc.RpcError) as e:
                unary(ch, "NotificationService", method, request, response)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, e.exception.details())
            self.assertTrue(e.exception.details().startswith("page_token: "), e.exception.details())
        with self.subTest("a token is bound to its event and filters"):
            refused("ListScheduledReminders", notification_pb2.ListScheduledRemindersRequest(
                event_id=other.id, page_size=2, page_token=token),
                notification_pb2.ListScheduledRemindersResponse)
            refused("ListScheduledReminders", notification_pb2.ListScheduledRemindersRequest(
                event_id=event.id, participant_id="gent-1", page_size=2, page_token=token),
                notification_pb2.ListScheduledRemindersResponse)
            refused("ListNotifications", notification_pb2.ListNotificationsRequest(
                event_id=event.id, page_token=token), notification_pb2.ListNotificationsResponse)
        for forged in ("5", "+3", " 4", "9223372036854775807", "-1"):
            with self.subTest(forged=forged):
                refused("ListScheduledReminders", notification_pb2.ListScheduledRemindersRequest(
                    event_id=event.id, page_token=forged),
                    notification_pb2.ListScheduledRemindersResponse)
                refused("ListNotifications", notification_pb2.ListNotificationsRequest(
                    event_id=event.id, page_token=forged), notification_pb2.ListNotificationsResponse)


if __name__ == "__main__":
    unittest.main(verbosity=2)
