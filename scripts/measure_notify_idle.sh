#!/usr/bin/env bash
# Issue 13 item 8: how long a valid notification takes while 1,000 idle or slow connections are
# held open on the notification endpoint (500 silent, 500 with an unfinished request head).
# Runs IngestServerHostileClientsTest.ThousandIdleAndSlowConnectionsDoNotDelayANotification
# (real sockets on an ephemeral loopback port) RUNS times and prints each measured latency.
#
#   bash scripts/measure_notify_idle.sh [--build-dir build] [--runs 3]
#
# Needs a built daemon_tests (cmake --build BUILD --target daemon_tests) and an open-file limit
# of at least 2,200 (the client and the server ends are in one process).
set -euo pipefail
build=build
runs=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
binary="$build/tests/daemon_tests"
[[ -x "$binary" ]] || { echo "no $binary: build the daemon_tests target first" >&2; exit 2; }
echo "ulimit -n: $(ulimit -n)"
for ((i = 1; i <= runs; i++)); do
  out=$("$binary" --gtest_filter='IngestServerHostileClientsTest.ThousandIdle*' 2>&1) || {
    echo "$out" >&2
    exit 1
  }
  echo "run $i: $(grep -o 'valid notification with .*' <<<"$out")"
done
