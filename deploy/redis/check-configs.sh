#!/usr/bin/env bash
# Checks the Redis files in deploy/redis/ on this machine, without containers:
# starts redis-server (and redis-server --sentinel) with them on loopback
# ports in a temporary directory, looks at what they do, and stops everything
# it started. Nothing is installed; nothing listens beyond 127.0.0.1.
#
#   bash deploy/redis/check-configs.sh          # everything (about a minute)
#   bash deploy/redis/check-configs.sh --quick  # no Sentinel failover
#   KEEP=1 bash deploy/redis/check-configs.sh   # keep the temporary directory
#
# What it checks:
#   0. deploy/k8s/redis-config.yaml is a copy of these files.
#   1. users.acl.template as it is, and unrendered, is refused by Redis.
#   2. redis.conf + a rendered users.acl: starts; AOF on with fsync always,
#      noeviction, no RDB saves, the default user disabled and not "nopass";
#      the convene user can do what the services do (scripts, streams,
#      consumer groups, the counts pattern subscription) and nothing else.
#   3. When the binaries are built (build/services): convened, the demo and
#      convene-notification --once against redis.conf, as the ACL user
#      convene when the binaries take --redis_user (issue 7), else with the
#      default user given exactly the convene user's rules; no ACL denial.
#   3b. Redis Cluster: container-entrypoint.sh starts six nodes (cluster.conf)
#      and cluster-create joins them (three primaries, a replica each; run
#      twice, the second does nothing); the convene user reads the slot map;
#      convened, the demo and --once run on redis-cluster:// with three
#      reminder shards and WAIT 1; the operator's clusteradmin user reshards
#      slots with keys; no ACL denial on any node.
#   4. Sentinel: container-entrypoint.sh starts a primary, a replica and three
#      Sentinels (replication.conf, sentinel.conf); the primary is killed; the
#      Sentinels promote the replica; min-replicas-to-write refuses writes
#      while no replica is attached; the old primary, restarted, asks the
#      Sentinels and comes back as a replica; no ACL denial for the replica or
#      sentinel users.
# Ports: CHECK_PORT_BASE (default 17380) and the next few, plus
# CHECK_PORT_BASE+10000 and the next two for the Sentinels.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

for tool in redis-server redis-cli sha256sum timeout; do
  command -v "$tool" >/dev/null || { echo "check-configs: $tool not found" >&2; exit 1; }
done
# Debian's redis-sentinel package is only a link to redis-server; without it,
# "redis-server FILE --sentinel" is the same program.
if command -v redis-sentinel >/dev/null; then
  sentinel_note="redis-sentinel"
else
  sentinel_note="redis-server --sentinel (no redis-sentinel on this machine)"
fi

base="${CHECK_PORT_BASE:-17380}"
p_standalone=$base
p_services=$((base + 1))
p_primary=$((base + 2))
p_replica=$((base + 3))
p_layered=$((base + 4))
p_grpc=$((base + 5))
p_cluster=$((base + 20))   # six cluster nodes: p_cluster .. p_cluster+5
p_cluster_grpc=$((base + 6))
s1=$((base + 10000)); s2=$((base + 10001)); s3=$((base + 10002))

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
cluster_ports="$(seq "$p_cluster" $((p_cluster + 5)) | tr '\n' ' ')"
# shellcheck disable=SC2086 # cluster node ports and their bus ports (+10000)
for p in $p_standalone $p_services $p_primary $p_replica $p_layered $p_grpc $p_cluster_grpc \
         $s1 $s2 $s3 $cluster_ports $(for c in $cluster_ports; do echo $((c + 10000)); done); do
  if port_busy "$p"; then
    echo "check-configs: port $p is in use; set CHECK_PORT_BASE" >&2
    exit 1
  fi
done

