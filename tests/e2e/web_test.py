"""End to end: convene-web, the organisers' pages, in a real browser.

A private redis-server and convened with authentication on; a hybrid event
that runs today (UTC) with registrations made through the API; convene-web
in front of it; Debian's chromium, headless, driven by python3-selenium
through chromium-driver. The browser signs in with a pasted token, watches
the live attendance page while a second window checks someone in at the
desk, and sees the counts change within 2 s. A participant named
`<img src=x onerror=alert(1)>` must show as text; a POST without the CSRF
token is refused; the desk must work in a 390 px wide window. Plain HTTP
checks (urllib) cover the headers, the cookie's flags and what happens
without a session. Every browser test saves a screenshot into
$CONVENE_BUILD_DIR/web-screenshots/.
"""
import datetime
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

import grpc

from convene_e2e import BUILD_DIR, start_authenticating_convened, unary
from convene.v1 import admin_pb2, attendance_pb2, calendar_pb2, common_pb2

try:
    from selenium import webdriver
    from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                            StaleElementReferenceException, TimeoutException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the install script installs python3-selenium
    webdriver = None

WEB = os.path.join(BUILD_DIR, "clients", "web", "convene-web")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = os.path.join(BUILD_DIR, "web-screenshots")
XSS = "<img src=x onerror=alert(1)>"

