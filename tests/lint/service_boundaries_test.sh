#!/usr/bin/env bash
# The services meet through the proto, Redis streams and gRPC, never through
# each other's code: no service includes another service's headers or links
# its library, the host and the shared layers include none, and the
# single-service binaries carry only their own service (the calendar and
# attendance binaries do not link libcurl, which only webhook delivery
# needs); the C++ client library links no server code; no service uses
# another's stores or keys. Fails, listing what crossed.
#
#   service_boundaries_test.sh [convene-calendar convene-attendance ...]
#     binaries given are checked with ldd for libcurl.
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
services=(calendar attendance notification)
shared=(core storage rpc mapping auth host)
failed=0

report() {
  echo "FAIL: $1"
  echo "$2" | sed 's/^/  /'
  failed=1
}

for service in "${services[@]}"; do
  others="$(printf '%s\n' "${services[@]}" | grep -vx "$service" | paste -sd'|')"
  hits="$(grep -rnE "#include \"($others)/" "$root/services/$service" || true)"
  [ -n "$hits" ] && report "services/$service includes another service's headers" "$hits"
  hits="$(grep -nE "convene(::|_)($others)\b" "$root/services/$service/CMakeLists.txt" || true)"
  [ -n "$hits" ] && report "services/$service links another service" "$hits"
done

all="$(printf '%s\n' "${services[@]}" | paste -sd'|')"
for layer in "${shared[@]}"; do
  hits="$(grep -rnE "#include \"($all)/" "$root/services/$layer" || true)"
  [ -n "$hits" ] && report "services/$layer (shared) includes a service's headers" "$hits"
  hits="$(grep -nE "convene(::|_)($all)\b" "$root/services/$layer/CMakeLists.txt" || true)"
  [ -n "$hits" ] && report "services/$layer (shared) links a service" "$hits"
done

# Each service reads and writes only its own keyspace; what it needs of
# another it takes from that service's published streams (CalendarChanges,
# AttendanceChanges, CountsChannel) or asks through its API. A service's
# stores and scripts live in its own folder (so the include check above
# covers them); the key names of each keyspace, by owner:
declare -A owned_keys=(
  [calendar]='keys::(Calendar(Documents|Attributes|StartIndex|Stats|CreateRequests)|ChangeFeed[A-Za-z]*)\('
  [attendance]='keys::(EventSheet|Registrations?|RegistrationPrefix|WaitlistPrefix|CheckIns|PresencePrefix|Counters|AttendanceRequests|AttendanceEvents|SheetFollower[A-Za-z]*)\('
  [notification]='keys::(Reminder[A-Za-z]*|Notification[A-Za-z]*|Planner[A-Za-z]*|DueReminders|Webhooks|OutboxEntries|EventReminderParticipants|ParticipantReminderEvents)\('
)
for service in "${services[@]}"; do
  for owner in "${services[@]}"; do
    [ "$owner" = "$service" ] && continue
    hits="$(cd "$root" && grep -rnE "${owned_keys[$owner]}" "services/$service" || true)"
    [ -n "$hits" ] && report "services/$service uses the $owner service's keyspace" "$hits"
  done
done
# The shared layers hold no service's store: they name no service's keys
# (keys.h builds them all, for the services).
for layer in "${shared[@]}"; do
  for owner in "${services[@]}"; do
    hits="$(cd "$root" && grep -rnE "${owned_keys[$owner]}" "services/$layer" \
      --exclude=keys.h | grep -vE '^[^:]+:[0-9]+: *(//|#)' || true)"
    [ -n "$hits" ] && report "services/$layer (shared) uses the $owner service's keyspace" "$hits"
  done
done

# The C++ client library stands alone: the generated API code, gRPC, Abseil.
hits="$(grep -rnE '#include "(core|storage|rpc|mapping|auth|host|calendar|attendance|notification)/' \
  "$root/clients/cpp" || true)"
[ -n "$hits" ] && report "clients/cpp includes server code" "$hits"
hits="$(grep -nE 'convene::(core|storage|rpc|mapping|auth|host|calendar|attendance|notification)\b' \
  "$root/clients/cpp/CMakeLists.txt" || true)"
[ -n "$hits" ] && report "clients/cpp links server code" "$hits"

for binary in "$@"; do
  if ! [ -x "$binary" ]; then
    report "no binary to check" "$binary"
    continue
  fi
  hits="$(ldd "$binary" | grep -i curl || true)"
  [ -n "$hits" ] && report "$(basename "$binary") links libcurl" "$hits"
done

if [ "$failed" = 0 ]; then
  echo "service boundaries: no service includes or links another, or uses another's keyspace;" \
    "the shared layers include none"
  [ "$#" -gt 0 ] && echo "no libcurl in: $(for b in "$@"; do basename "$b"; done | paste -sd' ')"
fi
exit "$failed"