tmp="$(mktemp -d /tmp/convene-redis-check.XXXXXX)"
declare -A pid_of=()
stop() {  # stop NAME: SIGTERM the process started under NAME, and wait
  local name="$1" pid="${pid_of[$1]:-}"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "pid_of[$name]"
}
cleanup() {
  trap - EXIT INT TERM
  local name
  for name in "${!pid_of[@]}"; do stop "$name"; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok    $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL  $*"; }
expect() {  # expect DESCRIPTION PATTERN OUTPUT
  if grep -Eq -- "$2" <<<"$3"; then ok "$1"; else bad "$1: got: $(head -c 300 <<<"$3")"; fi
}

# Passwords for this run only, in files like real secrets.
secrets="$tmp/secrets"
mkdir -p "$secrets"
for name in convene replica sentinel checkadmin cluster-admin; do
  head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$secrets/$name-password"
done
pw() { cat "$secrets/$1-password"; }
# An extra all-powerful user, for this check only, to read CONFIG and ACL LOG.
check_template="$tmp/users.acl.template"
{ cat "$here/users.acl.template"
  echo "user checkadmin on #$(printf '%s' "$(pw checkadmin)" | sha256sum | cut -c1-64) ~* &* +@all"
} > "$check_template"
export CONVENE_ACL_TEMPLATE="$check_template"

# cli PORT USER ARGS...: redis-cli as USER; the password goes through the
# environment, not the command line.
cli() {
  local port="$1" user="$2"
  shift 2
  REDISCLI_AUTH="$(pw "$user")" timeout 10 redis-cli --no-auth-warning -p "$port" --user "$user" "$@" 2>&1
}
wait_ping() {  # wait_ping PORT USER: up to 10 s
  for _ in $(seq 1 200); do
    [ "$(cli "$1" "$2" PING 2>/dev/null)" = "PONG" ] && return 0
    sleep 0.05
  done
  return 1
}

echo "== 0. the Kubernetes ConfigMap holds these very files"
bash "$here/../k8s/sync-redis-config.sh" "$tmp/redis-config.yaml"
if cmp -s "$tmp/redis-config.yaml" "$here/../k8s/redis-config.yaml"; then
  ok "deploy/k8s/redis-config.yaml matches redis.conf, replication.conf, sentinel.conf"
else
  bad "deploy/k8s/redis-config.yaml is stale: run bash deploy/k8s/sync-redis-config.sh"
fi

echo "== 1. the ACL template is refused until rendered"
mkdir -p "$tmp/refused"
if timeout 10 redis-server "$here/redis.conf" --port "$p_standalone" --bind 127.0.0.1 \
     --dir "$tmp/refused" --pidfile "$tmp/refused/redis.pid" --unixsocket "" --aclfile "$here/users.acl.template" \
     >"$tmp/refused/with-comments.log" 2>&1; then
  bad "redis-server started with the template as it is"
else
  expect "Redis refuses an ACL file with comments" "should start with user keyword" \
    "$(cat "$tmp/refused/with-comments.log")"
fi
grep -v '^#' "$here/users.acl.template" > "$tmp/refused/unrendered.acl"
if timeout 10 redis-server "$here/redis.conf" --port "$p_standalone" --bind 127.0.0.1 \
     --dir "$tmp/refused" --pidfile "$tmp/refused/redis.pid" --unixsocket "" --aclfile "$tmp/refused/unrendered.acl" \
     >"$tmp/refused/unrendered.log" 2>&1; then
  bad "redis-server started with unrendered password placeholders"
else
  expect "Redis refuses the unrendered placeholders" "[Ee]rror in user declaration|hash" \
    "$(cat "$tmp/refused/unrendered.log")"
fi

echo "== 2. redis.conf, standalone, with the rendered ACL"
sa="$tmp/standalone"
mkdir -p "$sa"
sh "$here/render-secrets.sh" "$secrets" "$sa"
redis-server "$here/redis.conf" --port "$p_standalone" --bind 127.0.0.1 --dir "$sa" \
  --pidfile "$sa/redis.pid" --unixsocket "$sa/redis.sock" --aclfile "$sa/users.acl" >"$sa/redis.log" 2>&1 &
pid_of[standalone]=$!
if wait_ping "$p_standalone" convene; then ok "starts, and convene logs in"; else
  bad "did not start: $(tail -5 "$sa/redis.log")"; exit 1; fi

admin() { cli "$p_standalone" checkadmin "$@"; }
conv() { cli "$p_standalone" convene "$@"; }
expect "appendonly yes" '^yes$' "$(admin --raw CONFIG GET appendonly | sed -n 2p)"
expect "appendfsync always" '^always$' "$(admin --raw CONFIG GET appendfsync | sed -n 2p)"
expect "maxmemory-policy noeviction" '^noeviction$' "$(admin --raw CONFIG GET maxmemory-policy | sed -n 2p)"
expect "no RDB save points" '^$' "$(admin --raw CONFIG GET save | sed -n 2p)"
expect "no keyspace notifications" '^$' "$(admin --raw CONFIG GET notify-keyspace-events | sed -n 2p)"
expect "protected-mode yes" '^yes$' "$(admin --raw CONFIG GET protected-mode | sed -n 2p)"
expect "timeout 0" '^0$' "$(admin --raw CONFIG GET timeout | sed -n 2p)"
expect "AOF directory written" 'appendonly.aof.1.incr.aof' "$(ls "$sa/appendonlydir")"
flags="$(admin --raw ACL GETUSER default | sed -n '/^flags$/,/^passwords$/p' | tr '\n' ' ')"
expect "default user is off" ' off ' "$flags"
if grep -q nopass <<<"$flags"; then bad "default user has nopass: $flags"; else
  ok "default user is not nopass (protected mode stays a safety net)"; fi
expect "without a user, nothing" 'NOAUTH' "$(timeout 5 redis-cli -p "$p_standalone" PING 2>&1)"
expect "the default user cannot log in" 'WRONGPASS|disabled' \
  "$(timeout 5 redis-cli -p "$p_standalone" AUTH default anything 2>&1)"
expect "the unix socket works" 'PONG' \
  "$(REDISCLI_AUTH="$(pw convene)" timeout 5 redis-cli --no-auth-warning -s "$sa/redis.sock" --user convene PING 2>&1)"
expect "the replica user cannot read data" 'NOPERM' "$(cli "$p_standalone" replica GET 'cv:{sys}:x')"
expect "the sentinel user cannot read data" 'NOPERM' "$(cli "$p_standalone" sentinel GET 'cv:{sys}:x')"

# What the services do, as the convene user.
expect "convene: SET/GET under cv:" '^OK$' "$(conv SET 'cv:{sys}:check' 1)"
sha="$(conv SCRIPT LOAD "redis.call('HSET', KEYS[1], 'f', ARGV[1]); redis.call('XADD', KEYS[2], 'MAXLEN', '~', '100', '*', 'f', ARGV[1]); redis.call('PUBLISH', 'cv:{ev:e1}:counts-changed', 'x'); return redis.call('SINTERCARD', 1, KEYS[3])")"
expect "convene: SCRIPT LOAD" '^[0-9a-f]{40}$' "$sha"
expect "convene: EVALSHA writing a hash, a stream, publishing, SINTERCARD (Redis 7)" '^0$' \
  "$(conv EVALSHA "$sha" 3 'cv:{ev:e1}:sheet' 'cv:{ev:e1}:changes' 'cv:{ev:e1}:present:x' v)"
lib="$(printf '#!lua name=cvcheck\nredis.register_function("cvcheck_hset", function(keys, args) return redis.call("HSET", keys[1], "f", args[1]) end)')"
expect "convene: FUNCTION LOAD" '^cvcheck$' "$(conv FUNCTION LOAD "$lib")"
expect "convene: FCALL" '^[01]$' "$(conv FCALL cvcheck_hset 1 'cv:{ev:e1}:sheet' v)"
expect "convene: a script cannot touch keys outside cv:" 'NOPERM|No permissions' \
  "$(conv EVAL "return redis.call('SET', KEYS[1], 1)" 1 other:key)"
expect "convene: XGROUP CREATE MKSTREAM" '^OK$' "$(conv XGROUP CREATE 'cv:{ntf}:outbox' mailer 0 MKSTREAM)"
conv XADD 'cv:{ntf}:outbox' '*' n id1 e e1 >/dev/null
expect "convene: XREADGROUP" 'id1' "$(conv XREADGROUP GROUP mailer c1 COUNT 1 STREAMS 'cv:{ntf}:outbox' '>')"
expect "convene: XAUTOCLAIM" '0-0' "$(conv XAUTOCLAIM 'cv:{ntf}:outbox' mailer c2 0 0 COUNT 1)"
expect "convene: XINFO STREAM" 'length' "$(conv XINFO STREAM 'cv:{ntf}:outbox')"
expect "convene: XREAD BLOCK" 'id1' "$(conv XREAD COUNT 1 BLOCK 100 STREAMS 'cv:{ntf}:outbox' 0)"
sub() {  # sub COMMAND CHANNEL: the first replies of a (P)SUBSCRIBE, as convene
  REDISCLI_AUTH="$(pw convene)" timeout 1 redis-cli --no-auth-warning -p "$p_standalone" \
    --user convene "$1" "$2" 2>&1 || true
}
expect "convene: PSUBSCRIBE cv:{ev:*}:counts-changed" '^psubscribe$' "$(sub PSUBSCRIBE 'cv:{ev:*}:counts-changed')"
expect "convene: SUBSCRIBE to one event's channel" '^subscribe$' "$(sub SUBSCRIBE 'cv:{ev:e1}:counts-changed')"
expect "convene: PSUBSCRIBE to anything else is refused" 'NOPERM|No permissions' "$(sub PSUBSCRIBE '*')"
for denied in "FLUSHALL" "KEYS *" "CONFIG GET maxmemory" "SCRIPT FLUSH" "FUNCTION FLUSH" "FUNCTION DELETE cvcheck" \
              "SCAN 0" "DEBUG SLEEP 0" "SHUTDOWN NOSAVE" "INFO" "CLIENT LIST" "GET other:key" \
              "ACL LIST" "REPLICAOF NO ONE" "BGREWRITEAOF"; do
  read -r -a words <<<"$denied"
  # (DEBUG is refused even before the ACL, by enable-debug-command no.)
  expect "convene: $denied is refused" 'NOPERM|No permissions|DEBUG command not allowed' "$(conv "${words[@]}")"
done

echo "== 2b. the layered top-level file survives CONFIG REWRITE"
ly="$tmp/layered"
mkdir -p "$ly"
sh "$here/render-secrets.sh" "$secrets" "$ly"
cat > "$ly/redis-ha.conf" <<EOF
include $here/redis.conf
include $here/replication.conf
include $ly/masterauth.conf
bind 127.0.0.1
port $p_layered
dir $ly
aclfile $ly/users.acl
unixsocket $ly/redis.sock
pidfile $ly/redis.pid
min-replicas-to-write 0
EOF
chmod 0600 "$ly/redis-ha.conf"
# The umask container-entrypoint.sh (and Debian's unit, UMask=007) give Redis.
(umask 077; exec redis-server "$ly/redis-ha.conf" >"$ly/redis.log" 2>&1) &
pid_of[layered]=$!
if wait_ping "$p_layered" convene; then ok "replication.conf on top of redis.conf starts"; else
  bad "layered config did not start: $(tail -5 "$ly/redis.log")"; fi
expect "CONFIG REWRITE of the top-level file (what Sentinel does on failover)" '^OK$' \
  "$(cli "$p_layered" checkadmin CONFIG REWRITE)"
# Known Redis behaviour, documented in replication.conf: the rewrite copies
# included settings, masterauth too, into the top-level file, and gives it
# mode 0644 minus Redis's umask.
expect "the rewrite copied masterauth into the top-level file (so it is a secret)" '^masterauth ' \
  "$(cat "$ly/redis-ha.conf")"
expect "with umask 077 the rewritten file is 0600" '^600$' "$(stat -c %a "$ly/redis-ha.conf")"
stop layered
redis-server "$ly/redis-ha.conf" >"$ly/redis2.log" 2>&1 &
pid_of[layered]=$!
if wait_ping "$p_layered" convene; then ok "starts again from the rewritten file"; else
  bad "rewritten file does not start: $(tail -5 "$ly/redis2.log")"; fi
stop layered
cp "$ly/redis-ha.conf" "$tmp/layered-rewritten.conf"

echo "== 3. Convene itself against redis.conf"
build_dir="${CONVENE_BUILD_DIR:-$root/build}"
bin="$build_dir/services"
if [ -x "$bin/convened/convened" ] && [ -x "$build_dir/clients/demo/convene-demo" ]; then
  sv="$tmp/services"
  mkdir -p "$sv"
  sh "$here/render-secrets.sh" "$secrets" "$sv"
  help="$("$bin/convened/convened" --helpfull 2>&1 || true)"
  flags=()
  if grep -q -- '--redis_user' <<<"$help"; then
    # The binaries log in as a named ACL user (issue 7): use the real
    # users.acl, default user off, and the password from its file.
    cp "$sv/users.acl" "$sv/services.acl"
    flags+=(--redis_user=convene --redis_password_file="$secrets/convene-password")
    as="as the ACL user convene"
  else
    # They cannot send AUTH <user> yet (issue 7): give "default" the convene
    # user's rules, word for word, so their traffic meets the same ACL.
    sed -n 's/^user convene on #[0-9a-f]* /user default on nopass /p' "$sv/users.acl" > "$sv/services.acl"
    grep '^user checkadmin ' "$sv/users.acl" >> "$sv/services.acl"
    as="with the convene user's rules on the default user"
  fi
  # The demo client sends no token; with issue 7's authentication in the
  # build, serve without it for this check.
  serve_flags=()
  grep -q -- '--insecure' <<<"$help" && serve_flags+=(--insecure)
  redis-server "$here/redis.conf" --port "$p_services" --bind 127.0.0.1 --dir "$sv" \
    --pidfile "$sv/redis.pid" --unixsocket "" --aclfile "$sv/services.acl" >"$sv/redis.log" 2>&1 &
  pid_of[services-redis]=$!
  wait_ping "$p_services" checkadmin || { bad "redis for the services did not start"; exit 1; }
  "$bin/convened/convened" --listen="127.0.0.1:$p_grpc" --redis="redis://127.0.0.1:$p_services" \
    "${flags[@]}" "${serve_flags[@]}" >"$sv/convened.log" 2>&1 &
  pid_of[convened]=$!
  if timeout 120 "$build_dir/clients/demo/convene-demo" --server="127.0.0.1:$p_grpc" >"$sv/demo.log" 2>&1; then
    ok "the demo runs against redis.conf, $as"
  else
    bad "the demo failed ($as): $(tail -5 "$sv/demo.log")"
  fi
  sleep 3  # let the planner, dispatcher and webhook worker make a few rounds
  if timeout 60 "$bin/notification/convene-notification" --once \
       --redis="redis://127.0.0.1:$p_services" "${flags[@]}" >"$sv/once.log" 2>&1; then
    ok "convene-notification --once runs: $(tail -1 "$sv/once.log")"
  else
    bad "--once failed: $(tail -3 "$sv/once.log")"
  fi
  stop convened
  expect "keys written, all under cv:" '^[1-9][0-9]*$' \
    "$(cli "$p_services" checkadmin --raw EVAL "local n=0 for _,k in ipairs(redis.call('KEYS','*')) do if k:sub(1,3)~='cv:' then return -1 end n=n+1 end return n" 0)"
  log="$(cli "$p_services" checkadmin ACL LOG)"
  if [ -z "$log" ]; then ok "no ACL denial logged for the services' traffic"; else
    bad "ACL denials: $(tr '\n' ' ' <<<"$log" | head -c 600)"; fi
  stop services-redis
else
  echo "  skip  build/services is not built (bash deploy/local/build.sh)"
fi

echo "== 3b. Redis Cluster: six nodes (container-entrypoint.sh cluster-node), cluster-create"
if [ -x "$bin/convened/convened" ] && [ -x "$build_dir/clients/demo/convene-demo" ]; then
  cl="$tmp/cluster"
  mkdir -p "$cl/conf"
  cp "$here/redis.conf" "$here/replication.conf" "$here/cluster.conf" "$cl/conf/"
  # Quicker failure detection than production, so the check takes seconds.
  sed -i 's/^cluster-node-timeout .*/cluster-node-timeout 2000/' "$cl/conf/cluster.conf"
  # "localhost": the nodes announce a host name, as pods and containers do,
  # and the services resolve it.
  cluster_env=(CONVENE_REDIS_CONF_DIR="$cl/conf" CONVENE_REDIS_SECRETS="$secrets"
               ANNOUNCE_HOST=localhost BIND=127.0.0.1)
  cluster_nodes=""
  i=0
  for port in $cluster_ports; do
    mkdir -p "$cl/n$i"
    env "${cluster_env[@]}" CONVENE_REDIS_DATA="$cl/n$i" REDIS_PORT="$port" \
      sh "$here/container-entrypoint.sh" cluster-node >>"$cl/n$i.log" 2>&1 &
    pid_of[cluster$i]=$!
    cluster_nodes="$cluster_nodes localhost:$port"
    i=$((i + 1))
  done
  for port in $cluster_ports; do
    wait_ping "$port" checkadmin || bad "cluster node $port did not start"
  done
  create() {
    env "${cluster_env[@]}" CLUSTER_NODES="$cluster_nodes" CLUSTER_REPLICAS=1 \
      sh "$here/container-entrypoint.sh" cluster-create 2>&1
  }
  created="$(create)"
  expect "cluster-create joins six nodes as clusteradmin" 'cluster_state:ok' "$created"
  expect "cluster-create again does nothing" 'nothing to do' "$(create)"
  for port in $cluster_ports; do
    wait_ping "$port" checkadmin >/dev/null
  done
  all_ok=1
  for port in $cluster_ports; do
    grep -q 'cluster_state:ok' <<<"$(cli "$port" checkadmin CLUSTER INFO)" || all_ok=0
  done
  [ "$all_ok" = 1 ] && ok "cluster_state:ok on all six nodes" || bad "not every node is ok"
  first_cluster_port="${cluster_ports%% *}"
  expect "convene reads the slot map; nodes are named by host name" 'localhost' \
    "$(cli "$first_cluster_port" convene CLUSTER SLOTS)"
  seeds="localhost:$first_cluster_port,localhost:$((first_cluster_port + 1))"
  cluster_flags=(--redis="redis-cluster://$seeds" --redis_user=convene
                 --redis_password_file="$secrets/convene-password")
  "$bin/convened/convened" --listen="127.0.0.1:$p_cluster_grpc" "${cluster_flags[@]}" \
    --reminder_shards=3 --redis_wait_replicas=1 "${serve_flags[@]}" >"$cl/convened.log" 2>&1 &
  pid_of[cluster-convened]=$!
  if timeout 120 "$build_dir/clients/demo/convene-demo" --server="127.0.0.1:$p_cluster_grpc" \
       >"$cl/demo.log" 2>&1; then
    ok "the demo runs on the cluster (redis-cluster://, three reminder shards, WAIT 1)"
  else
    bad "the demo failed on the cluster: $(tail -5 "$cl/demo.log")"
  fi
  sleep 2
  if timeout 60 "$bin/notification/convene-notification" --once "${cluster_flags[@]}" \
       --reminder_shards=3 >"$cl/once.log" 2>&1; then
    ok "convene-notification --once runs on the cluster: $(tail -1 "$cl/once.log")"
  else
    bad "--once failed on the cluster: $(tail -3 "$cl/once.log")"
  fi
  expect "a notification replica with another shard count refuses to start" 'reminder_shards=3' \
    "$(timeout 60 "$bin/notification/convene-notification" --once "${cluster_flags[@]}" \
         --reminder_shards=2 2>&1 || true)"
  stop cluster-convened
  # The operator moves slots that hold keys (MIGRATE) as clusteradmin.
  ids="$(cli "$first_cluster_port" checkadmin CLUSTER NODES | awk '/master/ {print $1}' | head -n2)"
  from="$(sed -n 1p <<<"$ids")"
  to="$(sed -n 2p <<<"$ids")"
  # Keys on the primaries (replicas follow with a lag) that do not expire:
  # leases and other keys with a TTL may lapse while a slow reshard runs
  # (convened is stopped), which is no key lost.
  all_keys() {
    for p in $cluster_ports; do
      if grep -q 'role:master' <<<"$(cli "$p" checkadmin INFO replication)"; then
        cli "$p" checkadmin --raw KEYS '*' | while read -r k; do
          [ -n "$k" ] && [ "$(cli "$p" checkadmin TTL "$k")" = "-1" ] && echo "$k"
        done
      fi
    done | wc -l
  }
  keys_before="$(all_keys)"
  resharded="$(REDISCLI_AUTH="$(pw cluster-admin)" timeout 120 redis-cli --no-auth-warning \
    --user clusteradmin --cluster reshard "127.0.0.1:$first_cluster_port" --cluster-from "$from" \
    --cluster-to "$to" --cluster-slots 4000 --cluster-yes 2>&1 || true)"
  expect "clusteradmin reshards 4000 slots with keys" 'Moving slot' "$resharded"
  for _ in $(seq 1 50); do  # replicas follow their primaries' migrations
    keys_after="$(all_keys)"
    [ "$keys_after" = "$keys_before" ] && break
    sleep 0.1
  done
  expect "every key is still there after the reshard ($keys_before on the primaries)" \
    "^$keys_before\$" "$keys_after"
  denials=""
  for port in $cluster_ports; do
    denials="$denials$(cli "$port" checkadmin ACL LOG)"
    for k in $(cli "$port" checkadmin --raw KEYS '*'); do
      case "$k" in cv:*) ;; *) denials="$denials key outside cv: $k" ;; esac
    done
  done
  if [ -z "$denials" ]; then ok "no ACL denial on any cluster node; every key under cv:"; else
    bad "cluster: $(tr '\n' ' ' <<<"$denials" | head -c 600)"; fi
  for i in 0 1 2 3 4 5; do stop "cluster$i"; done
