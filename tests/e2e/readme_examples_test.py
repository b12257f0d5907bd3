"""The README's examples, run as written against the run command's system.

The test starts `deploy/local/run.sh --no-build` (the Quick start's first
command, minus the install and build the test command has just done) on a
free loopback port with its state in a temporary folder, waits for the demo's
e-mails, then runs every fenced ```sh and ```python block of README.md, in
order, from a folder that looks like a clone after the Quick start: the
source tree's top-level entries, `build/` (the build under test) and `.run/`
(this system's). Two things are rewritten, both ports: `:50051` becomes the
run command's port and `:50443` (the TLS example's) another free one, and
`$CONVENE_SERVER` points the CLI at the same port. Nothing else is.

A block is skipped only when the line before it says why:
    <!-- readme-test: skip REASON -->         (a soak, a benchmark, the build itself)
    <!-- readme-test: needs grpcurl -->        (run when grpcurl is installed; it is
                                                not packaged in Debian 12, so otherwise
                                                every grpcurl call is checked against
                                                the live server's API instead: the method
                                                exists, and -d's JSON is its request)
Blocks without a language (sample output, diagrams) are not examples; a line
in one that starts with "$ " (a command to type) fails the test.
"""
import email
import email.policy
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import grpc

import convene_e2e as e2e

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CONVENE_BUILD_DIR", os.path.join(SOURCE, "build"))
sys.path.insert(0, os.path.join(BUILD, "python"))
from google.protobuf import json_format  # noqa: E402
from google.protobuf import symbol_database  # noqa: E402
from convene.v1 import admin_pb2, attendance_pb2, calendar_pb2, notification_pb2  # noqa: E402,F401

FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*readme-test:\s*(skip|needs grpcurl)\s*(.*?)\s*-->\s*$")


class Block:
    def __init__(self, line, language, text, directive, reason):
        self.line, self.language, self.text = line, language, text
        self.directive, self.reason = directive, reason

    def __repr__(self):
        return f"README.md:{self.line} ({self.language or 'text'})"


