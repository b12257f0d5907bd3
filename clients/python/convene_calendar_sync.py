#!/usr/bin/env python3
"""Keeps an iCalendar (.ics) file current with Convene's calendar.

A calendar integration built on Debian's python3-grpcio and the Python
modules the build generates from proto/ (<build>/python):

  * the first run lists every event (ListEvents, paged) and remembers the
    first page's sync_token;
  * later runs follow the change feed from the saved token
    (ListEventChanges) and re-export only the events that changed;
  * the file is the server's own ExportICalendar text, one export per event,
    merged into one VCALENDAR: the VEVENTs verbatim, one VTIMEZONE per zone
    holding the union of the observances the exports gave. Cancelled events
    stay in the file with STATUS:CANCELLED, as the server exports them;
  * a sync token the server refuses with FAILED_PRECONDITION (too old, or
    of another feed: another deployment, or this one before its Redis was
    wiped) triggers a full resync; one that is not a token at all
    (INVALID_ARGUMENT: a damaged state file) is an error: pass --full;
  * an event whose export fails on its own (OUT_OF_RANGE past the answer's
    size bound, say) is named on stderr and retried every round until it
    syncs; the others sync meanwhile, and the exit code is 3;
  * every call carries "authorization: Bearer <token>", the bearer token read
    from the first line of --auth_token_file FILE, else from $CONVENE_TOKEN
    (an integration, organizer or admin token for every event). The token is
    never printed or logged.

    python3 convene_calendar_sync.py --server 127.0.0.1:50051 --ics out.ics \
        [--auth_token_file FILE] [--state state.json] \
        [--once | --watch [--interval S] [--max_rounds N]] \
        [--sync_token T] [--full] [--python_path <build>/python]

--sync_token is a change-feed position, not a credential; the old name
--token is refused with a pointer to --sync_token (and to --auth_token_file,
since every other Convene client's --token is the bearer token).

The state file (default: <ics>.state.json) keeps the sync token and each
event's exported components, so an incremental run needs no full export.
The .ics file is written before the state file, both atomically (temporary
file + os.replace): a crash in between only makes the next run apply the
same changes again, which changes nothing.

As a module: load_modules(), CalendarClient and Synchronizer are the pieces
the program is made of.
"""
import argparse
import datetime
import json
import os
import signal
import sys
import tempfile
import time

PROG = "convene_calendar_sync"
TOKEN_ENV = "CONVENE_TOKEN"
STATE_VERSION = 1
CRLF = "\r\n"

