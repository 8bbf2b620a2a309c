#!/usr/bin/env bash
# Runs the live-webrtcsignaling images that `make builder` and `make release` build, as the original README did:
#   ./run.sh                 the release image
#   ./run.sh builder         the builder image: rebuilds this checkout (mounted at /src) and runs it
#   ./run.sh bash            a shell in the release image
#   ./run.sh builder bash    a shell in the builder image, this checkout mounted at /src
# The configuration comes from an env file: deploy/live-webrtcsignaling.env (copy the .example next to it and edit
# it; it is never committed), or the file ENV_FILE names. Host networking, as the original: the media UDP port and
# the loopback admin listener are the host's. IMAGE (default live-webrtcsignaling) and DOCKER (default docker)
# can be overridden.
# Without a Docker engine it runs the images with buildah, as make release builds them (scripts/image-lib.sh): the
# same command, host network and env file; the builder's caches are .cache/builder/ instead of docker volumes.
set -euo pipefail

usage() {
  echo "usage: ./run.sh [builder] [bash]" >&2
  exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
image=${IMAGE:-live-webrtcsignaling}
env_file=${ENV_FILE:-$here/deploy/live-webrtcsignaling.env}

stage=release
if [ "${1:-}" = builder ]; then
  stage=builder
  shift
fi
cmd=()
if [ "${1:-}" = bash ]; then
  cmd=(bash)
  shift
fi
[ $# -eq 0 ] || usage

if [ ! -f "$env_file" ]; then
  echo "run.sh: no env file at $env_file" >&2
  echo "run.sh: cp deploy/live-webrtcsignaling.env.example deploy/live-webrtcsignaling.env, edit it, or set ENV_FILE" >&2
  exit 1
fi

# shellcheck source=scripts/image-lib.sh
. "$here/scripts/image-lib.sh"
if [ "$ENGINE" = docker ]; then
  # --stop-timeout: docker stop waits for the drain (DRAIN_TIMEOUT, 60 s by default) and the bus flush.
  args=(run --rm --network=host --env-file "$env_file" --stop-timeout 90 --name "live-webrtcsignaling-$stage")
  if [ -t 0 ] && [ -t 1 ]; then
    args+=(-it)
  fi
  if [ "$stage" = builder ]; then
    args+=(-v "$here:/src" -w /src
      -v live-webrtcsignaling-gocache:/root/.cache/go-build -v live-webrtcsignaling-gomod:/go/pkg/mod)
  fi
  exec "$DOCKER" "${args[@]}" "$image:$stage" "${cmd[@]}"
fi

# buildah: a working container of the image, removed when its command ends. Stop it with SIGTERM (systemd's
# TimeoutStopSec=90, as docker stop -t 90): the server gets it and drains.
image_need_buildah
args=(--isolation chroot --network host)
# The env file as docker --env-file reads it: NAME=value lines, comments, and a bare NAME passing the caller's value.
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    "" | "#"*) ;;
    *=*) args+=(--env "$line") ;;
    *) [ -z "${!line+set}" ] || args+=(--env "$line=${!line}") ;;
  esac
done <"$env_file"
# buildah run needs the command: the image's own when none is given.
if [ ${#cmd[@]} -eq 0 ]; then
  mapfile -t cmd < <(buildah inspect --type image -f '{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' "$image:$stage")
fi
ctr=$(buildah from --pull-never -q "$image:$stage")
trap 'buildah rm "$ctr" >/dev/null' EXIT
if [ "$stage" = builder ]; then
  args+=(-v "$here:/src")
  # The Go caches outlive the container in .cache/builder/. A new one starts with what the image holds, as a new
  # docker volume does: the modules and the build cache of the image's own build.
  root=$(buildah mount "$ctr")
  for cache in go-build:/root/.cache/go-build gomod:/go/pkg/mod; do
    dir="$here/.cache/builder/${cache%%:*}"
    if [ ! -d "$dir" ]; then
      mkdir -p "$dir"
      [ ! -d "$root${cache#*:}" ] || cp -a "$root${cache#*:}/." "$dir/"
    fi
    args+=(-v "$dir:${cache#*:}")
  done
  buildah umount "$ctr" >/dev/null
fi
status=0
if [ -t 0 ] && [ -t 1 ]; then
  buildah run --terminal "${args[@]}" "$ctr" -- "${cmd[@]}" || status=$?
else
  image_run_command buildah run "${args[@]}" "$ctr" -- "${cmd[@]}" || status=$?
fi
exit "$status"