else
  echo "  skip  build/services is not built (bash deploy/local/build.sh)"
fi

stop standalone
[ "$quick" = 1 ] && { echo "== passed $passed, failed $failed (quick)"; [ "$failed" = 0 ]; exit; }

echo "== 4. Sentinel: primary, replica, three Sentinels via container-entrypoint.sh ($sentinel_note)"
ha="$tmp/ha"
mkdir -p "$ha/conf"
cp "$here/redis.conf" "$here/replication.conf" "$ha/conf/"
# Quicker than production so the check takes seconds, not minutes.
sed -e 's/^sentinel down-after-milliseconds convene .*/sentinel down-after-milliseconds convene 2000/' \
    -e 's/^sentinel failover-timeout convene .*/sentinel failover-timeout convene 20000/' \
    "$here/sentinel.conf" > "$ha/conf/sentinel.conf"
common=(CONVENE_REDIS_CONF_DIR="$ha/conf" CONVENE_REDIS_SECRETS="$secrets" ANNOUNCE_HOST=127.0.0.1
        BIND=127.0.0.1 INITIAL_PRIMARY="127.0.0.1 $p_primary"
        SENTINELS="127.0.0.1:$s1 127.0.0.1:$s2 127.0.0.1:$s3")
start_server() {  # start_server NAME PORT
  mkdir -p "$ha/$1"
  env "${common[@]}" CONVENE_REDIS_DATA="$ha/$1" REDIS_PORT="$2" \
    sh "$here/container-entrypoint.sh" server >>"$ha/$1.log" 2>&1 &
  pid_of[$1]=$!
}
start_sentinel() {  # start_sentinel NAME PORT
  mkdir -p "$ha/$1"
  env "${common[@]}" CONVENE_REDIS_DATA="$ha/$1" SENTINEL_PORT="$2" \
    sh "$here/container-entrypoint.sh" sentinel >>"$ha/$1.log" 2>&1 &
  pid_of[$1]=$!
}
start_server r0 "$p_primary"
wait_ping "$p_primary" convene || { bad "primary did not start: $(tail -5 "$ha/r0.log")"; exit 1; }
start_server r1 "$p_replica"
wait_ping "$p_replica" convene || { bad "replica did not start: $(tail -5 "$ha/r1.log")"; exit 1; }
start_sentinel s1 "$s1"; start_sentinel s2 "$s2"; start_sentinel s3 "$s3"
sentinel_field() {  # sentinel_field PORT FIELD
  timeout 5 redis-cli -p "$1" --raw SENTINEL MASTER convene 2>/dev/null | sed -n "/^$2\$/{n;p;}"
}
ready=0
for _ in $(seq 1 150); do
  if [ "$(sentinel_field "$s1" num-slaves)" = 1 ] && [ "$(sentinel_field "$s3" num-other-sentinels)" = 2 ] \
     && [ "$(sentinel_field "$s2" num-other-sentinels)" = 2 ] && [ "$(sentinel_field "$s1" num-other-sentinels)" = 2 ]; then
    ready=1; break
  fi
  sleep 0.2