# Used only while no export has given the server's own VCALENDAR properties
# (a calendar with no events at all).
DEFAULT_HEADER = ["VERSION:2.0", "PRODID:-//Convene//convene_calendar_sync//EN",
                  "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]

_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PYTHON_PATH = os.environ.get(
    "CONVENE_PYTHON_PATH", os.path.normpath(os.path.join(_HERE, "..", "..", "build", "python")))


class SyncError(Exception):
    """A failure the program reports as one line on stderr (exit code 1)."""


class TokenExpired(Exception):
    """The server no longer keeps the changes after the sync token."""


# With --watch, a round failing with these is reported and the next round
# runs; other failures (a refused token, a damaged state) end the program.
TRANSIENT_CODES = ("UNAVAILABLE", "DEADLINE_EXCEEDED")

# A round that synced every event but these exits with this code (--once,
# or the last round of --watch --max_rounds): the file holds the rest.
EXIT_EVENTS_NOT_SYNCED = 3


class AuthError(SyncError):
    """The server refused the call's credentials: UNAUTHENTICATED (no token,
    or one it does not know, revoked or expired) or PERMISSION_DENIED (the
    token's role or scope does not allow the call). The message says how to
    give a token; it never contains the token."""

    def __init__(self, code, method, details, token_source=None, server=None):
        self.code, self.method, self.details = code, method, details
        self.token_source, self.server = token_source, server
        where = f" from {server}" if server else ""
        if code == "UNAUTHENTICATED" and not token_source:
            hint = (f"the server requires a bearer token: pass --auth_token_file FILE "
                    f"or set {TOKEN_ENV}")
        elif code == "UNAUTHENTICATED":
            hint = (f"the server does not accept the bearer token from {token_source} "
                    f"(unknown, revoked or expired): pass a valid one with "
                    f"--auth_token_file FILE or {TOKEN_ENV}")
        else:
            hint = (f"the bearer token from {token_source or 'nowhere'} may not call "
                    f"{method}: pass --auth_token_file FILE or set {TOKEN_ENV} to a token "
                    "with role integration, organizer or admin, for every event")
        super().__init__(f"{code}{where} on {method} ({details}): {hint}")


def _valid_bearer_token(token):
    """What gRPC metadata and the server's "Bearer <token>" accept: printable
    ASCII without spaces."""
    return bool(token) and all(33 <= ord(c) <= 126 for c in token)


def read_auth_token(auth_token_file=None, environ=None):
    """The bearer token and where it came from ("--auth_token_file F" or
    "$CONVENE_TOKEN"), or (None, None) when neither gives one. The file wins
    over the environment; its first line, stripped, is the token. Errors are
    SyncErrors that never quote the file's content."""
    environ = os.environ if environ is None else environ
    if auth_token_file is not None:
        source = f"--auth_token_file {auth_token_file}"
        try:
            with open(auth_token_file, "rb") as f:
                first = f.readline()
        except OSError as e:
            raise SyncError(f"cannot read {source}: {e.strerror or e}") from None
        try:
            token = first.decode("ascii").strip()
        except UnicodeDecodeError:
            token = None
        if token == "":
            raise SyncError(f"{source} is empty: its first line must be the bearer token")
        if not _valid_bearer_token(token):
            raise SyncError(f"the first line of {source} is not a bearer token "
                            "(printable ASCII, no spaces, no 'Bearer ' prefix)")
        return token, source
    token = environ.get(TOKEN_ENV, "").strip()
    if not token:
        return None, None
    source = f"${TOKEN_ENV}"
    if not _valid_bearer_token(token):
        raise SyncError(f"{source} is not a bearer token (printable ASCII, no spaces, "
                        "no 'Bearer ' prefix)")
    return token, source


# ------------------------------------------------------------------ modules

class Modules:
    """grpc and the generated modules, imported once the path is known."""

    def __init__(self, grpc, calendar_pb2, calendar_pb2_grpc):
        self.grpc = grpc
        self.calendar_pb2 = calendar_pb2
        # Service stubs from grpc_python_plugin when the build made them
        # (clients/python/CMakeLists.txt); None: grpcio's generic calls.
        self.calendar_pb2_grpc = calendar_pb2_grpc


def load_modules(python_path=DEFAULT_PYTHON_PATH):
    """Imports grpcio and convene.v1.calendar_pb2 from python_path (one folder
    or several joined by os.pathsep)."""
    for folder in reversed([p for p in python_path.split(os.pathsep) if p]):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        import grpc
    except ImportError as e:
        raise SyncError(f"cannot import grpc ({e}): install Debian's python3-grpcio") from e
    try:
        from convene.v1 import calendar_pb2
    except ImportError as e:
        raise SyncError(
            f"cannot import convene.v1.calendar_pb2 from {python_path} ({e}): build it with "
            "'cmake --build build --target convene_python_proto' or pass --python_path "
            "<build>/python") from e
    try:
        from convene.v1 import calendar_pb2_grpc
    except ImportError:
        calendar_pb2_grpc = None
    return Modules(grpc, calendar_pb2, calendar_pb2_grpc)


# ------------------------------------------------------------------ client

class CalendarClient:
    """The CalendarService calls a calendar integration needs, typed, with a
    deadline per call and UNAVAILABLE retried with exponential backoff (the
    service answers UNAVAILABLE while Redis is unreachable or the server is
    restarting; every call here is a read, so a retry is always safe).

    With a token, every call sends "authorization: Bearer <token>";
    token_source says where it came from in error messages. UNAUTHENTICATED
    and PERMISSION_DENIED raise AuthError (a SyncError)."""

    # method -> (request type, response type)
    _METHODS = {
        "GetEvent": ("GetEventRequest", "Event"),
        "ListEvents": ("ListEventsRequest", "ListEventsResponse"),
        "ListEventChanges": ("ListEventChangesRequest", "ListEventChangesResponse"),
        "ExportICalendar": ("ExportICalendarRequest", "ExportICalendarResponse"),
    }

    def __init__(self, channel, modules, timeout=10.0, retries=4, backoff=0.5,
                 max_backoff=8.0, log=None, sleep=time.sleep, token=None, token_source=None,
                 server=None):
        self.m = modules
        if token is not None and not _valid_bearer_token(token):
            raise SyncError("the bearer token is not printable ASCII without spaces")
        # Kept only inside the call metadata, never in a message.
        self._metadata = (("authorization", "Bearer " + token),) if token else None
        self.token_source = (token_source or "the caller") if token else None
        self.server = server
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.log = log or (lambda message: None)
        self.sleep = sleep
        pb2 = modules.calendar_pb2
        if modules.calendar_pb2_grpc is not None:
            stub = modules.calendar_pb2_grpc.CalendarServiceStub(channel)
            self._calls = {name: getattr(stub, name) for name in self._METHODS}
            self.transport = "generated stubs"
        else:
            self._calls = {
                name: channel.unary_unary(
                    f"/convene.v1.CalendarService/{name}",
                    request_serializer=getattr(pb2, req).SerializeToString,
                    response_deserializer=getattr(pb2, resp).FromString)
                for name, (req, resp) in self._METHODS.items()}
            self.transport = "generic calls"

    def _call(self, name, request):
        grpc = self.m.grpc
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return self._calls[name](request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                if e.code() in (grpc.StatusCode.UNAUTHENTICATED,
                                grpc.StatusCode.PERMISSION_DENIED):
                    raise AuthError(_status(e.code()), name, " ".join(str(e.details() or "").split()),
                                    self.token_source, self.server) from None
                if e.code() != grpc.StatusCode.UNAVAILABLE or attempt == self.retries:
                    raise
                self.log(f"{name}: UNAVAILABLE ({e.details()}); retry {attempt + 1}/"
                         f"{self.retries} in {delay:g} s")
                self.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        raise AssertionError("unreachable")

    def get_event(self, event_id):
        return self._call("GetEvent", self.m.calendar_pb2.GetEventRequest(event_id=event_id))

    def list_events(self, page_token="", page_size=500):
        """One page of every event, cancelled ones too, in start order."""
        return self._call("ListEvents", self.m.calendar_pb2.ListEventsRequest(
            page_size=page_size, page_token=page_token))

    def list_event_changes(self, sync_token, page_size=1000):
        return self._call("ListEventChanges", self.m.calendar_pb2.ListEventChangesRequest(
            sync_token=sync_token, page_size=page_size))

    def export_event(self, event_id):
        """RFC 5545 text of one event (cancelled ones as STATUS:CANCELLED)."""
        return self._call("ExportICalendar", self.m.calendar_pb2.ExportICalendarRequest(
            event_id=event_id, include_cancelled=True))


# ------------------------------------------------------------------ iCalendar text

def _lines(text):
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _unfolded(lines):
    """Content lines with RFC 5545 folding undone."""
    out = []
    for line in lines:
        if line[:1] in (" ", "\t") and out:
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def _property(lines, name):
    """The value of the first property called name in lines, or None."""
    for line in _unfolded(lines):
        head, _, value = line.partition(":")
        if head.split(";", 1)[0].upper() == name:
            return value
    return None


def _components(lines):
    """Splits lines into (own property lines, [(NAME, lines incl. BEGIN/END)])
    one level down. BEGIN and END lines are short, never folded."""
    own, children, depth, current, name = [], [], 0, [], None
    for line in lines:
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            if depth == 0:
                name, current = upper[6:], []
            depth += 1
        if depth > 0:
            current.append(line)
        else:
            own.append(line)
        if upper.startswith("END:") and depth > 0:
            depth -= 1
            if depth == 0:
                children.append((name, current))
    if depth != 0:
        raise ValueError("unbalanced BEGIN/END")
    return own, children


def _observance_onset(block):
    """UTC onset of a STANDARD/DAYLIGHT block: its DTSTART is local time in
    the TZOFFSETFROM offset (RFC 5545 3.8.2.4)."""
    start = datetime.datetime.strptime(_property(block, "DTSTART"), "%Y%m%dT%H%M%S")
    offset = _property(block, "TZOFFSETFROM")
    sign = -1 if offset.startswith("-") else 1
    seconds = int(offset[1:3]) * 3600 + int(offset[3:5]) * 60 + int(offset[5:7] or 0)
    return (start - datetime.timedelta(seconds=sign * seconds)).isoformat()


def parse_export(text):
    """Splits one ExportICalendar answer into the VCALENDAR's own properties,
    its VTIMEZONEs ({tzid: {"head": [lines], "observances": [block text]}})
    and its VEVENTs ([block text])."""
    lines = _lines(text)
    if not lines or lines[0].upper() != "BEGIN:VCALENDAR" or lines[-1].upper() != "END:VCALENDAR":
        raise ValueError("not a VCALENDAR")
    header, children = _components(lines[1:-1])
    timezones, vevents = {}, []
    for name, block in children:
        if name == "VTIMEZONE":
            head, subs = _components(block[1:-1])
            tzid = _property(head, "TZID")
            timezones[tzid] = {"head": head,
                               "observances": [CRLF.join(sub) for _, sub in subs]}
        elif name == "VEVENT":
            vevents.append(CRLF.join(block))
        else:
            raise ValueError(f"unexpected component {name}")
    return header, timezones, vevents


def render_calendar(header, records):
    """One VCALENDAR from the per-event records: every VTIMEZONE once with the
    union of its observances in onset order, then the VEVENTs by event start."""
    zones = {}
    for record in records.values():
        for tzid, tz in record["timezones"].items():
            zone = zones.setdefault(tzid, {"head": tz["head"], "observances": {}})
            for block in tz["observances"]:
                zone["observances"].setdefault(block, _observance_onset(_lines(block)))
    out = ["BEGIN:VCALENDAR", *header]
    for tzid in sorted(zones):
        zone = zones[tzid]
        out += ["BEGIN:VTIMEZONE", *zone["head"]]
        out += _without_repeats(sorted(zone["observances"],
                                       key=lambda b: (zone["observances"][b], b)))
        out.append("END:VTIMEZONE")
    for event_id in sorted(records, key=lambda i: (records[i]["start"], i)):
        out += records[event_id]["vevents"]
    out.append("END:VCALENDAR")
    return CRLF.join(out) + CRLF


def _without_repeats(blocks):
    """Observance blocks in onset order without those that change nothing
    from the one before: an export starts a zone that has not changed its
    clocks for over a year with such a block (the offset in force), and one
    export of all the events gives it once, not once per event."""
    def says(block):
        lines = _lines(block)
        return (lines[0].upper(), _property(lines, "TZOFFSETTO"), _property(lines, "TZNAME"))
    out, last = [], None
    for block in blocks:
        lines = _lines(block)
        kept = says(block)
        if not (last == kept and _property(lines, "TZOFFSETFROM") == kept[1]):
            out.append(block)
        last = kept
    return out


def write_atomically(path, data):
    """Writes data next to path, then renames it over path: readers see the
    old file or the new one, never half of one."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# ------------------------------------------------------------------ sync

def _newest_rules(events):
    """The newest tz database version events were derived with ("2027a"; ""
    when none says). Versions are a year and letters, so they sort as text."""
    return max((e.tzdata_version for e in events), default="")


def _status(code):
    return code.name if hasattr(code, "name") else str(code)


class Synchronizer:
    """Keeps ics_path current from a CalendarClient, with its state in
    state_path ({"version", "sync_token", "header", "events"})."""

    def __init__(self, client, ics_path, state_path, log=print, warn=None):
        self.client = client
        self.m = client.m
        self.ics_path = ics_path
        self.state_path = state_path
        self.log = log
        self.warn = warn or (lambda message: print(message, file=sys.stderr, flush=True))
        self.state = self._load_state()

    def _load_state(self):
        try:
            with open(self.state_path, encoding="utf-8") as f:
                state = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise SyncError(f"cannot read state file {self.state_path}: {e}; "
                            "delete it or run with --full") from e
        if (not isinstance(state, dict) or state.get("version") != STATE_VERSION
                or not isinstance(state.get("sync_token"), str)
                or not isinstance(state.get("events"), dict)
                or not isinstance(state.get("pending", {}), dict)):
            raise SyncError(f"state file {self.state_path} is not a version {STATE_VERSION} "
                            "state of this program; delete it or run with --full")
        return state

    def _save(self, token, header, records, tzdata_version, pending):
        """The .ics first, then the state: the state never runs ahead."""
        write_atomically(self.ics_path, render_calendar(header, records))
        state = {"version": STATE_VERSION, "sync_token": token, "header": header,
                 "events": records, "tzdata_version": tzdata_version, "pending": pending}
        write_atomically(self.state_path, json.dumps(state, ensure_ascii=False, indent=1) + "\n")
        self.state = state

    def _export(self, event):
        """The per-event record: exported components plus what orders them."""
        reply = self.client.export_event(event.id)
        try:
            header, timezones, vevents = parse_export(reply.calendar)
        except (ValueError, TypeError, AttributeError) as e:
            raise SyncError(f"ExportICalendar of {event.id} is not a calendar this program "
                            f"can merge: {e}") from e
        record = {"revision": event.revision,
                  "status": self.m.calendar_pb2.EventStatus.Name(event.status),
                  "title": event.title,
                  "start": event.start_time.ToJsonString(),
                  "timezones": timezones, "vevents": vevents}
        return header, record

    def _export_each(self, events, header, records, pending, stale):
        """Exports each event into records. One event's failure (an export
        past the answer's size bound, OUT_OF_RANGE; a deadline; a text this
        program cannot merge) must not hold back every other event: it is
        reported, kept in `pending` with its revision and error so that the
        next round exports it again even when the feed has nothing new for
        it, and the file keeps what `stale` had for it (its previous
        version), if anything. Failures that every call would meet (the
        server unreachable after the retries, the token refused) end the
        round. Returns the header and the ids that failed."""
        grpc = self.m.grpc
        failed = []
        for event in events:
            try:
                header, records[event.id] = self._export(event)
                pending.pop(event.id, None)
                continue
            except AuthError:
                raise
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.UNAVAILABLE:
                    raise
                if e.code() == grpc.StatusCode.NOT_FOUND:
                    records.pop(event.id, None)
                    pending.pop(event.id, None)
                    self.log(f"{PROG}: event {event.id} is gone; removed from {self.ics_path}")
                    continue
                error = f"{_status(e.code())}: {' '.join(str(e.details() or '').split())}"
            except SyncError as e:
                error = " ".join(str(e).split())
            failed.append(event.id)
            pending[event.id] = {"revision": event.revision, "title": event.title, "error": error}
            if event.id in stale:
                records[event.id] = stale[event.id]
                kept = (f"{self.ics_path} keeps its revision {stale[event.id]['revision']}")
            else:
                records.pop(event.id, None)
                kept = f"it is not in {self.ics_path}"
            self.warn(f"{PROG}: warning: event {event.id} ({event.title!r}, revision "
                      f"{event.revision}) not synced: ExportICalendar failed with {error}; "
                      f"{kept}; retried next round")
        return header, failed

    def _not_synced(self, failed):
        return (f"; {len(failed)} event{'s' if len(failed) != 1 else ''} not synced "
                f"({', '.join(failed)}), retried next round" if failed else "")

    def full_sync(self, reason="", keep_stale=True):
        """Lists every event, exports each, and starts the feed at the first
        page's sync_token (changes made while paging come again from the
        feed; revisions tell which are new)."""
        events, token, page_token = [], None, ""
        while True:
            page = self.client.list_events(page_token=page_token)
            if token is None:
                token = page.sync_token
            events.extend(page.events)
            page_token = page.next_page_token
            if not page_token:
                break
        # An event whose export fails keeps its previous version in the
        # file, unless the tz rules changed: its VTIMEZONEs would contradict
        # those of every event exported under the new rules.
        stale = dict(self.state["events"]) if self.state and keep_stale else {}
        header = list(DEFAULT_HEADER)
        records, pending = {}, {}
        header, failed = self._export_each(events, header, records, pending, stale)
        self._save(token, header, records, _newest_rules(events), pending)
        vevents = sum(len(r["vevents"]) for r in records.values())
        self.log(f"{PROG}: full sync{reason}: {len(records)} events ({vevents} VEVENTs) "
                 f"written to {self.ics_path}; sync token {token}{self._not_synced(failed)}")
        return {"mode": "full", "events": len(records), "changes": 0, "sync_token": token,
                "failed": failed}

    def incremental_sync(self, token, given=False):
        """Applies the changes after token (given: by the caller, not the
        state file); raises TokenExpired."""
        grpc = self.m.grpc
        changes, next_token = [], token
        while True:
            try:
                page = self.client.list_event_changes(next_token)
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.FAILED_PRECONDITION:
                    raise TokenExpired(e.details()) from e
                if e.code() == grpc.StatusCode.INVALID_ARGUMENT and given:
                    raise SyncError(
                        f"the server rejects --sync_token {token!r} (INVALID_ARGUMENT: "
                        f"{e.details()}): pass a sync token this program or the server "
                        "printed, or '' for the whole feed") from e
                if e.code() == grpc.StatusCode.INVALID_ARGUMENT:
                    raise SyncError(
                        f"the server rejects sync token {token!r} from {self.state_path} "
                        f"(INVALID_ARGUMENT: {e.details()}); the state file is damaged: "
                        "run with --full to resync") from e
                raise
            changes.extend(page.changes)
            next_token = page.next_sync_token or next_token
            if not page.has_more:
                break

        # Each record keeps the VTIMEZONEs of its own export, and an event a
        # tz rules change did not move is not exported again: its
        # observances would contradict those of the events it moved. A change
        # made under newer rules than the state's exports were is the sign.
        # No version saved (an older state, or a calendar that had no event):
        # no export in the file was made under other rules than the changes'.
        saved_rules = self.state.get("tzdata_version", "") if self.state else ""
        rules = _newest_rules(change.event for change in changes)
        if saved_rules and rules > saved_rules:
            self.log(f"{PROG}: changes made with tzdata {rules}, the file with "
                     f"{saved_rules}; exporting every event again")
            return self.full_sync(f" (tz rules changed: tzdata {saved_rules} -> {rules})",
                                  keep_stale=False)
        rules = max(rules, saved_rules)
        records = dict(self.state["events"]) if self.state else {}
        header = self.state.get("header", list(DEFAULT_HEADER)) if self.state else list(DEFAULT_HEADER)
        latest, applied, counts = {}, 0, {}
        for change in changes:
            known = records.get(change.event_id, {}).get("revision", 0)
            if change.revision <= known:
                continue  # seen already (a full sync overlaps the feed)
            applied += 1
            kind = self.m.calendar_pb2.EventChangeType.Name(change.type)
            kind = kind.replace("EVENT_CHANGE_TYPE_", "").lower()
            counts[kind] = counts.get(kind, 0) + 1
            if change.revision >= latest.get(change.event_id, (0, None))[0]:
                latest[change.event_id] = (change.revision, change.event)
        pending = dict(self.state.get("pending", {})) if self.state else {}
        before = json.dumps(pending, sort_keys=True)
        events = [event for _, event in latest.values()]
        # Events whose export failed in an earlier round are exported again
        # though the feed has nothing new for them: the sync token moved on.
        for event_id in sorted(set(pending) - set(latest)):
            try:
                events.append(self.client.get_event(event_id))
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                pending.pop(event_id)
                records.pop(event_id, None)
                self.log(f"{PROG}: event {event_id} is gone; removed from {self.ics_path}")
        header, failed = self._export_each(events, header, records, pending, dict(records))

        if (applied or next_token != token or rules != saved_rules
                or json.dumps(pending, sort_keys=True) != before
                or not os.path.exists(self.ics_path)):
            self._save(next_token, header, records, rules, pending)
        detail = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        skipped = len(changes) - applied
        self.log(f"{PROG}: incremental sync: applied {applied} changes"
                 f"{' (' + detail + ')' if detail else ''}"
                 f"{f', skipped {skipped} already applied' if skipped else ''}"
                 f"; sync token {token} -> {next_token}{self._not_synced(failed)}")
        return {"mode": "incremental", "events": len(records), "changes": applied,
                "sync_token": next_token, "failed": failed}

    def sync(self, token=None, full=False):
        """One round: full when asked or without a state, else incremental
        from token (default: the saved one), full again if it expired."""
        given = token is not None
        if token is None and self.state is not None:
            token = self.state["sync_token"]
        if full or token is None:
            return self.full_sync(" (requested)" if full else " (no saved state)")
        try:
            return self.incremental_sync(token, given=given)
        except TokenExpired as e:
            self.log(f"{PROG}: sync token {token} expired ({e}); resyncing in full")
            return self.full_sync(" (token expired)")


# ------------------------------------------------------------------ program

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description="Keep an .ics file current with Convene's calendar "
        "(ListEvents once, then ListEventChanges from the saved sync token).")
    p.add_argument("--server", default="127.0.0.1:50051",
                   help="CalendarService address, HOST:PORT (default %(default)s)")
    p.add_argument("--auth_token_file", metavar="FILE",
                   help=f"file whose first line is the bearer token sent with every call "
                   f"(default: ${TOKEN_ENV}); a token with role integration, organizer or admin")
    p.add_argument("--ics", required=True, help="the iCalendar file to keep current")
    p.add_argument("--state", help="state file (sync token, exported events); "
                   "default <ics>.state.json")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one round, then exit (default)")
    mode.add_argument("--watch", action="store_true", help="a round every --interval seconds")
    p.add_argument("--interval", type=float, default=30.0,
                   help="seconds between rounds with --watch (default %(default)s)")
    p.add_argument("--max_rounds", type=int, default=0,
                   help="with --watch, stop after this many rounds (0: never)")
    p.add_argument("--sync_token", metavar="T",
                   help="follow the change feed from this sync token instead of the saved one "
                   "(a feed position, not a credential)")
    # The old name of --sync_token, refused: elsewhere in Convene --token is
    # the bearer token, and a bearer token taken for a sync token would end
    # up in messages.
    p.add_argument("--token", dest="renamed_token", help=argparse.SUPPRESS)
    p.add_argument("--full", action="store_true", help="resync in full, whatever the state says")
    p.add_argument("--python_path", default=DEFAULT_PYTHON_PATH,
                   help="where the generated convene/v1/*_pb2.py are (default %(default)s)")
    p.add_argument("--timeout", type=float, default=10.0, help="deadline per call, seconds")
    p.add_argument("--retries", type=int, default=4,
                   help="retries of a call that fails with UNAVAILABLE (default %(default)s)")
    p.add_argument("--backoff", type=float, default=0.5,
                   help="first retry delay, seconds; doubles each retry (default %(default)s)")
    args = p.parse_args(argv)
    if args.renamed_token is not None:
        # Never echo the value: it may be a bearer token.
        p.error("--token was renamed --sync_token (a change-feed position); the bearer "
                f"token goes in --auth_token_file FILE or ${TOKEN_ENV}")
    if args.sync_token is not None and args.sync_token.startswith("cvt_"):
        p.error("--sync_token takes a change-feed position, and this looks like a bearer "
                f"token: pass that with --auth_token_file FILE or ${TOKEN_ENV}")
    if args.interval <= 0 or args.max_rounds < 0 or args.retries < 0 or args.timeout <= 0:
        p.error("--interval and --timeout must be > 0, --max_rounds and --retries >= 0")
    if args.state is None:
        args.state = args.ics + ".state.json"
    return args


class _Stop(Exception):
    pass


def _on_signal(signum, frame):
    raise _Stop()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)

    secret = []  # the bearer token, once read: scrubbed from anything printed

    def scrub(message):
        for s in secret:
            message = message.replace(s, "<bearer token>")
        return message

    def log(message):
        print(scrub(message), flush=True)

    def warn(message):
        print(scrub(message), file=sys.stderr, flush=True)

    def fail(message):
        print(scrub(f"{PROG}: error: {message}"), file=sys.stderr, flush=True)
        return 1

    channel = None
    try:
        token, token_source = read_auth_token(args.auth_token_file)
        if token:
            secret.append(token)
        modules = load_modules(args.python_path)
        grpc = modules.grpc
        # Reconnect about as fast as the call retries back off, so a server
        # that comes back is found by the next retry.
        channel = grpc.insecure_channel(args.server, options=[
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.initial_reconnect_backoff_ms", max(int(args.backoff * 1000), 100)),
            ("grpc.max_reconnect_backoff_ms", 4000)])
        client = CalendarClient(channel, modules, timeout=args.timeout, retries=args.retries,
                                backoff=args.backoff, log=log, token=token,
                                token_source=token_source, server=args.server)
        syncer = Synchronizer(client, args.ics, args.state, log=log, warn=warn)
        if args.watch:
            signal.signal(signal.SIGTERM, _on_signal)
            signal.signal(signal.SIGINT, _on_signal)
        rounds, sync_token, full = 0, args.sync_token, args.full
        while True:
            try:
                result = syncer.sync(token=sync_token, full=full)
                sync_token, full = None, False  # later rounds follow the saved state
            except grpc.RpcError as e:
                # A watcher outlives a server restart or a Redis failover
                # longer than the call retries: the round changed no file,
                # and the next one starts again from the saved state.
                if not args.watch or _status(e.code()) not in TRANSIENT_CODES:
                    raise
                result = {"failed_round": f"{_status(e.code())} from {args.server}: "
                                          f"{' '.join(str(e.details() or '').split())}"}
                warn(f"{PROG}: warning: round {rounds + 1} failed: {result['failed_round']}; "
                     f"the files are as they were; next round in {args.interval:g} s")
            rounds += 1
            if not args.watch or (args.max_rounds and rounds >= args.max_rounds):
                break
            time.sleep(args.interval)
        if "failed_round" in result:
            return fail(result["failed_round"])
        return EXIT_EVENTS_NOT_SYNCED if result.get("failed") else 0
    except _Stop:
        log(f"{PROG}: stopped")
        return 0
    except SyncError as e:
        return fail(e)
    except OSError as e:
        return fail(e)
    except Exception as e:  # grpc.RpcError and anything unexpected: one line
        code = getattr(e, "code", None)
        if callable(code):
            details = " ".join(str(e.details() or "").split())
            return fail(f"{_status(code())} from {args.server}: {details}")
        return fail(f"{type(e).__name__}: {' '.join(str(e).split())}")
    finally:
        if channel is not None:
            channel.close()


if __name__ == "__main__":
    sys.exit(main())
