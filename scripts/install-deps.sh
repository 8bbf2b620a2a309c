#!/usr/bin/env bash
# Installs what building, running and testing live-webrtcsignaling needs on Debian 12.
# Idempotent: when everything is present it only checks, in about a second.
set -euo pipefail

packages=(
  pkg-config gcc libc6-dev make git ca-certificates iproute2 util-linux procps
  libssl-dev libsrtp2-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
)
for flag in "$@"; do
  case "$flag" in
    # Test-only packages: a browser for the end-to-end tests (nftables for the one that blocks UDP), a broker for
    # the bus tests.
    --test) packages+=(chromium nftables rabbitmq-server curl) ;;
    # Image builds (make builder/base/release, make image-test): buildah builds the Dockerfile where no Docker
    # engine answers, and debootstrap makes the local Debian root file system that stands in for registry images.
    --image)
      packages+=(debootstrap)
      docker info >/dev/null 2>&1 || packages+=(buildah)
      ;;
    *) echo "usage: install-deps.sh [--test] [--image]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  # A broker installed by apt must not start on its own: tests start (and stop) the one they need.
  if printf '%s\n' "${missing[@]}" | grep -qx rabbitmq-server && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

command -v go >/dev/null 2>&1 || { echo "install-deps: Go 1.26 is required (https://go.dev/dl/) and is not on PATH" >&2; exit 1; }
