# Sourced by the image scripts (image-build.sh, image-standins.sh, image-server.sh, image-test.sh, run.sh): which
# container engine builds and runs the images, and the few operations they need from it.
#
# docker when a Docker engine answers (the client is $DOCKER, default docker); else buildah, which builds a
# Dockerfile without a daemon. buildah runs with chroot isolation and the host's network (here: the caller's network
# namespace), the only settings that work on a machine without a daemon and with a kernel podman cannot use
# (docs/OPERATIONS.md, "Deploy"). IMAGE_ENGINE=docker or IMAGE_ENGINE=buildah forces the choice.

# image_engine prints the engine to use.
image_engine() {
  if [ -n "${IMAGE_ENGINE:-}" ]; then
    echo "$IMAGE_ENGINE"
  elif "${DOCKER:-docker}" info >/dev/null 2>&1; then
    echo docker
  else
    echo buildah
  fi
}

ENGINE=$(image_engine)
case "$ENGINE" in
  docker) DOCKER=${DOCKER:-docker} ;;
  buildah) ;;
  *) echo "IMAGE_ENGINE=$ENGINE: want docker or buildah" >&2; exit 1 ;;
esac

# image_need_buildah fails with a hint when the engine is buildah and it is not installed.
image_need_buildah() {
  [ "$ENGINE" != buildah ] || command -v buildah >/dev/null 2>&1 || {
    echo "no Docker engine answers and buildah is not installed: scripts/install-deps.sh --image installs it" >&2
    exit 1
  }
}

# image_build builds with the engine; the arguments are docker build's (--target, --build-arg, -t, -f, context).
# buildah keeps each step as a layer (--layers), as docker does, so that a rebuild reuses what did not change, and
# removes the working container of a failed step (--force-rm).
image_build() {
  if [ "$ENGINE" = docker ]; then
    "$DOCKER" build "$@"
  else
    buildah bud --isolation chroot --network host --layers --force-rm "$@"
  fi
}

# image_exists tells whether the image is in local storage.
image_exists() {
  if [ "$ENGINE" = docker ]; then
    "$DOCKER" image inspect "$1" >/dev/null 2>&1
  else
    buildah inspect --type image "$1" >/dev/null 2>&1
  fi
}

# image_pull fetches an image from its registry; it fails where the registry cannot be reached.
image_pull() {
  if [ "$ENGINE" = docker ]; then
    "$DOCKER" pull -q "$1" >/dev/null
  else
    buildah pull -q "$1" >/dev/null
  fi
}

# image_size prints the image's size (its layers, uncompressed), e.g. "772 MB".
image_size() {
  if [ "$ENGINE" = docker ]; then
    echo "$(($("$DOCKER" image inspect -f '{{.Size}}' "$1") / 1000000)) MB"
  else
    buildah images --format '{{.Size}}' --filter "reference=$1" | head -n 1
  fi
}

# image_run_command runs an engine's run command (docker run ..., buildah run ...) in the background, passes SIGTERM
# and SIGINT on to the command in the container, and returns its exit status. docker run passes them on itself;
# buildah run would kill its command (SIGKILL) instead, and the server must get SIGTERM to drain: the signal goes to
# the command directly, the child of buildah's chroot-exec process.
image_run_command() {
  # In the background but with this script's stdin (bash would give it /dev/null).
  "$@" <&0 &
  local pid=$! status=0
  # shellcheck disable=SC2064 # the pid is fixed now
  trap "image_signal $pid TERM" TERM
  # shellcheck disable=SC2064
  trap "image_signal $pid INT" INT
  # wait returns early when a trapped signal arrives: wait again until the command has exited.
  while kill -0 "$pid" 2>/dev/null; do
    wait "$pid" && status=0 || status=$?
  done
  trap - TERM INT
  return "$status"
}

# image_signal sends signal $2 to what the run command of pid $1 runs.
image_signal() {
  local child parent
  if [ "$ENGINE" = docker ]; then
    kill "-$2" "$1" 2>/dev/null || true
    return 0
  fi
  for child in $(image_descendants "$1"); do
    parent=$(ps -o ppid= -p "$child" | tr -d ' ')
    if [ -n "$parent" ] && [ "$(tr '\0' '\n' <"/proc/$parent/cmdline" 2>/dev/null | head -n 1)" = buildah-chroot-exec ]; then
      kill "-$2" "$child" 2>/dev/null || true
    fi
  done
}

# image_descendants prints the pids of every descendant of pid $1.
image_descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    image_descendants "$child"
  done
}