done
if [ $ready = 1 ]; then ok "the Sentinels see the replica and each other"; else
  bad "the Sentinels did not converge: $(timeout 5 redis-cli -p "$s1" SENTINEL MASTER convene | tr '\n' ' ' | head -c 400)"; fi
# The first full sync waits repl-diskless-sync-delay (5 s) for more replicas
# to share it; until it is done the primary refuses writes (NOREPLICAS).
echo "  info  a write before the first sync completed: $(cli "$p_primary" convene SET 'cv:{sys}:early' 1)"
for _ in $(seq 1 150); do
  cli "$p_replica" sentinel INFO replication | grep -q 'master_link_status:up' && break
  sleep 0.2
done
expect "the replica replicates (as the replica user)" 'master_link_status:up' \
  "$(cli "$p_replica" sentinel INFO replication)"
sleep 1.5  # a replica counts as good after its first REPLCONF ACK (every second)
expect "min-replicas-to-write sees one good replica" 'min_slaves_good_slaves:1' \
  "$(cli "$p_primary" sentinel INFO replication)"
expect "a scripted write on the primary" '^OK$' \
  "$(cli "$p_primary" convene EVAL "return redis.call('SET', KEYS[1], ARGV[1])" 1 'cv:{sys}:ha' before-failover)"
