# syntax=docker/dockerfile:1
#
# live-webrtcsignaling, in the three stages of the original README:
#   builder  Debian bookworm with Go 1.26, the -dev packages and the source; builds the binary with cgo. It is also
#            the development image: ./run.sh builder (rebuild and run the checkout), ./run.sh builder bash.
#   base     Debian bookworm-slim with only the runtime libraries and GStreamer plugins the binary uses.
#   release  base + the binary: non-root, HEALTHCHECK on /healthz, no secret, no source.
# Everything comes from Debian bookworm packages: nothing is built from source but the binary.
# The configuration is the environment at run time (docs/OPERATIONS.md); no secret is built in.
# A test (src/interop/ops_dockerfile_test.go) parses this file and checks the stages and the runtime packages.

# The official Go image on Debian bookworm: its Go is verified by the Go and Docker maintainers, and its Debian
# release is base's, so the -dev packages built against match the runtime libraries. For reproducible builds pin it
# by digest: --build-arg GO_IMAGE=golang:1.26-bookworm@sha256:<digest> (and BASE_IMAGE likewise). Where no registry
# serves them, make builder/base/release pass local stand-ins in these two arguments (scripts/image-standins.sh).
ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS builder
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      pkg-config gcc libc6-dev make git ca-certificates \
      libssl-dev libsrtp2-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev \
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
      gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Modules first, so that a change of the source does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-X main.version=${VERSION}" \
      -o bin/live-webrtcsignaling ./src/cmd/live-webrtcsignaling
# As a development image: rebuild what is in /src (./run.sh builder mounts the checkout there), then run it.
CMD ["sh", "-c", "go build -trimpath -o bin/live-webrtcsignaling ./src/cmd/live-webrtcsignaling && exec bin/live-webrtcsignaling"]

FROM ${BASE_IMAGE} AS base
ENV DEBIAN_FRONTEND=noninteractive
# The libraries the binary links (OpenSSL, libsrtp2, GLib, GStreamer core and base libraries), the GStreamer plugins
# of the media and transcoding pipelines, and the CA roots for amqps://.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libssl3 libsrtp2-1 libglib2.0-0 libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 \
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
      gstreamer1.0-plugins-ugly gstreamer1.0-libav \
 && rm -rf /var/lib/apt/lists/*

FROM base AS release
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin live-webrtcsignaling
COPY --from=builder /src/bin/live-webrtcsignaling /usr/local/bin/live-webrtcsignaling
# GStreamer caches its plugin registry under $HOME, which the service user does not have.
ENV GST_REGISTRY=/tmp/gstreamer-registry.bin
USER 10001:10001
# Public listener (websocket, web client, /healthz) and the media UDP port; the admin listener stays on loopback.
EXPOSE 8080/tcp 42042/udp 42042/tcp
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/usr/local/bin/live-webrtcsignaling", "healthcheck"]
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/live-webrtcsignaling"]
