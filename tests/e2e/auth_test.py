"""End to end: authentication and authorisation of every RPC, as a real
convened with authentication on (the default). A table says which roles may
call each method; every method is called with no token, with an unknown
token, with each role's token, and with a token scoped to another event, and
the status codes are checked. Also: integration tokens never see personal
data, the per-token rate limit, revocation, TLS and mutual TLS."""
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import grpc

from convene_e2e import (wait_until, BUILD_DIR, start_authenticating_convened, ConveneProcess, RedisCluster, RedisServer,
                         health_status, local_timestamp, unary)
from convene.v1 import (admin_pb2, attendance_pb2, calendar_pb2, common_pb2,
                        notification_pb2)

MODULES = {
    "CalendarService": calendar_pb2,
    "AttendanceService": attendance_pb2,
    "NotificationService": notification_pb2,
    "AdminService": admin_pb2,
}
ROLES = ["admin", "organizer", "checkin", "integration", "reminder-job"]
EVERYONE = {"organizer", "checkin", "integration", "reminder-job"}
# Who besides admin may call what: the specification this test holds the
# server to (auth/rpc_policy.cc is the implementation).
ALLOWED = {
    "CalendarService/CreateEvent": {"organizer"},
    "CalendarService/UpdateEvent": {"organizer"},
    "CalendarService/CancelEvent": {"organizer"},
    "CalendarService/GetEvent": EVERYONE,
    "CalendarService/ListEvents": EVERYONE,
    "CalendarService/GetAgenda": EVERYONE,
    "CalendarService/ExportICalendar": {"organizer", "integration"},
    "CalendarService/ListEventChanges": {"organizer", "integration"},
    "CalendarService/WatchEventChanges": {"organizer", "integration"},
    "CalendarService/FindMeetingTimes": {"organizer", "integration"},
    "CalendarService/ListChanges": {"organizer", "integration"},
    "CalendarService/WatchChanges": {"organizer", "integration"},
    "AttendanceService/Register": {"organizer"},
    "AttendanceService/ChangeMode": {"organizer"},
    "AttendanceService/CancelRegistration": {"organizer"},
    "AttendanceService/GetRegistration": {"organizer", "checkin"},
    "AttendanceService/ListRegistrations": {"organizer", "checkin"},
    "AttendanceService/ExportAttendanceReport": {"organizer"},
    "AttendanceService/ForgetParticipant": {"organizer"},
    "AttendanceService/CheckIn": {"organizer", "checkin"},
    "AttendanceService/CheckOut": {"organizer", "checkin"},
    "AttendanceService/GetAttendanceCounts": {"organizer", "checkin", "integration"},
    "AttendanceService/WatchAttendanceCounts": {"organizer", "checkin", "integration"},
    "NotificationService/SetReminderPolicy": {"organizer"},
    "NotificationService/GetReminderPolicy": {"organizer", "reminder-job"},
    "NotificationService/ListScheduledReminders": {"organizer", "reminder-job"},
    "NotificationService/ListNotifications": {"organizer", "reminder-job"},
    "NotificationService/RunDueReminders": {"reminder-job"},
    "NotificationService/SubscribeNotifications": {"reminder-job"},
    "NotificationService/AckNotification": {"reminder-job"},
    "NotificationService/CreateWebhook": set(),
    "NotificationService/ListWebhooks": set(),
    "NotificationService/DeleteWebhook": set(),
    "AdminService/CreateToken": set(),
    "AdminService/ListTokens": set(),
    "AdminService/RevokeToken": set(),
}
# Methods that act on all events at once: a token scoped to some events may
# not call them.
CALENDAR_WIDE = {"CalendarService/CreateEvent", "CalendarService/ListEvents",
                 "CalendarService/ListEventChanges", "CalendarService/WatchEventChanges",
                 "NotificationService/RunDueReminders"}
AUTH_CODES = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


def methods():
    """(service, method descriptor) for every RPC of the four services."""
    for service, module in MODULES.items():
        for m in module.DESCRIPTOR.services_by_name[service].methods:
            yield service, m


def request_for(method, event_id):
    """A request of the method's type naming `event_id` where it has one."""
    cls = MODULES[method.containing_service.name].__dict__[method.input_type.name]
    request = cls()
    fields = cls.DESCRIPTOR.fields_by_name
    if "event_id" in fields:
        request.event_id = event_id
    if "policy" in fields:
        request.policy.event_id = event_id
    if "event" in fields and method.name == "UpdateEvent":
        request.event.id = event_id
    return request


def call(channel, service, method, request, token, timeout=3.0):
    """The status code of one call (streams: of their first message)."""
    module = MODULES[service]
    response_cls = module.__dict__[method.output_type.name]
    path = f"/convene.v1.{service}/{method.name}"
    metadata = [("authorization", "Bearer " + token)] if token else None
    try:
        if method.server_streaming:
            stream = channel.unary_stream(path, request_serializer=type(request).SerializeToString,
                                          response_deserializer=response_cls.FromString)(
                request, metadata=metadata, timeout=timeout)
            try:
                next(stream)
            finally:
                stream.cancel()
            return grpc.StatusCode.OK
        channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                            response_deserializer=response_cls.FromString)(
            request, metadata=metadata, timeout=timeout)
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


