"""End to end: every RPC against the event scope of tokens, as a real
convened with authentication on. The test walks every method of every
service in the proto descriptors (a method without an entry in EXPECTED
below fails the test), builds each request generically from its input
descriptor so that it names event B (every `event_id`, `event.id` and
`event_ids` field, into sub-messages), completes it into a valid request
(complete()), and calls it with a token of each role limited to event A.
Then the same with event A, where every call a role may make must get past
validation (INVALID_ARGUMENT is a mismatch) and a named object of A must be
found, and, for methods where an empty event field means every event, with
that field empty.

EXPECTED is this test's own specification (auth/rpc_policy.cc is the
server's table): roles allowed besides admin, and the scope kind:
  ONE         one event named by the request
  ONE_OR_ALL  one event, or every event when the field is empty
  LIST        the events listed, every event when none is listed
  ALL         the whole calendar: only tokens for every event
  NONE        no event's data
  NAMED       one object named by id; out of scope it is NOT_FOUND, exactly
              as an id that does not exist
  FILTERED    a list across events, answered with what lies in scope
A compact table of the outcomes is printed at the end."""
import concurrent.futures
import datetime
import time
import unittest

import grpc
from google.protobuf.descriptor import FieldDescriptor

from convene_e2e import start_authenticating_convened, unary
from convene.v1 import (admin_pb2, attendance_pb2, calendar_pb2, common_pb2,
                        notification_pb2)
from google.protobuf import timestamp_pb2

MODULES = {
    "CalendarService": calendar_pb2,
    "AttendanceService": attendance_pb2,
    "NotificationService": notification_pb2,
    "AdminService": admin_pb2,
}
ROLES = ["admin", "organizer", "checkin", "integration", "reminder-job"]
READERS = ["organizer", "checkin", "integration", "reminder-job"]
ONE, ONE_OR_ALL, LIST, ALL, NONE, NAMED, FILTERED = (
    "ONE", "ONE_OR_ALL", "LIST", "ALL", "NONE", "NAMED", "FILTERED")

# "Service/Method": (roles allowed besides admin, scope kind).
EXPECTED = {
    "CalendarService/CreateEvent": (["organizer"], ALL),
    "CalendarService/GetEvent": (READERS, ONE),
    "CalendarService/UpdateEvent": (["organizer"], ONE),  # event.id
    "CalendarService/CancelEvent": (["organizer"], ONE),
    "CalendarService/ListEvents": (READERS, ALL),
    "CalendarService/GetAgenda": (READERS, ONE),
    "CalendarService/ExportICalendar": (["organizer", "integration"], ONE_OR_ALL),
    "CalendarService/ListEventChanges": (["organizer", "integration"], ALL),
    "CalendarService/WatchEventChanges": (["organizer", "integration"], ALL),
    "CalendarService/FindMeetingTimes": (["organizer", "integration"], NONE),
    "CalendarService/ListChanges": (["organizer", "integration"], ONE_OR_ALL),
    "CalendarService/WatchChanges": (["organizer", "integration"], ONE_OR_ALL),
    "AttendanceService/Register": (["organizer"], ONE),
    "AttendanceService/ChangeMode": (["organizer"], ONE),
    "AttendanceService/CancelRegistration": (["organizer"], ONE),
    "AttendanceService/GetRegistration": (["organizer", "checkin"], ONE),
    "AttendanceService/ListRegistrations": (["organizer", "checkin"], ONE),
    "AttendanceService/ExportAttendanceReport": (["organizer"], ONE),
    "AttendanceService/ForgetParticipant": (["organizer"], ONE_OR_ALL),
    "AttendanceService/CheckIn": (["organizer", "checkin"], ONE),
    "AttendanceService/CheckOut": (["organizer", "checkin"], ONE),
    "AttendanceService/GetAttendanceCounts": (["organizer", "checkin", "integration"], ONE),
    "AttendanceService/WatchAttendanceCounts": (["organizer", "checkin", "integration"], ONE),
    "NotificationService/SetReminderPolicy": (["organizer"], ONE),  # policy.event_id
    "NotificationService/GetReminderPolicy": (["organizer", "reminder-job"], ONE),
    "NotificationService/RunDueReminders": (["reminder-job"], ALL),
    "NotificationService/SubscribeNotifications": (["reminder-job"], LIST),
    "NotificationService/AckNotification": (["reminder-job"], NAMED),
    "NotificationService/ListScheduledReminders": (["organizer", "reminder-job"], ONE_OR_ALL),
    "NotificationService/ListNotifications": (["organizer", "reminder-job"], ONE),
    "NotificationService/CreateWebhook": ([], LIST),  # webhook.event_ids
    "NotificationService/ListWebhooks": ([], FILTERED),
    "NotificationService/DeleteWebhook": ([], NAMED),
    "AdminService/CreateToken": ([], LIST),  # token.event_ids
    "AdminService/ListTokens": ([], FILTERED),
    "AdminService/RevokeToken": ([], NAMED),
}
# Calls that destroy what they name: run last in the walk with event A.
DESTRUCTIVE = {"CalendarService/CancelEvent", "AttendanceService/ForgetParticipant",
               "AdminService/RevokeToken", "NotificationService/DeleteWebhook"}
