"""End to end: the e-mail sink against a real SMTP server (Debian's
python3-aiosmtpd on loopback, in this process). Reminders of a webinar reach
each participant once as a MIME message: headers (an RFC 2047 Greek
subject, a Message-ID made from the notification id, X-Convene-Kind,
X-Convene-Notification-Id), a text and an HTML part with what
ListNotifications shows; a recipient the server refuses (550) ends FAILED
with the server's reason after one try, one it defers twice (451) ends SENT
once after three; the SMTP password appears in no log and no reason. A
sender SIGKILLed while the server holds its message: the other replica
sends it after the lease, so every message arrives, and a repeat carries
the same Message-ID. Without an SMTP server, --mail_dir gets .eml files."""
import asyncio
import datetime
import email
import email.policy
import logging
import os
import signal
import tempfile
import threading
import time
import unittest
import warnings
import zoneinfo

import grpc
import icalendar
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from google.protobuf import duration_pb2, field_mask_pb2

from convene_e2e import ProcessesTestCase, free_loopback_ports, unary, wait_until
from convene.v1 import attendance_pb2, calendar_pb2, common_pb2, notification_pb2

# AUTH without TLS is what this loopback test wants; say nothing about it.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
logging.getLogger("mail.log").setLevel(logging.ERROR)

ZONE = "Europe/Brussels"
MONTHS_NL = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december"]
USER, PASSWORD = "convene", "s3cret-smtp-pass-0f9a7c"


