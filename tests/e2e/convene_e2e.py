"""Helpers for end-to-end tests: a private redis-server and Convene binaries
started as real processes, talked to with Debian's python3-grpcio (a client
nobody in this project wrote).

Paths come from the environment that ctest sets:
  CONVENE_BUILD_DIR  the build tree (binaries, build/python for generated code)
"""
import datetime
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zoneinfo

BUILD_DIR = os.environ.get("CONVENE_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
_PY = os.path.join(BUILD_DIR, "python")
# The generated grpc/health and grpc/reflection modules cannot be imported as
# grpc.* (that name is grpcio's package), so their folders go on the path.
sys.path[:0] = [_PY, os.path.join(_PY, "grpc/health/v1"), os.path.join(_PY, "grpc/reflection/v1alpha")]

import grpc  # noqa: E402
import health_pb2  # noqa: E402
import reflection_pb2  # noqa: E402
from google.protobuf import timestamp_pb2  # noqa: E402

SERVICE_NAMES = [
    "convene.v1.CalendarService",
    "convene.v1.AttendanceService",
    "convene.v1.NotificationService",
]


UTC = datetime.timezone.utc


def local_instant(zone, local):
    """The aware datetime (UTC) of a wall-clock time "YYYY-MM-DDTHH:MM[:SS[.ffffff]]"
    in an IANA zone (the earlier instant of an hour that repeats; the tests
    name no time in a DST gap)."""
    dt = datetime.datetime.fromisoformat(local).replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return dt.astimezone(UTC)


def timestamp(instant):
    """A google.protobuf.Timestamp of an aware datetime."""
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(instant.astimezone(UTC))
    return ts


def local_timestamp(zone, local):
    """The Timestamp of a wall-clock time in an IANA zone (local_instant)."""
    return timestamp(local_instant(zone, local))


def day_span(event, date):
    """(start, end) of day `date` ("YYYY-MM-DD") of a convene.v1.Event as aware
    datetimes, as Event.check_in_margin defines a day: from the later of the
    event's start and the day's local 00:00 to the earlier of the event's end
    and the next local 00:00, in the event's time_zone. Check-ins for the day
    are accepted from check_in_margin before the start to check_in_margin
    after the end."""
    zone = zoneinfo.ZoneInfo(event.time_zone)
    day = datetime.date.fromisoformat(date)
    midnight = datetime.datetime.combine(day, datetime.time(), zone).astimezone(UTC)
    next_midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(),
                                              zone).astimezone(UTC)
    return (max(event.start_time.ToDatetime(UTC), midnight),
            min(event.end_time.ToDatetime(UTC), next_midnight))


def during_day(event, date, minutes=10):
    """A check-in time (Timestamp) `minutes` after day `date` of `event` starts:
    inside that day's check-in window whatever the event's margin."""
    start, end = day_span(event, date)
    return timestamp(min(start + datetime.timedelta(minutes=minutes), end))


def during_session(event, session_id, minutes=5):
    """A check-in time (Timestamp) `minutes` after the session starts (inside
    its day's check-in window)."""
    s = next(s for s in event.sessions if s.id == session_id)
    return timestamp(s.start_time.ToDatetime(UTC) + datetime.timedelta(minutes=minutes))


def decode_position(token):
    """(epoch, stream id) inside a change-feed position or sync token. Clients
    treat tokens as opaque; tests look inside to check their order and to make
    tokens the service never issued (storage/stream_position.h)."""
    import base64
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    version, epoch, stream_id = raw.split("|")
    assert version == "p1", raw
    return epoch, stream_id


def position_token(epoch, stream_id):
    import base64
    return base64.urlsafe_b64encode(f"p1|{epoch}|{stream_id}".encode()).decode().rstrip("=")


def stream_id_key(token):
    """A sort key that orders position tokens of one feed."""
    return tuple(int(part) for part in decode_position(token)[1].split("-"))


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate until it is truthy or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# Notification's reminder shards on a real cluster: spread over its three
# primaries (the services get --reminder_shards from ConveneProcess).
CLUSTER_REMINDER_SHARDS = 3


def reminder_shard_of(event_id, shards):
    """The reminder shard of an event: FNV-1a (32 bits) of its id modulo the
    shard count. Written here again, independently of keys.h, so that tests
    check where the services put each event's reminders."""
    if shards <= 1:
        return 0
    h = 2166136261
    for byte in event_id.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h % shards


