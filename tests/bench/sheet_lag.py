"""How long a calendar change takes to reach attendance (the sheet follower's
lag): convened on a private redis-server; N times, UpdateEvent changes the
room capacity, then GetAttendanceCounts is polled until it follows the new
revision. Prints UpdateEvent's latency, the time until attendance follows,
and how often the very first read after UpdateEvent already followed it
(what a client that does not wait sees).

  /usr/bin/python3 tests/bench/sheet_lag.py [N]   (CONVENE_BUILD_DIR: the build)
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../e2e"))
import grpc  # noqa: E402
from google.protobuf import field_mask_pb2  # noqa: E402

from convene_e2e import ConveneProcess, RedisServer, unary  # noqa: E402
from convene.v1 import attendance_pb2 as A, calendar_pb2 as K  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    redis = RedisServer()
    redis.start()
    proc = ConveneProcess("convened/convened", redis.address)
    try:
        with grpc.insecure_channel(proc.target) as ch:
            ev = unary(ch, "CalendarService", "CreateEvent", K.CreateEventRequest(
                request_id="lag-bench", event=K.Event(
                    title="Lag probe", format=1, time_zone="Europe/Athens",
                    start_local="2031-03-15T09:00", end_local="2031-03-15T17:00",
                    venue=K.Venue(name="Thessaloniki city hall", address="Vas. Georgiou 1",
                                  city="Thessaloniki", in_person_capacity=10))), K.Event)
            counts = A.GetAttendanceCountsRequest(event_id=ev.id)
            unary(ch, "AttendanceService", "GetAttendanceCounts", counts, A.AttendanceCounts)
            lags, updates, first_read_followed = [], [], 0
            revision = ev.revision
            for i in range(n):
                called = time.monotonic()
                updated = unary(ch, "CalendarService", "UpdateEvent", K.UpdateEventRequest(
                    event=K.Event(id=ev.id, venue=K.Venue(in_person_capacity=11 + i % 5)),
                    update_mask=field_mask_pb2.FieldMask(paths=["venue.in_person_capacity"]),
                    expected_revision=revision), K.Event)
                answered = time.monotonic()
                updates.append((answered - called) * 1000)
                revision = updated.revision
                reads = 0
                while True:
                    c = unary(ch, "AttendanceService", "GetAttendanceCounts", counts,
                              A.AttendanceCounts)
                    reads += 1
                    if c.event_revision >= revision:
                        break
                    if time.monotonic() - answered > 10:
                        raise SystemExit(f"revision {revision} not followed after 10 s")
                lags.append((time.monotonic() - answered) * 1000)
                first_read_followed += reads == 1
            lags.sort()
            updates.sort()
            print(f"UpdateEvent latency (the calendar answers once attendance follows): "
                  f"median {statistics.median(updates):.2f} ms, p99 {updates[int(0.99 * (n - 1))]:.2f} ms")
            print(f"sheet lag after UpdateEvent's answer, {n} updates: "
                  f"median {statistics.median(lags):.2f} ms, p99 {lags[int(0.99 * (n - 1))]:.2f} ms, "
                  f"max {lags[-1]:.2f} ms (each includes one GetAttendanceCounts round trip)")
            print(f"the first read after UpdateEvent already followed the new revision: "
                  f"{first_read_followed} of {n}")
    finally:
        proc.stop()
        redis.cleanup()


if __name__ == "__main__":
    main()