class SmtpServer:
    """aiosmtpd on 127.0.0.1, requiring AUTH (over plain text: loopback
    only). Keeps every message it accepts; answers 550 for `refuse`d
    recipients and 451 the first `flaky[address]` times; holds the next
    `hold_next` messages `hold` seconds in DATA before accepting them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (recipients, email.message.EmailMessage)
        self.refuse, self.flaky = set(), {}
        self.hold, self.hold_next, self.holding = 0.0, 0, threading.Event()
        self.port = free_loopback_ports(1)[0]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     authenticator=self.authenticate, auth_required=True,
                                     auth_require_tls=False)
        self.controller.start()

    @staticmethod
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
              and auth_data.password == PASSWORD.encode())
        return AuthResult(success=ok)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if address in self.refuse:
                return f"550 5.1.1 <{address}>: recipient unknown"
            if self.flaky.get(address, 0) > 0:
                self.flaky[address] -= 1
                return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            hold = self.hold if self.hold_next > 0 else 0.0
            self.hold_next = max(0, self.hold_next - 1)
        if hold:
            self.holding.set()
            await asyncio.sleep(hold)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 2.0.0 accepted"

    def to(self, address, kind="reminder"):
        """The messages to `address` of X-Convene-Kind `kind` (None: all)."""
        with self.lock:
            return [m for rcpts, m in self.messages
                    if address in rcpts and (kind is None or m["X-Convene-Kind"] == kind)]

    def stop(self):
        self.controller.stop()


def local(dt):
    return dt.astimezone(zoneinfo.ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def message_id_of(notification_id, domain="example.org"):
    """The Message-ID rule, written again: [A-Za-z0-9._-] kept, else =XX."""
    local_part = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else f"={ord(c):02X}"
                         for c in notification_id)
    return f"<{local_part}@{domain}>"


class MailE2ETest(ProcessesTestCase):
    def setUp(self):
        super().setUp()
        self.smtp = SmtpServer()
        self.addCleanup(self.smtp.stop)
        self.calendar = self.spawn("calendar/convene-calendar")
        self.attendance = self.spawn("attendance/convene-attendance")
        self.ch_cal = self.channel(self.calendar)
        self.ch_att = self.channel(self.attendance)
        self.dir = tempfile.mkdtemp(prefix="convene-mail-")
        self.password_file = os.path.join(self.dir, "smtp-password")
        with open(self.password_file, "w") as f:
            f.write(PASSWORD + "\n")

    def notification(self, *extra):
        return self.spawn("notification/convene-notification",
                          f"--smtp_url=smtp://127.0.0.1:{self.smtp.port}", f"--smtp_user={USER}",
                          f"--smtp_password_file={self.password_file}",
                          "--mail_from=convene@example.org", *extra)

    def webinar_with_reminders(self, channel, request_id, people, due_in=6):
        """A webinar in ten minutes with one reminder each, due in `due_in` s;
        `people`: (participant id, e-mail, language, zone)."""
        start = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
                 ).replace(second=0, microsecond=0)
        event = unary(self.ch_cal, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id=request_id, event=calendar_pb2.Event(
                title="CONNECTION webinar: inclusive cities", format=common_pb2.EVENT_FORMAT_ONLINE,
                time_zone=ZONE, city="Brussels", start_local=local(start),
                end_local=local(start + datetime.timedelta(hours=1)),
                online=calendar_pb2.OnlineAccess(platform="Zoom",
                                                  join_url="https://meet.example.org/inclusive?a=1&b=2"))),
            calendar_pb2.Event)
        due = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=due_in)
        unary(channel, "NotificationService", "SetReminderPolicy",
              notification_pb2.SetReminderPolicyRequest(policy=notification_pb2.ReminderPolicy(
                  event_id=event.id,
                  before_event=[duration_pb2.Duration(seconds=int((start - due).total_seconds()))])),
              notification_pb2.ReminderPolicy, timeout=30)
        for pid, address, language, zone in people:
            unary(self.ch_att, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=event.id, request_id="reg-" + pid, mode=common_pb2.ATTENDANCE_MODE_ONLINE,
                participant=common_pb2.Participant(
                    participant_id=pid, display_name=pid.capitalize(), email=address,
                    language=language, time_zone=zone)), attendance_pb2.Registration, timeout=30)
        return event

    def notifications(self, channel, event_id):
        """The event's reminders by recipient (registration notices aside)."""
        return {n.recipient_email: n for n in unary(
            channel, "NotificationService", "ListNotifications",
            notification_pb2.ListNotificationsRequest(event_id=event_id, page_size=100),
            notification_pb2.ListNotificationsResponse, timeout=10).notifications
            if n.kind == notification_pb2.NOTIFICATION_KIND_REMINDER}

    def test_each_reminder_arrives_once_as_mime_mail_and_refusals_end_failed(self):
        n = self.notification()
        ch = self.channel(n)
        self.smtp.refuse.add("nobody@example.org")
        self.smtp.flaky["busy@example.org"] = 2
        people = [("eleni", "eleni@example.org", "el", "Europe/Athens"),
                  ("marco", "marco@example.org", "it", "Europe/Rome"),
                  ("nobody", "nobody@example.org", "en", "Europe/London"),
                  ("busy", "busy@example.org", "nl", "Europe/Amsterdam")]
        event = self.webinar_with_reminders(ch, "mail-1", people)

        def settled():
            ns = self.notifications(ch, event.id)
            return len(ns) == 4 and all(x.state in (notification_pb2.NOTIFICATION_STATE_SENT,
                                                    notification_pb2.NOTIFICATION_STATE_FAILED)
                                        for x in ns.values())
        self.assertTrue(wait_until(settled, 60, 0.5), self.notifications(ch, event.id))
        ns = self.notifications(ch, event.id)
        for pid, address, _, zone in people:
            if address == "nobody@example.org":
                continue
            with self.subTest(recipient=address):
                got = self.smtp.to(address)
                self.assertEqual(len(got), 1, f"{address}: {len(got)} messages")
                m, note = got[0], ns[address]
                self.assertEqual(note.state, notification_pb2.NOTIFICATION_STATE_SENT)
                self.assertEqual(m["Message-ID"], message_id_of(note.notification_id))
                self.assertEqual(m["X-Convene-Kind"], "reminder")
                self.assertEqual(m["X-Convene-Notification-Id"], note.notification_id)
                self.assertEqual(str(m["Subject"]), note.subject)  # decoded from RFC 2047
                self.assertEqual(m["To"].addresses[0].addr_spec, address)
                self.assertEqual(m["From"].addresses[0].addr_spec, "convene@example.org")
                plain = m.get_body(("plain",)).get_content()
                html = m.get_body(("html",)).get_content()
                self.assertEqual(plain.replace("\r\n", "\n"), note.body)
                self.assertIn("https://meet.example.org/inclusive?a=1&amp;b=2", html)
                self.assertEqual(note.time_zone, zone)
        # The Greek subject really is Greek (and survived RFC 2047).
        self.assertRegex(str(self.smtp.to("eleni@example.org")[0]["Subject"]), "[\u0370-\u03ff]")
        # Refused for good: FAILED at once with the server's reason.
        refused = ns["nobody@example.org"]
        self.assertEqual(refused.state, notification_pb2.NOTIFICATION_STATE_FAILED)
        self.assertIn("550", refused.failure_reason)
        self.assertEqual(refused.attempts, 1)
        self.assertEqual(self.smtp.to("nobody@example.org"), [])
        # Deferred twice, then taken: SENT once, after three tries.
        self.assertEqual(ns["busy@example.org"].attempts, 3)
        # The password is in no log and no reason.
        for p in self.procs:
            with open(p.log_path, errors="replace") as f:
                self.assertNotIn(PASSWORD, f.read(), p.log_path)
        for x in ns.values():
            self.assertNotIn(PASSWORD, x.failure_reason)

    def test_a_sender_killed_mid_send_loses_no_message_and_a_repeat_keeps_its_message_id(self):
        a = self.notification("--mail_lease=5s")
        ch = self.channel(a)
        # The server holds the first message 4 s before accepting it: A is
        # killed meanwhile, B takes the entry after A's lease.
        self.smtp.hold, self.smtp.hold_next = 4.0, 1
        people = [(f"p{i}", f"p{i}@example.org", "en", "Europe/Brussels") for i in range(5)]
        event = self.webinar_with_reminders(ch, "mail-2", people)
        self.assertTrue(self.smtp.holding.wait(60), "no message was ever in flight")
        a.stop(signal.SIGKILL)
        killed = time.monotonic()
        b = self.notification("--mail_lease=5s")
        ch_b = self.channel(b)
        self.assertTrue(wait_until(lambda: all(self.smtp.to(addr) for _, addr, _, _ in people), 60, 0.5),
                        "not every participant got the reminder")
        ns = self.notifications(ch_b, event.id)
        ids = set()
        for _, address, _, _ in people:
            got = self.smtp.to(address)
            # Each message at least once; a repeat (the server had taken it
            # when A died) has the same Message-ID.
            self.assertEqual({m["Message-ID"] for m in got},
                             {message_id_of(ns[address].notification_id)}, address)
            ids.add(got[0]["Message-ID"])
        self.assertEqual(len(ids), len(people))
        repeats = sum(len(self.smtp.to(addr)) - 1 for _, addr, _, _ in people)
        self.assertLessEqual(repeats, 1, "more than the one message in flight came twice")
        self.assertTrue(wait_until(lambda: all(
            x.state == notification_pb2.NOTIFICATION_STATE_SENT
            for x in self.notifications(ch_b, event.id).values()), 20, 0.5))
        print(f"mail drill: {len(people)} reminders, the sender SIGKILLed with one in the "
              f"server's hands; all delivered within {time.monotonic() - killed:.1f} s, "
              f"{repeats} repeated with the same Message-ID", flush=True)

    def test_without_an_smtp_server_each_message_is_an_eml_file(self):
        mail_dir = os.path.join(self.dir, "mail")
        n = self.spawn("notification/convene-notification", f"--mail_dir={mail_dir}",
                       "--mail_from=convene@example.org")
        ch = self.channel(n)
        people = [("sofia", "sofia@example.org", "bg", "Europe/Sofia"),
                  ("anna", "anna@example.org", "de", "Europe/Berlin")]
        event = self.webinar_with_reminders(ch, "mail-3", people)
        self.assertTrue(wait_until(lambda: len([f for f in os.listdir(mail_dir) if f.endswith(".eml")]) == 2
                                   if os.path.isdir(mail_dir) else False, 60, 0.5),
                        os.listdir(mail_dir) if os.path.isdir(mail_dir) else "no mail dir")
        ns = self.notifications(ch, event.id)
        for _, address, _, _ in people:
            note = ns[address]
            stem = message_id_of(note.notification_id)[1:].split("@")[0]
            with open(os.path.join(mail_dir, stem + ".eml"), "rb") as f:
                m = email.message_from_bytes(f.read(), policy=email.policy.default)
            self.assertEqual(m["To"].addresses[0].addr_spec, address)
            self.assertEqual(str(m["Subject"]), note.subject)
            self.assertEqual(m.get_body(("plain",)).get_content().replace("\r\n", "\n"), note.body)
            self.assertEqual(note.state, notification_pb2.NOTIFICATION_STATE_SENT)
        self.assertEqual(self.smtp.messages, [])

    def test_a_subscriber_named_like_the_mail_sender_is_refused_and_takes_no_mail(self):
        # "convene-mail" and "convene-webhooks" are the consumer groups of the
        # service's own senders: a gateway subscribing (or acknowledging)
        # under one of them would take messages from the e-mail sender, which
        # then never sends them.
        mail_dir = os.path.join(self.dir, "mail")
        n = self.spawn("notification/convene-notification", f"--mail_dir={mail_dir}",
                       "--mail_from=convene@example.org")
        ch = self.channel(n)
        event = self.webinar_with_reminders(
            ch, "mail-taken", [("lena", "lena@example.org", "nl", ZONE)], due_in=3)
        self.assertTrue(wait_until(lambda: "lena@example.org" in self.notifications(ch, event.id),
                                   30, 0.2), "the reminder was not dispatched")
        note = self.notifications(ch, event.id)["lena@example.org"]
        subscribe = ch.unary_stream(
            "/convene.v1.NotificationService/SubscribeNotifications",
            request_serializer=notification_pb2.SubscribeNotificationsRequest.SerializeToString,
            response_deserializer=notification_pb2.Notification.FromString)
        for name in ("convene-mail", "convene-webhooks"):
            stream = subscribe(notification_pb2.SubscribeNotificationsRequest(subscriber=name),
                               timeout=5)
            with self.assertRaises(grpc.RpcError) as refused:
                taken = next(stream)
                self.fail(f"{name} received {taken.notification_id}")
            self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, name)
            self.assertIn("subscriber", refused.exception.details())
            with self.assertRaises(grpc.RpcError) as refused:
                unary(ch, "NotificationService", "AckNotification",
                      notification_pb2.AckNotificationRequest(
                          subscriber=name, notification_id=note.notification_id),
                      notification_pb2.AckNotificationResponse)
            self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, name)
        stem = message_id_of(note.notification_id)[1:].split("@")[0]
        self.assertTrue(wait_until(lambda: os.path.exists(os.path.join(mail_dir, stem + ".eml")),
                                   30, 0.2), "the reminder was never mailed")

    def test_registration_notices_arrive_by_mail_each_once_in_the_order_of_the_changes(self):
        n = self.notification("--notice_delay=1s")
        ch = self.channel(n)
        # 10:00-13:00 in Thessaloniki, three days from now (one day).
        athens = zoneinfo.ZoneInfo("Europe/Athens")
        day = (datetime.datetime.now(athens) + datetime.timedelta(days=3)).date()
        start = datetime.datetime(day.year, day.month, day.day, 10, 0, tzinfo=athens)
        event = unary(self.ch_cal, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="mail-4", event=calendar_pb2.Event(
                title="CONNECTION study visit", format=common_pb2.EVENT_FORMAT_IN_PERSON,
                time_zone="Europe/Athens", city="Thessaloniki",
                start_local=start.strftime("%Y-%m-%dT%H:%M"),
                end_local=(start + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
                venue=calendar_pb2.Venue(name="Thessaloniki City Hall", address="Vasileos Georgiou 1",
                                         city="Thessaloniki", in_person_capacity=1),
                organiser_contact=calendar_pb2.Contact(name="Δήμος Θεσσαλονίκης",
                                                       email="connection@thessaloniki.example"))),
            calendar_pb2.Event)

        def register(pid, language, zone):
            unary(self.ch_att, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=event.id, request_id="reg-" + pid, mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                participant=common_pb2.Participant(
                    participant_id=pid, display_name=pid.capitalize(), email=f"{pid}@example.org",
                    language=language, time_zone=zone)), attendance_pb2.Registration, timeout=30)
        register("eleni", "el", "Europe/Athens")
        register("marco", "it", "Europe/Rome")  # the one seat is taken: waitlisted
        kinds = lambda address: [m["X-Convene-Kind"] for m in self.smtp.to(address, kind=None)]
        self.assertTrue(wait_until(lambda: kinds("eleni@example.org") == ["confirmed"]
                                   and kinds("marco@example.org") == ["waitlisted"], 30, 0.3),
                        (kinds("eleni@example.org"), kinds("marco@example.org")))
        waiting = self.smtp.to("marco@example.org", kind="waitlisted")[0]
        self.assertIn("posizione 1", waiting.get_body(("plain",)).get_content())
        unary(self.ch_att, "AttendanceService", "CancelRegistration",
              attendance_pb2.CancelRegistrationRequest(event_id=event.id, participant_id="eleni",
                                                       request_id="cancel-eleni"),
              attendance_pb2.Registration, timeout=30)
        self.assertTrue(wait_until(lambda: kinds("eleni@example.org") == ["confirmed", "cancelled"]
                                   and kinds("marco@example.org") == ["waitlisted", "promoted"],
                                   30, 0.3),
                        (kinds("eleni@example.org"), kinds("marco@example.org")))
        promoted = self.smtp.to("marco@example.org", kind="promoted")[0]
        self.assertEqual(str(promoted["Subject"]), "Un posto per Lei: CONNECTION study visit")
        self.assertIn("Vasileos Georgiou 1", promoted.get_body(("plain",)).get_content())
        # Replies go to the event's organiser contact.
        self.assertEqual(promoted["Reply-To"].addresses[0].addr_spec, "connection@thessaloniki.example")
        self.assertEqual(promoted["Reply-To"].addresses[0].display_name, "Δήμος Θεσσαλονίκης")
        cancelled = self.smtp.to("eleni@example.org", kind="cancelled")[0]
        self.assertIn("Ακύρωση εγγραφής", str(cancelled["Subject"]))
        # Calendar invitations (iTIP), read with Python's icalendar: a
        # REQUEST for the seat, updated by a CANCEL with a higher SEQUENCE
        # under the same UID; none while on the waiting list.
        def invitation(m):
            part = next((p for p in m.walk() if p.get_content_type() == "text/calendar"), None)
            return None if part is None else (part.get_param("method"),
                                              icalendar.Calendar.from_ical(part.get_content()))
        confirmed = self.smtp.to("eleni@example.org", kind="confirmed")[0]
        method, cal = invitation(confirmed)
        self.assertEqual(method, "REQUEST")
        self.assertEqual(str(cal["METHOD"]), "REQUEST")
        (vevent,) = cal.walk("VEVENT")
        self.assertEqual(str(vevent["ORGANIZER"]), "mailto:connection@thessaloniki.example")
        self.assertEqual(str(vevent["ATTENDEE"]), "mailto:eleni@example.org")
        self.assertEqual(vevent["DTSTART"].dt, start)  # the venue's 'start', as an instant
        self.assertEqual(str(vevent["LOCATION"]), "Thessaloniki City Hall, Vasileos Georgiou 1")
        method, cal = invitation(cancelled)
        self.assertEqual(method, "CANCEL")
        (gone,) = cal.walk("VEVENT")
        self.assertEqual(str(gone["UID"]), str(vevent["UID"]))
        self.assertGreater(int(gone["SEQUENCE"]), int(vevent["SEQUENCE"]))
        self.assertIsNone(invitation(waiting))
        method, cal = invitation(promoted)
        self.assertEqual(method, "REQUEST")
        self.assertEqual(str(cal.walk("VEVENT")[0]["ATTENDEE"]), "mailto:marco@example.org")
        time.sleep(3)  # nothing more comes
        self.assertEqual(kinds("eleni@example.org"), ["confirmed", "cancelled"])
        self.assertEqual(kinds("marco@example.org"), ["waitlisted", "promoted"])

    def test_an_invitation_day_ends_when_its_last_session_ends_not_at_midnight(self):
        """A two-day workshop in Thessaloniki, sessions 09:00-12:30 and
        14:00-17:30 on day 1, 09:00-13:00 on day 2: the invitation puts
        09:00-17:30 and 09:00-13:00 in the participant's calendar (an entry
        to midnight would mark them busy all evening in Outlook)."""
        n = self.notification("--notice_delay=1s")
        self.channel(n)
        athens = zoneinfo.ZoneInfo("Europe/Athens")
        day1 = (datetime.datetime.now(athens) + datetime.timedelta(days=5)).date()
        day2 = day1 + datetime.timedelta(days=1)
        at = lambda d, h, m: datetime.datetime(d.year, d.month, d.day, h, m, tzinfo=athens)
        text = lambda t: t.strftime("%Y-%m-%dT%H:%M")
        event = unary(self.ch_cal, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="mail-5", event=calendar_pb2.Event(
                title="CoP1 workshop: Municipality of Delta", format=common_pb2.EVENT_FORMAT_HYBRID,
                time_zone="Europe/Athens", city="Thessaloniki",
                start_local=text(at(day1, 9, 0)), end_local=text(at(day2, 13, 0)),
                venue=calendar_pb2.Venue(name="Delta Town Hall", city="Delta"),
                online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/delta"),
                sessions=[
                    calendar_pb2.Session(title="Local action plan", start_local=text(at(day1, 9, 0)),
                                         end_local=text(at(day1, 12, 30))),
                    calendar_pb2.Session(title="Guided tour", start_local=text(at(day1, 14, 0)),
                                         end_local=text(at(day1, 17, 30)),
                                         format=common_pb2.EVENT_FORMAT_IN_PERSON),
                    calendar_pb2.Session(title="Peer review", start_local=text(at(day2, 9, 0)),
                                         end_local=text(at(day2, 13, 0)))],
                organiser_contact=calendar_pb2.Contact(name="ANATOLIKI S.A.",
                                                       email="connection@anatoliki.example"))),
            calendar_pb2.Event)
        unary(self.ch_att, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="reg-delta-maria", mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
            participant=common_pb2.Participant(
                participant_id="delta-maria", display_name="Μαρία Γεωργίου", email="maria@example.org",
                language="el", time_zone="Europe/Athens")), attendance_pb2.Registration, timeout=30)
        self.assertTrue(wait_until(lambda: self.smtp.to("maria@example.org", kind="confirmed"), 30, 0.3))
        m = self.smtp.to("maria@example.org", kind="confirmed")[0]
        part = next(p for p in m.walk() if p.get_content_type() == "text/calendar")
        vevents = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        first = next(v for v in vevents if "RECURRENCE-ID" not in v)
        second = next(v for v in vevents if "RECURRENCE-ID" in v)
        self.assertEqual((first["DTSTART"].dt, first["DTEND"].dt), (at(day1, 9, 0), at(day1, 17, 30)))
        self.assertEqual((second["DTSTART"].dt, second["DTEND"].dt), (at(day2, 9, 0), at(day2, 13, 0)))
        (period,) = [p for rdate in [first["RDATE"]] for p in rdate.dts]
        self.assertEqual(tuple(period.dt), (at(day2, 9, 0), at(day2, 13, 0)))
        # Online, the guided tour (in the room only) is not part of the day.
        unary(self.ch_att, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="reg-torino-giulia", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(
                participant_id="torino-giulia", display_name="Giulia Ferraris", email="giulia@example.org",
                language="it", time_zone="Europe/Rome")), attendance_pb2.Registration, timeout=30)
        self.assertTrue(wait_until(lambda: self.smtp.to("giulia@example.org", kind="confirmed"), 30, 0.3))
        m = self.smtp.to("giulia@example.org", kind="confirmed")[0]
        part = next(p for p in m.walk() if p.get_content_type() == "text/calendar")
        first = next(v for v in icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
                     if "RECURRENCE-ID" not in v)
        self.assertEqual((first["DTSTART"].dt, first["DTEND"].dt), (at(day1, 9, 0), at(day1, 12, 30)))
        # Maria drops the second day: a mail filter tells that from a whole
        # registration cancelled by its kind, the notice kind's own name.
        unary(self.ch_att, "AttendanceService", "CancelRegistration", attendance_pb2.CancelRegistrationRequest(
            event_id=event.id, participant_id="delta-maria", request_id="cancel-maria-day2",
            dates=[day2.isoformat()]), attendance_pb2.Registration, timeout=30)
        kinds = lambda: [m["X-Convene-Kind"] for m in self.smtp.to("maria@example.org", kind=None)]
        self.assertTrue(wait_until(lambda: len(kinds()) == 2, 30, 0.3), kinds())
        self.assertEqual(kinds(), ["confirmed", "day-cancelled"])
        part = next(p for p in self.smtp.to("maria@example.org", kind=None)[1].walk()
                    if p.get_content_type() == "text/calendar")
        (only,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        self.assertEqual(only["DTSTART"].dt, at(day1, 9, 0))


    def test_an_event_moved_a_week_later_is_told_with_its_new_days_and_a_new_invitation(self):
        """The interim meeting moves from one week to the next, days and
        hours kept: attendance moves each registration's days with it. The
        'moved' notice lists the new days and its invitation is a REQUEST for
        them (a CANCEL would take the meeting out of the calendar)."""
        n = self.notification("--notice_delay=1s")
        self.channel(n)
        brussels = zoneinfo.ZoneInfo(ZONE)
        day1 = (datetime.datetime.now(brussels) + datetime.timedelta(days=10)).date()
        at = lambda d, h, m: datetime.datetime(d.year, d.month, d.day, h, m, tzinfo=brussels)
        text = lambda t: t.strftime("%Y-%m-%dT%H:%M")
        week = datetime.timedelta(days=7)
        one_day = datetime.timedelta(days=1)
        event = unary(self.ch_cal, "CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="mail-6", event=calendar_pb2.Event(
                title="CONNECTION interim meeting", format=common_pb2.EVENT_FORMAT_HYBRID,
                time_zone=ZONE, city="Brussels",
                start_local=text(at(day1, 9, 30)), end_local=text(at(day1 + one_day, 17, 30)),
                venue=calendar_pb2.Venue(name="Brussels City Hall", address="Grand-Place 1"),
                online=calendar_pb2.OnlineAccess(platform="Zoom", join_url="https://meet.example.org/interim"),
                organiser_contact=calendar_pb2.Contact(name="Eurocities", email="connection@eurocities.example"))),
            calendar_pb2.Event)
        unary(self.ch_att, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="reg-utrecht-daan", mode=common_pb2.ATTENDANCE_MODE_ONLINE,
            participant=common_pb2.Participant(
                participant_id="utrecht-daan", display_name="Daan de Vries", email="daan@example.org",
                language="nl", time_zone="Europe/Amsterdam")), attendance_pb2.Registration, timeout=30)
        # Marco comes for the second day only.
        unary(self.ch_att, "AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="reg-torino-marco",
            days=[attendance_pb2.DayMode(date=(day1 + one_day).isoformat(),
                                         mode=common_pb2.ATTENDANCE_MODE_IN_PERSON)],
            participant=common_pb2.Participant(
                participant_id="torino-marco", display_name="Marco Bianco", email="marco@example.org",
                language="it", time_zone="Europe/Rome")), attendance_pb2.Registration, timeout=30)
        self.assertTrue(wait_until(lambda: self.smtp.to("daan@example.org", kind="confirmed")
                                   and self.smtp.to("marco@example.org", kind="confirmed"), 30, 0.3))
        moved = calendar_pb2.Event(id=event.id, start_local=text(at(day1 + week, 9, 30)),
                                   end_local=text(at(day1 + week + one_day, 17, 30)))
        unary(self.ch_cal, "CalendarService", "UpdateEvent", calendar_pb2.UpdateEventRequest(
            event=moved, update_mask=field_mask_pb2.FieldMask(paths=["start_local", "end_local"]),
            expected_revision=event.revision), calendar_pb2.Event, timeout=30)
        self.assertTrue(wait_until(lambda: self.smtp.to("daan@example.org", kind="rescheduled"), 30, 0.3),
                        [m["X-Convene-Kind"] for m in self.smtp.to("daan@example.org", kind=None)])
        m = self.smtp.to("daan@example.org", kind="rescheduled")[0]
        body = m.get_body(("plain",)).get_content()
        new_days = [f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}" for d in (day1 + week, day1 + week + one_day)]
        old_days = [f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}" for d in (day1, day1 + one_day)]
        for d in new_days:
            self.assertIn(d, body)
        self.assertIn("Nu: " + new_days[0], body)
        self.assertNotIn(old_days[1], body)  # the old first day is named once, as "Eerder"
        part = next(p for p in m.walk() if p.get_content_type() == "text/calendar")
        self.assertEqual(part.get_param("method"), "REQUEST")
        starts = sorted(v["DTSTART"].dt for v in icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT"))
        self.assertEqual(starts, [at(day1 + week, 9, 30), at(day1 + week + one_day, 9, 30)])
        # Attendance keeps Marco on the second day, now a week later: so do
        # his notice, his invitation and his reminders.
        registration = unary(self.ch_att, "AttendanceService", "GetRegistration",
                             attendance_pb2.GetRegistrationRequest(event_id=event.id,
                                                                   participant_id="torino-marco"),
                             attendance_pb2.Registration, timeout=10)
        self.assertEqual([(d.date, d.status) for d in registration.days],
                         [((day1 + week + one_day).isoformat(), attendance_pb2.REGISTRATION_STATUS_CONFIRMED)])
        self.assertTrue(wait_until(lambda: self.smtp.to("marco@example.org", kind=None)[-1]["X-Convene-Kind"]
                                   in ("rescheduled", "mode-changed"), 30, 0.3),
                        [m["X-Convene-Kind"] for m in self.smtp.to("marco@example.org", kind=None)])
        time.sleep(2)  # a later notice, should one follow, says where things ended
        last = self.smtp.to("marco@example.org", kind=None)[-1]
        self.assertIn(f"{(day1 + week + one_day).day} ", last.get_body(("plain",)).get_content())
        part = next(p for p in last.walk() if p.get_content_type() == "text/calendar")
        self.assertEqual(part.get_param("method"), "REQUEST")
        (vevent,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        self.assertEqual(vevent["DTSTART"].dt, at(day1 + week + one_day, 9, 30))
        reminders = unary(self.channel(n), "NotificationService", "ListScheduledReminders",
                          notification_pb2.ListScheduledRemindersRequest(event_id=event.id, page_size=100),
                          notification_pb2.ListScheduledRemindersResponse, timeout=10).reminders
        self.assertTrue(any(r.participant_id == "torino-marco" for r in reminders),
                        [(r.participant_id, r.reminder_id) for r in reminders])
        # Then the meeting is called off: the notice names the day it was
        # moved to, and its iTIP CANCEL takes the entry out of the calendar
        # the REQUEST put it in (same UID, higher SEQUENCE).
        unary(self.ch_cal, "CalendarService", "CancelEvent", calendar_pb2.CancelEventRequest(
            event_id=event.id, reason="budget"), calendar_pb2.Event, timeout=30)
        self.assertTrue(wait_until(lambda: self.smtp.to("marco@example.org", kind="event-cancelled"), 30, 0.3))
        off = self.smtp.to("marco@example.org", kind="event-cancelled")[0]
        self.assertIn(f"{(day1 + week + one_day).day} ", off.get_body(("plain",)).get_content())
        self.assertNotIn(f"{(day1 + one_day).day} ", off.get_body(("plain",)).get_content())
        part = next((p for p in off.walk() if p.get_content_type() == "text/calendar"), None)
        self.assertIsNotNone(part, "the cancellation of the event carries no calendar CANCEL")
        self.assertEqual(part.get_param("method"), "CANCEL")
        (gone,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        self.assertEqual(str(gone["UID"]), str(vevent["UID"]))
        self.assertGreater(int(gone["SEQUENCE"]), int(vevent["SEQUENCE"]))

if __name__ == "__main__":
    unittest.main(verbosity=2)
