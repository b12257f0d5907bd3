#!/usr/bin/env python3
"""Redis time of one GetAttendanceCounts of the attendance_regressions_test
case-q event (365 days, 60 online registrations with distinct 100-character
cities and 200-character organisations): the whole event and one day.

  CONVENE_BUILD_DIR=build python3 tests/e2e/attendance_counts_bench.py [rounds]

Bounded: 60 registrations, `rounds` (default 10, at most 50) reads of each
kind. Prints the counts FCALL's microseconds per call (INFO commandstats,
reset before each kind), its longest run in the SLOWLOG, and the RPC's wall
time. The whole event is more than one answer holds (OUT_OF_RANGE, as in
case q), but Redis does all the reading first, so it is measured too.
"""
import subprocess
import sys
import time
import unittest

import grpc

import attendance_regressions_test as R
from attendance_regressions_test import A, common_pb2, ONLINE


class Bench(R.AttendanceRegressionsTest):
    def cli(self, *args):
        return subprocess.run(["redis-cli", *self.redis.cli_target(), *args],
                              capture_output=True, text=True, timeout=30).stdout

    def read(self, ev, days):
        """The RPC's outcome: OK, OUT_OF_RANGE (more than one answer holds)
        or UNAVAILABLE (Redis did not answer within the client's limit)."""
        try:
            self.call("AttendanceService", "GetAttendanceCounts",
                      A.GetAttendanceCountsRequest(event_id=ev.id, days=days), A.AttendanceCounts)
            return "OK"
        except grpc.RpcError as e:
            if e.code() not in (grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNAVAILABLE):
                raise
            return e.code().name

    def measure(self, label, ev, days, rounds):
        # Warm: the first call of a function loads its library (one FCALL
        # answered "Function not found").
        self.read(ev, days)
        self.cli("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "100000")
        self.cli("SLOWLOG", "RESET")
        self.cli("CONFIG", "RESETSTAT")
        start = time.monotonic()
        outcomes = {}
        for _ in range(rounds):
            outcome = self.read(ev, days)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        wall = (time.monotonic() - start) / rounds
        stats = [line for line in self.cli("INFO", "commandstats").splitlines()
                 if line.startswith("cmdstat_fcall:")]
        entries = self.cli("SLOWLOG", "GET", "100000").split("\n\n")
        longest = max((int(e.split("\n")[2]) for e in entries
                       if "attendance_counts" in e and len(e.split("\n")) > 3), default=0)
        print(f"{label}: {stats[0] if stats else '?'}; slowlog longest {longest} us; "
              f"wall {wall * 1000:.1f} ms per RPC; {outcomes}", flush=True)

    def test_bench(self):
        rounds = min(int(sys.argv[1]) if len(sys.argv) > 1 else 10, 50)
        ev = self.create_event("bench-q", "2031-01-01", "2031-12-31",
                               fmt=common_pb2.EVENT_FORMAT_ONLINE)
        for i in range(60):
            self.register(ev, f"q{i}", mode=ONLINE, city=f"{i:03d}" + "c" * 97,
                          organisation=f"{i:03d}" + "o" * 197)
        self.measure("whole event", ev, [], rounds)
        self.measure("one day    ", ev, ["2031-06-01"], rounds)


if __name__ == "__main__":
    result = unittest.TextTestRunner(verbosity=1).run(unittest.TestSuite([Bench("test_bench")]))
    sys.exit(0 if result.wasSuccessful() else 1)