class AuthE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = start_authenticating_convened(cls)
        cls.tokens = {"admin": cls.admin}
        cls.event = unary(cls.channel, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="auth-e2e", event=calendar_pb2.Event(
                title="CoP1 3rd workshop", format=common_pb2.EVENT_FORMAT_HYBRID,
                time_zone="Europe/Athens", start_local="2022-03-15T09:00",
                end_local="2022-03-17T17:30",
                venue=calendar_pb2.Venue(name="Thessaloniki City Hall", in_person_capacity=25),
                online=calendar_pb2.OnlineAccess(platform="Zoom",
                                                  join_url="https://meet.example.org/x"))),
            calendar_pb2.Event, metadata=[("authorization", "Bearer " + cls.admin)])
        for role in ROLES[1:]:
            cls.tokens[role] = cls.create_token(role, role)
        cls.other_event = unary(cls.channel, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="auth-e2e-other", event=calendar_pb2.Event(
                title="CoP2 webinar", format=common_pb2.EVENT_FORMAT_ONLINE,
                time_zone="Europe/Rome", start_local="2022-04-05T10:00", end_local="2022-04-05T12:00",
                online=calendar_pb2.OnlineAccess(platform="Jitsi",
                                                  join_url="https://meet.example.org/y"))),
            calendar_pb2.Event, metadata=[("authorization", "Bearer " + cls.admin)])
        cls.other_scope = cls.create_token("organizer", "organizer of another event",
                                           [cls.other_event.id])
        unary(cls.channel, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=cls.event.id, request_id="auth-reg", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(participant_id="zagreb-ana", display_name="Ana Kovač",
                                               email="ana.kovac@example.org")),
            attendance_pb2.Registration, metadata=[("authorization", "Bearer " + cls.admin)])

    @classmethod
    def create_token(cls, role, name, event_ids=(), admin=None):
        reply = unary(cls.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name=name, role=role, event_ids=list(event_ids))),
            admin_pb2.CreateTokenResponse,
            metadata=[("authorization", "Bearer " + (admin or cls.admin))])
        return reply.secret

    def test_the_table_covers_every_rpc(self):
        self.assertEqual({f"{s}/{m.name}" for s, m in methods()}, set(ALLOWED))

    def test_every_rpc_with_every_role_and_without_a_token(self):
        for service, method in methods():
            name = f"{service}/{method.name}"
            request = request_for(method, self.event.id)
            with self.subTest(method=name, token="none"):
                self.assertEqual(call(self.channel, service, method, request, None),
                                 grpc.StatusCode.UNAUTHENTICATED)
            with self.subTest(method=name, token="unknown"):
                self.assertEqual(call(self.channel, service, method, request, "cvt_" + "0" * 64),
                                 grpc.StatusCode.UNAUTHENTICATED)
            for role in ROLES:
                allowed = role == "admin" or role in ALLOWED[name]
                if method.name in ("RevokeToken", "CancelEvent", "ForgetParticipant"):
                    # Destructive calls run once, below, on their own data.
                    if allowed:
                        continue
                code = call(self.channel, service, method, request, self.tokens[role])
                with self.subTest(method=name, role=role, code=code.name):
                    if allowed:
                        self.assertNotIn(code, AUTH_CODES)
                    else:
                        self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)

    def test_a_token_scoped_to_another_event_is_refused(self):
        for service, method in methods():
            name = f"{service}/{method.name}"
            if "organizer" not in ALLOWED[name]:
                continue
            fields = MODULES[service].__dict__[method.input_type.name].DESCRIPTOR.fields_by_name
            if not ({"event_id", "policy", "event"} & set(fields)) and name not in CALENDAR_WIDE:
                continue
            if method.name == "FindMeetingTimes":
                continue  # names no event
            with self.subTest(method=name):
                self.assertEqual(call(self.channel, service, method,
                                      request_for(method, self.event.id), self.other_scope),
                                 grpc.StatusCode.PERMISSION_DENIED)
        # In scope, the same token is let through.
        mine = self.create_token("checkin", "desk", [self.event.id])
        counts = unary(self.channel, "AttendanceService", "GetAttendanceCounts",
                       attendance_pb2.GetAttendanceCountsRequest(event_id=self.event.id),
                       attendance_pb2.AttendanceCounts,
                       metadata=[("authorization", "Bearer " + mine)])
        self.assertEqual(counts.registrations, 1)

    def as_(self, token):
        return [("authorization", "Bearer " + token)]

    def code_of(self, service, method, request, response_cls, token):
        try:
            unary(self.channel, service, method, request, response_cls, metadata=self.as_(token))
            return grpc.StatusCode.OK, ""
        except grpc.RpcError as e:
            return e.code(), e.details()

    def test_a_token_for_an_event_that_does_not_exist_is_not_made(self):
        """An admin who mistyped an event id got a token that every call for
        the intended event refused with PERMISSION_DENIED, found out only
        by whoever was handed it. NOT_FOUND naming the field and the id, and
        nothing made; a cancelled event is still an event; a scoped admin
        asking for an id outside its scope is refused as before, whether or
        not that event exists."""
        typo = self.event.id[:-1] + ("0" if self.event.id[-1] != "0" else "1")
        before = unary(self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
                       admin_pb2.ListTokensResponse, metadata=self.as_(self.admin))
        for events, index in (([typo], 0), ([self.event.id, typo], 1)):
            with self.subTest(events=events):
                code, details = self.code_of("AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
                    token=admin_pb2.Token(name="desk", role="checkin", event_ids=events)),
                    admin_pb2.CreateTokenResponse, self.admin)
                self.assertEqual(code, grpc.StatusCode.NOT_FOUND, details)
                self.assertIn(f"token.event_ids[{index}]", details)
                self.assertIn(typo, details)
        after = unary(self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
                      admin_pb2.ListTokensResponse, metadata=self.as_(self.admin))
        self.assertEqual(len(after.tokens), len(before.tokens), "nothing made")
        cancelled = unary(self.channel, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="auth-e2e-cancelled", event=calendar_pb2.Event(
                title="Cancelled study visit", format=common_pb2.EVENT_FORMAT_ONLINE,
                time_zone="Europe/Athens", start_local="2022-05-10T10:00", end_local="2022-05-10T12:00",
                online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/z"))),
            calendar_pb2.Event, metadata=self.as_(self.admin))
        unary(self.channel, "CalendarService", "CancelEvent", calendar_pb2.CancelEventRequest(
            event_id=cancelled.id, reason="postponed"), calendar_pb2.Event, metadata=self.as_(self.admin))
        self.assertEqual(self.code_of("AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="archive", role="integration", event_ids=[cancelled.id])),
            admin_pb2.CreateTokenResponse, self.admin)[0], grpc.StatusCode.OK)
        scoped = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="admin of A only", role="admin", event_ids=[self.event.id])),
            admin_pb2.CreateTokenResponse, metadata=self.as_(self.admin)).secret
        for outside in (self.other_event.id, typo):
            with self.subTest(outside=outside):
                code, details = self.code_of("AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
                    token=admin_pb2.Token(name="x", role="checkin", event_ids=[outside])),
                    admin_pb2.CreateTokenResponse, scoped)
                self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED, details)

    def test_a_scoped_admin_stays_inside_its_scope(self):
        """Issue 15 finding 1: an admin token for event A minted every-event
        admins, made every-event webhooks, and listed and revoked any token."""
        made = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="admin of A", role="admin", event_ids=[self.event.id])),
            admin_pb2.CreateTokenResponse, metadata=self.as_(self.admin))
        scoped = made.secret
        create = lambda role, events: self.code_of(  # noqa: E731
            "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
                token=admin_pb2.Token(name="minted", role=role, event_ids=events)),
            admin_pb2.CreateTokenResponse, scoped)
        with self.subTest("no every-event token"):
            code, details = create("admin", [])
            self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)
            self.assertIn("token.event_ids", details)
        with self.subTest("no token for another event"):
            self.assertEqual(create("organizer", [self.event.id, "ev_other"])[0],
                             grpc.StatusCode.PERMISSION_DENIED)
        with self.subTest("a token inside its scope"):
            self.assertEqual(create("checkin", [self.event.id])[0], grpc.StatusCode.OK)

        listed = unary(self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
                       admin_pb2.ListTokensResponse, metadata=self.as_(scoped))
        with self.subTest("lists only tokens inside its scope"):
            self.assertTrue(listed.tokens)
            for t in listed.tokens:
                self.assertTrue(t.event_ids and set(t.event_ids) <= {self.event.id}, t)
        everyone = unary(self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
                         admin_pb2.ListTokensResponse, metadata=self.as_(self.admin))
        wide = [t.id for t in everyone.tokens if not t.event_ids]
        self.assertTrue(wide)
        with self.subTest("cannot revoke a token outside its scope; it looks unknown"):
            code, details = self.code_of("AdminService", "RevokeToken",
                                         admin_pb2.RevokeTokenRequest(token_id=wide[0]),
                                         admin_pb2.RevokeTokenResponse, scoped)
            unknown = self.code_of("AdminService", "RevokeToken",
                                   admin_pb2.RevokeTokenRequest(token_id="tok_000000000000"),
                                   admin_pb2.RevokeTokenResponse, scoped)
            self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
            self.assertEqual(unknown[0], grpc.StatusCode.NOT_FOUND)
            self.assertEqual(details.replace(wide[0], "ID"), unknown[1].replace("tok_000000000000", "ID"))
            # And the token still works.
            self.assertEqual(call(self.channel, "CalendarService",
                                  calendar_pb2.DESCRIPTOR.services_by_name["CalendarService"]
                                  .methods_by_name["ListEvents"],
                                  calendar_pb2.ListEventsRequest(), self.admin),
                             grpc.StatusCode.OK)

        hook = lambda events, token: self.code_of(  # noqa: E731
            "NotificationService", "CreateWebhook", notification_pb2.CreateWebhookRequest(
                webhook=notification_pb2.Webhook(url="https://hooks.example.org/convene",
                                                 secret="s" * 32, event_ids=events)),
            notification_pb2.Webhook, token)
        with self.subTest("no every-event webhook"):
            self.assertEqual(hook([], scoped)[0], grpc.StatusCode.PERMISSION_DENIED)
        wide_hook = unary(self.channel, "NotificationService", "CreateWebhook",
                          notification_pb2.CreateWebhookRequest(webhook=notification_pb2.Webhook(
                              url="https://hooks.example.org/all", secret="s" * 32)),
                          notification_pb2.Webhook, metadata=self.as_(self.admin))
        self.addCleanup(lambda: unary(self.channel, "NotificationService", "DeleteWebhook",
                                      notification_pb2.DeleteWebhookRequest(webhook_id=wide_hook.id),
                                      notification_pb2.DeleteWebhookResponse,
                                      metadata=self.as_(self.admin)))
        with self.subTest("a webhook for its event"):
            self.assertEqual(hook([self.event.id], scoped)[0], grpc.StatusCode.OK)
        hooks = unary(self.channel, "NotificationService", "ListWebhooks",
                      notification_pb2.ListWebhooksRequest(), notification_pb2.ListWebhooksResponse,
                      metadata=self.as_(scoped))
        with self.subTest("lists only webhooks inside its scope"):
            self.assertTrue(hooks.webhooks)
            self.assertNotIn(wide_hook.id, [h.id for h in hooks.webhooks])
        with self.subTest("cannot delete an every-event webhook; it looks unknown"):
            self.assertEqual(self.code_of("NotificationService", "DeleteWebhook",
                                          notification_pb2.DeleteWebhookRequest(webhook_id=wide_hook.id),
                                          notification_pb2.DeleteWebhookResponse, scoped)[0],
                             grpc.StatusCode.NOT_FOUND)

    def expire_in_redis(self, token_id):
        """Moves a stored token's expiry into the past, as 60 s of waiting
        would (TTLs are at least a minute)."""
        script = ("local h = redis.call('HGET', KEYS[2], ARGV[1]) "
                  "local v = redis.call('HGET', KEYS[1], h) "
                  "redis.call('HSET', KEYS[1], h, '1000' .. string.sub(v, (string.find(v, '|', 1, true)))) "
                  "return 1")
        subprocess.run(["redis-cli", *self.redis.cli_target(), "EVAL", script, "2",
                        "cv:{sys}:tokens", "cv:{sys}:token-ids", token_id],
                       check=True, capture_output=True, timeout=10)

    def token_is_stored(self, token_id):
        return subprocess.run(["redis-cli", *self.redis.cli_target(), "HEXISTS", "cv:{sys}:token-ids",
                               token_id], check=True, capture_output=True, text=True,
                              timeout=10).stdout.strip() == "1"

    def test_a_scoped_admin_cannot_revoke_an_expired_token_outside_its_scope(self):
        """Audit finding 2: the scope check looked only at unexpired tokens,
        so an expired every-event token was revoked (OK) by an admin of one
        event, which told it the id existed."""
        wide = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="wide, short-lived", role="organizer"), ttl={"seconds": 60}),
            admin_pb2.CreateTokenResponse, metadata=self.as_(self.admin)).token
        scoped = self.create_token("admin", "admin of A only", [self.event.id])
        self.expire_in_redis(wide.id)
        revoke = lambda token_id: self.code_of(  # noqa: E731
            "AdminService", "RevokeToken", admin_pb2.RevokeTokenRequest(token_id=token_id),
            admin_pb2.RevokeTokenResponse, scoped)
        code, details = revoke(wide.id)
        unknown = revoke("tok_000000000000")
        self.assertEqual(code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(details.replace(wide.id, "ID"), unknown[1].replace("tok_000000000000", "ID"))
        self.assertTrue(self.token_is_stored(wide.id))

    def test_expired_tokens_do_not_stay_stored_for_ever(self):
        """Tokens were deleted only by RevokeToken, which takes an id that
        ListTokens no longer shows once a token has expired: every token
        ever made stayed in Redis, and an admin of one event minting
        short-lived tokens in a loop grew it without bound. Making tokens
        now sweeps the expired ones out, a part of the store at a time."""
        made = [unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name=f"desk {i}", role="checkin", event_ids=[self.event.id]),
            ttl={"seconds": 60}), admin_pb2.CreateTokenResponse,
            metadata=self.as_(self.admin)).token for i in range(30)]
        for t in made:
            self.expire_in_redis(t.id)
        for i in range(20):
            self.create_token("checkin", f"desk after {i}", [self.event.id])
        self.assertEqual([t.id for t in made if self.token_is_stored(t.id)], [])
        stored = int(subprocess.run(["redis-cli", *self.redis.cli_target(), "HLEN", "cv:{sys}:tokens"],
                                    check=True, capture_output=True, text=True,
                                    timeout=10).stdout.strip())
        listed = unary(self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
                       admin_pb2.ListTokensResponse, metadata=self.as_(self.admin)).tokens
        self.assertEqual(stored, len(listed))

    def test_a_token_never_mints_one_that_outlives_it(self):
        """Audit finding 5: a 60 s admin token minted a 400-day one, which
        made a short-lived credential permanent."""
        parent = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="temporary admin", role="admin", event_ids=[self.event.id]),
            ttl={"seconds": 3600}), admin_pb2.CreateTokenResponse, metadata=self.as_(self.admin))

        def mint(name, ttl=None):
            request = admin_pb2.CreateTokenRequest(
                token=admin_pb2.Token(name=name, role="checkin", event_ids=[self.event.id]))
            if ttl is not None:
                request.ttl.seconds = ttl
            return self.code_of("AdminService", "CreateToken", request,
                                admin_pb2.CreateTokenResponse, parent.secret)
        with self.subTest("a lifetime past the minter's is refused, naming ttl"):
            code, details = mint("outliver", 400 * 86400)
            self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
            self.assertRegex(details, r"^ttl: .*outlive the calling token")
            code, details = mint("outliver by a minute", 3660)
            self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
            listed = unary(self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
                           admin_pb2.ListTokensResponse, metadata=self.as_(self.admin))
            self.assertFalse([t for t in listed.tokens if t.name.startswith("outliver")])
        with self.subTest("a shorter lifetime is granted"):
            code, _ = mint("desk for ten minutes", 600)
            self.assertEqual(code, grpc.StatusCode.OK)
        with self.subTest("without a ttl, the default ends with the minter"):
            made = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
                token=admin_pb2.Token(name="desk", role="checkin", event_ids=[self.event.id])),
                admin_pb2.CreateTokenResponse, metadata=self.as_(parent.secret))
            self.assertLessEqual(made.token.expire_time.seconds, parent.token.expire_time.seconds)
            self.assertGreater(made.token.expire_time.seconds, parent.token.expire_time.seconds - 60)

    def test_a_scoped_reminder_job_cannot_ack_other_events_notifications(self):
        """Issue 15 finding 4: AckNotification ignored scope and answered OK
        for other events' ids, NOT_FOUND for unknown ones."""
        job = self.create_token("reminder-job", "mailer of A", [self.event.id])
        other = self.code_of("NotificationService", "AckNotification",
                             notification_pb2.AckNotificationRequest(
                                 subscriber="mailer", notification_id="ev_other/zagreb-ana/r1/r1"),
                             notification_pb2.AckNotificationResponse, job)
        unknown = self.code_of("NotificationService", "AckNotification",
                               notification_pb2.AckNotificationRequest(
                                   subscriber="mailer",
                                   notification_id=self.event.id + "/nobody/r1/r1"),
                               notification_pb2.AckNotificationResponse, job)
        self.assertEqual(other[0], grpc.StatusCode.NOT_FOUND)
        self.assertEqual(unknown[0], grpc.StatusCode.NOT_FOUND)
        self.assertEqual(other[1].replace("ev_other/zagreb-ana/r1/r1", "ID"),
                         unknown[1].replace(self.event.id + "/nobody/r1/r1", "ID"))

    def test_bootstrap_token_applies_create_tokens_bounds(self):
        """Issue 15 finding 9."""
        for ttl in ("-5s", "100000h", "30s"):
            out = subprocess.run([f"{BUILD_DIR}/services/admin/convene-admin", "bootstrap-token",
                                  "--redis=" + self.redis.address, "--ttl=" + ttl],
                                 capture_output=True, text=True, timeout=30)
            with self.subTest(ttl=ttl):
                self.assertEqual(out.returncode, 1)
                self.assertIn("--ttl", out.stderr)
                self.assertEqual(out.stdout, "")

    def test_check_in_tokens_find_people_by_name_but_never_their_contact_details(self):
        md = [("authorization", "Bearer " + self.tokens["checkin"])]
        listed = unary(self.channel, "AttendanceService", "ListRegistrations",
                       attendance_pb2.ListRegistrationsRequest(event_id=self.event.id),
                       attendance_pb2.ListRegistrationsResponse, metadata=md)
        one = unary(self.channel, "AttendanceService", "GetRegistration",
                    attendance_pb2.GetRegistrationRequest(event_id=self.event.id, participant_id="zagreb-ana"),
                    attendance_pb2.Registration, metadata=md)
        ana = [r for r in listed.registrations if r.participant.participant_id == "zagreb-ana"][0]
        for r in (ana, one):
            self.assertEqual(r.participant.display_name, "Ana Kovač")  # what the desk searches
            self.assertTrue(r.days)
            self.assertEqual((r.participant.email, r.participant.language, r.participant.time_zone), ("", "", ""))
        for blob in (listed.SerializeToString(), one.SerializeToString()):
            self.assertNotIn(b"ana.kovac", blob)
        # The organiser sees the whole record.
        full = unary(self.channel, "AttendanceService", "GetRegistration",
                     attendance_pb2.GetRegistrationRequest(event_id=self.event.id, participant_id="zagreb-ana"),
                     attendance_pb2.Registration,
                     metadata=[("authorization", "Bearer " + self.tokens["organizer"])])
        self.assertIn("ana.kovac", full.participant.email)
        self.assertEqual(self.code_of("AttendanceService", "ExportAttendanceReport",
                                      attendance_pb2.ExportAttendanceReportRequest(event_id=self.event.id),
                                      attendance_pb2.ExportAttendanceReportResponse, self.tokens["checkin"])[0],
                         grpc.StatusCode.PERMISSION_DENIED)

    def test_integration_tokens_never_see_personal_data(self):
        md = [("authorization", "Bearer " + self.tokens["integration"])]
        seen = []
        counts = unary(self.channel, "AttendanceService", "GetAttendanceCounts",
                       attendance_pb2.GetAttendanceCountsRequest(event_id=self.event.id),
                       attendance_pb2.AttendanceCounts, metadata=md)
        seen.append(counts.SerializeToString())
        seen.append(unary(self.channel, "CalendarService", "ExportICalendar",
                          calendar_pb2.ExportICalendarRequest(event_id=self.event.id),
                          calendar_pb2.ExportICalendarResponse, metadata=md).SerializeToString())
        seen.append(unary(self.channel, "CalendarService", "ListEventChanges",
                          calendar_pb2.ListEventChangesRequest(),
                          calendar_pb2.ListEventChangesResponse, metadata=md).SerializeToString())
        for blob in seen:
            self.assertNotIn(b"ana.kovac", blob)
            self.assertNotIn("Kovač".encode(), blob)
        for method in ("GetRegistration", "ListRegistrations", "ExportAttendanceReport"):
            with self.subTest(method=method):
                m = attendance_pb2.DESCRIPTOR.services_by_name["AttendanceService"].methods_by_name[method]
                req = request_for(m, self.event.id)
                if method == "GetRegistration":
                    req.participant_id = "zagreb-ana"
                self.assertEqual(call(self.channel, "AttendanceService", m, req,
                                      self.tokens["integration"]),
                                 grpc.StatusCode.PERMISSION_DENIED)

    def test_destructive_calls_with_the_roles_allowed_to(self):
        md = [("authorization", "Bearer " + self.tokens["organizer"])]
        forgot = unary(self.channel, "AttendanceService", "ForgetParticipant",
                       attendance_pb2.ForgetParticipantRequest(
                           event_id=self.event.id, participant_id="zagreb-ana",
                           request_id="auth-forget"),
                       attendance_pb2.ForgetParticipantResponse, metadata=md)
        self.assertEqual(list(forgot.event_ids), [self.event.id])
        doomed = self.create_token("integration", "to revoke")
        listed = unary(self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
                       admin_pb2.ListTokensResponse,
                       metadata=[("authorization", "Bearer " + self.admin)])
        doomed_id = [t.id for t in listed.tokens if t.name == "to revoke"][0]
        self.assertNotIn(doomed, listed.SerializeToString().decode(errors="ignore"))
        unary(self.channel, "AdminService", "RevokeToken", admin_pb2.RevokeTokenRequest(
            token_id=doomed_id), admin_pb2.RevokeTokenResponse,
            metadata=[("authorization", "Bearer " + self.admin)])
        m = calendar_pb2.DESCRIPTOR.services_by_name["CalendarService"].methods_by_name["GetEvent"]
        self.assertEqual(call(self.channel, "CalendarService", m,
                              request_for(m, self.event.id), doomed),
                         grpc.StatusCode.UNAUTHENTICATED)

    def test_a_token_name_counts_characters(self):
        """Audit finding 3: Token.name (1-100 chars) was counted in bytes."""
        request = lambda name: admin_pb2.CreateTokenRequest(  # noqa: E731
            token=admin_pb2.Token(name=name, role="checkin", event_ids=[self.event.id]))
        self.assertEqual(self.code_of("AdminService", "CreateToken", request("Ω" * 100),
                                      admin_pb2.CreateTokenResponse, self.admin)[0],
                         grpc.StatusCode.OK)
        code, details = self.code_of("AdminService", "CreateToken", request("Ω" * 101),
                                     admin_pb2.CreateTokenResponse, self.admin)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(details.startswith("token.name: "), details)

    def test_bad_token_requests_name_the_field(self):
        for token, ttl, field in [(admin_pb2.Token(name="", role="admin"), None, "token.name"),
                                  (admin_pb2.Token(name="x", role="root"), None, "token.role"),
                                  (admin_pb2.Token(name="x", role="admin"), 1, "ttl")]:
            with self.subTest(field=field):
                req = admin_pb2.CreateTokenRequest(token=token)
                if ttl is not None:
                    req.ttl.seconds = ttl
                with self.assertRaises(grpc.RpcError) as e:
                    unary(self.channel, "AdminService", "CreateToken", req,
                          admin_pb2.CreateTokenResponse,
                          metadata=[("authorization", "Bearer " + self.admin)])
                self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(field, e.exception.details())

    def test_lists_of_events_that_scope_something_are_bounded_and_unique(self):
        # One check (core::CheckScopedEventIds) for a token's events and a
        # subscription's: [A, A] was stored twice and 50,000 ids were taken.
        auth = [("authorization", "Bearer " + self.admin)]
        too_many = [f"ev_{i:016x}" for i in range(1001)]
        for ids, words in [([self.event.id, self.event.id], "token.event_ids[1]: " + self.event.id +
                            " is listed twice"),
                           (too_many, "token.event_ids: at most 1000 events, not 1001")]:
            with self.subTest(words=words):
                with self.assertRaises(grpc.RpcError) as e:
                    unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
                        token=admin_pb2.Token(name="desk", role="checkin", event_ids=ids)),
                        admin_pb2.CreateTokenResponse, metadata=auth)
                self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                self.assertIn(words, e.exception.details())
        subscribe = self.channel.unary_stream(
            "/convene.v1.NotificationService/SubscribeNotifications",
            request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
            response_deserializer=notification_pb2.Notification.FromString)
        with self.assertRaises(grpc.RpcError) as e:
            list(subscribe(notification_pb2.SubscribeNotificationsRequest(
                subscriber="mailer", event_ids=too_many), metadata=auth, timeout=10))
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("event_ids: at most 1000 events", e.exception.details())

    def test_a_token_may_hold_sixteen_streams_open_at_once(self):
        token = self.create_token("checkin", "wall display")
        watch = self.channel.unary_stream(
            "/convene.v1.AttendanceService/WatchAttendanceCounts",
            request_serializer=attendance_pb2.WatchAttendanceCountsRequest.SerializeToString,
            response_deserializer=attendance_pb2.AttendanceCounts.FromString)
        md = [("authorization", "Bearer " + token)]
        request = attendance_pb2.WatchAttendanceCountsRequest(event_id=self.event.id)
        streams = []
        try:
            for _ in range(16):
                stream = watch(request, metadata=md, timeout=30)
                next(stream)  # open and serving
                streams.append(stream)
            extra = watch(request, metadata=md, timeout=10)
            with self.assertRaises(grpc.RpcError) as e:
                next(extra)
            self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertIn("16 open streams", e.exception.details())
        finally:
            for stream in streams:
                stream.cancel()
        # Closing one frees its place (the server sees the cancel shortly).
        def opens():
            try:
                stream = watch(request, metadata=md, timeout=10)
                next(stream)
                stream.cancel()
                return True
            except grpc.RpcError:
                return False
        from convene_e2e import wait_until
        self.assertTrue(wait_until(opens, 10, 0.2))

    def test_refused_calls_are_logged_without_the_secret(self):
        """Issue 15 finding 8: calls refused by authentication left no line."""
        list_events = calendar_pb2.DESCRIPTOR.services_by_name["CalendarService"] \
            .methods_by_name["ListEvents"]
        register = attendance_pb2.DESCRIPTOR.services_by_name["AttendanceService"] \
            .methods_by_name["Register"]
        unknown = "cvt_" + "7" * 64
        self.assertEqual(call(self.channel, "CalendarService", list_events,
                              calendar_pb2.ListEventsRequest(), None),
                         grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(call(self.channel, "CalendarService", list_events,
                              calendar_pb2.ListEventsRequest(), unknown),
                         grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(call(self.channel, "AttendanceService", register,
                              request_for(register, self.event.id), self.tokens["checkin"]),
                         grpc.StatusCode.PERMISSION_DENIED)
        checkin_id = next(t.id for t in unary(
            self.channel, "AdminService", "ListTokens", admin_pb2.ListTokensRequest(),
            admin_pb2.ListTokensResponse, metadata=self.as_(self.admin)).tokens
            if t.name == "checkin")

        def logged():
            log = self.server.log()
            return ("ListEvents UNAUTHENTICATED" in log and "token=none" in log
                    and f"Register PERMISSION_DENIED" in log and f"token={checkin_id}" in log)
        self.assertTrue(wait_until(logged, 5), self.server.log()[-2000:])
        log = self.server.log()
        self.assertRegex(log, r"rpc /convene\.v1\.CalendarService/ListEvents UNAUTHENTICATED "
                              r"[0-9.]+ms refused token=none")
        self.assertRegex(log, r"rpc /convene\.v1\.AttendanceService/Register PERMISSION_DENIED "
                              r"[0-9.]+ms refused token=" + checkin_id)
        self.assertNotIn(unknown, log)
        self.assertNotIn(unknown[4:20], log)
        self.assertNotIn(self.tokens["checkin"], log)

    def test_revoking_a_token_ends_its_open_streams(self):
        """Issue 15 finding 2: open streams of a revoked token kept delivering."""
        made = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="watcher to revoke", role="organizer")),
            admin_pb2.CreateTokenResponse, metadata=self.as_(self.admin))
        job = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="job to revoke", role="reminder-job")),
            admin_pb2.CreateTokenResponse, metadata=self.as_(self.admin))
        streams = {
            "WatchAttendanceCounts": self.channel.unary_stream(
                "/convene.v1.AttendanceService/WatchAttendanceCounts",
                request_serializer=attendance_pb2.WatchAttendanceCountsRequest.SerializeToString,
                response_deserializer=attendance_pb2.AttendanceCounts.FromString)(
                attendance_pb2.WatchAttendanceCountsRequest(event_id=self.event.id),
                metadata=self.as_(made.secret), timeout=60),
            "WatchChanges": self.channel.unary_stream(
                "/convene.v1.CalendarService/WatchChanges",
                request_serializer=calendar_pb2.WatchChangesRequest.SerializeToString,
                response_deserializer=calendar_pb2.Change.FromString)(
                calendar_pb2.WatchChangesRequest(), metadata=self.as_(made.secret), timeout=60),
            "SubscribeNotifications": self.channel.unary_stream(
                "/convene.v1.NotificationService/SubscribeNotifications",
                request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
                response_deserializer=notification_pb2.Notification.FromString)(
                notification_pb2.SubscribeNotificationsRequest(subscriber="revoked-job"),
                metadata=self.as_(job.secret), timeout=60),
        }
        ended = {}

        def drain(name, stream):
            try:
                for _ in stream:
                    pass
                ended[name] = (grpc.StatusCode.OK, time.monotonic())
            except grpc.RpcError as e:
                ended[name] = (e.code(), time.monotonic())
        threads = [threading.Thread(target=drain, args=item, daemon=True) for item in streams.items()]
        for t in threads:
            t.start()
        time.sleep(1.5)  # all three open and serving
        self.assertEqual(ended, {})
        for token in (made.token.id, job.token.id):
            unary(self.channel, "AdminService", "RevokeToken",
                  admin_pb2.RevokeTokenRequest(token_id=token), admin_pb2.RevokeTokenResponse,
                  metadata=self.as_(self.admin))
        revoked_at = time.monotonic()
        for t in threads:
            t.join(10)
        for name in streams:
            with self.subTest(stream=name):
                self.assertIn(name, ended, "still open 10 s after the revocation")
                code, at = ended[name]
                self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED)
                self.assertLess(at - revoked_at, 5.0)

    def test_a_refused_token_tried_again_costs_redis_nothing(self):
        """Every call with an unknown token cost a Redis script call, however
        often the same one was sent: a client looping on a revoked token
        (or anyone sending one) loaded Redis, which no rate limit bounds
        (limits are per valid token). A secret refused as unknown, revoked
        or expired can never become valid again: each replica remembers it
        for a minute and answers the same without asking Redis."""
        import hashlib
        revoked = unary(self.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="a desk that was revoked", role="checkin")),
            admin_pb2.CreateTokenResponse, metadata=self.as_(self.admin))
        unary(self.channel, "AdminService", "RevokeToken",
              admin_pb2.RevokeTokenRequest(token_id=revoked.token.id),
              admin_pb2.RevokeTokenResponse, metadata=self.as_(self.admin))
        for secret in ("not-a-token-" + "x" * 30, revoked.secret):
            first = self.code_of("CalendarService", "GetEvent",
                                 calendar_pb2.GetEventRequest(event_id=self.event.id),
                                 calendar_pb2.Event, secret)
            self.assertEqual(first[0], grpc.StatusCode.UNAUTHENTICATED)
            monitor = subprocess.Popen(["redis-cli", *self.redis.cli_target(), "MONITOR"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            try:
                time.sleep(0.3)
                for _ in range(50):
                    again = self.code_of("CalendarService", "GetEvent",
                                         calendar_pb2.GetEventRequest(event_id=self.event.id),
                                         calendar_pb2.Event, secret)
                    self.assertEqual(again, first)
                time.sleep(0.3)
            finally:
                monitor.terminate()
                seen = monitor.communicate(timeout=10)[0]
            self.assertIn(b'"', seen, "MONITOR showed no command at all")
            lookups = seen.count(hashlib.sha256(secret.encode()).hexdigest().encode())
            self.assertEqual(lookups, 0, f"{lookups} Redis calls for 50 refusals of one secret")
        # A valid token is still looked up (and rate limited) every time.
        self.assertEqual(self.code_of("CalendarService", "GetEvent",
                                      calendar_pb2.GetEventRequest(event_id=self.event.id),
                                      calendar_pb2.Event, self.tokens["integration"])[0],
                         grpc.StatusCode.OK)

    def test_secrets_never_reach_the_log(self):
        log = self.server.log()
        self.assertIn("CreateToken", log)  # the log is there, and has the calls
        for role, secret in self.tokens.items():
            self.assertNotIn(secret, log, role)
            self.assertNotIn(secret[4:20], log, role)


class MemoryPressureE2ETest(unittest.TestCase):
    """Issue 15 finding 7: at maxmemory (noeviction) every call failed, reads
    included, because the token check charges the rate limit; the error
    leaked the script's hash and line."""

    def setUp(self):
        self.redis = RedisServer()
        self.redis.start()
        self.addCleanup(self.redis.cleanup)
        # The rate limiter on, as in production.
        self.server = ConveneProcess("convened/convened", self.redis.address, secure=True)
        self.addCleanup(self.server.stop, signal.SIGKILL)
        self.channel = grpc.insecure_channel(self.server.target)
        self.addCleanup(self.channel.close)
        out = subprocess.run([f"{BUILD_DIR}/services/admin/convene-admin", "bootstrap-token",
                              "--redis=" + self.redis.address],
                             capture_output=True, text=True, timeout=30, check=True)
        self.md = [("authorization", "Bearer " + out.stdout.strip())]

    @staticmethod
    def reads(event_id):
        return [
            ("CalendarService", "GetEvent", calendar_pb2.GetEventRequest(event_id=event_id),
             calendar_pb2.Event),
            ("CalendarService", "ListEvents", calendar_pb2.ListEventsRequest(), calendar_pb2.ListEventsResponse),
            ("AttendanceService", "GetAttendanceCounts",
             attendance_pb2.GetAttendanceCountsRequest(event_id=event_id), attendance_pb2.AttendanceCounts),
            ("AttendanceService", "ListRegistrations",
             attendance_pb2.ListRegistrationsRequest(event_id=event_id),
             attendance_pb2.ListRegistrationsResponse),
            ("AttendanceService", "GetRegistration",
             attendance_pb2.GetRegistrationRequest(event_id=event_id, participant_id="utrecht-1"),
             attendance_pb2.Registration),
        ]

    def redis_cli(self, *args, target=None):
        return subprocess.run(["redis-cli", *(target or self.redis.cli_target()), *args],
                              capture_output=True, text=True, timeout=30, check=True).stdout

    def primaries(self):
        """redis-cli's arguments for each node holding data: the one server,
        or every primary of a cluster."""
        return self.redis.node_targets()

    def fill_memory(self):
        """Every primary over its maxmemory (noeviction): writes refused."""
        for target in self.primaries():
            used = int(self.redis_cli("INFO", "memory", target=target)
                       .split("used_memory:")[1].split()[0])
            self.redis_cli("CONFIG", "SET", "maxmemory-policy", "noeviction", target=target)
            if isinstance(self.redis, RedisCluster):
                # No key of our own to fill a node with: a limit below
                # what it holds does the same.
                self.redis_cli("CONFIG", "SET", "maxmemory", str(used // 2), target=target)
            else:
                # Over the limit now (SET is the one write Redis lets through here).
                subprocess.run(["redis-cli", *target, "-x", "SET", "ballast"],
                               input="x" * (2 * used), capture_output=True, text=True, timeout=30)
                self.redis_cli("CONFIG", "SET", "maxmemory", str(used), target=target)
            self.addCleanup(lambda t=target: self.redis_cli("CONFIG", "SET", "maxmemory", "0",
                                                            target=t))

    def free_memory(self):
        for target in self.primaries():
            if not isinstance(self.redis, RedisCluster):
                self.redis_cli("DEL", "ballast", target=target)
            self.redis_cli("CONFIG", "SET", "maxmemory", "0", target=target)

    def test_reads_go_on_and_writes_say_redis_is_out_of_memory(self):
        event = unary(self.channel, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="oom-1", event=calendar_pb2.Event(
                title="Utrecht webinar", format=common_pb2.EVENT_FORMAT_ONLINE,
                time_zone="Europe/Amsterdam", start_local="2031-05-10T10:00",
                end_local="2031-05-10T12:00",
                online=calendar_pb2.OnlineAccess(platform="Zoom",
                                                  join_url="https://meet.example.org/u"))),
            calendar_pb2.Event, metadata=self.md)
        unary(self.channel, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="oom-r1", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(participant_id="utrecht-1", display_name="Sanne")),
            attendance_pb2.Registration, metadata=self.md)
        # A running service has called each read before (loading its Redis
        # function library, which is a write); then memory runs out.
        for service, method, request, response in self.reads(event.id):
            unary(self.channel, service, method, request, response, metadata=self.md)
        self.fill_memory()

        for service, method, request, response in self.reads(event.id):
            with self.subTest(read=method):
                unary(self.channel, service, method, request, response, metadata=self.md)
        # Health shows it: "convene.writes" turns NOT_SERVING while the
        # server as a whole (reads) stays SERVING.
        self.assertTrue(wait_until(
            lambda: health_status(self.channel, "convene.writes") == "NOT_SERVING", 10),
            health_status(self.channel, "convene.writes"))
        self.assertEqual(health_status(self.channel, ""), "SERVING")
        self.assertEqual(health_status(self.channel, "convene.v1.AttendanceService"), "SERVING")
        join = attendance_pb2.CheckInRequest(
            event_id=event.id, participant_id="utrecht-1", day="2031-05-10",
            mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            source=attendance_pb2.CHECK_IN_SOURCE_ONLINE_JOIN, request_id="oom-c1",
            occurred_time=local_timestamp("Europe/Amsterdam", "2031-05-10T10:02"))
        for method, request, response in [
                ("Register", attendance_pb2.RegisterRequest(
                    event_id=event.id, request_id="oom-r2", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
                    participant=common_pb2.Participant(participant_id="utrecht-2", display_name="Daan")),
                 attendance_pb2.Registration),
                # A check-in the rules accept (a join during the webinar,
                # inside the day's check-in window): only memory refuses it.
                ("CheckIn", join, attendance_pb2.CheckInRecord)]:
            with self.subTest(write=method):
                with self.assertRaises(grpc.RpcError) as refused:
                    unary(self.channel, "AttendanceService", method, request, response, metadata=self.md)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAVAILABLE)
                self.assertIn("Redis is out of memory", refused.exception.details())
                self.assertNotIn("script", refused.exception.details())
                self.assertNotRegex(refused.exception.details(), r"[0-9a-f]{40}")
        # Memory freed: writes work again, with no restart.
        self.free_memory()
        self.assertTrue(wait_until(
            lambda: health_status(self.channel, "convene.writes") == "SERVING", 10))
        unary(self.channel, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="oom-r3", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(participant_id="utrecht-3", display_name="Fleur")),
            attendance_pb2.Registration, metadata=self.md)
        # The same check-in goes through now: memory was all that refused it.
        record = unary(self.channel, "AttendanceService", "CheckIn", join,
                       attendance_pb2.CheckInRecord, metadata=self.md)
        self.assertFalse(record.duplicate)


