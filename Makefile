# Halyard — see README.md. Every target works on a fresh Debian machine with Go and PostgreSQL's binaries.
SHELL := /bin/bash
MODULES := shared services/writer services/evaluator infra devkit ui
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO_TEST_FLAGS ?= -count=1 -timeout 15m

.PHONY: build test test-go test-deps js-deps ui-deps ui dev dev-reset up down lint fmt clean help

# The version, commit and build time every binary reports (-version, GET /version, halyard_build_info).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILD_TIME ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO := github.com/halyard-flags/halyard/shared/buildinfo
LDFLAGS := -X $(BUILDINFO).Version=$(VERSION) -X $(BUILDINFO).Commit=$(COMMIT) -X $(BUILDINFO).Time=$(BUILD_TIME)

build: ui ## binaries into bin/ (the writer with the admin UI embedded), with the version, commit and build time set
	go build -tags ui -ldflags "$(LDFLAGS)" -o bin/writer ./services/writer/cmd/writer
	go build -ldflags "$(LDFLAGS)" -o bin/evaluator ./services/evaluator/cmd/evaluator

test: test-go ## every test: unit, integration (real Postgres + in-process NATS), compose checks

test-go: test-deps js-deps ui-deps ## the Go tests of every module (what test runs; devkit/e2e TestAdminUI runs the browser tests)
	@set -e; for m in $(MODULES); do echo "== go test $$m"; (cd $$m && go test $(GO_TEST_FLAGS) ./...); done

# HAProxy, which devkit/e2e TestRollingRestart runs the evaluators behind (Debian puts it in /usr/sbin), and
# promtool, with which infra/prometheus's tests check the alerts (Debian's prometheus package; where systemd
# runs, installing it starts a Prometheus on :9090, the compose cluster's port, so that service is stopped).
PROMETHEUS_APT := apt-get install -y --no-install-recommends prometheus
test-deps: ## what the tests need besides Go and PostgreSQL: HAProxy, promtool (apt-get install when missing)
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || apt-get install -y haproxy || sudo apt-get install -y haproxy
	@command -v promtool >/dev/null || { { $(PROMETHEUS_APT) || sudo $(PROMETHEUS_APT); } && \
		{ systemctl disable --now prometheus 2>/dev/null || sudo -n systemctl disable --now prometheus 2>/dev/null || true; }; }

# The JavaScript SDKs devkit/e2e TestJSSDKs runs (posthog-node, OpenFeature OFREP), from the committed lockfile.
js-deps: devkit/js/node_modules/.package-lock.json ## the JavaScript SDKs for the e2e tests (npm ci)

devkit/js/node_modules/.package-lock.json: devkit/js/package-lock.json
	@if command -v npm >/dev/null; then cd devkit/js && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: TestJSSDKs will fail (HALYARD_SKIP_JS=1 skips it)" >&2; fi

# What devkit/e2e TestBrowserSDKs needs, added to test-deps: Debian's chromium, which it drives headless, and
# what it runs in it (posthog-js, the OpenFeature web SDK and its OFREP web provider) and drives it with
# (playwright-core, esbuild), from devkit/browser's committed lockfile. HALYARD_SKIP_BROWSER=1 skips the test
# and the chromium install.
.PHONY: browser-deps chromium
test-deps: chromium browser-deps

browser-deps: devkit/browser/node_modules/.package-lock.json ## the browser tests' packages (npm ci)

devkit/browser/node_modules/.package-lock.json: devkit/browser/package-lock.json
	@if command -v npm >/dev/null; then cd devkit/browser && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: TestBrowserSDKs will fail (HALYARD_SKIP_BROWSER=1 skips it)" >&2; fi

chromium: ## Debian's chromium for the browser tests (apt-get install when missing)
	@[ "$$HALYARD_SKIP_BROWSER" = 1 ] || [ -x /usr/bin/chromium ] || \
	{ apt-get update -qq && apt-get install -y chromium; } || { sudo apt-get update -qq && sudo apt-get install -y chromium; }

# The admin UI: its npm packages (Vite, React, and for the browser tests playwright-core and axe) from the
# committed lockfile, and its assets in ui/dist, which the writer embeds when built with -tags ui.
ui-deps: ui/node_modules/.package-lock.json ## the admin UI's npm packages (npm ci in ui/)

ui/node_modules/.package-lock.json: ui/package-lock.json
	@if command -v npm >/dev/null; then cd ui && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the admin UI cannot be built and TestAdminUI will fail (HALYARD_SKIP_UI=1 skips it)" >&2; fi

ui: ui-deps ## build the admin UI's assets into ui/dist (npm run build)
	cd ui && npm run build

dev: ui ## the whole local cluster with a demo environment and the admin UI (Ctrl-C stops it; data and keys stay in .dev/)
	go build -o bin/halyard-dev ./devkit/cmd/halyard-dev
	bin/halyard-dev

dev-reset: ## wipe .dev/: the local cluster's data, NATS store and demo keys (refused while make dev runs)
	go build -o bin/halyard-dev ./devkit/cmd/halyard-dev
	bin/halyard-dev -reset

# The compose cluster (docs/compose.md). Every image is built on this machine: no registry is needed.
IMAGE_TAG ?= $(VERSION)
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE_PROJECT ?= halyard

