#!/usr/bin/env bash
# make image-test: builds the Dockerfile's three stages as make builder/base/release do (scripts/image-build.sh),
# checks what the release image holds, then runs its server inside a loopback-only network namespace and checks it
# from there: /healthz, the healthcheck subcommand, its user, and two browser tests (src/e2e) against it. Prints the
# build times and image sizes.
#   scripts/image-test.sh          reuses what is already built and cached (a warm run)
#   scripts/image-test.sh --cold   first removes this project's images and stand-ins, and the engine's build cache
#                                  (buildah: every dangling image; docker: docker builder prune): a first build
# The docker path runs the server and the tests in the network namespace of a helper container started with
# --network none (docker cannot start a container in the caller's namespace); the buildah path in a namespace of its
# own (unshare), as the browser tests do.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=image-lib.sh
. "$here/scripts/image-lib.sh"

image=${IMAGE:-live-webrtcsignaling}
release="$image:release"
bin=/usr/local/bin/live-webrtcsignaling
# The browser tests run against the image: the relay one and the MCU one that a newcomer meets first.
e2e_run='^(TestRelayPagesDecodeEachOther|TestMCUPagesDecodeEachOther)$/^mcu$'

log() { echo "image-test: $*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}

# ---- inside the loopback-only namespace: the running server ----

# server_pid prints the pid of the image's server process in this network namespace.
server_pid() {
  local netns pid exe
  netns=$(readlink /proc/self/ns/net)
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    case "$exe" in
      *"$bin") [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "$netns" ] && echo "$pid" && return 0 ;;
    esac
  done
  return 1
}

inside() {
  local tmp=$1 server_args=("${@:2}") port=8080 secret pid status deadline uid
  local links
  links=$(awk 'NR > 2 { sub(":", "", $1); print $1 }' /proc/net/dev | xargs)
  [ "$links" = lo ] || fail "not in a loopback-only network namespace: $links"
  # A production configuration: a JWT secret (generated here, never printed), the default listeners.
  secret=$(head -c 32 /dev/urandom | base64 | tr -d '\n/+=')
  local config=(PATH="$PATH" JWT_SECRET="$secret" PORT_NUMBER="$port" LOG_FORMAT=json DRAIN_TIMEOUT=5s)

  env -i "${config[@]}" "$here/scripts/image-server.sh" "${server_args[@]}" >"$tmp/server.log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$tmp/server.log" >&2; fail "the server exited before answering /healthz"; }
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$tmp/server.log" >&2; fail "/healthz did not answer within 60 s"; }
    sleep 0.2
  done
  log "ok: /healthz answers 200 (the server took $((SECONDS + 60 - deadline)) s to start)"

  status=0
  env -i "${config[@]}" "$here/scripts/image-server.sh" "${server_args[@]}" healthcheck >"$tmp/healthcheck.log" 2>&1 ||
    status=$?
  [ "$status" = 0 ] || { cat "$tmp/healthcheck.log" >&2; fail "the healthcheck subcommand exited $status"; }
  log "ok: '$(basename "$bin") healthcheck' exits 0"

  local server
  server=$(server_pid) || fail "no $bin process in this namespace"
  uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$server/status")
  for id in $uid; do
    [ "$id" != 0 ] || fail "the server runs as root (uids $uid)"
  done
  log "ok: the server runs as uid ${uid%% *} ($(awk '/^Gid:/ { print "gid " $2 }' "/proc/$server/status"))"

  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" = 0 ] || { tail -n 20 "$tmp/server.log" >&2; fail "the server exited $status after SIGTERM"; }
  ! grep -qF "$secret" "$tmp/server.log" || fail "the server's log holds the JWT secret"
  log "ok: SIGTERM stops it with status 0; its log never shows the JWT secret"

  log "browser tests against the image's server: $e2e_run"
  local e2e_status=0
  (cd "$here/src/e2e" && E2E_SERVER="$here/scripts/image-server.sh ${server_args[*]}" LIVE_WEBRTCSIGNALING_E2E_NETNS=1 \
    "$tmp/e2e.test" -test.count=1 -test.timeout=10m -test.v -test.run "$e2e_run") >"$tmp/e2e.log" 2>&1 ||
    e2e_status=$?
  grep -E '^\s*--- (PASS|FAIL|SKIP)' "$tmp/e2e.log" >&2 || true
  if [ "$e2e_status" != 0 ]; then
    # The reason is in the tests' own lines (name_test.go:N: ...), often above the logs a failed test prints last.
    grep -E '^\s+[a-z0-9_]+_test\.go:[0-9]+: ' "$tmp/e2e.log" | head -n 40 >&2 || true
    tail -n 60 "$tmp/e2e.log" >&2
    fail "browser tests failed"
  fi
  log "ok: browser tests pass against the image's server"
}