def reminder_shard_key(name, shard):
    """Key `name` ("outbox", "due", "leases", ...) of reminder shard `shard`."""
    return f"cv:{{ntf}}:{name}" if shard == 0 else f"cv:{{ntf:{shard}}}:{name}"


# Lua for scripts that read a node's whole keyspace (tests that look for
# personal data left anywhere): each_key(visit) calls visit(k, values, type)
# for every key under cv: on the node, `values` being every value it holds,
# of any type (a stream's entries' fields and values), or nil for a type
# it does not read. A script is EACH_KEY_LUA followed by its own body.
EACH_KEY_LUA = """
local function each_key(visit)
  for _, k in ipairs(redis.call('KEYS', 'cv:*')) do
    local t = redis.call('TYPE', k).ok
    local values
    if t == 'string' then values = {redis.call('GET', k)}
    elseif t == 'hash' then values = redis.call('HGETALL', k)
    elseif t == 'set' then values = redis.call('SMEMBERS', k)
    elseif t == 'zset' then values = redis.call('ZRANGE', k, 0, -1)
    elseif t == 'list' then values = redis.call('LRANGE', k, 0, -1)
    elseif t == 'stream' then
      values = {}
      for _, e in ipairs(redis.call('XRANGE', k, '-', '+')) do
        for _, v in ipairs(e[2]) do values[#values + 1] = v end
      end
    end
    visit(k, values, t)
  end
end
"""


def eval_on_every_node(redis, script, *argv):
    """Runs `script` (no keys, ARGV `argv`) on every node of `redis` that
    holds keys (the one, or each primary of a cluster): each node's reply as
    redis-cli --raw prints it, in bytes."""
    return [subprocess.run(["redis-cli", *target, "--raw", "EVAL", script, "0", *argv],
                           capture_output=True, timeout=30, check=True).stdout
            for target in redis.node_targets()]


def RedisServer(extra_args=(), cluster=None):
    """The Redis a test runs against: a SingleRedisServer, or with
    CONVENE_TEST_REDIS_CLUSTER=3 in the environment (ctest's cluster3.*
    runs) and no special arguments, a RedisCluster of three primaries with a
    replica each, which the services reach as redis-cluster://."""
    if os.environ.get("CONVENE_TEST_REDIS_CLUSTER") == "3" and not extra_args and cluster is None:
        return RedisCluster()
    return SingleRedisServer(extra_args, cluster)


def free_loopback_ports(n, taken=()):
    """n distinct TCP ports on 127.0.0.1 that were free a moment ago: all are
    held open together while picked, so none is handed out twice."""
    held, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(s)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if port not in taken:
                ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