# A participant whose id is their e-mail address.
LENA = "lena.maier@wien.example"
# What of LENA no integration answer may hold: the id, name, e-mail, the
# free-text reason given when a day was cancelled.
LENA_TRACES = [b"lena.maier", b"Lena Maier", b"wien.example", b"is ill"]
UNARY_TIMEOUT = 5.0
STREAM_TIMEOUT = 3.0
NOT_REFUSED_BY_AUTH = "anything but PERMISSION_DENIED/UNAUTHENTICATED"
SHORT = {"PERMISSION_DENIED": "PD", "INVALID_ARGUMENT": "IA", "NOT_FOUND": "NF",
         "FAILED_PRECONDITION": "FP", "UNAUTHENTICATED": "UA", "OK": "OK", "OPEN": "open",
         "ALREADY_EXISTS": "AE", "INTERNAL": "INT", "UNIMPLEMENTED": "UNI",
         "UNAVAILABLE": "UNAV", "ABORTED": "AB", "OUT_OF_RANGE": "OOR",
         "RESOURCE_EXHAUSTED": "RE", "DEADLINE_EXCEEDED": "DE", "UNKNOWN": "UNK"}


def descriptor_methods():
    """{"Service/Method": method descriptor} for every RPC of the services."""
    found = {}
    for service, module in MODULES.items():
        for m in module.DESCRIPTOR.services_by_name[service].methods:
            found[f"{service}/{m.name}"] = m
    return found


def message_class(descriptor):
    """The generated class of a convene.v1 message descriptor."""
    for module in (*MODULES.values(), common_pb2):
        cls = module.__dict__.get(descriptor.name)
        if cls is not None and cls.DESCRIPTOR.full_name == descriptor.full_name:
            return cls
    raise KeyError(descriptor.full_name)


def name_event(message, event_id, depth=0):
    """Makes `message` name `event_id` wherever it can name an event: every
    string `event_id`, the `id` of a sub-message `event`, and every repeated
    string `event_ids`; into singular sub-messages (not google.protobuf.*).
    An empty `event_id` leaves the fields empty (every event)."""
    if depth > 4:
        return
    for f in message.DESCRIPTOR.fields:
        repeated = f.label == FieldDescriptor.LABEL_REPEATED
        if f.type == FieldDescriptor.TYPE_STRING:
            if f.name == "event_id" and not repeated and event_id:
                setattr(message, f.name, event_id)
            elif f.name == "event_ids" and repeated and event_id:
                getattr(message, f.name).append(event_id)
        elif f.type == FieldDescriptor.TYPE_MESSAGE and not repeated:
            if f.message_type.full_name.startswith("google.protobuf."):
                continue
            sub = getattr(message, f.name)
            if f.name == "event" and "id" in f.message_type.fields_by_name and event_id:
                sub.id = event_id
            name_event(sub, event_id, depth + 1)