def readme_blocks(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, language, start = m.group(1), m.group(2), i + 1
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        before = next((lines[j] for j in range(start - 2, -1, -1) if lines[j].strip()), "")
        d = DIRECTIVE.match(before)
        blocks.append(Block(start, language, "\n".join(body) + "\n",
                            d.group(1) if d else None, d.group(2) if d else ""))
    return blocks


def grpcurl_calls(text):
    """Each grpcurl command of a shell block, as its argument list (a block
    that needs grpcurl holds grpcurl commands and comments only)."""
    calls = []
    for word in shlex.split(text, comments=True):
        if word == "grpcurl":
            calls.append([word])
        elif calls:
            calls[-1].append(word)
    return calls


class ReadmeExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port, cls.tls_port, cls.web_port = e2e.free_loopback_ports(3)
        cls.work = tempfile.mkdtemp(prefix="readme-")
        for entry in os.listdir(SOURCE):
            if entry not in ("build", ".run", ".git") and not entry.startswith("build-"):
                os.symlink(os.path.join(SOURCE, entry), os.path.join(cls.work, entry))
        os.symlink(BUILD, os.path.join(cls.work, "build"))
        cls.rundir = os.path.join(cls.work, ".run")
        env = dict(os.environ, CONVENE_BUILD_DIR=BUILD)
        env.pop("CONVENE_TOKEN", None)
        cls.run_out = open(os.path.join(cls.work, "run.out"), "w+")
        cls.system = subprocess.Popen(
            ["bash", os.path.join(SOURCE, "deploy/local/run.sh"), "--no-build",
             "--port", str(cls.port), "--web-port", str(cls.web_port), "--run-dir", cls.rundir],
            cwd=SOURCE, env=env, stdout=cls.run_out, stderr=subprocess.STDOUT,
            start_new_session=True)
        cls.summary = ""
        # The system runs in a session of its own; a test stopped from
        # outside (ctest's timeout sends SIGTERM) still stops it.
        signal.signal(signal.SIGTERM, lambda *_: (cls.tearDownClass(), os._exit(1)))

        def running():
            cls.run_out.seek(0)
            cls.summary = cls.run_out.read()
            if cls.system.poll() is not None:
                raise AssertionError(f"run.sh exited {cls.system.returncode}:\n{cls.summary}")
            return "Convene is running on" in cls.summary
        e2e.wait_until(running, 120)

    @classmethod
    def tearDownClass(cls):
        if cls.system.poll() is None:
            os.killpg(cls.system.pid, signal.SIGTERM)  # run.sh stops the services, then Redis
            try:
                cls.system.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(cls.system.pid, signal.SIGKILL)
                cls.system.wait()
        cls.run_out.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    def mails(self):
        folder = os.path.join(self.rundir, "mail")
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []

    def cli(self, *args):
        token = open(os.path.join(self.rundir, "admin-token")).read().strip()
        done = subprocess.run([os.path.join(BUILD, "clients/cli/convene"), f"--server=127.0.0.1:{self.port}",
                               f"--token={token}", "--tz=UTC", *args], capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr

    def test_0_run_command_starts_the_organisers_pages(self):
        url = f"http://127.0.0.1:{self.web_port}/"
        self.assertIn(f"organisers' pages (live attendance, check-in desk): {url}", self.summary)
        with urllib.request.urlopen(url + "signin", timeout=10) as page:
            self.assertEqual(page.status, 200)
            self.assertIn("token", page.read().decode().lower())

    def test_1_run_command_writes_the_demos_notices_and_reminders_as_eml_files(self):
        self.assertIn(f"e-mails (no SMTP server configured) are written as .eml files to {self.rundir}/mail/",
                      self.summary)
        ids = dict(re.findall(r"^  (\S+)\s+(ev_[0-9a-f]{16})$", self.summary, re.M))
        rerun, soon = ids["thessaloniki-rerun"], ids["webinar-soon"]
        rerun_people = {"torino-giulia", "paris-claire", "zagreb-ana", "sofia-ivan", "thess-nikos", "tampere-aino"}
        soon_people = {"torino-giulia", "sofia-ivan", "thess-nikos"}
        want = {f"{rerun}=2F{p}=2Fnotice-1" for p in rerun_people} | \
               {f"{soon}=2F{p}=2Fnotice-1" for p in soon_people} | \
               {f"{soon}=2F{p}=2Fevent-PT2M30S" for p in soon_people}

        def delivered():
            return {name.rsplit("=2F", 1)[0] for name in self.mails()} >= want
        # The webinar starts 3-4 minutes after loading; its reminder is due 150 s before.
        if not e2e.wait_until(delivered, 150, interval=1):
            self.fail(f"wanted {sorted(want)}, .run/mail/ has {self.mails()}; the service says:\n"
                      + "".join(self.cli("reminders", "notifications", e) for e in (rerun, soon)))
        kinds = {}
        for name in self.mails():
            with open(os.path.join(self.rundir, "mail", name), "rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            kinds[name.rsplit("=2F", 1)[0]] = message["X-Convene-Kind"]
            self.assertTrue(message.get_body(("plain",)).get_content().strip(), name)
        self.assertEqual({k for k in want if "notice" in k}, {k for k, v in kinds.items() if v == "confirmed"})
        self.assertEqual({k for k in want if "event-" in k}, {k for k, v in kinds.items() if v == "reminder"})

    def test_2_every_example_runs_as_written(self):
        # The reminders' e-mails first: the README's mail example lists them.
        self.test_1_run_command_writes_the_demos_notices_and_reminders_as_eml_files()
        blocks = readme_blocks(os.path.join(SOURCE, "README.md"))
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "HOME": os.environ.get("HOME", self.work),
            "LANG": "C.UTF-8",
            "CONVENE_SERVER": f"127.0.0.1:{self.port}",
        }
        grpcurl = shutil.which("grpcurl")
        if grpcurl:
            env["PATH"] = os.path.dirname(grpcurl) + ":" + env["PATH"]
        ran, skipped, failures = [], [], []
        for block in blocks:
            if block.language not in ("sh", "python"):
                for line in block.text.split("\n"):
                    if line.startswith("$ "):
                        failures.append(f"{block}: a command to type ({line!r}) in a block that is not ```sh")
                continue
            text = block.text.replace(":50051", f":{self.port}").replace(":50443", f":{self.tls_port}")
            if block.directive == "skip":
                if not block.reason:
                    failures.append(f"{block}: skipped without a reason")
                skipped.append(f"{block}: {block.reason}")
                continue
            if block.directive == "needs grpcurl" and not grpcurl:
                problems = self.check_grpcurl_calls(text)
                failures += [f"{block}: {p}" for p in problems]
                skipped.append(f"{block}: grpcurl is not installed; its calls were checked against the API")
                continue
            if block.language == "python":
                command = ["/usr/bin/python3", "-"]
            else:
                command = ["bash", "-e", "-o", "pipefail", "-s"]
            try:
                done = subprocess.run(command, input=text, cwd=self.work, env=env, capture_output=True,
                                      text=True, timeout=120)
            except subprocess.TimeoutExpired as timeout:
                failures.append(f"{block}: still running after 120 s\n{timeout.stdout}\n{timeout.stderr}")
                continue
            ran.append(str(block))
            if done.returncode != 0 or not done.stdout.strip():
                failures.append(f"{block}: exit {done.returncode}\n--- block:\n{text}--- stdout:\n"
                                f"{done.stdout[-3000:]}\n--- stderr:\n{done.stderr[-3000:]}")
        print(f"ran {len(ran)} blocks: {', '.join(ran)}")
        print("skipped:\n  " + "\n  ".join(skipped))
        # Nine blocks run today: far fewer means the fence parser broke, not the README.
        self.assertGreaterEqual(len(ran), 8)
        self.assertEqual([], failures, "\n\n".join(failures))

    def check_grpcurl_calls(self, text):
        """Without grpcurl: each call's method is on the live server (reflection)
        and its -d JSON parses as that method's request message."""
        problems = []
        channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        services = set(e2e.reflection_services(channel))
        pool = symbol_database.Default().pool
        calls = grpcurl_calls(text)
        if not calls:
            problems.append("marked 'needs grpcurl' but has no grpcurl call")
        for args in calls:
            positional = [a for i, a in enumerate(args[1:], 1)
                          if not a.startswith("-") and args[i - 1] not in ("-d", "-H")]
            if positional[-1] == "list":
                continue
            method_path = positional[-1]
            service, _, method = method_path.partition("/")
            if service not in services:
                problems.append(f"{method_path}: the server has no service {service}")
                continue
            if service.startswith("grpc."):
                continue
            if "-H" not in args or not any(a.startswith("authorization: Bearer ") for a in args):
                problems.append(f"{method_path}: no authorization header; every Convene call needs a token")
            try:
                descriptor = pool.FindServiceByName(service).FindMethodByName(method)
            except KeyError:
                problems.append(f"{method_path}: no such method")
                continue
            body = args[args.index("-d") + 1] if "-d" in args else "{}"
            request = symbol_database.Default().GetPrototype(descriptor.input_type)()
            try:
                json_format.Parse(body, request)
            except json_format.ParseError as error:
                problems.append(f"{method_path}: -d is not a {descriptor.input_type.full_name}: {error}")
        channel.close()
        return problems


if __name__ == "__main__":
    unittest.main(verbosity=2)