if [ "${1:-}" = --inside ]; then
  shift
  inside "$@"
  exit 0
fi

# ---- outside: build, then check the image's content ----

[ "$ENGINE" = docker ] || "$here/scripts/install-deps.sh" --image

cold=0
case "${1:-}" in
  --cold) cold=1 ;;
  "") ;;
  *) echo "usage: scripts/image-test.sh [--cold]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
cleanup_steps=("rm -rf '$tmp'")
cleanup() {
  local i
  for ((i = ${#cleanup_steps[@]} - 1; i >= 0; i--)); do eval "${cleanup_steps[$i]}" || true; done
}
trap cleanup EXIT

if [ "$cold" = 1 ]; then
  log "cold: removing $image:{builder,base,release}, the stand-ins and the build cache ($ENGINE)"
  standins=$(sed -n 's/^ARG \(GO\|BASE\)_IMAGE=/localhost\//p' "$here/Dockerfile")
  for name in "$image:builder" "$image:base" "$release" $standins; do
    if image_exists "$name"; then
      if [ "$ENGINE" = docker ]; then "$DOCKER" rmi -f "$name" >/dev/null; else buildah rmi -f "$name" >/dev/null; fi
    fi
  done
  if [ "$ENGINE" = docker ]; then "$DOCKER" builder prune -af >/dev/null; else buildah rmi --prune >/dev/null || true; fi
fi

declare -A took
start_all=$SECONDS
for stage in builder base release; do
  start=$SECONDS
  log "building $image:$stage"
  "$here/scripts/image-build.sh" "$stage" >"$tmp/build-$stage.log" 2>&1 ||
    { tail -n 40 "$tmp/build-$stage.log" >&2; fail "building $stage"; }
  took[$stage]=$((SECONDS - start))
  grep -h '^image-standins\|^image-build' "$tmp/build-$stage.log" >&2 || true
  log "$image:$stage built in ${took[$stage]} s"
done

# The release image's file system and configuration.
start=$SECONDS
if [ "$ENGINE" = docker ]; then
  ctr=$("$DOCKER" create "$release")
  cleanup_steps+=("'$DOCKER' rm '$ctr' >/dev/null")
  root="$tmp/rootfs"
  mkdir "$root"
  "$DOCKER" export "$ctr" | tar -C "$root" -x
  config_env=$("$DOCKER" image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$release")
  config_user=$("$DOCKER" image inspect -f '{{.Config.User}}' "$release")
  run_in_image() { "$DOCKER" run --rm --network none --entrypoint "$1" "$release" "${@:2}"; }
else
  ctr=$(buildah from --pull-never -q "$release")
  cleanup_steps+=("buildah rm '$ctr' >/dev/null 2>&1")
  root=$(buildah mount "$ctr")
  config_env=$(buildah inspect --type image -f '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$release")
  config_user=$(buildah inspect --type image -f '{{.OCIv1.Config.User}}' "$release")
  run_in_image() { buildah run --isolation chroot --network host "$ctr" -- "$@"; }
fi

[ -x "$root$bin" ] || fail "no $bin in the image"
found=$(cd "$root" && find . -xdev \( -name '*.go' -o -name go.mod -o -name go.sum -o -path ./src \) -print | head -n 5)
[ -z "$found" ] || fail "the image holds source: $found"
log "ok: no source (no .go, go.mod, go.sum, /src)"
found=$(cd "$root" && find . -xdev \( -path '*/bin/go' -o -path '*/bin/gofmt' -o -path '*/pkg/tool' -o -path ./usr/local/go \
  -o -path ./go \) -print | head -n 5)
[ -z "$found" ] || fail "the image holds a Go toolchain: $found"
log "ok: no Go toolchain"
names=$(echo "$config_env" | cut -d= -f1 | grep -iE 'secret|token|passw|private|_key$|credential' || true)
[ -z "$names" ] || fail "the image's environment sets $names"
found=$(cd "$root" && find . -xdev \( -name '*.key' -o -name '*.env' -o -name '*.p12' -o -name 'id_rsa*' -o -name 'id_ed25519*' \
  \) -print | head -n 5)
[ -z "$found" ] || fail "the image holds key or env files: $found"
# PEM is text: binaries (libraries hold the header strings, not keys) are skipped.
found=$(cd "$root" && grep -rlsIE -e '-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----' . | head -n 5 || true)
[ -z "$found" ] || fail "the image holds a private key: $found"
log "ok: no secret (environment: $(echo "$config_env" | cut -d= -f1 | xargs); no key, env or PEM private key file)"
case "$config_user" in
  "" | 0 | 0:* | root | root:*) fail "the image runs as root (USER '$config_user')" ;;
esac
log "ok: USER $config_user"
ldd_out=$(run_in_image ldd "$bin" 2>&1) || fail "ldd $bin in the image: $ldd_out"
if grep -q 'not found' <<<"$ldd_out"; then
  fail "unresolved shared libraries in the image: $(grep 'not found' <<<"$ldd_out" | xargs)"
fi
log "ok: every shared library of the binary resolves in the image ($(grep -c '=>' <<<"$ldd_out") libraries)"
took[content]=$((SECONDS - start))

# ---- inside a loopback-only network namespace: the server running from the image ----

start=$SECONDS
log "building the browser tests"
(cd "$here" && go test -c -o "$tmp/e2e.test" ./src/e2e)
if [ "$ENGINE" = docker ]; then
  netns_ctr="live-webrtcsignaling-image-test-$$"
  "$DOCKER" run -d --rm --network none --name "$netns_ctr" "$release" sleep infinity >/dev/null
  cleanup_steps+=("'$DOCKER' rm -f '$netns_ctr' >/dev/null")
  netns_pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$netns_ctr")
  nsenter --net="/proc/$netns_pid/ns/net" "$0" --inside "$tmp" --netns-container "$netns_ctr" "$release"
else
  # A server killed with the namespace leaves its working container: remove what is left of them at the end.
  cleanup_steps+=("buildah containers -q --filter 'ancestor=$release' | xargs -r buildah rm >/dev/null 2>&1")
  unshare --net --pid --fork --mount-proc --kill-child sh -c 'ip link set lo up && exec "$@"' sh \
    "$0" --inside "$tmp" "$release"
fi
took[run]=$((SECONDS - start))

echo
echo "image-test: passed ($ENGINE), $((SECONDS - start_all)) s in all"
printf '  %-8s %9s %10s\n' stage build size
for stage in builder base release; do
  printf '  %-8s %7s s %10s\n' "$stage" "${took[$stage]}" "$(image_size "$image:$stage")"
done
printf '  %-8s %7s s   (no source, toolchain or secret; user; ldd)\n' content "${took[content]}"
printf '  %-8s %7s s   (the server in a loopback-only namespace; browser tests against it)\n' run "${took[run]}"