def outcome_of(channel, method, request, token):
    """(outcome, details) of one call: a status code name; for a server
    stream, that of its first message ("OK") or its end, and "OPEN" if it is
    still open, with no error, after STREAM_TIMEOUT."""
    service = method.containing_service.name
    response_cls = message_class(method.output_type)
    path = f"/convene.v1.{service}/{method.name}"
    metadata = [("authorization", "Bearer " + token)]
    try:
        if method.server_streaming:
            stream = channel.unary_stream(path, request_serializer=type(request).SerializeToString,
                                          response_deserializer=response_cls.FromString)(
                request, metadata=metadata, timeout=STREAM_TIMEOUT)
            try:
                next(stream)
            except StopIteration:
                pass
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    return "OPEN", ""
                raise
            finally:
                stream.cancel()
            return "OK", ""
        reply = channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                                    response_deserializer=response_cls.FromString)(
            request, metadata=metadata, timeout=UNARY_TIMEOUT)
        return "OK", reply
    except grpc.RpcError as e:
        return e.code().name, e.details() or ""


def complete(name, request, role, revision_of):
    """Fills the rest of a request so that it is valid: an in-scope call then
    gets past validation to the handler's own work (and scope checks),
    instead of stopping at INVALID_ARGUMENT as an empty request does. Each
    role works on a participant of its own where the call changes one.
    revision_of(event_id) reads an event's revision when the call is made."""
    method = name.split("/")[1]
    walker = f"walker-{role}"
    day = "2031-09-15"  # the first day of event A (B's date is refused later)
    at = lambda hhmm: timestamp_pb2.Timestamp(  # noqa: E731
        seconds=int(datetime.datetime.fromisoformat(f"{day}T{hhmm}+02:00").timestamp()))
    if method == "UpdateEvent":
        request.event.description = f"edited by {role}"
        request.update_mask.paths.append("description")

        def with_revision():
            request.expected_revision = revision_of(request.event.id)
            return request
        return with_revision
    if method == "CancelEvent":
        request.reason = "scope walk"
    elif method == "FindMeetingTimes":
        request.participants.add(name="Torino", time_zone="Europe/Rome")
        request.participants.add(name="Utrecht", time_zone="Europe/Amsterdam")
        request.duration_minutes = 60
        request.from_date, request.to_date = "2031-09-15", "2031-09-19"
    elif method == "Register":
        request.request_id = f"walk-register-{role}-{request.event_id}"
        request.mode = common_pb2.ATTENDANCE_MODE_ONLINE
        request.participant.participant_id = walker
        request.participant.display_name = f"Walker ({role})"
    elif method in ("ChangeMode", "CancelRegistration"):
        request.request_id = f"walk-{method}-{role}-{request.event_id}"
        request.participant_id = walker
        if method == "ChangeMode":
            request.mode = common_pb2.ATTENDANCE_MODE_IN_PERSON
    elif method == "GetRegistration":
        request.participant_id = "p1"
    elif method == "ForgetParticipant":
        request.request_id = f"walk-forget-{role}-{request.event_id or 'all'}"
        request.participant_id = walker
        request.reason = "scope walk"
    elif method == "CheckIn":
        request.request_id = f"walk-checkin-{role}-{request.event_id}"
        request.participant_id, request.day = "p1", day
        request.mode = common_pb2.ATTENDANCE_MODE_ONLINE
        request.source = attendance_pb2.CHECK_IN_SOURCE_ONLINE_JOIN
        request.occurred_time.CopyFrom(at("10:00"))
    elif method == "CheckOut":
        request.request_id = f"walk-checkout-{role}-{request.event_id}"
        request.participant_id, request.day = "p1", day
        request.source = attendance_pb2.CHECK_IN_SOURCE_ONLINE_LEAVE
        request.occurred_time.CopyFrom(at("12:00"))
    elif method == "SubscribeNotifications":
        request.subscriber = "brussels-mailer"
    elif method == "CreateWebhook":
        request.webhook.url = f"https://hooks.example.org/walk-{role}"
        request.webhook.secret = "s3cret-" * 5
    elif method == "CreateToken":
        request.token.name = f"made by {role} in the walk"
        request.token.role = "checkin"
    return request


class Call:
    """One call of the walk and what it should answer."""

    def __init__(self, name, role, variant, request, token):
        self.name, self.role, self.variant = name, role, variant
        self.request, self.token = request, token
        self.outcome, self.details, self.reply = None, "", None


