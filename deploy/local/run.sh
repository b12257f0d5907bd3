#!/usr/bin/env bash
# The run command: installs what is missing, builds, starts a private
# redis-server on a unix socket (unless --redis is given), the Convene
# services and the organisers' pages (convene-web, :8080), loads the
# CONNECTION demo and prints its summary, and keeps everything running until
# Ctrl-C.
#
#   bash deploy/local/run.sh                      # convened: all three services on :50051
#   bash deploy/local/run.sh --no-demo            # no demo data
#   bash deploy/local/run.sh --exit-after-summary # load, print the summary, stop
#   bash deploy/local/run.sh --split              # one process per service, :50051-50053
#   bash deploy/local/run.sh --listen-host 127.0.0.1 --port 6000
#   bash deploy/local/run.sh --redis redis://127.0.0.1:6379   # use an existing Redis
#   bash deploy/local/run.sh --insecure           # no authentication (development only)
#   bash deploy/local/run.sh --run-dir /tmp/cv    # state, logs and e-mails there, not in .run/
#   bash deploy/local/run.sh --no-build           # skip install and build: run what build/ has
#                                                 # ($CONVENE_BUILD_DIR when set)
#   bash deploy/local/run.sh --web-port 9090      # the organisers' pages (convene-web) there, not :8080
#
# E-mail: no SMTP server is configured here, so every e-mail the
# notification service sends (reminders, notices) is written as an .eml file
# into .run/mail/ (open one with any mail program). Give the notification
# service --smtp_url=smtp://HOST:PORT --mail_from=ADDRESS to send them.
#
# Authentication is on: the script makes an admin token for you (printed
# once, and written to .run/admin-token with mode 600) and the demo uses it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

host=127.0.0.1
port=50051
redis=""
split=0
demo=1
exit_after_summary=0
insecure=0
rundir="$root/.run"
build=1
web_port=8080
while [ $# -gt 0 ]; do
  case "$1" in
    --redis) redis="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --listen-host) host="$2"; shift 2 ;;
    --split) split=1; shift ;;
    --no-demo) demo=0; shift ;;
    --exit-after-summary) exit_after_summary=1; shift ;;
    --insecure) insecure=1; shift ;;
    --run-dir) rundir="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --no-build) build=0; shift ;;
    --web-port) web_port="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

builddir="$root/build"
if [ "$build" -eq 1 ]; then
  bash deploy/local/install-deps.sh
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
  echo "== building (first time: a few minutes)"
  bash deploy/local/build.sh >/tmp/convene-build.log 2>&1 || { tail -40 /tmp/convene-build.log; exit 1; }
else
  builddir="${CONVENE_BUILD_DIR:-$builddir}"
fi

mkdir -p "$rundir"
pids=()
web_pid=""
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "== stopping"
  if [ -n "$web_pid" ]; then
    kill -TERM "$web_pid" 2>/dev/null || true
    wait "$web_pid" 2>/dev/null || true
  fi
  # Services first (they drain), Redis last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
trap cleanup INT TERM EXIT

if [ -z "$redis" ]; then
  rm -f "$rundir/redis.sock"
  redis-server --port 0 --unixsocket "$rundir/redis.sock" --unixsocketperm 700 \
    --dir "$rundir" --appendonly yes --appendfsync everysec --save "" \
    --daemonize no --logfile "$rundir/redis.log" &
  pids+=("$!")
  for _ in $(seq 1 100); do
    redis-cli -s "$rundir/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  redis="unix://$rundir/redis.sock"
  echo "redis-server (private) on $redis, data in $rundir"
fi

bin="$builddir/services"
auth=()
if [ "$insecure" -eq 1 ]; then
  auth=(--insecure)
else
  umask 077
  "$bin/admin/convene-admin" bootstrap-token --redis="$redis" --name="run.sh $(date -u +%FT%TZ)" \
    --ttl=168h >"$rundir/admin-token" 2>/dev/null || { echo "run.sh: could not make a token" >&2; exit 1; }
  umask 022
  export CONVENE_TOKEN="$(cat "$rundir/admin-token")"
  echo "admin token (also in $rundir/admin-token, valid 7 days): $CONVENE_TOKEN"
fi
mail=(--mail_dir="$rundir/mail" --mail_from=convene@localhost)
if [ "$split" -eq 1 ]; then
  "$bin/calendar/convene-calendar" --listen="$host:$port" --redis="$redis" "${auth[@]}" >>"$rundir/calendar.log" 2>&1 &
  pids+=("$!")
  "$bin/attendance/convene-attendance" --listen="$host:$((port + 1))" --redis="$redis" "${auth[@]}" >>"$rundir/attendance.log" 2>&1 &
  pids+=("$!")
  "$bin/notification/convene-notification" --listen="$host:$((port + 2))" --redis="$redis" "${auth[@]}" "${mail[@]}" >>"$rundir/notification.log" 2>&1 &
  pids+=("$!")
else
  "$bin/convened/convened" --listen="$host:$port" --redis="$redis" "${auth[@]}" "${mail[@]}" >>"$rundir/convened.log" 2>&1 &
  pids+=("$!")
fi

# The organisers' pages: a gRPC client of the services, like any other. It
# is not among the processes whose exit stops the rest: the services run on
# without it (its port may be taken).
if [ "$split" -eq 1 ]; then
  targets=(--calendar="$host:$port" --attendance="$host:$((port + 1))" --notification="$host:$((port + 2))")
else
  targets=(--server="$host:$port")
fi
"$builddir/clients/web/convene-web" "${targets[@]}" --listen="$host:$web_port" >>"$rundir/web.log" 2>&1 &
web_pid=$!
for _ in $(seq 1 50); do
  grep -q "listening on" "$rundir/web.log" 2>/dev/null && break
  kill -0 "$web_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$web_pid" 2>/dev/null; then
  web_url="http://$host:$web_port/"
  echo "organisers' pages (live attendance, check-in desk): $web_url  (sign in with the admin token)"
else
  web_url=""
  web_pid=""
  echo "run.sh: convene-web did not start (see $rundir/web.log; --web-port N picks another port)" >&2
fi
echo "services log to $rundir/*.log"
echo "e-mails (no SMTP server configured) are written as .eml files to $rundir/mail/"
if [ "$demo" -eq 1 ]; then
  if [ "$split" -eq 1 ]; then
    echo "run.sh: the demo needs all services on one port; run without --split" >&2
  else
    "$builddir/clients/demo/convene-demo" --server="$host:$port" || exit 1
  fi
fi
if [ "$exit_after_summary" -eq 1 ]; then
  exit 0
fi

echo
echo "== Convene is running on $host:$port; Ctrl-C stops it."
[ -n "$web_url" ] && echo "   Organisers: open $web_url in a browser and paste the admin token."
echo "   Try, in another shell:"
echo "  export CONVENE_TOKEN=\$(cat $rundir/admin-token)"
echo "  build/clients/cli/convene --server $host:$port events list --from 2020-01-01"
echo "  build/clients/cli/convene --server $host:$port --tz America/New_York events agenda ev_952d57dc09850eab"
echo "  build/clients/cli/convene --server $host:$port attendance counts ev_952d57dc09850eab"
echo "  build/clients/cli/convene --server $host:$port attendance list ev_952d57dc09850eab"
echo "  build/clients/cli/convene --server $host:$port reminders list ev_d6e7f9907d45d96f"
wait -n "${pids[@]}" || true
echo "a process exited; stopping the rest"
