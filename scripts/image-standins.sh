#!/usr/bin/env bash
# Makes the local images that stand in for the Dockerfile's FROM images where no registry can be reached, and prints
# the build arguments that select them (one per line, for docker build / buildah bud):
#   localhost/debian:bookworm-slim   for BASE_IMAGE (debian:bookworm-slim): Debian bookworm from debootstrap
#                                    --variant=minbase, made slim as the official image is (no documentation, manual
#                                    pages or translations; downloaded packages not kept), with the bookworm,
#                                    bookworm-updates and bookworm-security sources
#   localhost/golang:1.26-bookworm   for GO_IMAGE (golang:1.26-bookworm): that system plus a Go toolchain in
#                                    /usr/local/go and the official image's environment (GOPATH=/go, PATH, GOTOOLCHAIN),
#                                    and this machine's CA bundle in /usr/local/share/ca-certificates (see make_go)
# The toolchain is the GOROOT that `go` resolves for GO_TOOLCHAIN: `local` (the default) copies the host's own, and
# e.g. GO_TOOLCHAIN=go1.26.1 downloads that release through the Go module proxy (the go command checks it against
# the checksum database). It must be the Go release that GO_IMAGE names.
# Idempotent: a stand-in that exists is kept; IMAGE_STANDINS_REBUILD=1 makes both again. DEBIAN_MIRROR (default
# http://deb.debian.org/debian) is where debootstrap and apt fetch packages. Needs root (debootstrap).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=image-lib.sh
. "$here/scripts/image-lib.sh"

command -v debootstrap >/dev/null 2>&1 || "$here/scripts/install-deps.sh" --image
image_need_buildah

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work="$here/.cache/image-standins"

# The FROM images the Dockerfile names by default, and their stand-ins' names.
dockerfile_default() { sed -n "s/^ARG $1=//p" "$here/Dockerfile" | head -n 1; }
go_image=$(dockerfile_default GO_IMAGE)
base_image=$(dockerfile_default BASE_IMAGE)
go_standin="localhost/${go_image%%@*}"
base_standin="localhost/${base_image%%@*}"
go_release=${go_image#golang:}
go_release=${go_release%%-*}

log() { echo "image-standins: $*" >&2; }

make_base() {
  local rootfs="$work/rootfs" start=$SECONDS
  rm -rf "$work"
  mkdir -p "$rootfs"
  log "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 20 "$work/debootstrap.log" >&2
    exit 1
  }
  # As the official slim image: dpkg leaves out documentation (but the copyright files), manual pages and
  # translations; apt does not keep downloaded packages; what debootstrap left of them goes now.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
  echo 'APT::Keep-Downloaded-Packages "false";' >"$rootfs/etc/apt/apt.conf.d/no-package-cache"
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,locale}/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  tar -C "$rootfs" --numeric-owner -cf "$work/rootfs.tar" .
  rm -rf "$rootfs"
  printf 'FROM scratch\nADD rootfs.tar /\nCMD ["bash"]\n' >"$work/Dockerfile"
  image_build -q -t "$base_standin" -f "$work/Dockerfile" "$work" >/dev/null
  rm -rf "$work"
  log "$base_standin made in $((SECONDS - start)) s"
}

make_go() {
  local goroot version start=$SECONDS
  goroot=$(GOTOOLCHAIN=${GO_TOOLCHAIN:-local} go env GOROOT)
  version=$(GOTOOLCHAIN=${GO_TOOLCHAIN:-local} go env GOVERSION)
  case "$version" in
    "go$go_release" | "go$go_release".*) ;;
    *)
      echo "image-standins: $go_image needs Go $go_release and GO_TOOLCHAIN=${GO_TOOLCHAIN:-local} gives $version:" \
        "set GO_TOOLCHAIN=go$go_release.N (any $go_release release)" >&2
      exit 1
      ;;
  esac
  log "$go_standin: $base_standin and $version from $goroot"
  rm -rf "$work"
  mkdir -p "$work/ca"
  cp -a "$goroot" "$work/go"
  # The builder trusts what this machine trusts: where HTTPS passes through an intercepting proxy (as on the build
  # machines), go mod download needs the proxy's certificate authority. The builder's apt-get install ca-certificates
  # adds what is in /usr/local/share/ca-certificates to the bundle Go reads. Only this stand-in has it: base, and so
  # release, start from the Debian one.
  local bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  [ ! -f "$bundle" ] || cp "$bundle" "$work/ca/host-ca-certificates.crt"
  cat >"$work/Dockerfile" <<EOF
FROM $base_standin
COPY go /usr/local/go
COPY ca /usr/local/share/ca-certificates
ENV GOLANG_VERSION=${version#go} GOTOOLCHAIN=local GOPATH=/go
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
EOF
  image_build -q -t "$go_standin" -f "$work/Dockerfile" "$work" >/dev/null
  rm -rf "$work"
  log "$go_standin made in $((SECONDS - start)) s"
}

if [ "${IMAGE_STANDINS_REBUILD:-}" = 1 ] || ! image_exists "$base_standin"; then
  make_base
  # The Go stand-in is built on the base one: a new base needs a new Go stand-in.
  IMAGE_STANDINS_REBUILD=1
fi
if [ "${IMAGE_STANDINS_REBUILD:-}" = 1 ] || ! image_exists "$go_standin"; then
  make_go
fi
echo "GO_IMAGE=$go_standin"
echo "BASE_IMAGE=$base_standin"
