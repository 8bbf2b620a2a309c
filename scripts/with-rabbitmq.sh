#!/usr/bin/env bash
# Runs a command with a RabbitMQ broker on 127.0.0.1:5672, exported as TEST_RABBITMQ_URL.
# Uses the broker that already answers there; otherwise starts one in a scratch folder and stops it (by pid) afterwards.
set -euo pipefail

port=5672
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

export TEST_RABBITMQ_URL="amqp://guest:guest@127.0.0.1:$port/"
if answers; then
  exec "$@"
fi

dir=$(mktemp -d /tmp/lws-rabbitmq.XXXXXX)
stop() {
  local pid
  if [ -s "$dir/rabbit.pid" ]; then
    pid=$(cat "$dir/rabbit.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # The broker starts an epmd of its own; stop only that one, found by its listening port's owner.
  if [ -n "${epmd_pid:-}" ]; then kill -TERM "$epmd_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap stop EXIT

epmd_before=$(pgrep -x epmd || true)
(
  export HOME=$dir RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$port \
    RABBITMQ_DIST_PORT=25672 ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
    RABBITMQ_PID_FILE=$dir/rabbit.pid
  /usr/lib/rabbitmq/bin/rabbitmq-server -detached
)
for _ in $(seq 300); do answers && break; sleep 0.1; done
answers || { echo "with-rabbitmq: the broker did not answer on 127.0.0.1:$port within 30 s; logs in $dir/log" >&2; exit 1; }
if [ -z "$epmd_before" ]; then epmd_pid=$(pgrep -x epmd || true); fi

"$@"
