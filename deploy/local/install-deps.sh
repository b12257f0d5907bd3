#!/usr/bin/env bash
# Installs the Debian 12 packages Convene builds, runs and tests with, if any
# is missing. Needs root (apt-get) only when something is missing.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config ccache
  # gRPC and Protocol Buffers (libgrpc++-dev does not pull in libprotobuf-dev)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  # core libraries
  libabsl-dev libhiredis-dev libevent-dev libhowardhinnant-date-dev libssl-dev tzdata
  # webhooks: HTTP POST through libcurl (TLS, redirects, timeouts done right)
  libcurl4-openssl-dev
  # the servers' allocator (cmake/ConveneOptions.cmake says why)
  libjemalloc-dev
  # GET /metrics for Prometheus: a small HTTP server (cpp-httplib) rather
  # than a hand-written HTTP parser
  libcpp-httplib-dev
  # tests: libical checks the iCalendar Convene writes (RFC 5545/5546 restrictions)
  libical-dev
  # Redis, for running and testing
  redis-server redis-tools
  # tests: GoogleTest; Python's grpcio and icalendar as clients nobody here wrote
  libgtest-dev libgmock-dev python3 python3-grpcio python3-protobuf python3-icalendar
  # tests of the e-mail sink: a real SMTP server on loopback
  python3-aiosmtpd
  # tests of convene-web in a real browser: headless chromium driven by selenium
  chromium chromium-driver python3-selenium
  # fuzzing (tests/fuzz): libFuzzer comes with clang, not GCC; Debian ships its
  # runtime (libclang_rt.fuzzer, <fuzzer/FuzzedDataProvider.h>) in
  # libclang-rt-14-dev, which clang only recommends
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: these packages are missing and installing them needs root:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The redis-server package starts a system-wide server on port 6379; Convene
# never uses it (it starts its own on a private socket), so leave it alone.
