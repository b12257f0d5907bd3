#!/usr/bin/env bash
# Regenerates redis-config.yaml (the ConfigMap) from deploy/redis/redis.conf,
# replication.conf, sentinel.conf and cluster.conf, so that Kubernetes runs the very files
# deploy/redis/check-configs.sh checks. Run it after editing any of them;
# check-configs.sh fails while the two disagree.
#
#   bash deploy/k8s/sync-redis-config.sh [OUTPUT]   # default: redis-config.yaml here
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
redis="$here/../redis"
out="${1:-$here/redis-config.yaml}"
{
  cat <<'HEADER'
# NOT EXERCISED ON THIS MACHINE (no Kubernetes cluster here). See
# deploy/README.md.
#
# Redis's and Sentinel's configuration: deploy/redis/redis.conf,
# replication.conf, sentinel.conf and cluster.conf, copied byte for byte by
# deploy/k8s/sync-redis-config.sh (deploy/redis/check-configs.sh fails if
# they drift apart). Edit those files and run the script; do not edit this
# one.
#
# Mounted read-only at /etc/convene-redis; container-entrypoint.sh (in the
# convene-redis image) builds the writable top-level files from them at every
# start, with the Kubernetes-specific parts (bind, announce names, replicaof)
# from the StatefulSets' environment.
apiVersion: v1
kind: ConfigMap
metadata:
  name: convene-redis-config
  labels:
    app.kubernetes.io/part-of: convene
data:
HEADER
  for f in redis.conf replication.conf sentinel.conf cluster.conf; do
    echo "  $f: |"
    sed -e 's/^/    /' -e 's/^ *$//' "$redis/$f"
  done
} > "$out.tmp"
mv "$out.tmp" "$out"
