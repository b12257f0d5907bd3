#!/bin/sh
# Starts one Redis server or one Sentinel of Convene's Sentinel setup, or one
# node of a Redis Cluster, inside a container (docker-compose*.yml, the
# Kubernetes StatefulSets), from the read-only configs in deploy/redis/ and
# the password files.
#
#   container-entrypoint.sh server         # a Redis primary or replica
#   container-entrypoint.sh sentinel       # a Sentinel
#   container-entrypoint.sh cluster-node   # a node of a Redis Cluster
#   container-entrypoint.sh cluster-create # joins CLUSTER_NODES into a
#                                          # cluster once, then exits
#
# Why a script: Redis and Sentinel rewrite their top-level config files (the
# replicaof line, the Sentinels' view of the world), so those must be
# writable and are generated here; and a server that restarts must come back
# as a replica of whoever is primary now, not as the primary it once was. So
# before starting, it asks the Sentinels who the primary is, and only when no
# Sentinel answers (the very first start) does it fall back to the initial
# primary.
#
# Environment (defaults in brackets):
#   CONVENE_REDIS_CONF_DIR   redis.conf, replication.conf, sentinel.conf,
#                            users.acl.template [/etc/convene-redis]
#   CONVENE_REDIS_SECRETS    the password files render-secrets.sh reads
#                            [/run/secrets/convene-redis]
#   CONVENE_REDIS_DATA       writable: generated configs, AOF, Sentinel state
#                            [/data]
#   ANNOUNCE_HOST            the name others reach this server or Sentinel by
#                            (compose service name, pod DNS name) [hostname]
#   REDIS_PORT, SENTINEL_PORT  [6379, 26379]
#   INITIAL_PRIMARY          "host port" of the primary on the first start
#                            (server, sentinel)
#   SENTINELS                "host:port host:port ..." to ask for the primary
#   CLUSTER_NODES            "host:port host:port ..." of every cluster node,
#                            primaries first (cluster-create)
#   CLUSTER_REPLICAS         replicas per primary (cluster-create) [1]
#   CLUSTER_BUS_PORT         the cluster bus port [REDIS_PORT + 10000]
#   MASTER_NAME              [convene]
#   BIND                     [* -::*: every interface of the container's own
#                            network namespace; the network around it (compose
#                            network, NetworkPolicy) decides who gets there]
#   QUORUM                   [2]
#
# Exercised on this machine (without containers, on loopback ports) by
# deploy/redis/check-configs.sh.
set -euf  # -f: no globbing of "*" in BIND or of split words

role="${1:-}"
here="$(cd "$(dirname "$0")" && pwd)"
conf_dir="${CONVENE_REDIS_CONF_DIR:-/etc/convene-redis}"
secrets="${CONVENE_REDIS_SECRETS:-/run/secrets/convene-redis}"
data="${CONVENE_REDIS_DATA:-/data}"
announce="${ANNOUNCE_HOST:-$(cat /etc/hostname)}"
redis_port="${REDIS_PORT:-6379}"
sentinel_port="${SENTINEL_PORT:-26379}"
master="${MASTER_NAME:-convene}"
bind="${BIND:-* -::*}"
quorum="${QUORUM:-2}"
case "$role" in
  server | sentinel)
    initial_primary="${INITIAL_PRIMARY:?INITIAL_PRIMARY must be \"host port\"}" ;;
esac
sentinels="${SENTINELS:-}"

log() { echo "container-entrypoint ($role $announce): $*" >&2; }

