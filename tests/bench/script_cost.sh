#!/usr/bin/env bash
# script_cost.sh: what one attendance function costs Redis, and where inside
# it the time goes. Loads attendance_lib.lua + attendance_<script>.lua as a
# function library into a private redis-server (unix socket, temp dir),
# drives it with redis-benchmark (N calls, 16 pipelined) and prints FCALL's
# microseconds per call from INFO commandstats, with the commands it ran.
# Then the same with the script cut short before each line in CUT_LINES
# ("do return 1 end" inserted there), so the differences show what each
# stretch of the script costs, and an empty function with the same
# arguments: the floor of the call itself. Each figure is the median of
# REPEAT runs (default 3). Measures; asserts nothing.
#
#   tests/bench/script_cost.sh register [N]
#   CUT_LINES="20 60 74 104 113 114" tests/bench/script_cost.sh register 40000
#   tests/bench/script_cost.sh checkin [N]     (a new in-person check-in each call)
#
# register: new two-day registrations (one day in person, one online) with
# six participant fields, as convene-bench's Register sends them. checkin:
# 1,000,000 registrations are written first (about 10 s), and each call
# checks a random one in for the first day; about 2% of calls are repeats.
set -euo pipefail
script="${1:?register or checkin}"
n="${2:-40000}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
scripts="$here/services/attendance/scripts"
work="$(mktemp -d /tmp/convene-script-cost-XXXXXX)"
sock="$work/redis.sock"
trap 'redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

start_redis() {
  redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true
  sleep 0.2
  redis-server --unixsocket "$sock" --port 0 --save "" --appendonly no --dir "$work" \
    --daemonize yes >/dev/null
  for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis-server did not start" >&2; exit 1
}

# A sheet of two hybrid days with the packed "rules" field, as sheet_put.lua writes it.
SHEET="redis.call('HSET', KEYS[1], 'revision', '1', 'days', '2026-12-07,2026-12-08',
  'format', 'hybrid', 'sessions', 's1@2026-12-07@hybrid,s2@2026-12-08@hybrid')
local f = {'check_in_windows','revision','cancelled','format','days','in_person_capacity',
  'online_capacity','walk_ins','sessions','removed_sessions'}
local v = redis.call('HMGET', KEYS[1], unpack(f))
local p = {}
for i = 1, #f do p[i] = v[i] and ('=' .. v[i]) or '' end
redis.call('HSET', KEYS[1], 'rules', table.concat(p, string.char(0)))"
REGISTRATIONS="for i = 0, 999999 do
  redis.call('HSET', 'r:p:' .. string.format('%012d', i), 'days',
    '2026-12-07=in_person=confirmed;2026-12-08=online=confirmed', 'city', 'Turin',
    'organisation', 'City of Turin', 'status', 'confirmed', 'revision', '1')
end"
# KEYS and the frame's ARGV as attendance_script_frame.h passes them.
FRAME=(6 s i c k q x r: w: p: ch 1000 1700000000000 fp)

# once BODY_FILE: loads the library with BODY_FILE as the function into a
# fresh redis-server, drives it, and prints FCALL's microseconds per call,
# then the commands it ran per call ("name calls x us").
once() {
  start_redis
  { printf '#!lua name=cost\n'; cat "$scripts/attendance_lib.lua"
    printf '\nredis.register_function{ function_name = "f", callback = function(KEYS, ARGV)\nbegin(KEYS, ARGV)\n'
    cat "$1"; printf '\nend }\n'; } > "$work/library.lua"
  redis-cli -s "$sock" -x FUNCTION LOAD < "$work/library.lua" >/dev/null
  redis-cli -s "$sock" EVAL "$SHEET" 1 s >/dev/null
  if [[ "$script" == checkin ]]; then redis-cli -s "$sock" EVAL "$REGISTRATIONS" 0 >/dev/null; fi
  redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
  if [[ "$script" == register ]]; then
    redis-benchmark -s "$sock" -n "$n" -P 16 -r 2000000000 -q FCALL f "${FRAME[@]}" \
      req:__rand_int__ p:__rand_int__ '2026-12-07=in_person;2026-12-08=online' in_person \
      display_name Ada email ada@example.org city Turin organisation 'City of Turin' \
      time_zone Europe/Rome language it >/dev/null 2>&1 ||
      echo "redis-benchmark stopped early (an error reply): figures over fewer calls" >&2
  else
    redis-benchmark -s "$sock" -n "$n" -P 16 -r 1000000 -q FCALL f "${FRAME[@]}" \
      req:__rand_int__ p:__rand_int__ 2026-12-07 '' in_person qr '' >/dev/null 2>&1 ||
      echo "redis-benchmark stopped early (an error reply): figures over fewer calls" >&2
  fi
  redis-cli -s "$sock" INFO commandstats | tr -d '\r' | grep '^cmdstat_' |
    grep -v 'config\|function\|eval\|ping' |
    awk -F'[:,=]' '
      $1 == "cmdstat_fcall" { fcall = $7; calls = $3; next }
      { c[$1] = $3; u[$1] = $7 }
      END {
        printf "%.2f", fcall
        for (k in c) if (calls > 0) printf " %s %.2fx%.2fus", substr(k, 9), c[k] / calls, u[k]
        printf "\n"
      }'
}

# measure BODY_FILE LABEL: REPEAT runs (default 3; the machine is shared and
# noisy), the median and range of FCALL's microseconds per call.
measure() {
  local values=() last=""
  for _ in $(seq "${REPEAT:-3}"); do
    last="$(once "$1")"
    values+=("${last%% *}")
  done
  printf '%-30s median %7.2f us per call (%s)   last run per call:%s\n' "$2" \
    "$(printf '%s\n' "${values[@]}" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')" \
    "$(printf '%s\n' "${values[@]}" | sort -n | paste -sd' ')" "${last#* }"
}

body="$scripts/attendance_$script.lua"
measure "$body" "$script (whole)"
for line in ${CUT_LINES:-}; do
  awk -v c="$line" 'NR == c { print "do return 1 end" } { print }' "$body" > "$work/cut.lua"
  measure "$work/cut.lua" "cut before line $line"
done
echo 'return 1' > "$work/empty.lua"
measure "$work/empty.lua" "empty function"
