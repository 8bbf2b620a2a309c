#!/usr/bin/env bash
# Runs the server of a release image with this script's environment as its configuration: every variable the script
# receives but PATH is given to the server, so start it from a clean environment:
#   env -i PATH="$PATH" JWT_SECRET=... PORT_NUMBER=8080 scripts/image-server.sh [--netns-container NAME] IMAGE [ARGS]
# ARGS replace the image's command's arguments (e.g. healthcheck). The server runs as the image's user, in the
# network namespace of the caller with buildah, of container NAME with docker (--netns-container; without it,
# docker's host network). SIGTERM and SIGINT are passed on to the server; the script exits with its status.
# make image-test starts it, and the browser tests do when E2E_SERVER names it (src/e2e/doc.go).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# The configuration: what the caller gave, before image-lib.sh or bash add anything.
env_args=()
while IFS= read -r -d '' var; do
  case "${var%%=*}" in
    PATH | PWD | SHLVL | _ | OLDPWD) ;;
    *) env_args+=(--env "$var") ;;
  esac
done < <(env -0)

# shellcheck source=image-lib.sh
. "$here/scripts/image-lib.sh"
image_need_buildah

netns_container=
if [ "${1:-}" = --netns-container ]; then
  netns_container=$2
  shift 2
fi
image=${1:?usage: image-server.sh [--netns-container NAME] IMAGE [ARGS...]}
shift
bin=/usr/local/bin/live-webrtcsignaling

status=0
if [ "$ENGINE" = docker ]; then
  network=host
  [ -z "$netns_container" ] || network="container:$netns_container"
  image_run_command "$DOCKER" run --rm -i --network "$network" "${env_args[@]}" "$image" "$bin" "$@" || status=$?
else
  # buildah run takes a working container; it is removed when the server has exited.
  ctr=$(buildah from --pull-never -q "$image")
  trap 'buildah rm "$ctr" >/dev/null' EXIT
  image_run_command buildah run --isolation chroot --network host "${env_args[@]}" "$ctr" -- "$bin" "$@" || status=$?
fi
exit "$status"
