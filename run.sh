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
set -euo pipefail

usage() {
  echo "usage: ./run.sh [builder] [bash]" >&2
  exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
image=${IMAGE:-live-webrtcsignaling}
env_file=${ENV_FILE:-$here/deploy/live-webrtcsignaling.env}
docker=${DOCKER:-docker}

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

# --stop-timeout: docker stop waits for the drain (DRAIN_TIMEOUT, 60 s by default) and the bus flush.
args=(run --rm --network=host --env-file "$env_file" --stop-timeout 90 --name "live-webrtcsignaling-$stage")
if [ -t 0 ] && [ -t 1 ]; then
  args+=(-it)
fi
if [ "$stage" = builder ]; then
  args+=(-v "$here:/src" -w /src
    -v live-webrtcsignaling-gocache:/root/.cache/go-build -v live-webrtcsignaling-gomod:/go/pkg/mod)
fi
exec "$docker" "${args[@]}" "$image:$stage" "${cmd[@]}"