# Prints "host port" of the current primary as the first Sentinel that knows
# answers, skipping this process's own address; nothing if none answers.
ask_sentinels() {
  for s in $sentinels; do
    host="${s%:*}"
    port="${s##*:}"
    if [ "$role" = sentinel ] && [ "$host" = "$announce" ] && [ "$port" = "$sentinel_port" ]; then
      continue
    fi
    answer="$(timeout 3 redis-cli -h "$host" -p "$port" --raw \
      SENTINEL get-master-addr-by-name "$master" 2>/dev/null | tr '\n' ' ')" || continue
    # shellcheck disable=SC2086 # split the reply into host and port
    set -- $answer
    if [ $# -eq 2 ] && [ "$2" -gt 0 ] 2>/dev/null; then
      echo "$1 $2"
      return 0
    fi
  done
}

current_primary() {
  p="$(ask_sentinels)"
  if [ -n "$p" ]; then
    log "the Sentinels name $p as primary"
    echo "$p"
  else
    log "no Sentinel knows a primary yet; using the initial one, $initial_primary"
    echo "$initial_primary"
  fi
}

# Redis writes its config on CONFIG REWRITE (Sentinel does that on every
# failover) with mode 0644 minus its umask, and the rewrite copies the
# replication password into it: keep everything it writes private.
umask 077
mkdir -p "$data/conf"
conf="$data/conf"

case "$role" in
  server)
    # Every server needs all three users: its replicas (or its primary) log
    # in as "replica", the Sentinels as "sentinel", the services as "convene".
    for f in convene-password replica-password sentinel-password; do
      [ -f "$secrets/$f" ] || { log "$secrets/$f is missing"; exit 1; }
    done
    sh "$here/render-secrets.sh" "$secrets" "$conf"
    # shellcheck disable=SC2046 # "host port"
    set -- $(current_primary)
    primary_host="$1"
    primary_port="$2"
    # Regenerated on every start: the Sentinels' answer is the truth, and
    # whatever Redis rewrote into the last copy is stale by now.
    {
      echo "include $conf_dir/redis.conf"
      echo "include $conf_dir/replication.conf"
      echo "include $conf/masterauth.conf"
      echo "bind $bind"
      echo "port $redis_port"
      echo "dir $data"
      echo "aclfile $conf/users.acl"
      # Clients come over the network; the socket and the pid file just move
      # out of /run/redis, which containers do not have. (Not 'unixsocket ""':
      # CONFIG REWRITE drops a line equal to the built-in default, and the
      # included redis.conf's socket path would come back.)
      echo "unixsocket $data/redis.sock"
      echo "unixsocketperm 700"
      echo "pidfile $data/redis.pid"
      echo "replica-announce-ip $announce"
      if [ "$primary_host" != "$announce" ] || [ "$primary_port" != "$redis_port" ]; then
        echo "replicaof $primary_host $primary_port"
      fi
    } > "$conf/redis-ha.conf"
    if grep -q '^replicaof' "$conf/redis-ha.conf"; then
      log "starting as a replica of $primary_host $primary_port"
    else
      log "starting as the primary"
    fi
    exec redis-server "$conf/redis-ha.conf"
    ;;
  sentinel)
    # Sentinel's state (its id, the peers, the current epoch) lives in its
    # config file: keep it across restarts when the data volume survives, and
    # only refresh the password; build it fresh otherwise.
    if [ -f "$conf/sentinel.conf" ] && grep -q "^sentinel monitor $master " "$conf/sentinel.conf"; then
      log "reusing $conf/sentinel.conf"
      cp "$conf/sentinel.conf" "$conf/sentinel.conf.previous"
      sh "$here/render-secrets.sh" "$secrets" "$conf" "$conf/sentinel.conf.previous"
      rm -f "$conf/sentinel.conf.previous"
    else
      # shellcheck disable=SC2046 # "host port"
      set -- $(current_primary)
      # With resolve-hostnames, Sentinel refuses to start on a name that does
      # not resolve yet (a pod or container not created yet): wait for it.
      for _ in $(seq 1 60); do
        getent hosts "$1" >/dev/null 2>&1 && break
        log "waiting for $1 to resolve"
        sleep 2
      done
      sed -e "s|^bind .*|bind $bind|" \
          -e "s|^port .*|port $sentinel_port|" \
          -e "s|^dir .*|dir $data|" \
          -e "s|^# *sentinel announce-ip .*|sentinel announce-ip $announce|" \
          -e "s|^sentinel monitor $master .*|sentinel monitor $master $1 $2 $quorum|" \
          "$conf_dir/sentinel.conf" > "$conf/sentinel.template"
      sh "$here/render-secrets.sh" "$secrets" "$conf" "$conf/sentinel.template"
      rm -f "$conf/sentinel.template"
    fi
    if command -v redis-sentinel >/dev/null 2>&1; then
      exec redis-sentinel "$conf/sentinel.conf"
    fi
    exec redis-server "$conf/sentinel.conf" --sentinel
    ;;
  cluster-node)
    # Replicas log in to their primary as "replica"; the services as
    # "convene"; the operator's redis-cli --cluster as "clusteradmin".
    for f in convene-password replica-password; do
      [ -f "$secrets/$f" ] || { log "$secrets/$f is missing"; exit 1; }
    done
    sh "$here/render-secrets.sh" "$secrets" "$conf"
    # Regenerated on every start; the node's identity and its view of the
    # cluster live in nodes.conf, which Redis keeps in the data directory.
    {
      echo "include $conf_dir/redis.conf"
      echo "include $conf_dir/replication.conf"
      echo "include $conf_dir/cluster.conf"
      echo "include $conf/masterauth.conf"
      echo "bind $bind"
      echo "port $redis_port"
      echo "cluster-port ${CLUSTER_BUS_PORT:-$((redis_port + 10000))}"
      echo "dir $data"
      echo "cluster-config-file $data/nodes.conf"
      echo "cluster-announce-hostname $announce"
      echo "aclfile $conf/users.acl"
      echo "unixsocket $data/redis.sock"
      echo "unixsocketperm 700"
      echo "pidfile $data/redis.pid"
    } > "$conf/redis-cluster.conf"
    log "starting as a cluster node$( [ -f "$data/nodes.conf" ] && echo " (known to its cluster)")"
    exec redis-server "$conf/redis-cluster.conf"
    ;;
  cluster-create)
    nodes="${CLUSTER_NODES:?CLUSTER_NODES must list every node as host:port}"
    replicas="${CLUSTER_REPLICAS:-1}"
    [ -f "$secrets/cluster-admin-password" ] || { log "$secrets/cluster-admin-password is missing"; exit 1; }
    REDISCLI_AUTH="$(cat "$secrets/cluster-admin-password")"
    export REDISCLI_AUTH
    admin() { timeout 10 redis-cli --no-auth-warning --user clusteradmin "$@"; }
    # CLUSTER MEET takes addresses, not names: resolve each node (waiting
    # for it to exist and answer).
    addresses=""
    for n in $nodes; do
      host="${n%:*}"
      port="${n##*:}"
      ip=""
      for _ in $(seq 1 90); do
        ip="$(getent hosts "$host" 2>/dev/null | cut -d' ' -f1 | head -n1)"
        [ -n "$ip" ] && [ "$(admin -h "$ip" -p "$port" PING 2>/dev/null)" = PONG ] && break
        ip=""
        log "waiting for $n"
        sleep 2
      done
      [ -n "$ip" ] || { log "$n did not answer"; exit 1; }
      addresses="$addresses $ip:$port"
    done
    # shellcheck disable=SC2086 # "ip:port" words
    set -- $addresses
    first_host="${1%:*}"
    first_port="${1##*:}"
    # Once created, never again: a node that knows other nodes (or owns
    # slots) is already part of the cluster.
    known="$(admin -h "$first_host" -p "$first_port" CLUSTER INFO | tr -d '\r' |
      sed -n 's/^cluster_known_nodes://p')"
    if [ "${known:-1}" -gt 1 ]; then
      log "the cluster exists ($known nodes known); nothing to do"
      exit 0
    fi
    log "creating the cluster of$addresses with $replicas replica(s) per primary"
    # shellcheck disable=SC2086 # one word per node
    redis-cli --no-auth-warning --user clusteradmin --cluster create $addresses \
      --cluster-replicas "$replicas" --cluster-yes
    for _ in $(seq 1 60); do
      state="$(admin -h "$first_host" -p "$first_port" CLUSTER INFO | tr -d '\r' |
        sed -n 's/^cluster_state://p')"
      [ "$state" = ok ] && { log "cluster_state:ok"; exit 0; }
      sleep 1
    done
    log "the cluster did not reach cluster_state:ok"
    exit 1
    ;;
  *)
    echo "usage: container-entrypoint.sh server|sentinel|cluster-node|cluster-create" >&2
    exit 2
    ;;
esac