PEOPLE = [
    # id, name, organisation, city, mode
    ("thess-nikos", "Nikos Papadopoulos", "Municipality of Thessaloniki", "Thessaloniki", "room"),
    ("torino-giulia", "Giulia Rossi", "Città di Torino", "Torino", "room"),
    ("sofia-ivan", "Ivan Petrov", "Sofia Development Association", "Sofia", "online"),
    ("zagreb-ana", "Ana Kovač", "City of Zagreb", "Zagreb", "room"),
    ("utrecht-sanne", "Sanne de Vries", "Gemeente Utrecht", "Utrecht", "online"),
    ("xss-1", XSS, "<b>bold org</b>", "<script>city</script>", "room"),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class WebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Missing browser packages fail the test rather than skip it: the
        # test command installs them, and a skipped browser test proves nothing.
        if webdriver is None or not os.path.exists(CHROMIUM) or not os.path.exists(CHROMEDRIVER):
            raise AssertionError("needs chromium, chromium-driver and python3-selenium "
                                 "(deploy/local/install-deps.sh installs them)")
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls.admin = start_authenticating_convened(cls)
        cls.make_data()
        cls.web_port, cls.web = cls.start_web()
        cls.base = f"http://127.0.0.1:{cls.web_port}"
        cls.driver = cls.start_browser()
        cls.addClassCleanup(cls.driver.quit)

    @classmethod
    def call(cls, service, method, request, response_type, token=None):
        return unary(cls.channel, service, method, request, response_type,
                     metadata=[("authorization", "Bearer " + (token or cls.admin))])

    @classmethod
    def make_data(cls):
        # Today and tomorrow in UTC, so that the desk's "today" is a day of
        # the event and check-ins fall inside its window.
        today = datetime.datetime.now(datetime.timezone.utc).date()
        cls.today = today.isoformat()
        tomorrow = (today + datetime.timedelta(days=1)).isoformat()
        cls.event = cls.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-e2e", event=calendar_pb2.Event(
                title="CoP1 hybrid workshop (web test)", community="CoP1", city="Thessaloniki",
                country_code="EL", format=common_pb2.EVENT_FORMAT_HYBRID, time_zone="UTC",
                start_local=f"{cls.today}T00:00", end_local=f"{tomorrow}T23:00",
                allow_walk_ins=True,
                venue=calendar_pb2.Venue(name="Thessaloniki City Hall", city="Thessaloniki",
                                         in_person_capacity=20),
                online=calendar_pb2.OnlineAccess(platform="Zoom", online_capacity=50,
                                                  join_url="https://meet.example.org/cop1"))),
            calendar_pb2.Event)
        for pid, name, org, city, mode in PEOPLE:
            cls.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=cls.event.id, request_id="web-reg-" + pid,
                mode=(common_pb2.ATTENDANCE_MODE_IN_PERSON if mode == "room"
                      else common_pb2.ATTENDANCE_MODE_ONLINE),
                participant=common_pb2.Participant(participant_id=pid, display_name=name,
                                                   organisation=org, city=city,
                                                   email=pid + "@example.org")),
                attendance_pb2.Registration)
        cls.tokens = {}
        for role in ("checkin", "integration"):
            cls.tokens[role] = cls.call("AdminService", "CreateToken", admin_pb2.CreateTokenRequest(
                token=admin_pb2.Token(name="web " + role, role=role, event_ids=[cls.event.id])),
                admin_pb2.CreateTokenResponse).secret

    @classmethod
    def start_web(cls, *extra_args, cleanup=None):
        """(port, process) of a convene-web in front of the server; its log
        (stderr) is in cls.web_logs[port]."""
        log = tempfile.NamedTemporaryFile(prefix="convene-web-", suffix=".log", delete=False)
        proc = subprocess.Popen([WEB, "--listen=127.0.0.1:0", "--server=" + cls.server.target,
                                 *extra_args],
                                stdout=subprocess.PIPE, stderr=log, text=True)
        (cleanup or cls.addClassCleanup)(cls.stop_web, proc, log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                cls.web_logs = getattr(cls, "web_logs", {})
                cls.web_logs[int(m.group(1))] = log.name
                return int(m.group(1)), proc
        raise RuntimeError("convene-web did not report its port")

    @classmethod
    def stop_web(cls, proc, log):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            raise AssertionError("convene-web did not stop within 15 s of SIGTERM")
        proc.stdout.close()
        log.close()
        if code != 0:
            raise AssertionError(f"convene-web exited {code} on SIGTERM")

    @classmethod
    def start_browser(cls):
        cls.profile = tempfile.mkdtemp(prefix="convene-web-chromium-")
        cls.addClassCleanup(shutil.rmtree, cls.profile, True)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--user-data-dir=" + cls.profile,
                    "--window-size=1200,1000", "--force-device-scale-factor=1"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(10)
        return driver

    # ---- helpers --------------------------------------------------------------

    def setUp(self):
        self.driver.delete_all_cookies()
        self.driver.set_window_size(1200, 1000)

    def tearDown(self):
        # Back to one window, whatever the test opened.
        handles = self.driver.window_handles
        for handle in handles[1:]:
            self.driver.switch_to.window(handle)
            self.driver.close()
        self.driver.switch_to.window(handles[0])

    def screenshot(self, name=None):
        path = os.path.join(SCREENSHOTS, (name or self._testMethodName) + ".png")
        self.driver.save_screenshot(path)
        return path

    def wait_for(self, predicate, timeout=10, message=""):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
                lambda d: predicate())
        except TimeoutException:
            self.screenshot(self._testMethodName + "-failed")
            raise AssertionError(f"timed out: {message}")

    def sign_in(self, token=None):
        self.driver.get(self.base + "/events")  # redirected to the sign-in form
        self.assertTrue(self.driver.current_url.endswith("/signin"), self.driver.current_url)
        self.driver.find_element(By.ID, "token").send_keys(token or self.admin)
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/signin'] button").click()
        self.wait_for(lambda: self.driver.current_url.endswith("/events"), message="signed in")

    def open(self, path, ready_css):
        self.driver.get(self.base + path)
        return self.wait_for(lambda: self.driver.find_elements(By.CSS_SELECTOR, ready_css),
                             message=f"{ready_css} on {path}")

    def checked_in_room_today(self):
        # Read in one script: the page rebuilds its tables on every update,
        # so an element found in one call may be gone in the next.
        text = self.driver.execute_script(
            "const c = document.querySelector(arguments[0]); return c ? c.textContent : null;",
            f"section[data-day='{self.today}'] tr[data-mode='in_person'] td[data-field='checked_in']")
        return int(text) if text is not None else None

    def desk_find(self, query):
        search = self.driver.find_element(By.ID, "desk-search")
        search.clear()
        search.send_keys(query)
        # The results of this query, not of an earlier keystroke.
        return self.wait_for(
            lambda: self.driver.find_element(By.ID, "desk-results").get_attribute("data-query") == query
            and self.driver.find_elements(By.CSS_SELECTOR, "#desk-results .person"),
            message=f"desk results for {query!r}")

    def desk_message(self):
        return self.wait_for(
            lambda: self.driver.find_element(By.ID, "desk-message").text.strip() or None,
            message="desk message")

    def assertNoAlert(self):
        with self.assertRaises(NoAlertPresentException):
            self.driver.switch_to.alert.text

    def http(self, path, data=None, headers=None, opener=None):
        """(status, headers, body) of a request to convene-web, no redirects
        followed unless `opener` does."""
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        opener = opener or urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=10) as reply:
                return reply.status, reply.headers, reply.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def http_session(self, token=None):
        """An opener holding a signed-in session cookie, and its CSRF token."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
        _, _, form = self.http("/signin", opener=opener)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', form).group(1)
        status, headers, _ = self.http("/signin", urllib.parse.urlencode(
            {"token": token or self.admin, "csrf": csrf}).encode(), opener=opener)
        self.assertEqual((status, headers["Location"]), (303, "/events"))
        _, _, page = self.http("/events", opener=opener)
        csrf = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page).group(1)
        return opener, csrf

    def register(self, pid, name, mode):
        """A participant of this test's own, so that tests do not share
        check-ins."""
        self.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=self.event.id, request_id="web-reg-" + pid, mode=mode,
            participant=common_pb2.Participant(participant_id=pid, display_name=name)),
            attendance_pb2.Registration)

    def counts(self):
        return self.call("AttendanceService", "GetAttendanceCounts",
                         attendance_pb2.GetAttendanceCountsRequest(event_id=self.event.id),
                         attendance_pb2.AttendanceCounts)

    def room_checked_in_today(self):
        return next(d.counts.checked_in_in_person for d in self.counts().days
                    if d.date == self.today)

    # ---- plain HTTP -------------------------------------------------------------

    def test_headers_cookie_flags_and_no_session(self):
        status, headers, body = self.http("/signin")
        self.assertEqual(status, 200)
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
                          "object-src 'none'"):
            self.assertIn(directive, csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(headers["X-Frame-Options"], "DENY")
        cookie = headers["Set-Cookie"]
        self.assertRegex(cookie, r"^convene_session=[0-9a-f]{64}; ")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertNotIn("Secure", cookie)  # plain HTTP on loopback here
        # No inline script: the shell loads /static/app.js only.
        self.assertEqual(re.findall(r"<script[^>]*>", body), ['<script src="/static/app.js" defer>'])
        status, headers, _ = self.http("/static/app.js")
        self.assertEqual((status, headers["Content-Type"]), (200, "text/javascript; charset=utf-8"))
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")

        # Without a session: pages send to the sign-in form, the API says 401.
        for page in ("/events", f"/events/{self.event.id}/live", f"/events/{self.event.id}/desk"):
            status, headers, _ = self.http(page)
            self.assertEqual((status, headers["Location"]), (303, "/signin"), page)
        for api in ("/api/events", f"/api/events/{self.event.id}/counts",
                    f"/download/{self.event.id}/attendance.csv"):
            status, _, body = self.http(api)
            self.assertEqual(status, 401, api)
            self.assertEqual(json.loads(body)["error"]["code"], "UNAUTHENTICATED")
        # A wrong token is not accepted.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
        _, _, form = self.http("/signin", opener=opener)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', form).group(1)
        status, headers, _ = self.http("/signin", urllib.parse.urlencode(
            {"token": "not-a-token", "csrf": csrf}).encode(), opener=opener)
        self.assertEqual((status, headers["Location"]), (303, "/signin?error=token"))

    def test_api_refusals_are_json_naming_the_field_and_reason(self):
        opener, csrf = self.http_session()
        # A URL past httplib's 8 KiB (a pasted text in the desk's search,
        # sent by the page's own fetch, which reads JSON).
        status, headers, body = self.http(f"/api/events/{self.event.id}/people?q=" + "a" * 9000,
                                          opener=opener)
        self.assertEqual(status, 414)
        self.assertTrue(headers["Content-Type"].startswith("application/json"), headers["Content-Type"])
        error = json.loads(body)["error"]
        self.assertEqual(error["code"], "INVALID_ARGUMENT")
        self.assertTrue(error["message"].startswith("url: longer than 8192 bytes"), error)
        status, headers, body = self.http("/api/no-such-thing", opener=opener)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (404, "NOT_FOUND"))
        self.assertTrue(json.loads(body)["error"]["message"].startswith("path: "), body)
        # The desk's own checks and the services' answers name the field too.
        path = f"/api/events/{self.event.id}/checkin"
        for fields, code, starts in (
                ({"participant_id": "x", "day": "today", "mode": "in_person"}, 400, "day: "),
                ({"participant_id": "x", "day": self.today, "mode": "room"}, 400, "mode: "),
                ({"participant_id": "", "day": self.today, "mode": "in_person"}, 400, "participant_id: ")):
            status, _, body = self.http(path, urllib.parse.urlencode(fields).encode(),
                                        headers={"X-CSRF-Token": csrf}, opener=opener)
            error = json.loads(body)["error"]
            self.assertEqual(status, code, body)
            self.assertTrue(error["message"].startswith(starts), (fields, error))

    def test_post_without_csrf_token_is_refused(self):
        opener, csrf = self.http_session()
        before = self.room_checked_in_today()
        form = urllib.parse.urlencode({"participant_id": "torino-giulia", "day": self.today,
                                       "mode": "in_person"}).encode()
        path = f"/api/events/{self.event.id}/checkin"
        status, _, body = self.http(path, form, opener=opener)
        self.assertEqual(status, 403, body)
        status, _, _ = self.http(path, form, {"X-CSRF-Token": "0" * 64}, opener=opener)
        self.assertEqual(status, 403)
        # Another site's page cannot post even with a token it guessed right.
        status, _, _ = self.http(path, form, {"X-CSRF-Token": csrf,
                                              "Origin": "http://evil.example"}, opener=opener)
        self.assertEqual(status, 403)
        self.assertEqual(self.room_checked_in_today(), before)
        # Signing in without the form's CSRF token is refused too.
        status, _, _ = self.http("/signin", urllib.parse.urlencode({"token": self.admin}).encode())
        self.assertEqual(status, 403)
        # And in the browser: a fetch() without the header.
        self.sign_in()
        self.open(f"/events/{self.event.id}/desk", "#desk-search")
        status = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch(arguments[0], {method: 'POST', credentials: 'same-origin',
                                 headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                                 body: 'participant_id=torino-giulia&mode=in_person&day=' + arguments[1]})
              .then((r) => done(r.status), () => done(-1));""",
            path, self.today)
        self.assertEqual(status, 403)
        self.assertEqual(self.room_checked_in_today(), before)
        self.screenshot()
        # With it, the same request works.
        status, _, body = self.http(path, form, {"X-CSRF-Token": csrf}, opener=opener)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.room_checked_in_today(), before + 1)

    def test_downloads(self):
        opener, _ = self.http_session()
        status, headers, csv = self.http(f"/download/{self.event.id}/attendance.csv", opener=opener)
        self.assertEqual(status, 200)
        self.assertIn("attachment", headers["Content-Disposition"])
        self.assertTrue(headers["Content-Type"].startswith("text/csv"))
        self.assertIn("Nikos Papadopoulos", csv)
        status, headers, ics = self.http(f"/download/{self.event.id}/calendar.ics", opener=opener)
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/calendar"))
        self.assertTrue(ics.startswith("BEGIN:VCALENDAR"), ics[:80])
        # A check-in token may download neither.
        opener, _ = self.http_session(self.tokens["checkin"])
        status, _, _ = self.http(f"/download/{self.event.id}/attendance.csv", opener=opener)
        self.assertEqual(status, 403)

    def test_desk_search_ignores_case_and_accents_in_greek_cyrillic_and_latin(self):
        # Staff type names as they come, on a phone: lower case, without
        # the accents. Greek and Bulgarian names must be found like Latin ones.
        event = self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-e2e-search", event=calendar_pb2.Event(
                title="CoP1 workshop (desk search)", city="Thessaloniki", time_zone="Europe/Athens",
                format=common_pb2.EVENT_FORMAT_IN_PERSON, start_local="2030-03-15T09:00",
                end_local="2030-03-15T17:30", venue=calendar_pb2.Venue(name="Thessaloniki City Hall"))),
            calendar_pb2.Event)
        people = [("thess-zoi", "Ζωή Αλεξίου"), ("sofia-ivan", "Иван Петров"),
                  ("bxl-1", "Éloïse Dubois"), ("torino-1", "Niccolò Rossi")]
        for pid, name in people:
            self.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=event.id, request_id="web-search-" + pid, mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                participant=common_pb2.Participant(participant_id=pid, display_name=name)),
                attendance_pb2.Registration)
        opener, _ = self.http_session()

        def found(query):
            status, _, body = self.http(f"/api/events/{event.id}/people?q=" + urllib.parse.quote(query),
                                        opener=opener)
            self.assertEqual(status, 200, body)
            return [r["participant"]["participant_id"] for r in json.loads(body).get("registrations", [])]
        for query, pid in [("Ζωή", "thess-zoi"), ("ζωή", "thess-zoi"), ("ζωη", "thess-zoi"),
                           ("ΖΩΗ", "thess-zoi"), ("αλεξ", "thess-zoi"), ("иван", "sofia-ivan"),
                           ("ПЕТРОВ", "sofia-ivan"), ("éloïse", "bxl-1"), ("eloise", "bxl-1"),
                           ("ÉLOÏSE DU", "bxl-1"), ("niccolo", "torino-1"), ("NICCOLÒ", "torino-1")]:
            with self.subTest(query=query):
                self.assertEqual(found(query), [pid])
        self.assertEqual(found("ζωή πετρ"), [])

    # ---- in the browser -------------------------------------------------------------

    def test_live_page_follows_a_desk_check_in_in_another_window(self):
        self.sign_in()
        self.assertNotIn(self.admin, self.driver.page_source)
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}']")
        self.wait_for(lambda: "live" in self.driver.find_element(By.ID, "live-status").text,
                      message="the live stream connected")
        live = self.driver.current_window_handle
        before = self.checked_in_room_today()
        self.assertIsNotNone(before)
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar"))

        self.driver.switch_to.new_window("window")
        self.open(f"/events/{self.event.id}/desk", "#desk-search")
        card = self.desk_find("Nikos")[0]
        self.assertEqual(card.get_attribute("data-participant"), "thess-nikos")
        # The mode comes from the registration: Nikos is in the room.
        self.assertEqual(card.find_element(By.CSS_SELECTOR, "button[aria-pressed='true']")
                         .get_attribute("data-mode"), "in_person")
        card.find_element(By.CSS_SELECTOR, "button.checkin").click()
        clicked = time.monotonic()
        self.assertIn("checked in in the room at", self.desk_message())
        self.screenshot(self._testMethodName + "-desk")

        self.driver.switch_to.window(live)
        self.wait_for(lambda: self.checked_in_room_today() == before + 1, timeout=2.0,
                      message="the live page's room count went up within 2 s")
        self.assertLess(time.monotonic() - clicked, 2.0)
        self.screenshot(self._testMethodName + "-live")

        # Again at the desk: a repeat says when the first check-in was.
        self.driver.switch_to.window(self.driver.window_handles[1])
        card = self.desk_find("thess-nikos")[0]
        card.find_element(By.CSS_SELECTOR, "button.checkin").click()
        self.wait_for(lambda: "already checked in at" in
                      self.driver.find_element(By.ID, "desk-message").text,
                      message="the repeat check-in message")
        self.assertRegex(self.driver.find_element(By.ID, "desk-message").text,
                         r"already checked in at \d\d:\d\d")

    def test_with_secure_cookies_the_session_cookie_is_host_only(self):
        # Behind TLS the cookie is __Host-convene_session: browsers take
        # that name only from this host over HTTPS, never with a Domain
        # from a sibling subdomain, so nobody there can plant their own
        # signed-in session in an organiser's browser (and have the
        # organiser's check-ins made with their token).
        port, _ = self.start_web("--secure_cookies", cleanup=self.addCleanup)
        base, self.base = self.base, f"http://127.0.0.1:{port}"
        self.addCleanup(setattr, self, "base", base)
        _, headers, form = self.http("/signin")
        cookie = headers["Set-Cookie"]
        self.assertRegex(cookie, r"^__Host-convene_session=[0-9a-f]{64}; Path=/; ")
        self.assertIn("; Secure", cookie)
        self.assertNotIn("Domain", cookie)
        anonymous = re.match(r"__Host-convene_session=([0-9a-f]{64})", cookie).group(1)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', form).group(1)
        status, headers, _ = self.http("/signin", urllib.parse.urlencode(
            {"token": self.admin, "csrf": csrf}).encode(),
            headers={"Cookie": f"__Host-convene_session={anonymous}"})
        self.assertEqual((status, headers["Location"]), (303, "/events"))
        signed_in = re.match(r"__Host-convene_session=([0-9a-f]{64})",
                             headers["Set-Cookie"]).group(1)
        status, _, _ = self.http("/events", headers={"Cookie": f"__Host-convene_session={signed_in}"})
        self.assertEqual(status, 200)
        # The same session under the name without the prefix, as a sibling
        # subdomain could set it, is no session.
        status, headers, _ = self.http("/events", headers={"Cookie": f"convene_session={signed_in}"})
        self.assertEqual((status, headers["Location"]), (303, "/signin"))

    def test_live_page_reconnects_after_its_stream_ends(self):
        # A convene-web whose live streams end every second: the page must
        # reconnect by itself each time and keep following the counts.
        port, _ = self.start_web("--live_page_max_duration=1s", cleanup=self.addCleanup)
        base, self.base = self.base, f"http://127.0.0.1:{port}"
        self.addCleanup(setattr, self, "base", base)
        self.sign_in()
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}']")
        time.sleep(2.5)  # at least two streams ended and reopened
        before = self.checked_in_room_today()
        self.call("AttendanceService", "CheckIn", attendance_pb2.CheckInRequest(
            event_id=self.event.id, participant_id="zagreb-ana", day=self.today,
            mode=common_pb2.ATTENDANCE_MODE_IN_PERSON, source=attendance_pb2.CHECK_IN_SOURCE_DESK,
            request_id="web-reconnect"), attendance_pb2.CheckInRecord)
        # A reconnect may be under way (1 s retry), so up to 4 s here.
        self.wait_for(lambda: self.checked_in_room_today() == before + 1, timeout=4,
                      message="the count changed after reconnects")
        # The log has a line per stream when it ends: two ended streams
        # mean the page opened a second one by itself.
        def streams_ended():
            with open(self.web_logs[port]) as f:
                return len(re.findall(rf"GET /api/events/{self.event.id}/stream 200", f.read()))
        self.wait_for(lambda: streams_ended() >= 2, timeout=5, message="two streams ended")
        self.assertIn("live", self.driver.find_element(By.ID, "live-status").text)
        self.screenshot()

    def redis_command(self, conn, *args):
        """One command on a connection of its own to the test's Redis (kept
        open: new connections may be refused meanwhile)."""
        conn.sendall(b"".join([f"*{len(args)}\r\n".encode()] +
                              [f"${len(str(a).encode())}\r\n{a}\r\n".encode() for a in args]))
        return conn.recv(4096)

    def test_live_page_says_when_it_lost_the_counts_and_catches_up(self):
        # A Redis restart or failover drops the services' subscription to
        # counts changes, and what is written before it is back is never
        # published to them. The organiser's live page must not go on
        # showing the counts from before as live: it says it is
        # reconnecting, and then shows the counts as they are.
        self.register("gap-online", "Lena Gap", common_pb2.ATTENDANCE_MODE_ONLINE)
        self.sign_in()
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}']")
        self.wait_for(lambda: "live" in self.driver.find_element(By.ID, "live-status").text,
                      message="the live stream connected")
        online_today = (f"section[data-day='{self.today}'] tr[data-mode='online'] "
                        "td[data-field='checked_in']")
        read = lambda: self.driver.execute_script(
            "const c = document.querySelector(arguments[0]); return c ? Number(c.textContent) : null;",
            online_today)
        before = read()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self.redis.socket)
        self.addCleanup(conn.close)
        # No new connection for a while: the subscription, once dropped,
        # cannot come back while the services' other connections work on.
        self.assertIn(b"+OK", self.redis_command(conn, "CONFIG", "SET", "maxclients", "1"))
        self.addCleanup(self.redis_command, conn, "CONFIG", "SET", "maxclients", "10000")
        self.redis_command(conn, "CLIENT", "KILL", "TYPE", "pubsub")
        self.wait_for(lambda: "reconnecting" in self.driver.find_element(By.ID, "live-status").text,
                      timeout=3, message="the page says it is reconnecting")
        self.screenshot(self._testMethodName + "-reconnecting")
        self.call("AttendanceService", "CheckIn", attendance_pb2.CheckInRequest(
            event_id=self.event.id, participant_id="gap-online", day=self.today,
            mode=common_pb2.ATTENDANCE_MODE_ONLINE, source=attendance_pb2.CHECK_IN_SOURCE_ONLINE_JOIN,
            request_id="web-pubsub-gap"), attendance_pb2.CheckInRecord)
        time.sleep(1.5)
        self.assertIn(b"+OK", self.redis_command(conn, "CONFIG", "SET", "maxclients", "10000"))
        self.wait_for(lambda: read() == before + 1 and
                      "live" == self.driver.find_element(By.ID, "live-status").text[:4],
                      timeout=8, message="the live page shows the check-in made while it was away")
        self.screenshot()

    def test_live_page_follows_a_redis_that_came_back_behind(self):
        # A failover to a replica that had not received the last writes (or
        # a restore from a copy) brings the event's counts back with a lower
        # version. The page's reconnected stream is the truth from then on,
        # not an "older" answer to drop.
        self.register("behind-room", "Piet Achter", common_pb2.ATTENDANCE_MODE_IN_PERSON)
        self.sign_in()
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}']")
        self.wait_for(lambda: "live" in self.driver.find_element(By.ID, "live-status").text,
                      message="the live stream connected")
        # Some history: the page has seen a version well above 1.
        for i in range(4):  # ends in the room, as registered
            self.call("AttendanceService", "ChangeMode", attendance_pb2.ChangeModeRequest(
                event_id=self.event.id, participant_id="behind-room", request_id=f"web-behind-{i}",
                mode=common_pb2.ATTENDANCE_MODE_ONLINE if i % 2 == 0 else common_pb2.ATTENDANCE_MODE_IN_PERSON),
                attendance_pb2.Registration)
        seen = lambda: int(self.driver.find_element(By.ID, "live").get_attribute("data-version") or -1)
        self.wait_for(lambda: seen() >= 3, message="the page saw the changes")
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self.redis.socket)
        self.addCleanup(conn.close)
        self.assertIn(b":0", self.redis_command(conn, "HSET", f"cv:{{ev:{self.event.id}}}:counts",
                                                "version", "0"))
        self.redis_command(conn, "CLIENT", "KILL", "TYPE", "pubsub")
        record = self.call("AttendanceService", "CheckIn", attendance_pb2.CheckInRequest(
            event_id=self.event.id, participant_id="behind-room", day=self.today,
            mode=common_pb2.ATTENDANCE_MODE_IN_PERSON, source=attendance_pb2.CHECK_IN_SOURCE_DESK,
            request_id="web-behind-checkin"), attendance_pb2.CheckInRecord)
        self.assertFalse(record.duplicate)
        want = self.room_checked_in_today()
        self.wait_for(lambda: self.checked_in_room_today() == want and
                      self.driver.find_element(By.ID, "live-status").text.startswith("live"),
                      timeout=8, message="the live page shows the counts of the Redis it came back to")
        self.screenshot()

    def test_a_name_with_markup_shows_as_text(self):
        self.sign_in()
        self.open(f"/events/{self.event.id}/desk", "#desk-search")
        card = self.desk_find("img")[0]
        self.assertEqual(card.find_element(By.CSS_SELECTOR, ".name").text, XSS)
        self.assertIn("<b>bold org</b>", card.text)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#desk-results img"), [])
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#desk-results b"), [])
        card.find_element(By.CSS_SELECTOR, "button.checkin").click()
        self.assertIn(XSS, self.desk_message())
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#desk-message img"), [])
        self.assertNoAlert()
        self.screenshot(self._testMethodName + "-desk")
        # The live page lists the organisation and city as text too.
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}'] table.groups")
        self.assertIn("<b>bold org</b>", self.driver.find_element(By.ID, "live").text)
        self.assertIn("<script>city</script>", self.driver.find_element(By.ID, "live").text)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#live b, #live img"), [])
        self.assertNoAlert()
        self.screenshot(self._testMethodName + "-live")

    def test_desk_works_in_a_390px_window(self):
        self.driver.set_window_size(390, 844)
        self.sign_in()
        self.open(f"/events/{self.event.id}/desk", "#desk-search")
        width = self.driver.execute_script("return window.innerWidth")
        self.assertLessEqual(width, 390)
        card = self.desk_find("Ivan")[0]
        # Ivan registered online: the toggle starts there; the desk changes
        # it to the room.
        self.assertEqual(card.find_element(By.CSS_SELECTOR, "button[aria-pressed='true']")
                         .get_attribute("data-mode"), "online")
        room = card.find_element(By.CSS_SELECTOR, "button[data-mode='in_person']")
        room.click()
        button = card.find_element(By.CSS_SELECTOR, "button.checkin")
        self.assertGreaterEqual(button.size["height"], 44)
        self.assertGreaterEqual(room.size["height"], 44)
        # Everything fits: nothing is wider than the window.
        self.assertLessEqual(
            self.driver.execute_script("return document.documentElement.scrollWidth"), width)
        self.assertLessEqual(button.location["x"] + button.size["width"], width)
        button.click()
        self.assertIn("checked in in the room at", self.desk_message())
        record = self.call("AttendanceService", "GetAttendanceCounts",
                           attendance_pb2.GetAttendanceCountsRequest(event_id=self.event.id),
                           attendance_pb2.AttendanceCounts)
        self.assertTrue(any(d.date == self.today and d.counts.checked_in_in_person >= 1
                            for d in record.days))
        # A walk-in (the event allows them). The API takes walk-ins in the
        # room only, so the form offers no online choice that would fail.
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "form.walkin button[data-mode]"), [])
        self.driver.find_element(By.ID, "walkin-name").send_keys("Walk-in Person")
        self.driver.find_element(By.CSS_SELECTOR, "form.walkin button.checkin").click()
        self.wait_for(lambda: "Walk-in Person" in
                      self.driver.find_element(By.ID, "desk-message").text,
                      message="walk-in recorded")
        self.assertLessEqual(
            self.driver.execute_script("return document.documentElement.scrollWidth"), width)
        # The answer scrolled into view above the walk-in form.
        self.assertTrue(self.driver.execute_script(
            "const r = document.getElementById('desk-message').getBoundingClientRect();"
            "return r.top >= 0 && r.bottom <= window.innerHeight;"))
        self.screenshot()

    def test_roles_decide_what_the_pages_show(self):
        # A check-in token: the desk finds people by name, shows no e-mail,
        # checks in with the mode of their registration (no toggle: only
        # organisers move a seat), and offers no attendance CSV.
        self.sign_in(self.tokens["checkin"])
        self.open("/events", "#open-id")  # limited to one event: open by id
        self.open(f"/events/{self.event.id}/desk", "#desk-search")
        self.assertEqual(self.driver.find_element(By.ID, "desk-search").get_attribute("placeholder"),
                         "Name or id")
        card = self.desk_find("Sanne")[0]
        self.assertIn("Sanne de Vries", card.text)
        self.assertEqual(card.find_elements(By.CSS_SELECTOR, "button[data-mode]"), [])
        card.find_element(By.CSS_SELECTOR, "button.checkin").click()
        self.assertIn("checked in online at", self.desk_message())
        self.assertNotIn("@example.org", self.driver.page_source)
        self.screenshot(self._testMethodName + "-checkin")
        # An integration token: counts, but no desk and no names.
        self.driver.delete_all_cookies()
        self.sign_in(self.tokens["integration"])
        self.open(f"/events/{self.event.id}/desk", ".error")
        self.assertIn("may not check people in", self.driver.find_element(By.ID, "app").text)
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}']")
        self.assertNotIn("Nikos", self.driver.find_element(By.ID, "app").text)
        self.assertEqual(self.driver.find_elements(By.LINK_TEXT, "Attendance CSV"), [])
        self.assertEqual(self.driver.find_elements(By.LINK_TEXT, "Desk"), [])
        self.screenshot(self._testMethodName + "-integration")
        # Signing out ends the session: the pages ask to sign in again.
        self.driver.find_element(By.CSS_SELECTOR, "form.signout button").click()
        self.wait_for(lambda: self.driver.current_url.endswith("/signin"), message="signed out")
        self.driver.get(self.base + f"/events/{self.event.id}/live")
        self.assertTrue(self.driver.current_url.endswith("/signin"), self.driver.current_url)

    def test_second_day_of_an_event_in_another_zone(self):
        # An organiser in Los Angeles follows a three-day event in Kiribati
        # (UTC+14) on its second day there. "Today" is the venue's day,
        # which the check-in windows follow: the desk works on it, and the
        # live page says which of the days it is.
        venue_zone, viewer_zone = "Pacific/Kiritimati", "America/Los_Angeles"
        today = datetime.datetime.now(zoneinfo.ZoneInfo(venue_zone)).date()
        first, last = today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)
        event = self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-kiribati", event=calendar_pb2.Event(
                title="Pacific exchange (web test)", community="CoP2", city="Tarawa",
                format=common_pb2.EVENT_FORMAT_HYBRID, time_zone=venue_zone,
                start_local=f"{first}T00:00", end_local=f"{last}T23:00",
                venue=calendar_pb2.Venue(name="Hall", in_person_capacity=10),
                online=calendar_pb2.OnlineAccess(platform="Zoom", online_capacity=10))),
            calendar_pb2.Event)
        self.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="web-kiribati-reg", mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
            participant=common_pb2.Participant(participant_id="tarawa-1", display_name="Teaiwa Tebano")),
            attendance_pb2.Registration)
        self.driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": viewer_zone})
        self.addCleanup(self.driver.execute_cdp_cmd, "Emulation.setTimezoneOverride", {"timezoneId": ""})
        self.sign_in()
        self.assertEqual(self.driver.execute_script(
            "return Intl.DateTimeFormat().resolvedOptions().timeZone"), viewer_zone)
        self.open(f"/events/{event.id}/desk", "#desk-day")
        day = self.driver.find_element(By.ID, "desk-day")
        self.assertEqual(day.get_attribute("value"), today.isoformat())
        card = self.desk_find("Teaiwa")[0]
        card.find_element(By.CSS_SELECTOR, "button.checkin").click()
        self.assertIn("checked in in the room at", self.desk_message())
        self.open(f"/events/{event.id}/live", f"section[data-day='{today}']")
        self.wait_for(lambda: "live" in self.driver.find_element(By.ID, "live-status").text,
                      message="the live stream connected")
        # Read in one script: the page rebuilds its tables on updates.
        marked = self.driver.execute_script("""
            const days = (css) => [...document.querySelectorAll(css)].map((e) => e.dataset.day);
            const h2 = document.querySelector("section.day[aria-current='date'] h2");
            return [days("section.day[aria-current='date']"), days("#days-table tr[aria-current='date']"),
                    h2 ? h2.textContent : null];""")
        self.assertEqual(marked[0], [today.isoformat()])
        self.assertEqual(marked[1], [today.isoformat()])
        self.assertIn("today", marked[2])
        # The status line's time is the viewer's clock, and says so.
        self.assertIn(viewer_zone, self.driver.find_element(By.ID, "live-status").text)
        self.screenshot()

    # Every control's accessible name as a screen reader gets it: its
    # aria-label, the text of its <label for>, or its own text.
    UNNAMED_CONTROLS = """
        const name = (c) => (c.getAttribute('aria-label') ||
            (c.id && [...document.querySelectorAll('label')].filter((l) => l.htmlFor === c.id)
                                                              .map((l) => l.textContent).join(' ')) ||
            (c.tagName === 'BUTTON' ? c.textContent : '')).trim();
        return [...document.querySelectorAll('input:not([type=hidden]), select, button, textarea')]
            .filter((c) => !name(c)).map((c) => c.outerHTML.slice(0, 120));"""

    def test_keyboard_and_labels(self):
        # Staff at the door with a keyboard (or a screen reader): every
        # control has a name, each person's check-in button says whose it
        # is, and a check-in works from the keyboard alone.
        self.register("kbd-rasa", "Rasa Kazlauskienė", common_pb2.ATTENDANCE_MODE_IN_PERSON)
        self.sign_in()
        self.open(f"/events/{self.event.id}/desk", "#desk-search")
        self.desk_find("Rasa")
        self.assertEqual(self.driver.execute_script(self.UNNAMED_CONTROLS), [])
        names = [b.get_attribute("aria-label") or b.text for b in
                 self.driver.find_elements(By.CSS_SELECTOR, "#desk-results button.checkin")]
        self.assertEqual(names, ["Check in Rasa Kazlauskienė"])
        modes = self.driver.find_element(By.CSS_SELECTOR, "#desk-results .modes")
        self.assertEqual((modes.get_attribute("role"), modes.get_attribute("aria-label")),
                         ("group", "Mode for Rasa Kazlauskienė"))
        # The search has the focus; Tab walks to the card's controls.
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "desk-search")
        for _ in range(6):
            self.driver.switch_to.active_element.send_keys(Keys.TAB)
            if "checkin" in (self.driver.switch_to.active_element.get_attribute("class") or ""):
                break
        focused = self.driver.switch_to.active_element
        self.assertEqual(focused.get_attribute("aria-label"), "Check in Rasa Kazlauskienė")
        focused.send_keys(Keys.ENTER)
        self.assertIn("Rasa Kazlauskienė checked in in the room", self.desk_message())
        # The live page: its status is announced when it changes.
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}']")
        status = self.driver.find_element(By.ID, "live-status")
        self.assertEqual((status.get_attribute("role"), status.get_attribute("aria-live")),
                         ("status", "polite"))
        self.assertEqual(self.driver.execute_script(self.UNNAMED_CONTROLS), [])
        self.open("/events", "#open-id")
        self.assertEqual(self.driver.execute_script(self.UNNAMED_CONTROLS), [])
        self.screenshot()

    def test_live_page_of_an_in_person_event_offers_no_online_places(self):
        # An in-person workshop has no online capacity (0 in the API), which
        # is not "no limit": the page must not invite anyone online.
        event = self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-in-person-only", event=calendar_pb2.Event(
                title="Study visit (web test)", community="CoP3", city="Gent",
                format=common_pb2.EVENT_FORMAT_IN_PERSON, time_zone="UTC",
                start_local=f"{self.today}T00:00", end_local=f"{self.today}T23:00",
                venue=calendar_pb2.Venue(name="Stadhuis", in_person_capacity=12))),
            calendar_pb2.Event)
        self.sign_in()
        self.open(f"/events/{event.id}/live", f"section[data-day='{self.today}']")
        # Read in one script each: the page rebuilds its tables on updates.
        text = lambda css: self.driver.execute_script(
            "const c = document.querySelector(arguments[0]); return c ? c.textContent : null;", css)
        cell = lambda mode: text(
            f"section[data-day='{self.today}'] tr[data-mode='{mode}'] td[data-field='capacity']")
        self.assertEqual(cell("in_person"), "12")
        self.assertEqual(cell("online"), "not offered")
        self.assertEqual(text(f"#days-table tr[data-day='{self.today}'] td:last-child"), "12 / not offered")
        self.screenshot()

    def test_live_page_when_convene_web_restarts(self):
        # Sessions live in convene-web's memory: after a restart the live
        # page says it is reconnecting while it is away, then sends the
        # organiser to sign in again, saying why, rather than going on
        # with numbers nobody updates.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        stops = []
        self.addCleanup(lambda: [stop(*args) for stop, *args in stops])  # if it fails first
        self.start_web(f"--listen=127.0.0.1:{port}", cleanup=lambda *a: stops.append(a))
        base, self.base = self.base, f"http://127.0.0.1:{port}"
        self.addCleanup(setattr, self, "base", base)
        self.sign_in()
        self.open(f"/events/{self.event.id}/live", f"section[data-day='{self.today}']")
        self.wait_for(lambda: "live" in self.driver.find_element(By.ID, "live-status").text,
                      message="the live stream connected")
        stop, *args = stops.pop()
        stop(*args)
        self.wait_for(lambda: "reconnecting" in self.driver.find_element(By.ID, "live-status").text,
                      timeout=5, message="the page says it is reconnecting")
        self.start_web(f"--listen=127.0.0.1:{port}", cleanup=self.addCleanup)
        self.wait_for(lambda: self.driver.current_url.endswith("/signin?error=expired"), timeout=40,
                      message="sent to sign in again")
        self.assertIn("Your session ended", self.driver.find_element(By.CSS_SELECTOR, ".error").text)
        self.screenshot()

    # Runs before the page's own script (injected by the browser, so the
    # CSP does not apply): the page's clock, movable with __moveClock(ms).
    MOVABLE_CLOCK = """
        (() => {
          const Real = Date;
          let offset = 0;
          window.__moveClock = (ms) => { offset += ms; };
          class Moved extends Real {
            constructor(...a) { if (a.length) { super(...a); } else { super(Real.now() + offset); } }
            static now() { return Real.now() + offset; }
          }
          window.Date = Moved;
        })();"""

    def test_live_page_left_open_overnight_marks_the_new_day(self):
        # A live page on a screen in the venue stays open overnight and
        # nothing changes until the first arrival: it must not keep marking
        # yesterday as today.
        tomorrow = (datetime.date.fromisoformat(self.today) + datetime.timedelta(days=1)).isoformat()
        script = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                             {"source": self.MOVABLE_CLOCK})
        self.addCleanup(self.driver.execute_cdp_cmd, "Page.removeScriptToEvaluateOnNewDocument",
                        {"identifier": script["identifier"]})
        self.sign_in()
        self.open(f"/events/{self.event.id}/live", f"section.day.today[data-day='{self.today}']")
        now = datetime.datetime.now(datetime.timezone.utc)
        morning = datetime.datetime.combine(datetime.date.fromisoformat(tomorrow), datetime.time(8, 0),
                                            datetime.timezone.utc)
        self.driver.execute_script("__moveClock(arguments[0])", int((morning - now).total_seconds() * 1000))

        def today_marked():
            return self.driver.execute_script(
                "return [...document.querySelectorAll('section.day.today')].map((s) => s.dataset.day)")
        self.wait_for(lambda: today_marked() == [tomorrow], timeout=20,
                      message=f"the live page marks {tomorrow} as today (marks {today_marked()})")

    def test_desk_left_open_overnight_checks_in_for_the_new_day(self):
        # The desk laptop stays open from the evening of day 1 to the
        # morning of day 2. With the default 12 h check-in margin the
        # services still accept day 1 in the morning, so a desk that kept
        # its first "today" would count everyone on the wrong day.
        tomorrow = (datetime.date.fromisoformat(self.today) + datetime.timedelta(days=1)).isoformat()
        self.register("overnight-1", "Ilse Nachtegaal", common_pb2.ATTENDANCE_MODE_IN_PERSON)
        script = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                             {"source": self.MOVABLE_CLOCK})
        self.addCleanup(self.driver.execute_cdp_cmd, "Page.removeScriptToEvaluateOnNewDocument",
                        {"identifier": script["identifier"]})
        self.sign_in()
        self.open(f"/events/{self.event.id}/desk", "#desk-day")
        day = self.driver.find_element(By.ID, "desk-day")
        self.assertEqual(day.get_attribute("value"), self.today)
        # The next morning on the venue's clock (UTC here).
        now = datetime.datetime.now(datetime.timezone.utc)
        morning = datetime.datetime.combine(datetime.date.fromisoformat(tomorrow), datetime.time(8, 0),
                                            datetime.timezone.utc)
        self.driver.execute_script("__moveClock(arguments[0])", int((morning - now).total_seconds() * 1000))
        # What the desk posts, as it leaves the page.
        self.driver.execute_script("""
            const post = window.fetch;
            window.__posted = [];
            window.fetch = (url, init) => {
              if (init && init.body) window.__posted.push(init.body);
              return post(url, init);
            };""")
        card = self.desk_find("Nachtegaal")[0]
        card.find_element(By.CSS_SELECTOR, "button.checkin").click()
        # Nothing is posted for the day the card showed: the desk moves to
        # the new day and asks to check in again.
        self.assertIn(f"the desk is now on {tomorrow}", self.desk_message())
        self.assertEqual(self.driver.execute_script("return window.__posted"), [])
        def click_again():
            # The search for the new day replaces the cards meanwhile.
            try:
                self.driver.find_element(
                    By.CSS_SELECTOR, "#desk-results .person[data-participant='overnight-1'] button.checkin").click()
                return True
            except (NoSuchElementException, StaleElementReferenceException):
                return False
        self.wait_for(click_again, message="the card again")
        self.wait_for(lambda: self.driver.execute_script("return window.__posted.length") == 1,
                      message="the check-in posted")
        bodies = self.driver.execute_script("return window.__posted")
        self.assertEqual(len(bodies), 1, bodies)
        self.assertIn(f"day={tomorrow}", bodies[0])
        self.assertEqual(self.driver.find_element(By.ID, "desk-day").get_attribute("value"), tomorrow)
        self.assertIn(f"{tomorrow} (today)", self.driver.find_element(By.ID, "desk-day").text)
        self.screenshot()

    def test_a_refused_walk_in_keeps_what_was_typed(self):
        # The room is full: the walk-in is refused, and staff must not have
        # to type the person's details again once a seat frees up.
        event = self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-full-room", event=calendar_pb2.Event(
                title="Full room (web test)", community="CoP1", city="Gent",
                format=common_pb2.EVENT_FORMAT_IN_PERSON, time_zone="UTC", allow_walk_ins=True,
                start_local=f"{self.today}T00:00", end_local=f"{self.today}T23:00",
                venue=calendar_pb2.Venue(name="Small room", in_person_capacity=1))),
            calendar_pb2.Event)
        self.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
            event_id=event.id, request_id="web-full-room-reg", mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
            participant=common_pb2.Participant(participant_id="seated-1", display_name="Seated Person")),
            attendance_pb2.Registration)
        self.sign_in()
        self.open(f"/events/{event.id}/desk", "#walkin-name")
        self.driver.find_element(By.ID, "walkin-name").send_keys("Maarten Wachter")
        self.driver.find_element(By.ID, "walkin-org").send_keys("Stad Gent")
        self.driver.find_element(By.CSS_SELECTOR, "form.walkin button.checkin").click()
        self.assertIn("the room is full", self.desk_message())
        self.assertEqual(self.driver.find_element(By.ID, "walkin-name").get_attribute("value"), "Maarten Wachter")
        self.assertEqual(self.driver.find_element(By.ID, "walkin-org").get_attribute("value"), "Stad Gent")
        self.screenshot()

    def test_events_and_agenda_pages(self):
        self.sign_in()
        self.open("/events", f"article[data-event='{self.event.id}']")
        card = self.driver.find_element(By.CSS_SELECTOR, f"article[data-event='{self.event.id}']")
        self.assertIn(f"{self.today} 00:00", card.text)  # the venue's time
        self.assertIn("Your time:", card.text)
        city = self.driver.find_element(By.ID, "filter-city")
        city.find_element(By.CSS_SELECTOR, "option[value='Thessaloniki']").click()
        self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, f"article[data-event='{self.event.id}']"))
        self.screenshot(self._testMethodName + "-events")
        self.open(f"/events/{self.event.id}", "section.day")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "section.day")), 2)
        self.assertTrue(self.driver.find_elements(By.LINK_TEXT, "iCalendar (.ics)"))
        self.screenshot(self._testMethodName + "-agenda")

    def test_events_list_continues_past_one_answer(self):
        # A calendar larger than one answer: the rest is one click away, each
        # event once, and never silently left out.
        for n in (1, 2):
            self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
                request_id=f"web-e2e-more-{n}", event=calendar_pb2.Event(
                    title=f"CoP2 webinar {n} (more events)", community="CoP2", city="Utrecht",
                    time_zone="Europe/Amsterdam", format=common_pb2.EVENT_FORMAT_ONLINE,
                    start_local=f"2031-0{n}-10T10:00", end_local=f"2031-0{n}-10T12:00",
                    online=calendar_pb2.OnlineAccess(join_url="https://meet.example.org/cop2"))),
                calendar_pb2.Event)
        everyone = self.call("CalendarService", "ListEvents",
                             calendar_pb2.ListEventsRequest(page_size=500), calendar_pb2.ListEventsResponse)
        self.assertGreaterEqual(len(everyone.events), 3)
        port, _ = self.start_web("--events_per_answer=2", cleanup=self.addCleanup)
        self.base = f"http://127.0.0.1:{port}"
        opener, _ = self.http_session()
        status, _, body = self.http("/api/events", opener=opener)
        self.assertEqual(status, 200, body)
        first = json.loads(body)
        self.assertEqual(len(first["events"]), 2)
        self.assertTrue(first["next_page_token"])
        status, _, body = self.http("/api/events?page_token=made-up", opener=opener)
        self.assertEqual(status, 400, body)
        self.assertIn("page_token", body)

        self.sign_in()
        self.open("/events", "article.event")
        for _ in range(len(everyone.events)):  # bounded: one click per event at most
            more = self.driver.find_element(By.ID, "more-events")
            if not more.is_displayed():
                break
            shown = len(self.driver.find_elements(By.CSS_SELECTOR, "article.event"))
            more.click()
            self.wait_for(lambda: not more.is_enabled() or len(self.driver.find_elements(
                By.CSS_SELECTOR, "article.event")) > shown or not more.is_displayed(), message="more events")
            self.wait_for(lambda: more.is_enabled(), message="the button back")
        self.assertFalse(self.driver.find_element(By.ID, "more-events").is_displayed())
        shown = [a.get_attribute("data-event")
                 for a in self.driver.find_elements(By.CSS_SELECTOR, "article.event")]
        self.assertEqual(sorted(shown), sorted(e.id for e in everyone.events))
        city = self.driver.find_element(By.ID, "filter-city")
        self.assertTrue(city.find_elements(By.CSS_SELECTOR, "option[value='Utrecht']"))
        self.screenshot()

    def test_desk_search_says_when_it_stopped_short(self):
        # The desk reads at most --desk_search_limit registrations and shows
        # at most 30 people: past either it says so, and never "nobody
        # matches" for someone it did not reach.
        event = self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-e2e-short", event=calendar_pb2.Event(
                title="CoP3 workshop (a full room)", city="Turin", time_zone="Europe/Rome",
                format=common_pb2.EVENT_FORMAT_IN_PERSON, start_local="2031-05-12T09:00",
                end_local="2031-05-12T17:00",
                venue=calendar_pb2.Venue(name="Torino Incontra", in_person_capacity=100))),
            calendar_pb2.Event)
        for i in range(33):
            self.call("AttendanceService", "Register", attendance_pb2.RegisterRequest(
                event_id=event.id, request_id=f"web-short-{i}", mode=common_pb2.ATTENDANCE_MODE_IN_PERSON,
                participant=common_pb2.Participant(participant_id=f"torino-{i:02d}",
                                                   display_name=f"Partecipante {i:02d}")),
                attendance_pb2.Registration)

        def people(opener, query):
            status, _, body = self.http(f"/api/events/{event.id}/people?q=" + urllib.parse.quote(query),
                                        opener=opener)
            self.assertEqual(status, 200, body)
            return json.loads(body)
        opener, _ = self.http_session()
        everyone = people(opener, "partecipante")
        self.assertEqual(len(everyone["registrations"]), 30)
        self.assertTrue(everyone["more_matches"])
        last = people(opener, "partecipante 32")
        self.assertEqual([r["participant"]["participant_id"] for r in last["registrations"]], ["torino-32"])
        self.assertEqual((last["more_matches"], last["searched_all"]), (False, True))

        port, _ = self.start_web("--desk_search_limit=10", cleanup=self.addCleanup)
        self.base = f"http://127.0.0.1:{port}"
        opener, _ = self.http_session()
        short = people(opener, "partecipante 32")
        self.assertEqual(short["registrations"], [])
        self.assertEqual((short["searched_all"], short["searched"]), (False, 10))
        self.sign_in()
        self.open(f"/events/{event.id}/desk", "#desk-search")
        search = self.driver.find_element(By.ID, "desk-search")
        search.send_keys("partecipante 32")
        hint = self.wait_for(lambda: self.driver.find_element(By.ID, "desk-results").get_attribute(
            "data-query") == "partecipante 32" and self.driver.find_elements(By.ID, "desk-partial"),
            message="the desk says it searched only part")
        self.assertIn("first 10 registrations", hint[0].text)
        self.assertNotIn("Nobody registered matches", self.driver.find_element(By.ID, "desk-results").text)
        self.screenshot()

    def test_agenda_marks_ends_on_a_later_day(self):
        # The browser runs in UTC; the venue in Athens (UTC+3 in June).
        event = self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-e2e-overnight", event=calendar_pb2.Event(
                title="CoP1 summer school", city="Thessaloniki", time_zone="Europe/Athens",
                format=common_pb2.EVENT_FORMAT_IN_PERSON, start_local="2031-06-10T09:00",
                end_local="2031-06-11T18:00", venue=calendar_pb2.Venue(name="Thessaloniki City Hall"),
                sessions=[calendar_pb2.Session(id="social", title="Evening social",
                                               start_local="2031-06-10T22:00",
                                               end_local="2031-06-11T01:00"),
                          calendar_pb2.Session(id="late", title="Night walk",
                                               start_local="2031-06-11T02:30",
                                               end_local="2031-06-11T03:30")])),
            calendar_pb2.Event)
        self.sign_in()
        self.open(f"/events/{event.id}", "section.day")
        items = {li.find_element(By.TAG_NAME, "strong").text:
                 (li.find_element(By.CSS_SELECTOR, ".venue-time").text,
                  li.find_element(By.CSS_SELECTOR, ".viewer-time").text)
                 for li in self.driver.find_elements(By.CSS_SELECTOR, "li.item")}
        self.assertEqual(items["Evening social"], ("22:00–01:00 (+1d)", "19:00–22:00 yours"))
        self.assertEqual(items["Night walk"], ("02:30–03:30", "23:30–00:30 yours (2031-06-10) (+1d)"))
        self.screenshot()
        # A day without sessions runs from the event's opening to its
        # closing hour, as invitations say; one that runs to the next
        # midnight (a night-long event) ends at 24:00, not "00:00 (+1d)".
        night = self.call("CalendarService", "CreateEvent", calendar_pb2.CreateEventRequest(
            request_id="web-e2e-night", event=calendar_pb2.Event(
                title="CoP1 hackathon", city="Thessaloniki", time_zone="Europe/Athens",
                format=common_pb2.EVENT_FORMAT_IN_PERSON, start_local="2031-07-01T20:00",
                end_local="2031-07-03T02:00", venue=calendar_pb2.Venue(name="OK!Thess"))),
            calendar_pb2.Event)
        self.open(f"/events/{night.id}", "section.day")
        self.assertEqual([t.text for t in self.driver.find_elements(By.CSS_SELECTOR, "li.item .venue-time")],
                         ["20:00–24:00", "20:00–24:00", "00:00–02:00"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