class RateLimitAndTlsE2ETest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer()
        self.redis.start()
        self.procs = []
        self.dir = tempfile.mkdtemp(prefix="convene-tls-")

    def tearDown(self):
        for p in self.procs:
            p.stop(signal.SIGKILL)
        self.redis.cleanup()

    def token(self):
        return subprocess.run([f"{BUILD_DIR}/services/admin/convene-admin", "bootstrap-token",
                               "--redis=" + self.redis.address, "--role=integration"],
                              capture_output=True, text=True, timeout=30, check=True).stdout.strip()

    def openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    def self_signed(self, name):
        key, crt = os.path.join(self.dir, name + ".key"), os.path.join(self.dir, name + ".crt")
        self.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                     "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                     "-keyout", key, "-out", crt)
        return key, crt

    def list_events(self, channel, token, timeout=5):
        return channel.unary_unary(
            "/convene.v1.CalendarService/ListEvents",
            request_serializer=calendar_pb2.ListEventsRequest.SerializeToString,
            response_deserializer=calendar_pb2.ListEventsResponse.FromString)(
            calendar_pb2.ListEventsRequest(), metadata=[("authorization", "Bearer " + token)],
            timeout=timeout)

    def test_a_token_over_its_rate_limit_gets_resource_exhausted(self):
        server = ConveneProcess("convened/convened", self.redis.address, secure=True,
                                extra_args=["--rate_limit=1", "--rate_burst=3"])
        self.procs.append(server)
        token = self.token()
        with grpc.insecure_channel(server.target) as ch:
            codes = []
            for _ in range(6):
                try:
                    self.list_events(ch, token)
                    codes.append("OK")
                except grpc.RpcError as e:
                    codes.append(e.code().name)
            self.assertEqual(codes[:3], ["OK"] * 3)
            self.assertIn("RESOURCE_EXHAUSTED", codes[3:])

    def test_calls_over_tls_and_mutual_tls(self):
        key, crt = self.self_signed("server")
        server = ConveneProcess("convened/convened", self.redis.address, secure=True,
                                extra_args=[f"--tls_cert_file={crt}", f"--tls_key_file={key}"])
        self.procs.append(server)
        token = self.token()
        creds = grpc.ssl_channel_credentials(root_certificates=open(crt, "rb").read())
        with grpc.secure_channel(f"localhost:{server.port}", creds) as ch:
            self.assertEqual(len(self.list_events(ch, token).events), 0)
        # Plaintext is refused by a TLS server.
        with grpc.insecure_channel(server.target) as ch:
            with self.assertRaises(grpc.RpcError):
                self.list_events(ch, token, timeout=2)
        # mTLS: a client certificate signed by the CA given is required.
        ckey, ccrt = self.self_signed("client")
        mtls = ConveneProcess("convened/convened", self.redis.address, secure=True,
                              extra_args=[f"--tls_cert_file={crt}", f"--tls_key_file={key}",
                                          f"--tls_client_ca_file={ccrt}"])
        self.procs.append(mtls)
        with grpc.secure_channel(f"localhost:{mtls.port}", creds) as ch:
            with self.assertRaises(grpc.RpcError):
                self.list_events(ch, token, timeout=2)
        with_cert = grpc.ssl_channel_credentials(root_certificates=open(crt, "rb").read(),
                                                 private_key=open(ckey, "rb").read(),
                                                 certificate_chain=open(ccrt, "rb").read())
        with grpc.secure_channel(f"localhost:{mtls.port}", with_cert) as ch:
            self.assertEqual(len(self.list_events(ch, token).events), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
