#!/bin/sh
# Writes the secret-bearing Redis files from password files, so that no
# password ever sits in a config file under version control or on a command
# line (where ps and logs would show it).
#
#   render-secrets.sh SECRETS_DIR OUT_DIR [SENTINEL_TEMPLATE]
#
# SECRETS_DIR holds one password per file (a trailing newline is ignored):
#   convene-password    the services' ACL user (required)
#   replica-password    replication (Sentinel setups)
#   sentinel-password   Sentinel's ACL user (Sentinel setups)
#   cluster-admin-password  the operator's ACL user clusteradmin (Cluster setups)
# It writes into OUT_DIR:
#   users.acl           from users.acl.template, with SHA-256 hashes only
#   masterauth.conf     "masterauth <replica password>" (with a replica password)
#   sentinel.conf       SENTINEL_TEMPLATE plus "sentinel auth-pass" (when given)
# Files are created mode 0640 (0600 for sentinel.conf); run it as the user
# Redis runs as, or chown the results to it.
#
# Passwords: at least 16 characters, none of them blank, quote or backslash
# (they go into config lines). Make them with, for example,
#   head -c 24 /dev/urandom | base64 | tr -d '/+=' > convene-password
#
# Used by deploy/redis/container-entrypoint.sh (compose, Kubernetes) and by
# hand on hosts; exercised by deploy/redis/check-configs.sh.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
template="${CONVENE_ACL_TEMPLATE:-$here/users.acl.template}"

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  sed -n '2,21s/^# \{0,1\}//p' "$0" >&2
  exit 2
fi
secrets="$1"
out="$2"
sentinel_template="${3:-}"

die() { echo "render-secrets: $*" >&2; exit 1; }

# read_secret NAME: prints the password in SECRETS_DIR/NAME, or nothing when
# the file is absent; dies on a password that would break a config line.
read_secret() {
  f="$secrets/$1"
  [ -f "$f" ] || return 0
  pw="$(cat "$f")"
  case "$pw" in
    *[[:space:]]* | *\"* | *\'* | *\\*)
      die "$f: blanks, quotes and backslashes are not allowed" ;;
  esac
  [ "${#pw}" -ge 16 ] || die "$f: shorter than 16 characters"
  printf '%s' "$pw"
}

sha256() { printf '%s' "$1" | sha256sum | cut -c1-64; }

convene_pw="$(read_secret convene-password)"
replica_pw="$(read_secret replica-password)"
sentinel_pw="$(read_secret sentinel-password)"
cluster_admin_pw="$(read_secret cluster-admin-password)"
[ -n "$convene_pw" ] || die "$secrets/convene-password is missing"
[ -f "$template" ] || die "$template is missing"

mkdir -p "$out"
umask 027

# users.acl: drop comments (Redis ACL files allow none) and the lines of
# users without a password here; replace each placeholder by its hash.
acl_tmp="$out/.users.acl.$$"
convene_hash="$(sha256 "$convene_pw")"
replica_hash=""
sentinel_hash=""
cluster_admin_hash=""
[ -z "$cluster_admin_pw" ] || cluster_admin_hash="$(sha256 "$cluster_admin_pw")"
[ -z "$replica_pw" ] || replica_hash="$(sha256 "$replica_pw")"
[ -z "$sentinel_pw" ] || sentinel_hash="$(sha256 "$sentinel_pw")"
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    '' | '#'*) continue ;;
    *@REPLICA_PASSWORD_SHA256@*) [ -n "$replica_hash" ] || continue ;;
    *@SENTINEL_PASSWORD_SHA256@*) [ -n "$sentinel_hash" ] || continue ;;
    *@CLUSTER_ADMIN_PASSWORD_SHA256@*) [ -n "$cluster_admin_hash" ] || continue ;;
  esac
  printf '%s\n' "$line"
done < "$template" |
  sed -e "s/@CONVENE_PASSWORD_SHA256@/$convene_hash/" \
      -e "s/@REPLICA_PASSWORD_SHA256@/$replica_hash/" \
      -e "s/@SENTINEL_PASSWORD_SHA256@/$sentinel_hash/" \
      -e "s/@CLUSTER_ADMIN_PASSWORD_SHA256@/$cluster_admin_hash/" > "$acl_tmp"
if grep -q '@[A-Z_]*_SHA256@' "$acl_tmp"; then
  rm -f "$acl_tmp"
  die "$template has a placeholder this script does not know"
fi
chmod 0640 "$acl_tmp"
mv -f "$acl_tmp" "$out/users.acl"

if [ -n "$replica_pw" ]; then
  printf 'masterauth "%s"\n' "$replica_pw" > "$out/.masterauth.conf.$$"
  chmod 0640 "$out/.masterauth.conf.$$"
  mv -f "$out/.masterauth.conf.$$" "$out/masterauth.conf"
fi

if [ -n "$sentinel_template" ]; then
  [ -n "$sentinel_pw" ] || die "a Sentinel needs $secrets/sentinel-password"
  umask 077
  # Sentinel rewrites its file and keeps auth-pass in it; drop any earlier
  # auth-pass so a rotated password replaces the old one.
  grep -v '^sentinel auth-pass ' "$sentinel_template" > "$out/.sentinel.conf.$$" || true
  printf 'sentinel auth-pass convene "%s"\n' "$sentinel_pw" >> "$out/.sentinel.conf.$$"
  mv -f "$out/.sentinel.conf.$$" "$out/sentinel.conf"
fi
