#!/usr/bin/env bash
# Every Redis key, channel and key prefix is built in services/storage/keys.h
# and handed to scripts: no other source, script or client spells "cv:" in
# a string literal. Fails, listing them, when one does.
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
found="$(grep -rnE "[\"']cv:" "$root/services" "$root/clients" \
  --include='*.cc' --include='*.h' --include='*.lua' --include='*.py' \
  | grep -v "^$root/services/storage/keys.h:" || true)"
if [ -n "$found" ]; then
  echo "key literals outside services/storage/keys.h:"
  echo "$found"
  exit 1
fi
echo "key literals: none outside services/storage/keys.h"
