#!/usr/bin/env bash
# Builds one stage of the Dockerfile (builder, base or release) as $IMAGE:<stage>, with docker where a Docker engine
# answers, else with buildah (scripts/image-lib.sh): the same Dockerfile either way.
#   scripts/image-build.sh release
# IMAGE (default live-webrtcsignaling) and VERSION (default git describe) as in the Makefile. GO_IMAGE and BASE_IMAGE
# replace the Dockerfile's FROM images (e.g. pinned by digest). Without them, where the Dockerfile's own FROM images
# are neither here nor can be pulled (no registry reachable), local stand-ins are made and used instead
# (scripts/image-standins.sh: Debian from debootstrap, the Go toolchain from the host or the Go module proxy);
# IMAGE_OFFLINE=1 uses them without trying a registry, IMAGE_OFFLINE=0 never.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=image-lib.sh
. "$here/scripts/image-lib.sh"

# buildah, and debootstrap for the stand-ins, with the project's idempotent installer (a second when present).
[ "$ENGINE" = docker ] || "$here/scripts/install-deps.sh" --image

stage=${1:-}
case "$stage" in
  builder | base | release) ;;
  *) echo "usage: scripts/image-build.sh builder|base|release" >&2; exit 2 ;;
esac
image=${IMAGE:-live-webrtcsignaling}
version=${VERSION:-$(git -C "$here" describe --tags --always --dirty 2>/dev/null || echo dev)}

# available tells whether an image is here or can be pulled.
available() { image_exists "$1" || image_pull "$1" 2>/dev/null; }

from_args=()
[ -z "${GO_IMAGE:-}" ] || from_args+=(--build-arg "GO_IMAGE=$GO_IMAGE")
[ -z "${BASE_IMAGE:-}" ] || from_args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
if [ ${#from_args[@]} -eq 0 ] && [ "${IMAGE_OFFLINE:-}" != 0 ]; then
  offline=${IMAGE_OFFLINE:-}
  if [ -z "$offline" ]; then
    offline=0
    for from in $(sed -n 's/^ARG \(GO\|BASE\)_IMAGE=//p' "$here/Dockerfile"); do
      if ! available "$from"; then
        echo "image-build: $from cannot be pulled here: building from local stand-ins (scripts/image-standins.sh)" >&2
        offline=1
        break
      fi
    done
  fi
  if [ "$offline" = 1 ]; then
    for arg in $("$here/scripts/image-standins.sh"); do
      from_args+=(--build-arg "$arg")
    done
  fi
fi

image_build --target "$stage" --build-arg "VERSION=$version" "${from_args[@]}" -t "$image:$stage" "$here"