.PHONY: images test-compose

images: ## every image of the compose cluster, built offline (installs and starts a Docker engine if needed)
	infra/docker/engine.sh
	IMAGE_TAG=$(IMAGE_TAG) VERSION=$(VERSION) GO_LDFLAGS="-s -w $(LDFLAGS)" infra/docker/build-images.sh

test-compose: images ## the compose cluster for real: up, changes read back through the load balancer, a NATS node down
	cd infra && HALYARD_COMPOSE=1 HALYARD_IMAGE_TAG=$(IMAGE_TAG) COMPOSE="$(COMPOSE)" \
		go test -count=1 -timeout 20m -v -run '^TestCluster$$' ./compose/

up: images ## the compose cluster in the background, then the demo environment's SDK key
	HALYARD_IMAGE_TAG=$(IMAGE_TAG) $(COMPOSE) -p $(COMPOSE_PROJECT) up -d
	@docker wait "$$($(COMPOSE) -p $(COMPOSE_PROJECT) ps -q seed)" >/dev/null
	@docker logs "$$($(COMPOSE) -p $(COMPOSE_PROJECT) ps -q seed)"

down: ## stop the compose cluster (its volumes stay: add -v by hand to drop them)
	$(COMPOSE) -p $(COMPOSE_PROJECT) down

# gosec checks the code that ships (the services and shared; devkit, infra and ui are test and build tools),
# tests excluded. Each finding is fixed or marked `#nosec Gnnn -- reason` on its line. govulncheck needs the
# vulnerability database at vuln.go.dev: it runs when HALYARD_VULNCHECK=1 (CI with network access).
GOSEC := github.com/securego/gosec/v2/cmd/gosec@v2.30.0
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
SHIPPED := shared services/writer services/evaluator

lint: ## gofmt, go vet, staticcheck and gosec (pinned); govulncheck too with HALYARD_VULNCHECK=1
	@unformatted=$$(gofmt -l $(MODULES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@set -e; for m in $(MODULES); do echo "== lint $$m"; (cd $$m && go vet ./... && go run $(STATICCHECK) ./...); done
	@set -e; for m in $(SHIPPED); do echo "== gosec $$m"; (cd $$m && go run $(GOSEC) -quiet -exclude-generated ./...); done
	@if [ "$$HALYARD_VULNCHECK" = 1 ]; then set -e; for m in $(SHIPPED); do echo "== govulncheck $$m"; \
		(cd $$m && go run $(GOVULNCHECK) ./...); done; else echo "== govulncheck skipped (HALYARD_VULNCHECK=1 runs it)"; fi

# Fuzz targets: make test runs their seed corpora; make fuzz runs each for FUZZTIME.
FUZZTIME ?= 30s
.PHONY: fuzz
fuzz: ## every fuzz target of every module, FUZZTIME each (default 30s); make test runs only their seeds
	@set -e; for m in $(MODULES); do for d in $$(grep -rl --exclude-dir=node_modules --include='*_test.go' '^func Fuzz' $$m | xargs -r -n1 dirname | sort -u); do \
		for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$d/*_test.go | cut -d' ' -f2); do \
			echo "== fuzz $$d $$t"; (cd $$m && go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$${d#$$m/}); done; done; done

fmt: ## gofmt -s every module
	gofmt -s -w $(MODULES)

clean: dev-reset ## remove bin/ and .dev/ (refused while make dev runs)
	rm -rf bin

help: ## this list
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / { printf "  make %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# The fault matrix (docs/reliability.md) against the real binaries: the fast fault tests run in make test too;
# HALYARD_FAULTS=all adds the slow ones (a 3-node NATS cluster losing each node, twenty evaluators restarted at
# once), and a 1-minute soak ends it. .ci/run runs it after make test.
FAULT_TESTS := ^(TestFault|TestSoak$$|TestWipedJetStreamIsRefilled$$|TestTwoWritersNeverPublishOlderAfterNewer$$|TestChangeCommittedDuringNATSOutage|TestRollingRestart)
SOAK_DURATION ?= 10m
.PHONY: test-faults soak haproxy
test-faults: haproxy ## the fault matrix against the real binaries, slow ones included, then a 1-minute soak (< 5 min)
	cd devkit && HALYARD_FAULTS=all SOAK_DURATION=1m SOAK_RESTART_EVERY=15s go test -count=1 -timeout 15m -v -run '$(FAULT_TESTS)' ./e2e/

soak: haproxy ## SDK load while a flag changes every second and a component restarts every minute (SOAK_DURATION, default 10m)
	cd devkit && SOAK_DURATION=$(SOAK_DURATION) go test -count=1 -timeout 3h -v -run '^TestSoak$$' ./e2e/

haproxy: ## HAProxy, which the rolling-restart tests and the soak run the evaluators behind (apt-get install when missing)
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || apt-get install -y haproxy || sudo apt-get install -y haproxy

.PHONY: bench
bench: ## benchmarks, not part of `make test`: writes docs/benchmarks.md and .json (BENCH_QUICK=1: < 2 min smoke run)
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	go build -o bin/halyard-bench ./devkit/cmd/halyard-bench
	bin/halyard-bench
