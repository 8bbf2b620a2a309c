#!/usr/bin/env bash
# Media load test: the server in MCU mode and src/cmd/mediaload, together in a loopback-only network namespace.
# Usage: scripts/load-media.sh [mediaload flags...]  (defaults: 10 rooms x (1 publisher + 5 listeners) = 50 streams, 30 s)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${LWS_IN_NETNS:-}" != 1 ]; then
  go build -o bin/live-webrtcsignaling ./src/cmd/live-webrtcsignaling
  go build -o bin/mediaload ./src/cmd/mediaload
  root=""
  [ "$(id -u)" -eq 0 ] || root="--map-root-user"
  exec env LWS_IN_NETNS=1 unshare --net --pid --fork --mount-proc --kill-child $root \
    sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi

port=18080
admin=127.0.0.1:16060
secret=load-test-secret-not-for-production
token=load-test-admin-token-not-for-production
JWT_SECRET=$secret ADMIN_TOKEN=$token ADMIN_ADDR=$admin MEDIA_MODE=mcu PORT_NUMBER=$port BIND_ADDRESS=127.0.0.1 \
  PUBLIC_IPV4=127.0.0.1 UDP_PORT=42042 DRAIN_TIMEOUT=1s LOG_LEVEL=warn bin/live-webrtcsignaling &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

bin/mediaload -url http://127.0.0.1:$port -secret $secret -pid $server -admin http://$admin -admin-token $token "$@"