sleep 0.5
expect "a write reaches the replica" '^before-failover$' "$(cli "$p_replica" convene --raw GET 'cv:{sys}:ha')"

echo "  ..  killing the primary (SIGKILL)"
r0_pid="$(cli "$p_primary" sentinel --raw INFO server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')"
kill -KILL "$r0_pid"
{ wait "${pid_of[r0]}" || true; } 2>/dev/null
unset "pid_of[r0]"
t0=$SECONDS
promoted=0
for _ in $(seq 1 300); do
  if [ "$(timeout 2 redis-cli -p "$s2" --raw SENTINEL get-master-addr-by-name convene 2>/dev/null | tail -1)" = "$p_replica" ] \
     && cli "$p_replica" sentinel ROLE | head -1 | grep -q master; then
    promoted=1; break
  fi
  sleep 0.1
done
if [ $promoted = 1 ]; then ok "the Sentinels promoted the replica after $((SECONDS - t0)) s"; else
  bad "no failover: $(tail -5 "$ha/s1.log")"; fi
expect "the promoted replica has the write" '^before-failover$' "$(cli "$p_replica" convene --raw GET 'cv:{sys}:ha')"
expect "alone, the new primary refuses scripted writes (min-replicas-to-write 1)" 'NOREPLICAS' \
  "$(cli "$p_replica" convene EVAL "return redis.call('SET', KEYS[1], ARGV[1])" 1 'cv:{sys}:ha' alone)"
