"""End to end: ForgetParticipant as a data-protection officer checks it.

One participant with text found nowhere else (id, name, e-mail,
organisation, city, a cancellation reason) goes through everything that
records them: a waiting list, a promotion, a cancellation with a reason, a
registration again, a change of mode, a check-in, registration notices and a
reminder (mailed into a directory, posted to a webhook that keeps failing
so its deliveries wait for a retry, and streamed to a gateway that does not
acknowledge), on convened with authentication on over a private
redis-server. Then ForgetParticipant, and:

  - no key of any service, and no value of any type (stream entries
    included), holds the name, e-mail, organisation, city or cancellation
    reason, raw or hex-encoded, and no key of the change feed holds the
    participant id (attendance keeps it as the registration's key);
  - the change feed (ListChanges and WatchChanges, for the admin, who sees
    personal data) names the person after the erasure only by the pseudonym
    an integration token sees, with no reason on their changes, at the same
    positions; the erasure's own reason (which must hold no personal data)
    stays;
  - the counts by city and by organisation show the person only in the
    anonymous "(erased)" group, so a group of one does not name them.
"""
import datetime
import http.server
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import unittest
import zoneinfo

import grpc

from convene_e2e import (EACH_KEY_LUA, eval_on_every_node, start_authenticating_convened,
                         unary, wait_until)
from convene.v1 import (admin_pb2, attendance_pb2, calendar_pb2, common_pb2,
                        notification_pb2)
from google.protobuf import duration_pb2

A = attendance_pb2
K = calendar_pb2
N = notification_pb2
IN_PERSON = common_pb2.ATTENDANCE_MODE_IN_PERSON
ONLINE = common_pb2.ATTENDANCE_MODE_ONLINE
ZONE = "Europe/Brussels"

PID = "qx7.erasee@forget-me.example"
NAME = "Quentin Xerasable-Vogt"
EMAIL = "quentin.xerasable@forget-me-mail.example"
ORG = "Xerasable Widgets Cooperative"
CITY = "Xerasableville"
CANCEL_REASON = "Quentin's dentist moved: xerasable-reason"
FORGET_REASON = "art. 17 request 4711"

# Every key one node holds under cv: whose name or any value (of any type,
# stream entries included) contains one of ARGV: "index<TAB>key" lines.
FIND_IN_KEYSPACE = EACH_KEY_LUA + """
local out = {}
local unread
each_key(function(k, values, t)
  if values == nil then
    unread = unread or ('unread type ' .. t .. ' of ' .. k)
    return
  end
  local text = k .. '\\n' .. table.concat(values, '\\n')
  for i, needle in ipairs(ARGV) do
    if string.find(text, needle, 1, true) then out[#out + 1] = i .. '\\t' .. k end
  end
end)
if unread then return redis.error_reply(unread) end
return out
"""


class FailingHook(http.server.BaseHTTPRequestHandler):
    """A webhook receiver that is always down: deliveries wait for retries."""
    bodies = []

    def do_POST(self):
        FailingHook.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args):
        pass


class ErasureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mail_dir = tempfile.mkdtemp(prefix="convene-e2e-erasure-mail-")
        cls.addClassCleanup(shutil.rmtree, cls.mail_dir, True)
        cls.hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FailingHook)
        cls.hook.daemon_threads = True
        threading.Thread(target=cls.hook.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.hook.server_close)
        cls.addClassCleanup(cls.hook.shutdown)
        cls.admin = start_authenticating_convened(cls, [
            "--notice_delay=1s", "--webhook_allow_private_targets", f"--mail_dir={cls.mail_dir}"])
        cls.integration = unary(cls.channel, "AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
            token=admin_pb2.Token(name="crm sync", role="integration")),
            admin_pb2.CreateTokenResponse,
            metadata=[("authorization", "Bearer " + cls.admin)]).secret

    def call(self, service, method, request, response_type, token=None):
        return unary(self.channel, service, method, request, response_type, timeout=15,
                     metadata=[("authorization", "Bearer " + (token or self.admin))])

    def leftovers(self, needles):
        """{label: [keys]} of the needles found anywhere in Redis."""
        labels = list(needles)
        found = {}
        for reply in eval_on_every_node(self.redis, FIND_IN_KEYSPACE,
                                        *[needles[label] for label in labels]):
            self.assertNotIn(b"ERR", reply)
            for line in reply.decode(errors="replace").splitlines():
                if not line:
                    continue  # a node where nothing matched
                index, key = line.split("\t", 1)
                found.setdefault(labels[int(index) - 1], []).append(key)
        return found

    def all_changes(self, token=None, **kw):
        changes, position = [], ""
        for _ in range(1000):
            page = self.call("CalendarService", "ListChanges",
                             K.ListChangesRequest(position=position, **kw), K.ListChangesResponse, token)
            changes.extend(page.changes)
            position = page.next_position
            if not page.has_more:
                break
        return changes

    maxDiff = None

    def test_forget_participant_leaves_nothing_behind(self):
        zone = zoneinfo.ZoneInfo(ZONE)
        # Starts in about 40 minutes: the check-in window (12 h around the
        # day) holds now, and reminders can be set to fall due in seconds.
        start = (datetime.datetime.now(zone) + datetime.timedelta(minutes=40)).replace(second=0,
                                                                                     microsecond=0)
        end = start + datetime.timedelta(hours=1)
        ev = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="erasure-event", event=K.Event(
                title="Erasure drill", format=common_pb2.EVENT_FORMAT_HYBRID, time_zone=ZONE,
                start_local=start.strftime("%Y-%m-%dT%H:%M"), end_local=end.strftime("%Y-%m-%dT%H:%M"),
                venue=K.Venue(name="Stadhuis", in_person_capacity=1),
                online=K.OnlineAccess(platform="Jitsi", join_url="https://meet.example.org/erasure"))),
            K.Event)
        day = start.strftime("%Y-%m-%d")
        # Reminders due a few seconds from now.
        lead = int((start - datetime.datetime.now(zone)).total_seconds())
        self.call("NotificationService", "SetReminderPolicy", N.SetReminderPolicyRequest(
            policy=N.ReminderPolicy(event_id=ev.id,
                                    before_event=[duration_pb2.Duration(seconds=lead - 8)],
                                    before_each_day=[duration_pb2.Duration(seconds=lead - 9)])),
            N.ReminderPolicy)
        self.call("NotificationService", "CreateWebhook", N.CreateWebhookRequest(webhook=N.Webhook(
            url=f"http://127.0.0.1:{self.hook.server_port}/hook", secret="s3cret-s3cret-s3cret",
            event_ids=[ev.id])), N.Webhook)
        # A gateway that reads and never acknowledges.
        subscribe = self.channel.unary_stream(
            "/convene.v1.NotificationService/SubscribeNotifications",
            request_serializer=N.SubscribeNotificationsRequest.SerializeToString,
            response_deserializer=N.Notification.FromString)
        gateway = subscribe(N.SubscribeNotificationsRequest(subscriber="sms-gateway"), timeout=120,
                            metadata=[("authorization", "Bearer " + self.admin)])
        self.addCleanup(gateway.cancel)
        streamed = queue.Queue()

        def consume():
            try:
                for n in gateway:
                    streamed.put(n)
            except grpc.RpcError:
                pass
        threading.Thread(target=consume, daemon=True).start()

        def register(pid, name, email="", org="", city="", request_id=None):
            return self.call("AttendanceService", "Register", A.RegisterRequest(
                event_id=ev.id, request_id=request_id or "reg-" + pid, mode=IN_PERSON,
                participant=common_pb2.Participant(participant_id=pid, display_name=name, email=email,
                                                   organisation=org, city=city, time_zone=ZONE,
                                                   language="en")), A.Registration)

        register("seat-holder", "Hanna Holder", "hanna@keep.example", "Keepers", "Gent")
        waiting = register(PID, NAME, EMAIL, ORG, CITY)
        self.assertEqual(waiting.status, A.REGISTRATION_STATUS_WAITLISTED)
        self.call("AttendanceService", "CancelRegistration", A.CancelRegistrationRequest(
            event_id=ev.id, participant_id="seat-holder", request_id="cancel-holder",
            reason="holder cannot come"), A.Registration)
        self.assertTrue(wait_until(lambda: self.call(
            "AttendanceService", "GetRegistration", A.GetRegistrationRequest(
                event_id=ev.id, participant_id=PID), A.Registration).status
            == A.REGISTRATION_STATUS_CONFIRMED, 10))
        self.call("AttendanceService", "ChangeMode", A.ChangeModeRequest(
            event_id=ev.id, participant_id=PID, mode=ONLINE, request_id="mode-online"), A.Registration)
        self.call("AttendanceService", "CancelRegistration", A.CancelRegistrationRequest(
            event_id=ev.id, participant_id=PID, request_id="cancel-erasee", reason=CANCEL_REASON),
            A.Registration)
        again = register(PID, NAME, EMAIL, ORG, CITY, request_id="reg-again")
        self.assertEqual(again.status, A.REGISTRATION_STATUS_CONFIRMED)
        self.call("AttendanceService", "CheckIn", A.CheckInRequest(
            event_id=ev.id, participant_id=PID, day=day, mode=IN_PERSON,
            source=A.CHECK_IN_SOURCE_DESK, request_id="check-in"), A.CheckInRecord)

        # The notices and the reminder reached the mail directory, the
        # failing webhook and the gateway before the erasure.
        def mailed():
            return [f for f in os.listdir(self.mail_dir) if f.endswith(".eml")]
        self.assertTrue(wait_until(lambda: len(mailed()) >= 2 and FailingHook.bodies, 30, 0.2),
                        f"mail {mailed()}, webhook calls {len(FailingHook.bodies)}")
        self.assertTrue(wait_until(lambda: any(
            n.kind == N.NOTIFICATION_KIND_REMINDER for n in self.call(
                "NotificationService", "ListNotifications", N.ListNotificationsRequest(event_id=ev.id),
                N.ListNotificationsResponse).notifications), 30, 0.2), "no reminder was sent")
        self.assertIsNotNone(streamed.get(timeout=10))
        before = self.all_changes(event_id=ev.id)
        self.assertIn(PID, {c.participant_id for c in before})
        self.assertIn(CANCEL_REASON, {c.reason for c in before})
        needles = {}
        for label, text in (("id", PID), ("name", NAME), ("e-mail", EMAIL), ("organisation", ORG),
                            ("city", CITY), ("cancellation reason", CANCEL_REASON)):
            raw = text.encode()
            needles[label] = raw
            needles[label + " (hex)"] = raw.hex().encode()
            needles[label + " (HEX)"] = raw.hex().upper().encode()
        self.assertTrue(set(self.leftovers(needles)) >= {"id", "name", "e-mail", "city"},
                        "the scan does not see the person before the erasure")

        watch = self.channel.unary_stream(
            "/convene.v1.CalendarService/WatchChanges",
            request_serializer=K.WatchChangesRequest.SerializeToString,
            response_deserializer=K.Change.FromString)
        forgot = self.call("AttendanceService", "ForgetParticipant", A.ForgetParticipantRequest(
            event_id=ev.id, participant_id=PID, request_id="forget", reason=FORGET_REASON),
            A.ForgetParticipantResponse)
        self.assertEqual(forgot.registrations_erased, 1)

        # The notification service and the feed relay follow the erasure a
        # moment later: wait for them, bounded.
        # The participant id stays as the key of the registration (and in
        # notification ids): the contract (Registration.participant) keeps
        # it. The change feed, kept for a million changes and read by every
        # integration, must lose it.
        def leftovers():
            found = self.leftovers(needles)
            for label in [label for label in found if label.startswith("id")]:
                found[label] = [k for k in found[label] if k.startswith("cv:{feed}")]
                if not found[label]:
                    del found[label]
            return found
        wait_until(lambda: not leftovers(), timeout=30, interval=0.5)
        self.assertEqual(leftovers(), {}, "personal data left in Redis after ForgetParticipant")

        # The feed, for the admin: same positions, the person under their
        # pseudonym and without reasons; the erasure's reason is kept.
        after = self.all_changes(event_id=ev.id)
        self.assertEqual([c.position for c in after][:len(before)], [c.position for c in before])
        self.assertEqual(after[-1].kind, K.CHANGE_KIND_PARTICIPANT_FORGOTTEN)
        self.assertEqual(after[-1].reason, FORGET_REASON)
        as_integration = self.all_changes(token=self.integration, event_id=ev.id)
        pseudonyms = {c.participant_id for c in as_integration if c.participant_id}
        self.assertEqual(len(pseudonyms), 2, pseudonyms)  # the seat holder and the erased person
        erased = after[-1].participant_id
        self.assertIn(erased, pseudonyms)
        self.assertTrue(erased.startswith("pn_"), erased)
        for c in after:
            if c.participant_id == erased:
                if c.kind != K.CHANGE_KIND_PARTICIPANT_FORGOTTEN:
                    self.assertEqual(c.reason, "", c)
                if c.HasField("registration"):
                    self.assertEqual(c.registration.participant.participant_id, erased)
                if c.HasField("check_in"):
                    self.assertEqual(c.check_in.participant_id, erased)
        self.assertIn("seat-holder", {c.participant_id for c in after})
        replayed = watch(K.WatchChangesRequest(event_id=ev.id, position=before[0].position), timeout=5,
                         metadata=[("authorization", "Bearer " + self.admin)])
        live = []
        try:
            for c in replayed:
                live.append(c)
                if len(live) == len(after) - 1:
                    break
        finally:
            replayed.cancel()
        answers = [b"".join(c.SerializeToString() for c in changes) for changes in (after, live)]
        for label, needle in needles.items():
            for text in answers:
                self.assertNotIn(needle, text, f"the feed still holds the {label}")

        # Counts: the person only in the anonymous groups.
        counts = self.call("AttendanceService", "GetAttendanceCounts",
                           A.GetAttendanceCountsRequest(event_id=ev.id), A.AttendanceCounts)
        for d in counts.days:
            cities = {g.key: g for g in d.by_city}
            orgs = {g.key: g for g in d.by_organisation}
            self.assertNotIn(CITY, cities)
            self.assertNotIn(ORG, orgs)
            for groups in (cities, orgs):
                self.assertTrue(groups["(erased)"].erased)
                self.assertEqual(groups["(erased)"].counts.checked_in_in_person, 1)
        report = self.call("AttendanceService", "ExportAttendanceReport",
                           A.ExportAttendanceReportRequest(event_id=ev.id),
                           A.ExportAttendanceReportResponse)
        for label, needle in needles.items():
            if not label.startswith("id"):
                self.assertNotIn(needle, report.SerializeToString(), f"the report holds the {label}")
        listed = self.call("NotificationService", "ListNotifications",
                           N.ListNotificationsRequest(event_id=ev.id), N.ListNotificationsResponse)
        for label, needle in needles.items():
            self.assertNotIn(needle, listed.SerializeToString(), f"ListNotifications holds the {label}")


    def people(self):
        """The feed's hash of what participant entries leave out, as a dict."""
        flat = subprocess.run(["redis-cli", *self.redis.cli_target(), "--raw", "HGETALL",
                               "cv:{feed}:people"], capture_output=True, text=True, timeout=30,
                              check=True).stdout.split("\n")[:-1]
        return dict(zip(flat[::2], flat[1::2]))

    def test_changes_after_an_erasure_stay_anonymous(self):
        """Someone erased who checks in or cancels with a reason afterwards
        (a badge scanned at the door): the feed keeps them under their
        pseudonym and records neither id nor reason, whether the erasure was
        recorded now or by the release before (its own mark)."""
        zone = zoneinfo.ZoneInfo(ZONE)
        start = (datetime.datetime.now(zone) + datetime.timedelta(minutes=40)).replace(second=0,
                                                                                     microsecond=0)
        end = start + datetime.timedelta(hours=1)
        ev = self.call("CalendarService", "CreateEvent", K.CreateEventRequest(
            request_id="erasure-after-event", event=K.Event(
                title="Erasure, then the door", format=common_pb2.EVENT_FORMAT_IN_PERSON,
                time_zone=ZONE, start_local=start.strftime("%Y-%m-%dT%H:%M"),
                end_local=end.strftime("%Y-%m-%dT%H:%M"),
                venue=K.Venue(name="Stadhuis", in_person_capacity=10))), K.Event)
        day = start.strftime("%Y-%m-%d")
        ids = {"now": "zz.erased-now@forget-me.example", "earlier": "zz.erased-earlier@forget-me.example"}
        reason = "zz-after-erasure-reason"
        for pid in ids.values():
            self.call("AttendanceService", "Register", A.RegisterRequest(
                event_id=ev.id, request_id="reg-" + pid, mode=IN_PERSON,
                participant=common_pb2.Participant(participant_id=pid, display_name="Zed Erased",
                                                   time_zone=ZONE, language="en")), A.Registration)
            self.call("AttendanceService", "ForgetParticipant", A.ForgetParticipantRequest(
                event_id=ev.id, participant_id=pid, request_id="forget-" + pid,
                reason=FORGET_REASON), A.ForgetParticipantResponse)

        def forgotten():
            return {c.participant_id for c in self.all_changes(event_id=ev.id)
                    if c.kind == K.CHANGE_KIND_PARTICIPANT_FORGOTTEN}
        self.assertTrue(wait_until(lambda: len(forgotten()) == 2, 30, 0.2), "erasures not relayed")
        pseudonyms = forgotten()
        self.assertFalse(set(ids.values()) & pseudonyms)
        people = self.people()
        erased = {f for f in people if f.startswith(ev.id + "|")}
        self.assertEqual(erased, {ev.id + "|" + p for p in pseudonyms}, people)
        self.assertEqual({people[f] for f in erased}, {""})  # erased: the id is gone
        # The release before marked an erasure in a field of its own.
        earlier = sorted(erased)[0]
        subprocess.run(["redis-cli", *self.redis.cli_target(), "HDEL", "cv:{feed}:people", earlier],
                       capture_output=True, timeout=30, check=True)
        subprocess.run(["redis-cli", *self.redis.cli_target(), "HSET", "cv:{feed}:people",
                        earlier + "|forgotten", "1"], capture_output=True, timeout=30, check=True)
        # ... written before the relay's one pass over the hash (backfill),
        # which had not started then.
        subprocess.run(["redis-cli", *self.redis.cli_target(), "DEL", "cv:{feed}:people-backfill"],
                       capture_output=True, timeout=30, check=True)

        for pid in ids.values():
            self.call("AttendanceService", "CheckIn", A.CheckInRequest(
                event_id=ev.id, participant_id=pid, day=day, mode=IN_PERSON,
                source=A.CHECK_IN_SOURCE_DESK, request_id="in-" + pid), A.CheckInRecord)
            self.call("AttendanceService", "CancelRegistration", A.CancelRegistrationRequest(
                event_id=ev.id, participant_id=pid, request_id="cancel-" + pid, reason=reason),
                A.Registration)

        def after_erasure():
            return [c for c in self.all_changes(event_id=ev.id)
                    if c.kind in (K.CHANGE_KIND_CHECKED_IN, K.CHANGE_KIND_REGISTRATION_CANCELLED)]
        self.assertTrue(wait_until(lambda: len(after_erasure()) == 4, 30, 0.2),
                        [c.kind for c in self.all_changes(event_id=ev.id)])
        changes = after_erasure()
        self.assertEqual({c.participant_id for c in changes}, pseudonyms)
        self.assertEqual({c.reason for c in changes}, {""})
        people = self.people()
        text = "\n".join(f"{k}={v}" for k, v in people.items())
        for needle in (*ids.values(), reason):
            self.assertNotIn(needle, text)
        self.assertEqual(people.get(earlier), "", "an earlier release's erasure took an id again")
        self.assertNotIn(earlier + "|forgotten", people, "the earlier mark was not turned into the new one")


if __name__ == "__main__":
    unittest.main()
