# live-webrtcsignaling. `make run` and `make test` do every set-up step on a fresh Debian 12 machine.

GO          ?= go
BIN         := bin/live-webrtcsignaling
TOOLS       := $(CURDIR)/.tools/bin
GOIMPORTS   := $(TOOLS)/goimports
STATICCHECK := $(TOOLS)/staticcheck
INTEROP     := src/interop
FUZZTIME    ?= 5m

# Packages of the product module, without the browser tests (they run alone, in their own network namespace).
UNIT_PKGS = $$($(GO) list ./... | grep -v '/src/e2e')

.PHONY: all deps test-deps tools build run test lint unit interop e2e fuzz bench load load-media figures-media
.PHONY: figures-transcode clean
.PHONY: builder base release image-test image-test-cold pushReleaseToDev

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

$(GOIMPORTS):
	GOBIN=$(TOOLS) $(GO) install golang.org/x/tools/cmd/goimports@v0.52.0

$(STATICCHECK):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

tools: $(GOIMPORTS) $(STATICCHECK)

build: deps
	$(GO) build -trimpath -o $(BIN) ./src/cmd/live-webrtcsignaling

run: build
	./$(BIN)

test: test-deps tools
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) interop
	$(MAKE) e2e

lint: tools
	@out=$$($(GOIMPORTS) -l $$(git ls-files '*.go')); \
	  if [ -n "$$out" ]; then echo "goimports would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	cd $(INTEROP) && $(GO) vet ./... && $(STATICCHECK) ./...

# Unit and integration tests, race detector on; a RabbitMQ broker is provided for the bus tests.
unit:
	scripts/with-rabbitmq.sh $(GO) test -race -count=1 $(UNIT_PKGS)

interop:
	cd $(INTEROP) && $(GO) test -race -count=1 ./...

# Browser tests: they re-run themselves inside a loopback-only network namespace.
e2e:
	$(GO) test -count=1 -p 1 -timeout 15m ./src/e2e/...

# Every fuzz target for FUZZTIME each (not part of `make test`).
fuzz:
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' src cgo | xargs -n1 dirname | sort -u); do \
	  for t in $$(grep -h '^func Fuzz' $$f/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$f $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) ./$$f || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(UNIT_PKGS)
	cd $(INTEROP) && $(GO) test -run='^$$' -bench=. -benchmem ./...

# Signaling load test (10,000 websockets, 500 joins/s, 5,000 relayed messages/s); not part of `make test`.
load: deps
	scripts/load-signaling.sh $(ARGS)

# Media load test (50 forwarded streams of synthetic SRTP publishers and listeners); not part of `make test`.
load-media: deps
	scripts/load-media.sh $(ARGS)

# Join to first decoded remote frame, MCU against a direct P2P call in the same two browsers (5 rounds each).
figures-media:
	E2E_FIGURES=5 $(GO) test -count=1 -run TestMCUFirstFrameFigures -v ./src/e2e

# Transcoding figures (docs/OPERATIONS.md, "Transcoding"): each tier against gst-launch-1.0 with the same elements,
# latency, encode cost and quality per encoder. About 15 minutes of two busy cores.
figures-transcode:
	TRANSCODE_FIGURES=1 $(GO) test -count=1 -run '^$$' -bench 'Tier|Quality' -benchtime 1x -timeout 60m ./src/transcode

clean:
	rm -rf bin

# Images: the Dockerfile's three stages, built with docker where a Docker engine answers, else with buildah; where no
# registry serves the FROM images, from local stand-ins (docs/OPERATIONS.md, "Deploy"). VERSION is stamped into the
# binary (/metrics build_info, the start line) and tags the pushed image.
IMAGE        ?= live-webrtcsignaling
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DEV_REGISTRY ?=
# The engine that tags and pushes: the one scripts/image-lib.sh builds with.
CONTAINER    ?= $(shell docker info >/dev/null 2>&1 && echo docker || echo buildah)

# The scripts install what they need (scripts/install-deps.sh --image: buildah, debootstrap).
builder base release:
	IMAGE=$(IMAGE) VERSION=$(VERSION) scripts/image-build.sh $@

# Builds the three stages, checks the release image's content, runs its server in a loopback-only namespace and the
# relay and MCU browser tests against it. image-test-cold first removes the images, stand-ins and build cache.
image-test: test-deps
	IMAGE=$(IMAGE) VERSION=$(VERSION) scripts/image-test.sh

image-test-cold: test-deps
	IMAGE=$(IMAGE) VERSION=$(VERSION) scripts/image-test.sh --cold

# make pushReleaseToDev DEV_REGISTRY=<registry/project>: log in first (docker login or buildah login, or a
# credential helper); no credential is kept in this repository.
pushReleaseToDev:
	@if [ -z "$(DEV_REGISTRY)" ]; then echo "pushReleaseToDev: set DEV_REGISTRY (e.g. DEV_REGISTRY=registry.example.com/team)" >&2; exit 1; fi
	$(MAKE) release
	$(CONTAINER) tag $(IMAGE):release $(DEV_REGISTRY)/$(IMAGE):$(VERSION)
	$(CONTAINER) tag $(IMAGE):release $(DEV_REGISTRY)/$(IMAGE):latest
	$(CONTAINER) push $(DEV_REGISTRY)/$(IMAGE):$(VERSION)
	$(CONTAINER) push $(DEV_REGISTRY)/$(IMAGE):latest