class RedisCluster:
    """A real Redis Cluster on loopback TCP: `primaries` redis-servers with
    `replicas` replicas each, joined by redis-cli --cluster create."""

    def __init__(self, primaries=3, replicas=1):
        self.dir = tempfile.mkdtemp(prefix="convene-e2e-cluster-")
        self.primaries = primaries
        count = primaries * (1 + replicas)
        picked = free_loopback_ports(2 * count)
        self.ports, self.bus_ports = picked[:count], picked[count:]
        self.replicas = replicas
        self.procs = []
        self.created = False

    @property
    def address(self):
        return "redis-cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports[:self.primaries])

    def cli_target(self):
        """redis-cli's arguments to reach the cluster (-c follows MOVED)."""
        return ["-c", "-p", str(self.ports[0])]

    def node_targets(self):
        """redis-cli's arguments for each primary, to scan every key."""
        return [["-p", str(p)] for p in self.ports[:self.primaries]]

    def cli(self, *args):
        """redis-cli in cluster mode (-c follows MOVED) on the first node."""
        return subprocess.run(["redis-cli", "-c", "-p", str(self.ports[0]), *args],
                              capture_output=True, text=True, timeout=10).stdout

    def _launch(self, port, bus_port):
        """Starts a cluster-enabled node on `port` (loopback only) and waits for
        PING. Started again after stop(), a node keeps its nodes.conf (its
        place in the cluster) but not its data, like a restarted SingleRedisServer."""
        node_dir = os.path.join(self.dir, f"node-{len(self.procs)}")
        os.makedirs(node_dir, exist_ok=True)
        self.procs.append(subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", node_dir,
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
             "--cluster-port", str(bus_port), "--cluster-node-timeout", "2000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not wait_until(lambda: self._node(port, "PING").strip() == "PONG", 10):
            raise RuntimeError(f"redis-server on {port} did not answer PING")

    def start(self, slot_owner=None):
        """Starts the nodes and makes them one cluster. `slot_owner` (slot ->
        index of a primary; only without replicas) assigns the slots by hand
        instead of redis-cli's even ranges: a benchmark can give some hash
        tags a node of their own."""
        for port, bus_port in zip(self.ports, self.bus_ports):
            self._launch(port, bus_port)
        if self.created:
            # Again after stop(): the nodes find each other from nodes.conf.
            if not wait_until(self._all_ok, 30):
                raise RuntimeError("the restarted Redis Cluster did not reach cluster_state:ok")
            return
        self.created = True
        if slot_owner is not None:
            assert self.replicas == 0, "slot_owner assigns primaries only"
            owned = [[] for _ in self.ports]
            for slot in range(16384):
                owned[slot_owner(slot)].append(slot)
            for i, port in enumerate(self.ports):
                self._node(port, "CLUSTER", "SET-CONFIG-EPOCH", str(i + 1))
                ranges, first = [], None
                for slot in owned[i] + [None]:
                    if first is None:
                        first = last = slot
                    elif slot is not None and slot == last + 1:
                        last = slot
                    else:
                        ranges += [str(first), str(last)]
                        first = last = slot
                if ranges:
                    self._node(port, "CLUSTER", "ADDSLOTSRANGE", *ranges)
            for port, bus_port in zip(self.ports[1:], self.bus_ports[1:]):
                self._node(port, "CLUSTER", "MEET", "127.0.0.1", str(self.ports[0]),
                           str(self.bus_ports[0]))
            if not wait_until(self._all_ok, 30):
                raise RuntimeError("the Redis Cluster did not reach cluster_state:ok on every node")
            return
        if len(self.ports) == 1:
            # redis-cli --cluster create wants three primaries: one node
            # takes every slot itself.
            self._node(self.ports[0], "CLUSTER", "ADDSLOTSRANGE", "0", "16383")
            created = subprocess.CompletedProcess([], 0, "", "")
        else:
            created = subprocess.run(
                ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                 "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                capture_output=True, text=True, timeout=60)
        if created.returncode != 0:
            raise RuntimeError("redis-cli --cluster create failed: " + created.stdout + created.stderr)
        if not wait_until(self._all_ok, 30):
            raise RuntimeError("the Redis Cluster did not reach cluster_state:ok on every node")

    def add_spare_node(self):
        """Starts one more cluster-enabled node, not yet in the cluster; returns its port."""
        port, bus_port = free_loopback_ports(2, taken=set(self.ports) | set(self.bus_ports))
        self._launch(port, bus_port)
        return port

    def _node(self, port, *args):
        return subprocess.run(["redis-cli", "-p", str(port), *args],
                              capture_output=True, text=True, timeout=5).stdout

    def _all_ok(self):
        for port in self.ports:
            info = self._node(port, "CLUSTER", "INFO")
            if "cluster_state:ok" not in info or "cluster_slots_ok:16384" not in info:
                return False
            # A replica counts once it has synced: WAIT 1 needs it.
            replication = self._node(port, "INFO", "replication")
            if "role:slave" in replication and "master_link_status:up" not in replication:
                return False
        return True

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []

    kill = stop

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SingleRedisServer:
    """A private redis-server on a unix socket in a temporary directory.

    With CONVENE_TEST_REDIS_CLUSTER=1 in the environment (ctest's cluster.*
    runs) it is a Redis Cluster of one node owning every slot: anything a
    service sends across slots fails with CROSSSLOT, as on a real cluster."""

    def __init__(self, extra_args=(), cluster=None):
        self.dir = tempfile.mkdtemp(prefix="convene-e2e-redis-")
        self.socket = os.path.join(self.dir, "redis.sock")
        self.extra_args = list(extra_args)
        self.cluster = (os.environ.get("CONVENE_TEST_REDIS_CLUSTER") == "1"
                        if cluster is None else cluster)
        if self.cluster:
            # The cluster bus listens on TCP even with --port 0: loopback
            # only, on a port of its own so side-by-side tests do not collide.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                bus_port = s.getsockname()[1]
            self.extra_args += ["--cluster-enabled", "yes",
                                "--cluster-config-file", os.path.join(self.dir, "nodes.conf"),
                                "--cluster-port", str(bus_port), "--bind", "127.0.0.1"]
        self.proc = None

    @property
    def address(self):
        return "unix://" + self.socket

    def cli_target(self):
        """redis-cli's arguments to reach this server."""
        return ["-s", self.socket]

    def node_targets(self):
        """redis-cli's arguments for each node holding keys: this one."""
        return [self.cli_target()]

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.socket,
             "--unixsocketperm", "700", "--dir", self.dir, "--save", "",
             "--appendonly", "no", "--daemonize", "no", *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(self.ping, 10):
            raise RuntimeError("redis-server did not answer PING")
        if self.cluster and not wait_until(self._cluster_ok, 15):
            raise RuntimeError("the one-node Redis Cluster did not reach cluster_state:ok")

    def _cluster_ok(self):
        def cli(*args):
            return subprocess.run(["redis-cli", "-s", self.socket, *args],
                                  capture_output=True, text=True, timeout=5).stdout
        info = cli("CLUSTER", "INFO")
        if "cluster_slots_assigned:0" in info:  # fresh node; a restarted one keeps its slots
            cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        return "cluster_state:ok" in info

    def ping(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                s.connect(self.socket)
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ConveneProcess:
    """A Convene binary listening on 127.0.0.1 with a port it picked itself.
    Without authentication (--insecure) unless `secure`: the tests of the
    services' behaviour need no tokens; tests/e2e/auth_test.py tests the
    authentication itself."""

    def __init__(self, binary, redis_address, extra_args=(), secure=False):
        path = os.path.join(BUILD_DIR, "services", binary)
        if (redis_address.startswith("redis-cluster://")
                and os.path.basename(binary) in ("convened", "convene-notification")
                and not any(a.startswith("--reminder_shards") for a in extra_args)):
            extra_args = [*extra_args, f"--reminder_shards={CLUSTER_REMINDER_SHARDS}"]
        auth = [] if secure else ["--insecure"]
        # The log (stderr) goes to a file a test can read.
        self.log_file = tempfile.NamedTemporaryFile(prefix="convene-e2e-", suffix=".log",
                                                    delete=False)
        self.log_path = self.log_file.name
        self.proc = subprocess.Popen(
            [path, "--listen=127.0.0.1:0", "--redis=" + redis_address, *auth, *extra_args],
            stdout=subprocess.PIPE, stderr=self.log_file, text=True)
        self.port = None
        self.metrics_port = None  # with --metrics_listen=127.0.0.1:0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"metrics on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.metrics_port = int(m.group(1))
                continue
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError(f"{binary} did not report its port")
        self.target = f"127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.proc.stdout.close()
        self.log_file.close()
        return code

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def metrics(self):
        """{sample name with labels: value} from GET /metrics (the process
        must have been started with --metrics_listen=127.0.0.1:0)."""
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                    timeout=10) as reply:
            text = reply.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples


def unary(channel, service, method, request, response_type, timeout=5.0, metadata=None):
    """Calls /convene.v1.<service>/<method> with Python grpcio's generic API."""
    call = channel.unary_unary(
        f"/convene.v1.{service}/{method}",
        request_serializer=type(request).SerializeToString,
        response_deserializer=response_type.FromString)
    return call(request, timeout=timeout, metadata=metadata)


def wait_for_attendance(channel, event_id, revision, timeout=10.0, metadata=None):
    """Waits until attendance follows event `event_id` at `revision` or later
    (AttendanceCounts.event_revision): attendance takes calendar changes from
    the calendar's change stream, so a test that changes an event and then
    asserts on attendance waits here first, as a client told to read its own
    writes would. Returns the counts; fails with AssertionError on timeout."""
    from convene.v1 import attendance_pb2
    deadline = time.monotonic() + timeout
    while True:
        counts = unary(channel, "AttendanceService", "GetAttendanceCounts",
                       attendance_pb2.GetAttendanceCountsRequest(event_id=event_id),
                       attendance_pb2.AttendanceCounts, metadata=metadata)
        if counts.event_revision >= revision:
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"attendance still follows revision {counts.event_revision} "
                                 f"of {event_id} after {timeout} s, not {revision}")
        time.sleep(0.005)


def health_status(channel, service, timeout=2.0):
    """Returns the HealthCheckResponse status name, or the gRPC code name."""
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString)
    try:
        reply = check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    except grpc.RpcError as e:
        return e.code().name