expect "... and plain writes" 'NOREPLICAS' "$(cli "$p_replica" convene SET 'cv:{sys}:ha' alone)"
expect "... but still serves reads" '^before-failover$' "$(cli "$p_replica" convene --raw GET 'cv:{sys}:ha')"
expect "Sentinel rewrote the promoted server's config (no replicaof left)" '^0$' \
  "$(grep -c '^replicaof' "$ha/r1/conf/redis-ha.conf" || true)"

echo "  ..  restarting the old primary through the entrypoint"
start_server r0 "$p_primary"
wait_ping "$p_primary" convene || bad "old primary did not restart: $(tail -5 "$ha/r0.log")"
expect "it asked the Sentinels and came back as a replica of the new primary" "replicaof 127.0.0.1 $p_replica" \
  "$(cat "$ha/r0/conf/redis-ha.conf")"
rejoined=0
for _ in $(seq 1 150); do
  if cli "$p_primary" sentinel INFO replication | grep -q 'master_link_status:up'; then rejoined=1; break; fi
  sleep 0.2
done
if [ $rejoined = 1 ]; then ok "it resynced from the new primary"; else bad "it did not resync"; fi
expect "with a replica back, writes are accepted again" '^OK$' \
  "$(cli "$p_replica" convene SET 'cv:{sys}:ha' after-failover)"