class RpcScopeWalkE2ETest(unittest.TestCase):
    outcomes = {}  # (method, role) -> {variant: outcome}
    mismatches = {}  # (method, role, variant) -> text

    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        # Class cleanups: they also run when setUpClass fails half-way.
        cls.addClassCleanup(cls.print_table)
        # A short notice delay: each registration below gets its
        # confirmation notice within seconds, a real notification of A and
        # one of B for AckNotification to name.
        cls.root = start_authenticating_convened(cls, ["--notice_delay=1s"])
        # Two CONNECTION meetings: A, where the scoped tokens work, and B.
        cls.event_a = cls.as_root("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="scope-walk-a", event=calendar_pb2.Event(
                title="CONNECTION interim meeting", kind=calendar_pb2.EVENT_KIND_MEETING,
                community="CONNECTION", organisers=["Eurocities"], city="Brussels",
                country_code="BE", format=common_pb2.EVENT_FORMAT_HYBRID,
                time_zone="Europe/Brussels", start_local="2031-09-15T09:00",
                end_local="2031-09-16T17:30",
                venue=calendar_pb2.Venue(name="Eurocities", address="Square de Meeûs 1",
                                         city="Brussels", in_person_capacity=40),
                online=calendar_pb2.OnlineAccess(
                    platform="Zoom", join_url="https://meet.example.org/connection-interim",
                    online_capacity=100))), calendar_pb2.Event)
        cls.event_b = cls.as_root("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="scope-walk-b", event=calendar_pb2.Event(
                title="CONNECTION workshop in Turin", kind=calendar_pb2.EVENT_KIND_WORKSHOP,
                community="CoP2", city="Torino", country_code="IT",
                format=common_pb2.EVENT_FORMAT_HYBRID, time_zone="Europe/Rome",
                start_local="2031-10-13T09:30", end_local="2031-10-13T17:00",
                venue=calendar_pb2.Venue(name="Palazzo Civico", address="Piazza Palazzo di Città 1",
                                         city="Torino", in_person_capacity=30),
                online=calendar_pb2.OnlineAccess(platform="Jitsi",
                                                  join_url="https://meet.example.org/cop2-turin"))),
            calendar_pb2.Event)
        cls.a, cls.b = cls.event_a.id, cls.event_b.id
        for event_id, pid, name, email in [
                (cls.a, "p1", "Amélie Dubois", "amelie.dubois@bruxelles.example"),
                (cls.b, "p1", "Giulia Rossi", "giulia.rossi@comune.torino.example")]:
            cls.as_root("AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=event_id, request_id="scope-walk-reg-" + event_id,
                mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                participant=common_pb2.Participant(participant_id=pid, display_name=name,
                                                   email=email)),
                attendance_pb2.Registration)
        # Someone whose participant id is their e-mail address (organisers
        # do that), with a free-text reason and a check-in in the feed.
        cls.as_root("AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=cls.a, request_id="scope-walk-reg-lena", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(participant_id=LENA, display_name="Lena Maier",
                                               email=LENA, city="Wien")),
            attendance_pb2.Registration)
        cls.as_root("AttendanceService", "CancelRegistration", attendance_pb2.CancelRegistrationRequest(
            event_id=cls.a, participant_id=LENA, dates=["2031-09-16"], request_id="scope-walk-lena-d2",
            reason="Lena Maier is ill on the second day"), attendance_pb2.Registration)
        cls.as_root("AttendanceService", "CheckIn", attendance_pb2.CheckInRequest(
            event_id=cls.a, participant_id=LENA, day="2031-09-15", request_id="scope-walk-lena-in",
            mode=common_pb2.ATTENDANCE_MODE_ONLINE, source=attendance_pb2.CHECK_IN_SOURCE_ONLINE_JOIN,
            occurred_time=timestamp_pb2.Timestamp(seconds=int(datetime.datetime.fromisoformat(
                "2031-09-15T10:00+02:00").timestamp()))), attendance_pb2.CheckInRecord)
        # AckNotification names real notifications: with ids that name
        # nothing, B's looked like an unknown one whatever the scope check
        # did, and A's was NOT_FOUND for every role.
        cls.notice = {}
        deadline = time.monotonic() + 30
        while len(cls.notice) < 2 and time.monotonic() < deadline:
            for event_id in (cls.a, cls.b):
                listed = cls.as_root("NotificationService", "ListNotifications",
                                     notification_pb2.ListNotificationsRequest(event_id=event_id),
                                     notification_pb2.ListNotificationsResponse).notifications
                if listed:
                    cls.notice[event_id] = listed[0].notification_id
            time.sleep(0.2)
        if len(cls.notice) < 2:
            raise AssertionError(f"no registration notice of each event within 30 s: {cls.notice}")
        # One token per role, limited to event A.
        cls.scoped = {role: cls.make_token(role, f"{role} of the Brussels meeting", [cls.a]).secret
                      for role in ROLES}
        # Objects of B (and of every event, and of A and B together), made by
        # the every-event admin: a scoped token must not see or touch them.
        cls.token_b = cls.make_token("organizer", "organizer of the Turin workshop", [cls.b])
        cls.make_token("integration", "website sync of Brussels and Turin", [cls.a, cls.b])
        cls.make_token("integration", "website sync of every event", [])
        cls.hook_b = cls.make_hook("https://hooks.example.org/turin", [cls.b])
        cls.make_hook("https://hooks.example.org/brussels-and-turin", [cls.a, cls.b])
        cls.make_hook("https://hooks.example.org/everything", [])
        # And of A, for the walk with event A.
        cls.token_a = cls.make_token("checkin", "spare check-in desk in Brussels", [cls.a])
        cls.hook_a = cls.make_hook("https://hooks.example.org/brussels", [cls.a])

    @classmethod
    def as_root(cls, service, method, request, response_cls):
        return unary(cls.channel, service, method, request, response_cls,
                     metadata=[("authorization", "Bearer " + cls.root)])

    @classmethod
    def make_token(cls, role, name, event_ids):
        return cls.as_root("AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name=name, role=role, event_ids=list(event_ids))),
            admin_pb2.CreateTokenResponse)

    @classmethod
    def make_hook(cls, url, event_ids):
        return cls.as_root("NotificationService", "CreateWebhook", notification_pb2.CreateWebhookRequest(
            webhook=notification_pb2.Webhook(url=url, secret="s3cret-" * 5, event_ids=list(event_ids))),
            notification_pb2.Webhook)

    # ------------------------------------------------------------ requests

    def request(self, name, event_id, variant, role="admin"):
        """The request of `name` naming `event_id`, otherwise valid (as
        `role` would send it); named objects get the id of B's object ("B"),
        of one that does not exist ("unknown") or of A's ("A"). A callable
        for a request that must read something when it is sent."""
        method = descriptor_methods()[name]
        request = message_class(method.input_type)()
        name_event(request, event_id)
        request = complete(name, request, role, lambda event_id: self.as_root(
            "CalendarService", "GetEvent", calendar_pb2.GetEventRequest(event_id=event_id),
            calendar_pb2.Event).revision)
        if EXPECTED[name][1] == NAMED:
            method_name = name.split("/")[1]
            ids = {
                "RevokeToken": {"B": self.token_b.token.id, "unknown": "tok_000000000000",
                                "A": self.token_a.token.id},
                "DeleteWebhook": {"B": self.hook_b.id, "unknown": "wh_0000000000000000",
                                  "A": self.hook_a.id},
                "AckNotification": {"B": self.notice[self.b], "unknown": f"{self.a}/nobody/r1/r1",
                                    "A": self.notice[self.a]},
            }[method_name][variant]
            if method_name == "RevokeToken":
                request.token_id = ids
            elif method_name == "DeleteWebhook":
                request.webhook_id = ids
            else:
                # The object is looked up (and its event seen) in the handler:
                # the request must be valid to get there.
                request.notification_id = ids
                request.subscriber = "brussels-mailer"
        return request

    def run_calls(self, calls):
        """Unary calls one after the other, in order; streams side by side."""
        methods = descriptor_methods()
        streams = [c for c in calls if methods[c.name].server_streaming]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(streams))) as pool:
            futures = {pool.submit(outcome_of, self.channel, methods[c.name], c.request, c.token): c
                       for c in streams}
            for c in calls:
                if not methods[c.name].server_streaming:
                    if callable(c.request):
                        c.request = c.request()
                    c.outcome, c.reply = outcome_of(self.channel, methods[c.name], c.request, c.token)
                    if c.outcome != "OK":
                        c.details, c.reply = c.reply, None
            for future, c in futures.items():
                c.outcome, c.details = future.result()
        for c in calls:
            self.outcomes.setdefault((c.name, c.role), {})[c.variant] = c.outcome

    def mismatch(self, c, expected):
        text = (f"{c.name} role={c.role} call={c.variant}: expected {expected}, "
                f"got {c.outcome}" + (f" ({c.details!r})" if c.details else ""))
        self.mismatches[(c.name, c.role, c.variant)] = text
        return text

    def check(self, c, failures):
        """Compares one call with EXPECTED; appends what did not match."""
        roles, kind = EXPECTED[c.name]
        allowed = c.role == "admin" or c.role in roles
        if not allowed:
            if c.outcome != "PERMISSION_DENIED" or "may not call" not in c.details:
                failures.append(self.mismatch(c, 'PERMISSION_DENIED "... may not call ..."'))
            return
        denied = c.outcome == "PERMISSION_DENIED"
        role_refused = denied and "may not call" in c.details
        if role_refused:
            failures.append(self.mismatch(c, f"the role let through ({kind}), not refused"))
            return
        if c.variant == "A":
            if kind == NAMED:
                # A's object exists and is in scope: the call does what it says.
                if c.outcome != "OK":
                    failures.append(self.mismatch(c, "OK (A's object, in scope)"))
            elif kind == ALL:
                if not denied:
                    failures.append(self.mismatch(c, "PERMISSION_DENIED (needs an every-event token)"))
            elif c.outcome in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
                failures.append(self.mismatch(c, NOT_REFUSED_BY_AUTH + " (event A is in scope)"))
            elif c.outcome == "INVALID_ARGUMENT":
                # The request is valid: refused as invalid, it never reached
                # the handler's work, and the walk would prove nothing of it.
                failures.append(self.mismatch(c, "a valid request handled, not INVALID_ARGUMENT"))
            return
        if kind in (ONE, ONE_OR_ALL, LIST, ALL):
            if not denied:
                failures.append(self.mismatch(c, "PERMISSION_DENIED"))
        elif kind == NONE:
            if c.outcome in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
                failures.append(self.mismatch(c, NOT_REFUSED_BY_AUTH))
        elif kind == NAMED:
            if c.outcome != "NOT_FOUND":
                failures.append(self.mismatch(c, "NOT_FOUND"))
        elif kind == FILTERED:
            if c.outcome != "OK":
                failures.append(self.mismatch(c, "OK with B's entries left out"))
            else:
                failures.extend(self.check_filtered(c))

    def check_filtered(self, c):
        """Nothing of B, nor anything for every event, in a filtered list."""
        entries = list(c.reply.tokens if c.name == "AdminService/ListTokens" else c.reply.webhooks)
        failures = []
        leaked = [f"{e.id} event_ids={list(e.event_ids) or '(every event)'}" for e in entries
                  if not e.event_ids or self.b in e.event_ids]
        if leaked:
            c.outcome = "OK+B"
            failures.append(self.mismatch(c, "no entry for B or for every event") +
                            " listed: " + "; ".join(leaked))
        mine = self.token_a.token.id if c.name == "AdminService/ListTokens" else self.hook_a.id
        if mine not in [e.id for e in entries]:
            failures.append(self.mismatch(c, f"{mine} (of event A) listed") +
                            f" listed {len(entries)} entries")
        return failures

    # --------------------------------------------------------------- tests

    def test_0_integration_tokens_see_no_participant_identity(self):
        """Every RPC an integration token may call, with event A in scope,
        streams read until they go quiet: no answer holds LENA's id, name,
        e-mail or the reason she gave. The feed names her by a pseudonym,
        the same on each of her changes, so that a consumer can still follow
        one person."""
        methods = descriptor_methods()
        first = self.as_root("CalendarService", "ListChanges",
                             calendar_pb2.ListChangesRequest(event_id=self.a),
                             calendar_pb2.ListChangesResponse)
        # Every event: the whole calendar's calls (ALL) are walked too.
        integration = self.make_token("integration", "website sync, personal-data walk", []).secret
        leaks, walked = [], []
        for name, (roles, _) in EXPECTED.items():
            if "integration" not in roles:
                continue
            request = self.request(name, self.a, "A", "integration")
            if callable(request):
                request = request()
            if name == "CalendarService/WatchChanges":
                request.position = first.changes[0].position  # replay, then live
            method = methods[name]
            path = f"/convene.v1.{method.containing_service.name}/{method.name}"
            response_cls = message_class(method.output_type)
            metadata = [("authorization", "Bearer " + integration)]
            replies = []
            try:
                if method.server_streaming:
                    stream = self.channel.unary_stream(
                        path, request_serializer=type(request).SerializeToString,
                        response_deserializer=response_cls.FromString)(
                        request, metadata=metadata, timeout=STREAM_TIMEOUT)
                    try:
                        for message in stream:
                            replies.append(message)
                            if len(replies) >= 200:
                                break
                    except grpc.RpcError as e:
                        if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                            raise
                    finally:
                        stream.cancel()
                else:
                    replies.append(self.channel.unary_unary(
                        path, request_serializer=type(request).SerializeToString,
                        response_deserializer=response_cls.FromString)(
                        request, metadata=metadata, timeout=UNARY_TIMEOUT))
            except grpc.RpcError as e:
                self.fail(f"{name} as integration: {e.code().name} {e.details()!r}")
            walked.append(f"{name}:{len(replies)}")
            text = b"".join(r.SerializeToString() for r in replies)
            leaks += [f"{name}: {t!r}" for t in LENA_TRACES if t in text]
        print("integration walk (method:answers): " + " ".join(walked))
        self.assertEqual(leaks, [])

        # The feed: organisers see the id; integration, one pseudonym per
        # person and event, on every change, and no free text about her.
        mine = {c.position: c for c in first.changes if c.participant_id == LENA}
        self.assertGreaterEqual(len(mine), 3, "registered, day cancelled, checked in")
        theirs = unary(self.channel, "CalendarService", "ListChanges",
                       calendar_pb2.ListChangesRequest(event_id=self.a),
                       calendar_pb2.ListChangesResponse,
                       metadata=[("authorization", "Bearer " + integration)])
        pseudonyms = set()
        for c in theirs.changes:
            if c.position not in mine:
                continue
            ids = {c.participant_id}
            if c.HasField("registration"):
                ids.add(c.registration.participant.participant_id)
            if c.HasField("check_in"):
                ids.add(c.check_in.participant_id)
            self.assertEqual(len(ids), 1, c)
            pseudonyms |= ids
            self.assertEqual(c.reason, "", c)
        self.assertEqual(len(pseudonyms), 1, pseudonyms)
        pseudonym = pseudonyms.pop()
        self.assertNotEqual(pseudonym, "")
        self.assertNotIn("@", pseudonym)
        others = {c.participant_id for c in theirs.changes
                  if c.participant_id and c.position not in mine}
        self.assertNotIn(pseudonym, others)

    def test_1_every_rpc_has_an_expectation(self):
        found = set(descriptor_methods())
        self.assertEqual(sorted(found - set(EXPECTED)), [],
                         "RPCs in the proto descriptors without an entry in EXPECTED")
        self.assertEqual(sorted(set(EXPECTED) - found), [],
                         "entries in EXPECTED that are no RPC of the proto descriptors")

    def test_2_out_of_scope_walk(self):
        """Tokens limited to A, asking about B (and about every event)."""
        before_b = self.as_root("CalendarService", "GetEvent",
                                calendar_pb2.GetEventRequest(event_id=self.b), calendar_pb2.Event)
        calls = []
        for name in EXPECTED:
            if name not in descriptor_methods():
                continue
            roles, kind = EXPECTED[name]
            for role in ROLES:
                token = self.scoped[role]
                calls.append(Call(name, role, "B", self.request(name, self.b, "B", role), token))
                allowed = role == "admin" or role in roles
                if allowed and kind in (ONE_OR_ALL, LIST):
                    calls.append(Call(name, role, "empty", self.request(name, "", "empty", role), token))
                if allowed and kind == NAMED:
                    calls.append(Call(name, role, "unknown",
                                      self.request(name, self.b, "unknown"), token))
        self.run_calls(calls)
        failures = []
        for c in calls:
            if c.variant != "unknown":
                self.check(c, failures)
        # B's object looks exactly like one that does not exist.
        by_key = {(c.name, c.role, c.variant): c for c in calls}
        for c in calls:
            if c.variant != "unknown":
                continue
            if c.outcome != "NOT_FOUND":
                failures.append(self.mismatch(c, "NOT_FOUND (an id that does not exist)"))
                continue
            seen = by_key[(c.name, c.role, "B")]
            if seen.outcome == "NOT_FOUND":
                b_id, unknown_id = (self.request(c.name, self.b, v) for v in ("B", "unknown"))
                field = {"AdminService/RevokeToken": "token_id",
                         "NotificationService/DeleteWebhook": "webhook_id"}.get(
                    c.name, "notification_id")
                if (seen.details.replace(getattr(b_id, field), "ID") !=
                        c.details.replace(getattr(unknown_id, field), "ID")):
                    failures.append(self.mismatch(
                        seen, f"the same NOT_FOUND as for an unknown id ({c.details!r})"))
        # Nothing of B was touched.
        after_b = self.as_root("CalendarService", "GetEvent",
                               calendar_pb2.GetEventRequest(event_id=self.b), calendar_pb2.Event)
        if (after_b.revision, after_b.status) != (before_b.revision, before_b.status):
            failures.append(f"event B changed: revision {before_b.revision}->{after_b.revision}, "
                            f"status {before_b.status}->{after_b.status}")
        counts = self.as_root("AttendanceService", "GetAttendanceCounts",
                              attendance_pb2.GetAttendanceCountsRequest(event_id=self.b),
                              attendance_pb2.AttendanceCounts)
        if counts.registrations != 1:
            failures.append(f"event B has {counts.registrations} registrations, not 1")
        try:
            unary(self.channel, "CalendarService", "GetEvent",
                  calendar_pb2.GetEventRequest(event_id=self.b), calendar_pb2.Event,
                  metadata=[("authorization", "Bearer " + self.token_b.secret)])
        except grpc.RpcError as e:
            failures.append(f"B's token no longer works: {e.code().name} {e.details()!r}")
        hooks = self.as_root("NotificationService", "ListWebhooks",
                             notification_pb2.ListWebhooksRequest(),
                             notification_pb2.ListWebhooksResponse)
        if self.hook_b.id not in [h.id for h in hooks.webhooks]:
            failures.append(f"B's webhook {self.hook_b.id} is gone")
        self.assertEqual(failures, [], "\n" + "\n".join(failures))

    def test_3_in_scope_walk(self):
        """Tokens limited to A, asking about A: only the role (and, for the
        whole calendar, the scope) refuses. Destructive calls go last."""
        calls = []
        for name in sorted(EXPECTED, key=lambda n: n in DESTRUCTIVE):
            if name not in descriptor_methods():
                continue
            for role in ROLES:
                calls.append(Call(name, role, "A", self.request(name, self.a, "A", role),
                                  self.scoped[role]))
        self.run_calls(calls)
        failures = []
        for c in calls:
            self.check(c, failures)
        self.assertEqual(failures, [], "\n" + "\n".join(failures))

    # --------------------------------------------------------------- table

    @classmethod
    def print_table(cls):
        if not cls.outcomes:
            return
        width = max(len(n) for n in EXPECTED) + 2
        print(f"\nOutcomes, tokens limited to event A; each cell B[|empty][|unknown]/A "
              f"(* = mismatch); {time.monotonic() - cls.started:.1f} s in all")
        print(f"{'method':<{width}}{'kind':<11}" + "".join(f"{r:<22}" for r in ROLES))
        for name in EXPECTED:
            cells = []
            for role in ROLES:
                got = cls.outcomes.get((name, role), {})
                out = "|".join(SHORT.get(got[v], got[v]) + ("*" if (name, role, v) in cls.mismatches else "")
                               for v in ("B", "empty", "unknown") if v in got)
                a = got.get("A")
                cell = out + ("/" + SHORT.get(a, a) + ("*" if (name, role, "A") in cls.mismatches else "")
                              if a else "")
                cells.append(f"{cell:<22}")
            print(f"{name:<{width}}{EXPECTED[name][1]:<11}" + "".join(cells))
        if cls.mismatches:
            print(f"{len(cls.mismatches)} mismatch(es):")
            for text in cls.mismatches.values():
                print("  " + text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