def reflection_services(channel, timeout=5.0):
    """Lists the services the server names through reflection."""
    info = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    replies = info(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=timeout)
    names = []
    for reply in replies:
        names.extend(s.name for s in reply.list_services_response.service)
    return names


def start_authenticating_convened(cls, extra_args=()):
    """For a test class: a private redis-server and a convened with
    authentication on (and no rate limit, and extra_args), both stopped by
    class cleanups, which also run when setUpClass fails half-way (nothing
    left behind). Sets cls.redis, cls.server and cls.channel; returns an
    admin token made by convene-admin bootstrap-token."""
    cls.redis = RedisServer()
    cls.redis.start()
    cls.addClassCleanup(cls.redis.cleanup)
    cls.server = ConveneProcess("convened/convened", cls.redis.address, secure=True,
                                extra_args=["--rate_limit=0", *extra_args])
    cls.addClassCleanup(cls.server.stop, signal.SIGKILL)
    cls.channel = grpc.insecure_channel(cls.server.target)
    cls.addClassCleanup(cls.channel.close)
    return subprocess.run([os.path.join(BUILD_DIR, "services/admin/convene-admin"), "bootstrap-token",
                           "--redis=" + cls.redis.address],
                          capture_output=True, text=True, timeout=30, check=True).stdout.strip()