sleep 0.5
expect "and reach the old primary, now a replica" '^after-failover$' "$(cli "$p_primary" convene --raw GET 'cv:{sys}:ha')"
for port in $p_primary $p_replica; do
  log="$(cli "$port" checkadmin ACL LOG)"
  if [ -z "$log" ]; then ok "no ACL denial on :$port (replica and sentinel users have what they need)"; else
    bad "ACL denials on :$port: $(tr '\n' ' ' <<<"$log" | head -c 600)"; fi
done
expect "Sentinel kept its auth-pass after rewriting its file" '^sentinel auth-pass convene' \
  "$(grep '^sentinel auth-pass' "$ha/s1/conf/sentinel.conf")"

echo "  ..  restarting a Sentinel through the entrypoint"
myid="$(timeout 5 redis-cli -p "$s2" --raw SENTINEL MYID)"
stop s2
start_sentinel s2 "$s2"
for _ in $(seq 1 100); do
  [ -n "$(timeout 2 redis-cli -p "$s2" --raw SENTINEL MYID 2>/dev/null)" ] && break
  sleep 0.1
done
expect "it kept its state and its id (no stale peer for the others to count)" "^$myid\$" \
  "$(timeout 5 redis-cli -p "$s2" --raw SENTINEL MYID)"
sleep 2
expect "the others still count two peers each, not three" '^2$' "$(sentinel_field "$s1" num-other-sentinels)"

for name in s1 s2 s3 r0 r1; do stop "$name"; done
echo "== passed $passed, failed $failed"
[ "$failed" = 0 ]
