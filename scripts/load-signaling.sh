#!/usr/bin/env bash
# Signaling load test: the server in relay mode and the load tool, together in a loopback-only network namespace.
# Usage: scripts/load-signaling.sh [loadtest flags...]   (defaults: 10,000 connections, 500 joins/s, 5,000 msg/s)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${LWS_IN_NETNS:-}" != 1 ]; then
  go build -o bin/live-webrtcsignaling ./src/cmd/live-webrtcsignaling
  go build -o bin/loadtest ./src/cmd/loadtest
  root=""
  [ "$(id -u)" -eq 0 ] || root="--map-root-user"
  exec env LWS_IN_NETNS=1 unshare --net --pid --fork --mount-proc --kill-child $root \
    sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

port=18080
# Every client of the tool comes from 127.0.0.1: the cap of websockets not yet joined per address (64 by default,
# meant for one client's address) would refuse a join burst delayed by the load; the total cap still applies.
JWT_SECRET=load-test-secret-not-for-production MEDIA_MODE=relay PORT_NUMBER=$port BIND_ADDRESS=127.0.0.1 ADMIN_ADDR= \
  DRAIN_TIMEOUT=1s LOG_LEVEL=warn WS_UNAUTH_PER_ADDRESS=10000 bin/live-webrtcsignaling &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

bin/loadtest -url ws://127.0.0.1:$port/api -secret load-test-secret-not-for-production -pid $server \
  -conns 10000 -join-rate 500 -msg-rate 5000 -duration 30s "$@"