class ProcessesTestCase(unittest.TestCase):
    """A private redis-server per test and the Convene processes and channels
    the test starts on it, all stopped (SIGKILL) and closed afterwards."""

    spawn_args = ()  # passed to every process this test case spawns

    def setUp(self):
        self.redis = RedisServer()
        self.redis.start()
        self.procs = []
        self.channels = []

    def tearDown(self):
        for ch in self.channels:
            ch.close()
        for p in self.procs:
            if p.proc.poll() is None:
                p.stop(signal.SIGKILL)
        self.redis.cleanup()

    def spawn(self, binary, *args):
        p = ConveneProcess(binary, self.redis.address, (*self.spawn_args, *args))
        self.procs.append(p)
        return p

    def channel(self, proc):
        ch = grpc.insecure_channel(proc.target)
        self.channels.append(ch)
        return ch

    def redis_cli(self, *args):
        out = subprocess.run(["redis-cli", *self.redis.cli_target(), *args],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()

    @property
    def reminder_shards(self):
        """How many reminder shards the spawned notification services use."""
        return CLUSTER_REMINDER_SHARDS if isinstance(self.redis, RedisCluster) else 1

    def reminder_key(self, name, event_id):
        """Key `name` of the reminder shard holding `event_id`'s reminders."""
        return reminder_shard_key(name, reminder_shard_of(event_id, self.reminder_shards))

    def reminder_keys(self, name):
        """Key `name` of every reminder shard."""
        return [reminder_shard_key(name, k) for k in range(self.reminder_shards)]


class FreezableRelay:
    """A TCP relay on loopback to `target` (HOST:PORT) that can go silent
    without closing anything, as a network does that drops a laptop or a
    NAT entry: freeze() stops every byte both ways and leaves the sockets
    open; thaw() lets them through again. close() ends it. Use as .target."""

    def __init__(self, target):
        self._host, port = target.rsplit(":", 1)
        self._port = int(port)
        self._frozen, self._ended = threading.Event(), threading.Event()
        self._sockets = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.target = f"127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self):
        self._frozen.set()

    def thaw(self):
        """Lets the bytes held since freeze() through, and later ones."""
        self._frozen.clear()

    def close(self):
        self._ended.set()
        self._listener.close()
        for s in self._sockets:
            s.close()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    return
                while self._frozen.is_set() and not self._ended.is_set():
                    time.sleep(0.05)
                dst.sendall(data)
        except OSError:
            return

    def _accept(self):
        try:
            while not self._ended.is_set():
                client, _ = self._listener.accept()
                upstream = socket.create_connection((self._host, self._port))
                self._sockets.extend([client, upstream])
                threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        except OSError:
            return
